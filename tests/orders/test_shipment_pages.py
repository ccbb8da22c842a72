"""The phone screens of fulfilment: pick batch, pack, ship; staff only in their warehouses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders import services
from orders.intake import parse_order
from orders.models import Order, Shipment
from tests.orders.conftest import order_body
from tests.orders.helpers import queries_for


@pytest.fixture
def staff(warehouse_staff, world):
    world.chicago.staff.add(warehouse_staff)
    return warehouse_staff


def place(manager, ref, sku="WIDGET", quantity=1):
    lines = [{"sku": sku, "quantity": quantity, "unit_price": "3.00"}]
    return services.order_intake(data=parse_order(order_body(ref, lines=lines)), by=manager).order


def test_staff_pick_pack_and_ship_in_their_warehouse(warehouse_client, staff, manager, world):
    world.receive(world.chicago, world.widget, 10)
    order = place(manager, "P-1", quantity=2)
    shipment = order.shipments.get()

    response = warehouse_client.post(
        reverse("orders:pick_start"), {"warehouse": "WH-CHI", "limit": "10"}
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PICKING

    page = warehouse_client.get(reverse("orders:shipment_detail", args=[shipment.pk]))
    assert page.status_code == 200
    assert b'data-testid="pack-form"' in page.content
    assert b"Cost" not in page.content  # no prices for staff
    line_id = order.lines.get().pk
    response = warehouse_client.post(
        reverse("orders:shipment_pack", args=[shipment.pk]),
        {"weight_grams": "950", f"line_{line_id}": "2"},
    )
    assert response.status_code == 302
    response = warehouse_client.post(
        reverse("orders:shipment_ship", args=[shipment.pk]), {"tracking_number": "ACME-9001"}
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == (Shipment.Status.SHIPPED, "ACME-9001")
    assert order.status == Order.Status.SHIPPED
    level = StockLevel.objects.get(warehouse=world.chicago, product=world.widget)
    assert (level.on_hand, level.reserved) == (8, 0)


def test_a_bad_weight_is_shown_on_the_pack_form(warehouse_client, staff, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager, "P-2").shipments.get()
    response = warehouse_client.post(
        reverse("orders:shipment_pack", args=[shipment.pk]), {"weight_grams": "0"}
    )
    assert response.status_code == 400
    assert b"greater than or equal to 1" in response.content
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING


def test_staff_get_404_for_another_warehouses_shipment(warehouse_client, staff, manager, world):
    world.receive(world.newyork, world.widget, 10)
    order = place(manager, "P-3")
    shipment = order.shipments.get()
    assert shipment.warehouse == world.newyork
    for name in ("shipment_detail",):
        assert (
            warehouse_client.get(reverse(f"orders:{name}", args=[shipment.pk])).status_code == 404
        )
    for name in ("shipment_pack", "shipment_ship"):
        url = reverse(f"orders:{name}", args=[shipment.pk])
        assert warehouse_client.post(url, {"weight_grams": "5"}).status_code == 404
    response = warehouse_client.post(reverse("orders:pick_start"), {"warehouse": "WH-NYC"})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING


def test_staff_cannot_override_the_carrier_or_deliver(warehouse_client, staff, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager, "P-4").shipments.get()
    for name in ("shipment_carrier", "shipment_deliver", "shipment_exception"):
        url = reverse(f"orders:{name}", args=[shipment.pk])
        assert warehouse_client.post(url, {"reason": "x"}).status_code == 403


def test_a_manager_overrides_the_carrier_on_the_shipment_page(manager_client, manager, world):
    world.receive(world.chicago, world.widget, 10)
    shipment = place(manager, "P-5").shipments.get()
    response = manager_client.post(
        reverse("orders:shipment_carrier", args=[shipment.pk]),
        {"service": world.overnight.pk, "reason": "Customer pays for next day"},
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.carrier_service == world.overnight
    page = manager_client.get(reverse("orders:shipment_detail", args=[shipment.pk])).content
    assert b"Customer pays for next day" in page


def test_a_held_order_shows_no_pack_form(manager_client, manager, world):
    world.receive(world.chicago, world.widget, 10)
    order = place(manager, "P-6")
    services.order_hold(order=order, kind="manual", reason="Check fraud", by=manager)
    page = manager_client.get(reverse("orders:shipment_detail", args=[order.shipments.get().pk]))
    assert b'data-testid="pack-form"' not in page.content
    assert b"Check fraud" in page.content


def test_the_pick_list_lists_open_lines_by_bin_with_constant_queries(
    warehouse_client, staff, manager, world
):
    world.receive(world.chicago, world.widget, 100)
    place(manager, "PL-0")
    url = reverse("orders:pick_list") + f"?warehouse={world.chicago.pk}"
    warehouse_client.get(url)
    one = queries_for(warehouse_client, url)
    for n in range(1, 21):
        place(manager, f"PL-{n}")
    response = warehouse_client.get(url)
    assert response.content.decode().count('data-testid="pick-row"') == 21
    assert queries_for(warehouse_client, url) == one
