"""The read-only orders API: scoping, prices for managers only, filters, query budget."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import CustomerEmail, Order, OrderEvent
from tests.factories import (
    AllocationFactory,
    CarrierServiceFactory,
    CustomerEmailFactory,
    OrderEventFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)
from tests.orders.factories import ReturnLineFactory, ReturnRequestFactory, order_in
from tests.orders.helpers import queries_for


def _orders(**query) -> str:
    from urllib.parse import urlencode

    return reverse("api:order-list") + (f"?{urlencode(query)}" if query else "")


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


# --- orders -----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_an_order_is_found_by_its_number_with_everything_nested(manager_client, warehouse):
    placed = order_in(warehouse, number="API-1", total_amount=Decimal("39.98"))
    placed.shipment.tracking_number = "1Z1"
    placed.shipment.save()
    OrderEventFactory(order=placed.order, kind=OrderEvent.Kind.ROUTED, actor=None)

    response = manager_client.get(reverse("api:order-detail", kwargs={"number": "API-1"}))

    assert response.status_code == 200
    data = response.json()
    assert data["number"] == "API-1"
    assert data["total_amount"] == "39.98"
    (line,) = data["lines"]
    assert line["sku"] == placed.line.product.sku
    assert line["unit_price"] == "19.99"
    assert line["backordered"] == 1
    assert line["allocations"] == [{"warehouse": warehouse.code, "quantity": 1}]
    (shipment,) = data["shipments"]
    assert shipment["warehouse"] == warehouse.code
    assert shipment["carrier"] is None
    assert shipment["lines"] == [
        {"order_line": placed.line.pk, "sku": placed.line.product.sku, "quantity": 1}
    ]
    assert [event["kind"] for event in data["events"]] == [OrderEvent.Kind.ROUTED]


def test_warehouse_staff_get_their_orders_without_prices(
    warehouse_client, warehouse, other_warehouse
):
    placed = order_in(warehouse, number="MINE", routing={"reason": "cheapest"})
    order_in(other_warehouse, number="THEIRS")

    response = warehouse_client.get(_orders())

    assert _numbers(response) == ["MINE"]
    (data,) = response.json()["results"]
    for hidden in ("total_amount", "currency", "routing"):
        assert hidden not in data
    assert "unit_price" not in data["lines"][0]
    assert "cost" not in data["shipments"][0]
    assert "quotes" not in data["shipments"][0]
    assert data["lines"][0]["sku"] == placed.line.product.sku


def test_warehouse_staff_get_404_for_an_order_of_another_warehouse(
    warehouse_client, other_warehouse
):
    order_in(other_warehouse, number="THEIRS")

    url = reverse("api:order-detail", kwargs={"number": "THEIRS"})
    assert warehouse_client.get(url).status_code == 404


def test_warehouse_staff_see_only_their_part_of_a_split_order(
    warehouse_client, warehouse, other_warehouse
):
    placed = order_in(warehouse, number="SPLIT")
    other_line = OrderLineFactory(order=placed.order)
    AllocationFactory(order_line=other_line, warehouse=other_warehouse)
    ShipmentFactory(order=placed.order, warehouse=other_warehouse)

    data = warehouse_client.get(reverse("api:order-detail", args=["SPLIT"])).json()

    codes = {s["warehouse"] for s in data["shipments"]}
    codes |= {a["warehouse"] for line in data["lines"] for a in line["allocations"]}
    assert codes == {warehouse.code}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": Order.Status.SHIPPED}, ["SHIPPED"]),
        ({"backordered": "true"}, ["OPEN"]),
        ({"q": "open"}, ["OPEN"]),
        ({"search": "SHIPPED"}, ["SHIPPED"]),
    ],
)
def test_the_order_list_takes_the_page_filters(manager_client, warehouse, query, expected):
    order_in(warehouse, number="OPEN")
    shipped = order_in(warehouse, number="SHIPPED", status=Order.Status.SHIPPED)
    shipped.line.allocated, shipped.line.shipped = 0, 2
    shipped.line.save()

    assert _numbers(manager_client.get(_orders(**query))) == expected


def test_the_order_list_is_a_cursor_page_without_a_count(manager_client, warehouse):
    for _ in range(3):
        order_in(warehouse)

    data = manager_client.get(_orders(size=2)).json()

    assert "count" not in data
    assert len(data["results"]) == 2
    following = manager_client.get(data["next"]).json()
    assert len(following["results"]) == 1


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_order_list_query_count_does_not_grow_with_the_rows(request, client_fixture, warehouse):
    client = request.getfixturevalue(client_fixture)
    product = ProductFactory()

    def add():
        placed = order_in(warehouse, product=product)
        OrderEventFactory(order=placed.order)

    add()
    client.get(_orders())
    one = queries_for(client, _orders())
    for _ in range(19):
        add()

    assert queries_for(client, _orders()) == one


def test_contract_admins_cannot_read_orders(contracts_client):
    assert contracts_client.get(_orders()).status_code == 403


def test_anonymous_callers_are_refused(client, db):
    assert client.get(_orders()).status_code in (401, 403)


def test_orders_are_never_edited_or_deleted_through_the_api(manager_client, warehouse):
    order_in(warehouse, number="RO-1")
    detail = reverse("api:order-detail", args=["RO-1"])

    # POST on the list is intake (tests/orders/test_intake_api.py); an empty body is a 400.
    assert manager_client.post(_orders(), {}, content_type="application/json").status_code == 400
    assert manager_client.patch(detail, {}, content_type="application/json").status_code == 405
    assert manager_client.delete(detail).status_code == 405


def test_warehouse_staff_write_nothing_on_orders(warehouse_client, warehouse):
    order_in(warehouse, number="RO-1")
    detail = reverse("api:order-detail", args=["RO-1"])

    assert warehouse_client.post(_orders(), {}, content_type="application/json").status_code == 403
    assert warehouse_client.patch(detail, {}, content_type="application/json").status_code == 403
    assert warehouse_client.delete(detail).status_code == 403


# --- shipments --------------------------------------------------------------------------------


def test_shipments_are_scoped_to_the_staff_members_warehouses(
    warehouse_client, warehouse, other_warehouse
):
    mine = order_in(warehouse).shipment
    theirs = order_in(other_warehouse).shipment

    data = warehouse_client.get(reverse("api:shipment-list")).json()

    assert [row["id"] for row in data["results"]] == [mine.pk]
    assert warehouse_client.get(reverse("api:shipment-detail", args=[theirs.pk])).status_code == 404


def test_a_shipment_has_its_tracking_url(manager_client, warehouse):
    shipment = order_in(warehouse).shipment
    shipment.carrier_service = CarrierServiceFactory()
    shipment.tracking_number = "1Z5"
    shipment.save()

    data = manager_client.get(reverse("api:shipment-detail", args=[shipment.pk])).json()

    assert data["tracking_url"] == "https://track.example.com/1Z5"
    assert data["carrier"] == shipment.carrier_service.carrier.code


def test_the_shipment_list_query_count_does_not_grow_with_the_rows(manager_client, warehouse):
    product = ProductFactory()
    order_in(warehouse, product=product)
    url = reverse("api:shipment-list")
    manager_client.get(url)
    one = queries_for(manager_client, url)
    for _ in range(19):
        order_in(warehouse, product=product)

    assert queries_for(manager_client, url) == one


def test_the_shipment_api_refuses_writes(manager_client, db):
    url = reverse("api:shipment-list")
    assert manager_client.post(url, {}, content_type="application/json").status_code == 405


# --- returns ----------------------------------------------------------------------------------


def test_a_return_is_found_by_its_number(manager_client, warehouse):
    placed = order_in(warehouse, number="W-R")
    rma = ReturnRequestFactory(number="RMA-1", order=placed.order, warehouse=warehouse)
    ReturnLineFactory(return_request=rma, order_line=placed.line)

    data = manager_client.get(reverse("api:return-detail", args=["RMA-1"])).json()

    assert data["order"] == "W-R"
    assert data["warehouse"] == warehouse.code
    assert data["lines"][0]["sku"] == placed.line.product.sku


def test_returns_are_scoped_to_the_staff_members_warehouses(
    warehouse_client, warehouse, other_warehouse
):
    ReturnRequestFactory(number="RMA-MINE", warehouse=warehouse)
    ReturnRequestFactory(number="RMA-THEIRS", warehouse=other_warehouse)

    data = warehouse_client.get(reverse("api:return-list")).json()

    assert [row["number"] for row in data["results"]] == ["RMA-MINE"]


def test_the_return_list_query_count_does_not_grow_with_the_rows(manager_client, warehouse):
    def add():
        placed = order_in(warehouse)
        rma = ReturnRequestFactory(order=placed.order, warehouse=warehouse)
        ReturnLineFactory(return_request=rma, order_line=placed.line)

    add()
    url = reverse("api:return-list")
    manager_client.get(url)
    one = queries_for(manager_client, url)
    for _ in range(19):
        add()

    assert queries_for(manager_client, url) == one


# --- emails -----------------------------------------------------------------------------------


def test_managers_read_the_outbox_filtered_by_status(manager_client, db):
    CustomerEmailFactory(status=CustomerEmail.Status.FAILED, last_error="550")
    CustomerEmailFactory(status=CustomerEmail.Status.SENT)

    data = manager_client.get(reverse("api:customeremail-list") + "?status=failed").json()

    assert [row["last_error"] for row in data["results"]] == ["550"]


@pytest.mark.parametrize("client_fixture", ["warehouse_client", "contracts_client"])
def test_only_managers_read_the_outbox(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    assert client.get(reverse("api:customeremail-list")).status_code == 403


def test_the_outbox_query_count_does_not_grow_with_the_rows(manager_client, db):
    CustomerEmailFactory()
    url = reverse("api:customeremail-list")
    manager_client.get(url)
    one = queries_for(manager_client, url)
    for _ in range(19):
        CustomerEmailFactory()

    assert queries_for(manager_client, url) == one
