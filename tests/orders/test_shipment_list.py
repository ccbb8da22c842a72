"""The shipment list: scoping, filters, tracking links, CSV, query budget."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from orders.models import Shipment
from tests.factories import CarrierFactory, CarrierServiceFactory, ProductFactory
from tests.orders.factories import order_in
from tests.orders.helpers import count_rows, csv_rows, queries_for


def _url(**query) -> str:
    return reverse("orders:shipment_list") + (f"?{urlencode(query)}" if query else "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_contract_admins_cannot_see_shipments(contracts_client):
    assert contracts_client.get(_url()).status_code == 403


def test_the_list_is_read_only(warehouse_client):
    assert warehouse_client.post(_url()).status_code == 405


def test_managers_see_shipments_with_carrier_service_and_tracking_link(manager_client, warehouse):
    service = CarrierServiceFactory(name="Two Day", carrier=CarrierFactory(code="FASTCO"))
    placed = order_in(warehouse, number="W-9")
    placed.shipment.carrier_service = service
    placed.shipment.tracking_number = "TRK-9"
    placed.shipment.weight_grams = 1234
    placed.shipment.save()

    response = manager_client.get(_url())

    body = response.content.decode()
    assert count_rows(response, "shipment-row") == 1
    assert "FASTCO · Two Day" in body
    assert 'href="https://track.example.com/TRK-9"' in body
    assert ">W-9<" in body
    assert "1234" in body


def test_warehouse_staff_see_only_their_warehouses_shipments(
    warehouse_client, warehouse, other_warehouse
):
    order_in(warehouse, number="MINE")
    order_in(other_warehouse, number="THEIRS")

    body = warehouse_client.get(_url()).content.decode()

    assert ">MINE<" in body
    assert ">THEIRS<" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": Shipment.Status.SHIPPED}, {"A-SHIPPED"}),
        ({"q": "TRK-B"}, {"B-PENDING"}),
        ({"q": "A-SHIP"}, {"A-SHIPPED"}),
    ],
)
def test_filters_narrow_the_list(manager_client, warehouse, query, expected):
    order_in(warehouse, number="A-SHIPPED", shipment_status=Shipment.Status.SHIPPED)
    pending = order_in(warehouse, number="B-PENDING")
    pending.shipment.tracking_number = "TRK-B"
    pending.shipment.save()

    body = manager_client.get(_url(**query)).content.decode()

    assert {n for n in ("A-SHIPPED", "B-PENDING") if f">{n}<" in body} == expected


def test_the_warehouse_filter_narrows_to_one_warehouse(manager_client, warehouse, other_warehouse):
    order_in(warehouse, number="HERE")
    order_in(other_warehouse, number="THERE")

    body = manager_client.get(_url(warehouse=other_warehouse.pk)).content.decode()

    assert ">THERE<" in body
    assert ">HERE<" not in body


def test_csv_export_has_the_shipments_with_formulas_neutralised(manager_client, warehouse):
    placed = order_in(warehouse, number="CSV-S")
    placed.shipment.tracking_number = "=1+2"
    placed.shipment.save()

    header, *rows = csv_rows(manager_client.get(_url(format="csv")))

    row = dict(zip(header, rows[0], strict=True))
    assert len(rows) == 1
    assert row["order"] == "CSV-S"
    assert row["warehouse"] == warehouse.code
    assert row["tracking_number"] == "'=1+2"


def test_csv_export_for_staff_leaves_out_other_warehouses(
    warehouse_client, warehouse, other_warehouse
):
    order_in(warehouse, number="MINE")
    order_in(other_warehouse, number="THEIRS")

    _, *rows = csv_rows(warehouse_client.get(_url(format="csv")))

    assert [row[1] for row in rows] == ["MINE"]


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_query_count_does_not_grow_with_the_rows(request, client_fixture, warehouse):
    client = request.getfixturevalue(client_fixture)
    service = CarrierServiceFactory()
    product = ProductFactory()

    def add():
        placed = order_in(warehouse, product=product)
        placed.shipment.carrier_service = service
        placed.shipment.tracking_number = "T"
        placed.shipment.save()

    add()
    client.get(_url())
    one = queries_for(client, _url())
    for _ in range(19):
        add()

    assert queries_for(client, _url()) == one
