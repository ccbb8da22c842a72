"""The workflow verbs of the API: who may call them, what they change, 400 vs 409."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders import services
from orders.intake import parse_order
from orders.models import Order, Shipment
from tests.orders.conftest import order_body


@pytest.fixture
def staff(warehouse_staff, world):
    world.chicago.staff.add(warehouse_staff)
    return warehouse_staff


def place(manager, ref="API-1", quantity=1):
    lines = [{"sku": "WIDGET", "quantity": quantity, "unit_price": "3.00"}]
    return services.order_intake(data=parse_order(order_body(ref, lines=lines)), by=manager).order


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_an_order_goes_from_intake_to_delivered_through_the_api(
    manager_client, warehouse_client, staff, world
):
    world.receive(world.chicago, world.widget, 10)
    number = post(manager_client, "/api/v1/orders/", order_body("FLOW-1")).json()["number"]
    order = Order.objects.get(number=number)
    shipment = order.shipments.get()

    batch = post(warehouse_client, reverse("api:shipment-pick"), {"warehouse": "WH-CHI"})
    assert batch.status_code == 200, batch.content
    assert [s["id"] for s in batch.json()] == [shipment.pk]
    packed = post(
        warehouse_client,
        reverse("api:shipment-pack", args=[shipment.pk]),
        {"weight_grams": 950, "quantities": [{"order_line": order.lines.get().pk, "quantity": 2}]},
    )
    assert packed.status_code == 200, packed.content
    assert packed.json()["status"] == "packed"
    shipped = post(
        warehouse_client,
        reverse("api:shipment-ship", args=[shipment.pk]),
        {"tracking_number": "ACME-5555"},
    )
    assert shipped.json()["tracking_number"] == "ACME-5555"
    delivered = post(manager_client, reverse("api:shipment-deliver", args=[shipment.pk]))
    assert delivered.json()["status"] == "delivered"
    detail = manager_client.get(reverse("api:order-detail", args=[number])).json()
    assert detail["status"] == Order.Status.DELIVERED
    assert detail["routing"]["chosen"] == ["WH-CHI"]
    assert detail["shipments"][0]["quotes"]


def test_order_verbs_are_for_managers(manager_client, warehouse_client, staff, manager, world):
    world.receive(world.chicago, world.widget, 10)
    order = place(manager)
    url = reverse("api:order-hold", args=[order.number])
    assert post(warehouse_client, url, {"kind": "manual", "reason": "x"}).status_code == 403
    response = post(manager_client, url, {"kind": "manual", "reason": "Customer called"})
    assert response.status_code == 200
    assert response.json()["hold_kind"] == "manual"
    # Already on hold: the state refuses it (409), a bad kind is the request's fault (400).
    assert post(manager_client, url, {"kind": "manual", "reason": "again"}).status_code == 409
    assert post(manager_client, url, {"kind": "nope", "reason": "x"}).status_code == 400
    released = post(manager_client, reverse("api:order-release", args=[order.number]))
    assert released.json()["hold_kind"] == ""


def test_cancel_reroute_and_payment_through_the_api(manager_client, manager, world):
    world.receive(world.chicago, world.widget, 10)
    world.receive(world.newyork, world.widget, 10)
    order = place(manager, quantity=3)
    rerouted = post(
        manager_client,
        reverse("api:order-reroute", args=[order.number]),
        {"reason": "Dock closed", "warehouse": "WH-NYC"},
    )
    assert rerouted.json()["routing"]["chosen"] == ["WH-NYC"]
    paid = post(
        manager_client,
        reverse("api:order-payment", args=[order.number]),
        {"payment_status": "paid"},
    )
    assert paid.json()["payment_status"] == "paid"
    assert post(manager_client, reverse("api:order-cancel", args=[order.number])).status_code == 400
    cancelled = post(
        manager_client, reverse("api:order-cancel", args=[order.number]), {"reason": "Fraud"}
    )
    assert cancelled.json()["status"] == Order.Status.CANCELLED
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == 0
    again = post(
        manager_client, reverse("api:order-cancel", args=[order.number]), {"reason": "Fraud"}
    )
    assert again.status_code == 409


def test_staff_get_404_for_another_warehouses_shipment(warehouse_client, staff, manager, world):
    world.receive(world.newyork, world.widget, 10)
    shipment = place(manager).shipments.get()
    for verb, body in (("pack", {"weight_grams": 10}), ("ship", {"tracking_number": "X-1234"})):
        url = reverse(f"api:shipment-{verb}", args=[shipment.pk])
        assert post(warehouse_client, url, body).status_code == 404
    refused = post(warehouse_client, reverse("api:shipment-pick"), {"warehouse": "WH-NYC"})
    assert refused.status_code == 400
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING


def test_staff_cannot_deliver_or_override(warehouse_client, staff, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager).shipments.get()
    for verb in ("deliver", "exception", "carrier"):
        url = reverse(f"api:shipment-{verb}", args=[shipment.pk])
        assert post(warehouse_client, url, {"reason": "x"}).status_code == 403


def test_shipping_before_packing_is_a_conflict(manager_client, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager).shipments.get()
    response = post(
        manager_client,
        reverse("api:shipment-ship", args=[shipment.pk]),
        {"tracking_number": "ACME-1"},
    )
    assert response.status_code == 409
    assert "pack it before shipping" in response.json()["status"][0]


def test_a_carrier_override_through_the_api(manager_client, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager).shipments.get()
    response = post(
        manager_client,
        reverse("api:shipment-carrier", args=[shipment.pk]),
        {"service": world.overnight.pk, "reason": "VIP"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["service"], response.json()["override_reason"]) == ("NXT", "VIP")
