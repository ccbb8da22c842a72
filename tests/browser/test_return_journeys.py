"""In Chromium: staff receive a return on a phone; labels and the outbox as a person sees them."""

from __future__ import annotations

import pytest

from opsportal import roles
from orders import returns
from orders.models import CustomerEmail, ReturnRequest
from tests import factories
from tests.browser.conftest import screenshot
from tests.orders.test_labels import packed_shipments
from tests.orders.test_returns import shipped_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_staff_receive_a_return_on_a_phone_and_print_labels(phone, live_server):
    warehouse = factories.WarehouseFactory(code="WH-A", name="Springfield")
    staff = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    warehouse.staff.add(staff)
    manager = factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    order, (first, second) = shipped_order(warehouse)
    rma = returns.return_create(
        order=order, quantities={first.pk: 2, second.pk: 1}, reason="Arrived damaged", by=manager
    )
    returns.return_approve(rma=rma, by=manager)
    packed_shipments(3, warehouse=warehouse)

    _sign_in(phone, live_server, "picker")
    phone.goto(f"{live_server.url}/orders/returns/{rma.number}/")
    phone.get_by_test_id("receive-link").click()
    phone.wait_for_url(f"**/returns/{rma.number}/receive/")
    _fits(phone)
    lines = list(rma.lines.order_by("id"))
    phone.locator(f"#d{lines[0].pk}").select_option("restock")
    phone.locator(f"#r{lines[1].pk}").fill("1")
    phone.locator(f"#d{lines[1].pk}").select_option("quality")
    screenshot(phone, "phone-return-receive")
    phone.get_by_role("button", name="Receive").click()
    phone.wait_for_url(f"**/returns/{rma.number}/")
    assert phone.get_by_test_id("return-status").inner_text() == "Received"
    _fits(phone)
    screenshot(phone, "phone-return-detail")
    rma.refresh_from_db()
    assert (rma.status, rma.disposition) == (ReturnRequest.Status.RECEIVED, "mixed")
    assert CustomerEmail.objects.filter(kind="return_received", return_request=rma).exists()

    phone.goto(f"{live_server.url}/orders/labels/")
    assert phone.get_by_test_id("label-row").count() == 3
    _fits(phone)
    screenshot(phone, "phone-label-batch")
    phone.get_by_label("Choose all").check()
    phone.get_by_test_id("print").click()
    phone.wait_for_url("**/documents/**")
    screenshot(phone, "phone-label-job")


def test_a_manager_sees_the_outbox_with_resend(page, live_server):
    factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    factories.CustomerEmailFactory(status=CustomerEmail.Status.SENT, attempts=1)
    failed = factories.CustomerEmailFactory(
        status=CustomerEmail.Status.FAILED, attempts=1, last_error="SMTPRecipientsRefused: 550"
    )
    _sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/orders/emails/")
    assert page.get_by_test_id("resend").count() == 2
    screenshot(page, "email-outbox")
    page.get_by_test_id("resend").first.click()
    page.wait_for_url("**/orders/emails/")
    assert "will be sent again" in page.content()
    failed.refresh_from_db()  # newest first: the failed one heads the list
    # Back to pending, or already further if a worker of this test session picked it up.
    assert failed.resends == 1
    assert failed.status != CustomerEmail.Status.FAILED or failed.attempts > 1
