"""Inspection list and detail: roles, warehouse scoping, filters, criteria, query budget."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from quality.models import Inspection
from tests.factories import (
    InspectionPlanFactory,
    ProductFactory,
    VendorFactory,
    WarehouseFactory,
)
from tests.quality.factories import InspectionFactory

URL = reverse("quality:inspection_list")


def _detail(inspection) -> str:
    return reverse("quality:inspection_detail", args=[inspection.pk])


def _pks(response) -> set[int]:
    return {inspection.pk for inspection in response.context["page_obj"]}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client, warehouse):
    inspection = InspectionFactory(warehouse=warehouse)
    assert contracts_client.get(URL).status_code == 403
    assert contracts_client.get(_detail(inspection)).status_code == 403


def test_the_list_refuses_post_and_the_detail_records_only_valid_results(manager_client, warehouse):
    inspection = InspectionFactory(warehouse=warehouse)
    assert manager_client.post(URL).status_code == 405
    # The detail page posts its record form: an empty one is refused, nothing saved.
    response = manager_client.post(_detail(inspection))
    assert response.status_code == 400
    assert "Packaging intact: choose pass or fail." in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "pending"
    assert manager_client.put(_detail(inspection)).status_code == 405


@pytest.mark.smoke
def test_managers_see_every_warehouse_with_plan_product_vendor_and_status(
    manager_client, warehouse, other_warehouse
):
    here = InspectionFactory(
        warehouse=warehouse,
        plan=InspectionPlanFactory(name="Inbound cartons"),
        product=ProductFactory(sku="SKU-INSP"),
        vendor=VendorFactory(name="Acme Supply"),
        status=Inspection.Status.FAILED,
    )
    there = InspectionFactory(warehouse=other_warehouse)
    response = manager_client.get(URL)
    assert _pks(response) == {here.pk, there.pk}
    body = response.content.decode()
    for text in ("Inbound cartons", "SKU-INSP", "Acme Supply", "WH-A", "Failed"):
        assert text in body


def test_warehouse_staff_see_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    mine = InspectionFactory(warehouse=warehouse)
    InspectionFactory(warehouse=other_warehouse)
    assert _pks(warehouse_client.get(URL)) == {mine.pk}


def test_warehouse_staff_cannot_filter_their_way_into_another_warehouse(
    warehouse_client, warehouse, other_warehouse
):
    InspectionFactory(warehouse=other_warehouse)
    response = warehouse_client.get(URL, {"warehouse": other_warehouse.pk})
    assert _pks(response) == set()
    choices = [
        str(choice[1]) for choice in response.context["filter"].form["warehouse"].field.choices
    ]
    assert not any(other_warehouse.code in label for label in choices)


def test_warehouse_staff_get_404_for_another_warehouses_inspection(
    warehouse_client, other_warehouse
):
    inspection = InspectionFactory(warehouse=other_warehouse)
    assert warehouse_client.get(_detail(inspection)).status_code == 404


def test_it_filters_by_status_warehouse_and_vendor(manager_client, warehouse, other_warehouse):
    acme = VendorFactory(name="Acme Supply")
    passed = InspectionFactory(warehouse=warehouse, vendor=acme, status=Inspection.Status.PASSED)
    failed = InspectionFactory(warehouse=other_warehouse, status=Inspection.Status.FAILED)
    assert _pks(manager_client.get(URL, {"status": "passed"})) == {passed.pk}
    assert _pks(manager_client.get(URL, {"warehouse": other_warehouse.pk})) == {failed.pk}
    assert _pks(manager_client.get(URL, {"vendor": acme.pk})) == {passed.pk}


def test_an_htmx_request_gets_only_the_results(manager_client, warehouse):
    InspectionFactory(warehouse=warehouse)
    response = manager_client.get(URL, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_list_costs_the_same_queries_for_1_and_20_rows(manager_client, warehouse, queries_for):
    plan = InspectionPlanFactory()
    InspectionFactory(
        warehouse=warehouse, plan=plan, product=ProductFactory(), vendor=VendorFactory()
    )
    one = queries_for(manager_client, URL)
    for _ in range(19):
        InspectionFactory(
            warehouse=WarehouseFactory(),
            plan=InspectionPlanFactory(),
            product=ProductFactory(),
            vendor=VendorFactory(),
        )
    assert queries_for(manager_client, URL) == one


def test_the_detail_shows_each_criterion_with_its_result(warehouse_client, warehouse):
    plan = InspectionPlanFactory(
        criteria=[
            {"name": "Packaging intact", "kind": "pass_fail"},
            {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5},
            {"name": "Label legible", "kind": "pass_fail"},
        ]
    )
    inspection = InspectionFactory(
        warehouse=warehouse,
        plan=plan,
        results=[
            {"name": "Packaging intact", "passed": True},
            {"name": "Length", "passed": False, "value": 101.2, "note": "too long"},
        ],
    )
    response = warehouse_client.get(_detail(inspection))
    assert response.status_code == 200
    rows = response.context["criteria"]
    assert [(row.name, row.passed) for row in rows] == [
        ("Packaging intact", True),
        ("Length", False),
        ("Label legible", None),
    ]
    assert rows[1].requirement == "99.5–100.5 mm"
    body = response.content.decode()
    assert "101.2" in body
    assert "too long" in body
    assert "Not recorded" in body


def test_the_detail_names_its_source(manager_client, warehouse):
    source = InspectionFactory(warehouse=warehouse)
    inspection = InspectionFactory(
        warehouse=warehouse,
        source_type=ContentType.objects.get_for_model(Inspection),
        source_id=str(source.pk),
    )
    response = manager_client.get(_detail(inspection))
    assert response.context["source"].text == f"Inspection {source.pk} (pending)"
    assert response.context["source"].url == _detail(source)
    assert f'href="{_detail(source)}"' in response.content.decode()


def test_a_missing_source_is_named_not_linked(manager_client, warehouse):
    inspection = InspectionFactory(
        warehouse=warehouse,
        source_type=ContentType.objects.get_for_model(Inspection),
        source_id="999999",
    )
    response = manager_client.get(_detail(inspection))
    assert response.context["source"].url == ""
    assert "no longer exists" in response.content.decode()
