"""An order end to end in Chromium: a manager types it in (desktop), sees why this warehouse
and the quotes; warehouse staff pick, pack and ship it on a 390×844 phone with the keyboard;
the manager records delivery. Screenshots in var/screenshots/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from inventory import services as stock
from inventory.models import StockLevel
from opsportal import roles
from orders.models import Order, Shipment
from tests import factories
from tests.browser.conftest import screenshot
from tests.orders.conftest import carrier_with_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_an_order_is_placed_picked_packed_shipped_and_delivered(page, phone, live_server):
    chicago = factories.WarehouseFactory(
        code="WH-CHI",
        name="Chicago",
        postal_code="60601",
        latitude=Decimal("41.8864"),
        longitude=Decimal("-87.6186"),
        timezone="America/Chicago",
        cutoff_time=datetime.time(23, 59),
    )
    factories.WarehouseFactory(
        code="WH-NYC",
        name="New York",
        postal_code="10001",
        latitude=Decimal("40.7506"),
        longitude=Decimal("-73.9972"),
    )
    widget = factories.ProductFactory(sku="WIDGET", name="Widget", weight_grams=400)
    stock.stock_receive(warehouse=chicago, product=widget, quantity=10, actor=None)
    stock.stock_level_configure(warehouse=chicago, product=widget, bin="A-01-3")
    carrier_with_rates()
    factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    picker = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    chicago.staff.add(picker)

    # The manager types a phone order.
    _sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/orders/new/")
    page.select_option("#id_channel", "phone")
    page.get_by_label("Customer name").fill("Zoë Ångström")
    page.get_by_label("Customer email").fill("zoe@example.com")
    page.get_by_label("Address line 1").fill("1 Main St")
    page.get_by_label("City").fill("Chicago")
    page.get_by_label("Postal code").fill("60601")
    page.get_by_label("Lines").fill("WIDGET 2 19.99")
    screenshot(page, "orders-new-order-form")
    page.get_by_role("button", name="Place order").click()
    page.get_by_test_id("routing").wait_for()
    order = Order.objects.get()
    assert order.status == Order.Status.ALLOCATED
    assert "WH-CHI can fill every line" in page.get_by_test_id("routing").inner_text()
    assert page.get_by_test_id("quotes").is_visible()
    screenshot(page, "orders-order-detail-manager")

    # Staff pick, pack and ship on a phone.
    _sign_in(phone, live_server, "picker")
    phone.goto(f"{live_server.url}/orders/pick-list/")
    phone.get_by_role("button", name="Start picking the oldest").click()
    phone.get_by_test_id("pick-row").first.wait_for()
    assert "A-01-3" in phone.get_by_test_id("pick-table").inner_text()
    screenshot(phone, "orders-pick-list-phone")
    shipment = order.shipments.get()
    phone.get_by_role("link", name=f"#{shipment.pk}").click()
    phone.get_by_label("Weight (g)").wait_for()
    assert phone.evaluate("document.activeElement.name") == "weight_grams"
    phone.keyboard.type("950")
    screenshot(phone, "orders-pack-phone")
    phone.keyboard.press("Enter")
    phone.get_by_label("Tracking number").wait_for()
    phone.get_by_label("Tracking number").fill("ACME-424242")
    phone.get_by_label("Tracking number").press("Enter")
    phone.get_by_test_id("tracking").get_by_text("ACME-424242").wait_for()
    screenshot(phone, "orders-shipped-phone")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the shipment page scrolls sideways on a phone ({width}px)"
    level = StockLevel.objects.get(warehouse=chicago, product=widget)
    assert (level.on_hand, level.reserved) == (8, 0)

    # The manager records delivery.
    page.goto(f"{live_server.url}/orders/shipments/{shipment.pk}/")
    page.get_by_test_id("deliver").click()
    page.get_by_test_id("shipment-status").get_by_text("Delivered").wait_for()
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    page.goto(f"{live_server.url}/orders/{order.number}/")
    screenshot(page, "orders-order-delivered")
