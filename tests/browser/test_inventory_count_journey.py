"""A daily check end to end in Chromium: planned by the planner, counted on a 390×844 phone
with the keyboard alone (as a scanner types: code, Enter, quantity, Enter), a recount, a
manager's approval, posted; the ledger and the accuracy show it."""

from decimal import Decimal

import pytest

from inventory import checks, services
from inventory.models import InventoryCheck, Product, StockLevel, StockMovement
from opsportal import roles
from tests import factories
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def _scan(page, code: str, quantity: int) -> None:
    """What a scanner and a thumb do: the code and Enter, the quantity and Enter."""
    code_input = page.get_by_label("SKU or barcode")
    code_input.wait_for()
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "quantity"
    page.keyboard.type(str(quantity))
    page.keyboard.press("Enter")
    page.get_by_test_id("count-feedback").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.name === 'code'")


def test_a_planned_check_is_counted_on_a_phone_recounted_approved_and_posted(
    phone, browser, live_server
):
    warehouse = factories.WarehouseFactory(code="WH-A", name="Springfield")
    counter = factories.user_with_role(roles.WAREHOUSE_STAFF, username="counter")
    warehouse.staff.add(counter)
    factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    stock = {"BOLT-AA": (12, "A-01-1"), "NUT-BB": (5, "A-02-1"), "WASHER-CC": (30, "A-03-1")}
    products = {}
    for sku, (quantity, bin) in stock.items():
        product = factories.ProductFactory(
            sku=sku,
            name=f"{sku.title()} pack",
            abc_class=Product.AbcClass.A,
            unit_cost=Decimal("4.00"),
        )
        services.stock_receive(warehouse=warehouse, product=product, quantity=quantity, actor=None)
        services.stock_level_configure(warehouse=warehouse, product=product, bin=bin)
        products[sku] = product
    check = checks.check_plan_daily(warehouse=warehouse, day=checks.warehouse_today(warehouse))
    assert check.assigned_to == counter

    # --- the counter, on a phone --------------------------------------------------------------
    _sign_in(phone, live_server, "counter")
    phone.goto(f"{live_server.url}/inventory/counts/{check.pk}/count/")
    start = phone.get_by_role("button", name="Start counting")
    start.focus()
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"**/counts/{check.pk}/count/")
    assert phone.get_by_test_id("progress-total").inner_text() == "3"
    screenshot(phone, "count-screen-start")

    # Picking goes on meanwhile: 2 bolts leave after the snapshot.
    services.stock_ship(
        warehouse=warehouse,
        product=products["BOLT-AA"],
        quantity=2,
        actor=None,
        from_reserved=False,
    )
    _scan(phone, "BOLT-AA", 10)
    _scan(phone, products["NUT-BB"].barcode, 5)
    _scan(phone, "washer-cc", 20)  # ten short: beyond tolerance
    assert phone.get_by_test_id("progress-counted").inner_text() == "3"
    # Blind: what the screen says holds none of the quantities on record (30, 12, 10).
    screen = phone.get_by_test_id("count-screen").inner_text()
    for on_record in ("30", "12", "-10", "-9"):
        assert on_record not in screen
    assert "expected" not in phone.content().lower()
    screenshot(phone, "count-screen-counted")
    # Nothing on the screen is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    finish = phone.get_by_role("button", name="Finish count")
    finish.focus()
    phone.keyboard.press("Enter")
    phone.get_by_test_id("recount-note").wait_for()
    assert "Please count 1 line again: WASHER-CC." in phone.content()
    assert phone.get_by_test_id("progress-total").inner_text() == "1"
    screenshot(phone, "count-screen-recount")
    _scan(phone, "WASHER-CC", 21)
    phone.get_by_role("button", name="Finish recount").focus()
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"**/counts/{check.pk}/")
    assert "go to a manager for review" in phone.content()
    check.refresh_from_db()
    assert check.status == InventoryCheck.Status.REVIEW

    # --- the manager, in a browser -----------------------------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    try:
        _sign_in(desk, live_server, "boss")
        desk.goto(f"{live_server.url}/inventory/counts/{check.pk}/review/")
        row = desk.get_by_test_id("review-line")
        assert row.count() == 1
        assert row.get_attribute("data-sku") == "WASHER-CC"
        assert row.get_by_test_id("variance").inner_text() == "-9"
        screenshot(desk, "count-review")
        row.get_by_label("Approve").check()
        desk.get_by_role("button", name="Save and post").click()
        desk.wait_for_url(f"**/counts/{check.pk}/")
        assert desk.get_by_test_id("check-status").inner_text() == "Posted"
        assert "2 of 3 (66.7 %)" in desk.get_by_test_id("check-accuracy").inner_text()
        desk.goto(f"{live_server.url}/inventory/counts/")
        assert "66.7 %" in desk.get_by_test_id("accuracy-total").inner_text()
        screenshot(desk, "count-list-accuracy")
        desk.goto(f"{live_server.url}/inventory/ledger/?product=WASHER-CC")
        assert "Count correction" in desk.get_by_test_id("movement-table").inner_text()
    finally:
        context.close()

    level = StockLevel.objects.get(warehouse=warehouse, product=products["WASHER-CC"])
    assert level.on_hand == 21
    correction = StockMovement.objects.get(kind=StockMovement.Kind.COUNT)
    assert (correction.delta, correction.reference_id) == (-9, str(check.pk))
    assert StockLevel.objects.get(warehouse=warehouse, product=products["BOLT-AA"]).on_hand == 10
