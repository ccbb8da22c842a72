"""The pick list: lines of shipments waiting to be picked, by bin, in the picker's warehouse."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from orders.models import Shipment
from tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from tests.orders.factories import order_in
from tests.orders.helpers import count_rows, queries_for


def _url(**query) -> str:
    return reverse("orders:pick_list") + (f"?{urlencode(query)}" if query else "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_contract_admins_cannot_pick(contracts_client):
    assert contracts_client.get(_url()).status_code == 403


def test_the_pick_list_is_read_only(warehouse_client):
    assert warehouse_client.post(_url()).status_code == 405


def test_staff_see_lines_to_pick_sorted_by_bin(warehouse_client, warehouse):
    later = ProductFactory(sku="SKU-LATER")
    sooner = ProductFactory(sku="SKU-SOONER")
    StockLevelFactory(warehouse=warehouse, product=later, bin="C-03")
    StockLevelFactory(warehouse=warehouse, product=sooner, bin="A-01")
    order_in(warehouse, number="ORD-1", product=later)
    order_in(warehouse, number="ORD-2", product=sooner, shipment_status=Shipment.Status.PICKING)

    response = warehouse_client.get(_url())

    body = response.content.decode()
    assert count_rows(response, "pick-row") == 2
    assert body.index("A-01") < body.index("SKU-SOONER") < body.index("C-03")
    assert body.index("C-03") < body.index("SKU-LATER")
    assert ">ORD-1<" in body
    assert ">ORD-2<" in body


def test_shipments_past_picking_are_not_listed(warehouse_client, warehouse):
    order_in(warehouse, number="PACKED", shipment_status=Shipment.Status.PACKED)
    order_in(warehouse, number="SHIPPED", shipment_status=Shipment.Status.SHIPPED)

    response = warehouse_client.get(_url())

    assert count_rows(response, "pick-row") == 0


def test_staff_never_see_another_warehouses_pick_list(warehouse_client, warehouse, other_warehouse):
    order_in(other_warehouse, number="THEIRS")

    for url in (_url(), _url(warehouse=other_warehouse.pk)):
        body = warehouse_client.get(url).content.decode()
        assert ">THEIRS<" not in body


def test_the_bin_comes_from_the_stock_of_the_shipping_warehouse(
    manager_client, warehouse, other_warehouse
):
    product = ProductFactory()
    StockLevelFactory(warehouse=warehouse, product=product, bin="HERE-1")
    StockLevelFactory(warehouse=other_warehouse, product=product, bin="THERE-9")
    order_in(warehouse, product=product)

    body = manager_client.get(_url(warehouse=warehouse.pk)).content.decode()

    assert "HERE-1" in body
    assert "THERE-9" not in body


def test_managers_get_the_first_active_warehouse_by_default(manager_client, db):
    inactive = WarehouseFactory(code="AA-CLOSED", is_active=False)
    first = WarehouseFactory(code="BB-OPEN")
    second = WarehouseFactory(code="CC-OPEN")
    order_in(inactive, number="IN-CLOSED")
    order_in(first, number="IN-FIRST")
    order_in(second, number="IN-SECOND")

    default = manager_client.get(_url()).content.decode()
    chosen = manager_client.get(_url(warehouse=second.pk)).content.decode()

    assert "Pick list · BB-OPEN" in default
    assert ">IN-FIRST<" in default
    assert ">IN-SECOND<" not in default
    assert ">IN-CLOSED<" not in default
    assert ">IN-SECOND<" in chosen
    assert ">IN-FIRST<" not in chosen


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_query_count_does_not_grow_with_the_rows(request, client_fixture, warehouse):
    client = request.getfixturevalue(client_fixture)

    def add():
        product = ProductFactory()
        StockLevelFactory(warehouse=warehouse, product=product)
        order_in(warehouse, product=product)

    add()
    client.get(_url())
    one = queries_for(client, _url())
    for _ in range(19):
        add()

    assert queries_for(client, _url()) == one
