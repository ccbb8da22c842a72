"""The purchase order list and detail: staff scoped to their warehouses and never shown prices."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from vendors.models import PurchaseOrder

LIST = reverse("vendors:purchaseorder_list")


def _detail(number: str) -> str:
    return reverse("vendors:purchaseorder_detail", args=[number])


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def _numbers(response) -> list[str]:
    return sorted(po.number for po in response.context["page_obj"])


def _po(number: str, warehouse, **kwargs) -> PurchaseOrder:
    order = factories.PurchaseOrderFactory(number=number, warehouse=warehouse, **kwargs)
    factories.PurchaseOrderLineFactory(
        purchase_order=order, quantity=10, received=4, unit_price=Decimal("12.34")
    )
    return order


@pytest.mark.smoke
def test_warehouse_staff_see_only_their_warehouses_purchase_orders(
    warehouse_client, warehouse, other_warehouse
):
    _po("PO-MINE", warehouse, status=PurchaseOrder.Status.SENT)
    _po("PO-THEIRS", other_warehouse, status=PurchaseOrder.Status.SENT)

    response = warehouse_client.get(LIST)

    assert response.status_code == 200
    assert _numbers(response) == ["PO-MINE"]
    assert b"PO-THEIRS" not in response.content
    assert warehouse_client.get(_detail("PO-THEIRS")).status_code == 404


def test_warehouse_staff_are_offered_only_their_warehouses_as_a_filter(
    warehouse_client, warehouse, other_warehouse
):
    response = warehouse_client.get(LIST)
    choices = list(response.context["filter"].form.fields["warehouse"].queryset)
    assert choices == [warehouse]
    # Asking for another warehouse does not reveal its orders.
    _po("PO-THEIRS", other_warehouse)
    response = warehouse_client.get(f"{LIST}?warehouse={other_warehouse.pk}")
    assert _numbers(response) == []


def test_managers_and_contract_admins_see_every_warehouse(
    manager_client, contracts_client, warehouse, other_warehouse
):
    _po("PO-A", warehouse)
    _po("PO-B", other_warehouse)
    assert _numbers(manager_client.get(LIST)) == ["PO-A", "PO-B"]
    assert _numbers(contracts_client.get(LIST)) == ["PO-A", "PO-B"]
    assert _numbers(manager_client.get(f"{LIST}?warehouse={other_warehouse.pk}")) == ["PO-B"]


def test_anonymous_is_sent_to_login_from_purchase_orders(client, warehouse):
    _po("PO-A", warehouse)
    for url in (LIST, _detail("PO-A")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused_purchase_orders(client, no_role_user, warehouse):
    _po("PO-A", warehouse)
    client.force_login(no_role_user)
    assert client.get(LIST).status_code == 403
    assert client.get(_detail("PO-A")).status_code == 403


def test_purchase_order_pages_refuse_post(warehouse_client, warehouse):
    _po("PO-A", warehouse)
    assert warehouse_client.post(LIST).status_code == 405
    assert warehouse_client.post(_detail("PO-A")).status_code == 405


def test_the_list_flags_late_orders_and_filters_on_it(manager_client, warehouse):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    _po("PO-LATE", warehouse, status=PurchaseOrder.Status.SENT, expected_date=yesterday)
    _po(
        "PO-PART",
        warehouse,
        status=PurchaseOrder.Status.PARTIALLY_RECEIVED,
        expected_date=yesterday,
    )
    _po("PO-DONE", warehouse, status=PurchaseOrder.Status.RECEIVED, expected_date=yesterday)
    _po("PO-GONE", warehouse, status=PurchaseOrder.Status.CANCELLED, expected_date=yesterday)
    _po("PO-TODAY", warehouse, status=PurchaseOrder.Status.SENT, expected_date=today)
    _po("PO-UNDATED", warehouse, status=PurchaseOrder.Status.SENT)

    response = manager_client.get(LIST)
    late = sorted(po.number for po in response.context["page_obj"] if po.is_late)
    assert late == ["PO-LATE", "PO-PART"]
    assert response.content.count(b'data-testid="late"') == 2

    assert _numbers(manager_client.get(f"{LIST}?late=true")) == ["PO-LATE", "PO-PART"]
    assert _numbers(manager_client.get(f"{LIST}?late=false")) == [
        "PO-DONE",
        "PO-GONE",
        "PO-TODAY",
        "PO-UNDATED",
    ]


def test_the_list_filters_by_status_vendor_and_search(manager_client, warehouse):
    acme = factories.VendorFactory(name="Acme Parts")
    _po("PO-1", warehouse, vendor=acme, status=PurchaseOrder.Status.SENT)
    _po("PO-2", warehouse, vendor=acme)
    _po("PO-3", warehouse, vendor__name="Other", status=PurchaseOrder.Status.SENT)

    assert _numbers(manager_client.get(f"{LIST}?status=sent")) == ["PO-1", "PO-3"]
    assert _numbers(manager_client.get(f"{LIST}?vendor={acme.pk}")) == ["PO-1", "PO-2"]
    assert _numbers(manager_client.get(f"{LIST}?q=acme")) == ["PO-1", "PO-2"]
    assert _numbers(manager_client.get(f"{LIST}?q=po-3")) == ["PO-3"]


def test_the_list_shows_line_counts_and_totals_to_managers(manager_client, warehouse):
    order = _po("PO-1", warehouse)
    factories.PurchaseOrderLineFactory(purchase_order=order, quantity=1, unit_price=Decimal("0.66"))

    response = manager_client.get(LIST)

    (row,) = response.context["page_obj"]
    assert (row.lines_count, row.total) == (2, Decimal("124.06"))
    assert b"124.06 USD" in response.content


def test_staff_never_see_prices_on_the_list_or_in_its_csv(warehouse_client, warehouse):
    _po("PO-1", warehouse)

    response = warehouse_client.get(LIST)
    assert b"123.40" not in response.content
    assert b"Total" not in response.content
    assert not hasattr(response.context["page_obj"][0], "total")

    rows = _csv(warehouse_client.get(f"{LIST}?format=csv"))
    assert rows[0] == ["Number", "Vendor", "Warehouse", "Status", "Expected", "Late", "Lines"]
    assert rows[1][0] == "PO-1"
    assert not any("123.40" in cell or "12.34" in cell for row in rows for cell in row)


def test_the_csv_carries_totals_for_contract_admins_and_neutralises_formulas(
    contracts_client, warehouse
):
    _po("PO-1", warehouse, vendor__name="@SUM(A1:A9)")

    rows = _csv(contracts_client.get(f"{LIST}?format=csv"))

    assert rows[0][-2:] == ["Total", "Currency"]
    assert rows[1][1] == "'@SUM(A1:A9)"
    assert rows[1][-2:] == ["123.40", "USD"]


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_list_query_count_does_not_grow_with_rows(request, warehouse, client_fixture):
    client = request.getfixturevalue(client_fixture)
    _po("PO-00", warehouse)
    client.get(LIST)
    one = _count_queries(client, LIST)
    one_csv = _count_queries(client, f"{LIST}?format=csv")
    for n in range(1, 20):
        _po(f"PO-{n:02d}", warehouse)
    assert _count_queries(client, LIST) == one
    assert _count_queries(client, f"{LIST}?format=csv") == one_csv


def test_the_detail_shows_quantities_and_prices_to_managers(manager_client, warehouse):
    _po("PO-1", warehouse, notes="Dock 3")

    response = manager_client.get(_detail("PO-1"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="outstanding">6<' in content
    assert 'data-testid="unit-price">12.34<' in content
    assert "123.40" in content
    assert "Dock 3" in content


def test_the_detail_shows_quantities_but_no_prices_to_staff(warehouse_client, warehouse):
    contract = factories.VendorContractFactory(number="C-SECRET")
    _po("PO-1", warehouse, contract=contract)

    response = warehouse_client.get(_detail("PO-1"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="outstanding">6<' in content
    for secret in ("12.34", "123.40", "Unit price", "C-SECRET"):
        assert secret not in content
    # Vendor pages are refused to staff, so the vendor name is not a link there.
    assert reverse("vendors:vendor_detail", args=[response.context["po"].vendor_id]) not in content


def test_the_detail_of_an_unknown_number_is_404(manager_client):
    assert manager_client.get(_detail("PO-NOPE")).status_code == 404


def test_the_to_receive_filter_lists_sent_and_partially_received_orders(manager_client):
    from django.urls import reverse

    from tests.factories import PurchaseOrderFactory
    from vendors.models import PurchaseOrder

    for status in PurchaseOrder.Status.values:
        PurchaseOrderFactory(status=status)
    response = manager_client.get(reverse("vendors:purchaseorder_list"), {"to_receive": "true"})
    shown = {po.status for po in response.context["page_obj"]}
    assert shown == {PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED}
