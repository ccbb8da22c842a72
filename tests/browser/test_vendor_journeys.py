"""Vendors in Chromium: receiving a PO on a phone with the keyboard, contract and quote pages."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from opsportal import roles
from tests import factories
from tests.browser.conftest import screenshot
from tests.vendors.factories import chicago_warehouse, rate_card
from vendors import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def _sent_po(warehouse):
    vendor = factories.VendorFactory(name="Phone Supply")
    factories.VendorContactFactory(vendor=vendor, email="po@phone.example.com")
    today = timezone.localdate()
    contract = factories.VendorContractFactory(
        vendor=vendor,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=100),
    )
    bolt = factories.ProductFactory(sku="SKU-BOLT", name="Hex bolt M8", barcode="4006381333931")
    nut = factories.ProductFactory(sku="SKU-NUT", name="Hex nut M8")
    for product in (bolt, nut):
        factories.ContractPriceFactory(contract=contract, product=product, price=Decimal("9.87"))
    po = services.purchase_order_create(
        vendor=vendor,
        warehouse=warehouse,
        lines=[services.OrderLineData(bolt, 12), services.OrderLineData(nut, 5)],
        by=None,
    )
    return services.purchase_order_send(purchase_order=po, by=None), bolt


def test_staff_receive_a_po_on_a_phone_by_scanning_and_enter(phone, live_server):
    warehouse = factories.WarehouseFactory(code="WH-A")
    user = factories.user_with_role(roles.WAREHOUSE_STAFF, username="receiver")
    warehouse.staff.add(user)
    po, bolt = _sent_po(warehouse)
    _sign_in(phone, live_server, "receiver")

    phone.goto(f"{live_server.url}/vendors/purchase-orders/{po.number}/receive/")
    sku = phone.get_by_label("SKU or barcode")
    assert sku.evaluate("el => el === document.activeElement")  # ready for the scanner
    sku.fill("4006381333931")
    phone.get_by_label("Quantity").fill("12")
    phone.get_by_label("Quantity").press("Enter")
    phone.wait_for_selector("text=Received 12 × SKU-BOLT (12 of 12).")

    line = phone.locator('[data-testid="receive-line"][data-sku="SKU-BOLT"]')
    assert line.get_by_test_id("outstanding").inner_text() == "0"
    assert phone.get_by_test_id("po-status").inner_text() == "Partially received"
    content = phone.content()
    assert "9.87" not in content  # no prices for staff
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-po-receive")

    phone.get_by_label("SKU or barcode").fill("SKU-NUT")
    phone.get_by_label("Quantity").fill("6")
    phone.get_by_label("Quantity").press("Enter")
    phone.wait_for_selector("text=6 is more than the 5 still outstanding")
    screenshot(phone, "phone-po-receive-over")
    assert StockLevel.objects.get(product=bolt).on_hand == 12


def test_contract_and_quote_pages_render(page, live_server):
    admin = factories.user_with_role(roles.CONTRACT_ADMIN, username="carla")
    contract = factories.VendorContractFactory(number="C-SHOT", owner=admin)
    factories.ContractPriceFactory(contract=contract)
    origin = chicago_warehouse()
    carrier = factories.CarrierFactory(code="SHOT", vendor__name="Screenshot Parcel")
    service = factories.CarrierServiceFactory(carrier=carrier, code="SHOT-GND", name="Ground")
    rate_card(service, 2, [(1000, "5.00", 3), (5000, "8.00", 3)])
    _sign_in(page, live_server, "carla")

    page.goto(f"{live_server.url}/vendors/contracts/{contract.pk}/edit/")
    page.get_by_label("Title").fill("Edited in Chromium")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Contract C-SHOT saved (version 2).")
    screenshot(page, "contract-detail")
    page.goto(f"{live_server.url}/vendors/contracts/{contract.pk}/history/")
    assert "Edited in Chromium" in page.content()
    screenshot(page, "contract-history")

    page.goto(f"{live_server.url}/vendors/carriers/quote/")
    page.get_by_label("From warehouse").select_option(str(origin.pk))
    page.get_by_label("Postal code").fill("60601")
    page.get_by_label("Weight (g)").fill("800")
    page.get_by_role("button", name="Quote").click()
    page.wait_for_selector('[data-testid="quote-row"]')
    assert page.get_by_test_id("quote-price").inner_text() == "5.00"
    screenshot(page, "carrier-quote")
