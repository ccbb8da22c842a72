"""Each demo role signs in through the real login form and lands on its own navigation."""

import pytest

from opsportal import roles
from tests import factories
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    # role: (nav entries that must show, nav entries that must not)
    roles.OPERATIONS_MANAGER: (["Orders", "Stock", "Contracts", "Non-conformances"], []),
    roles.WAREHOUSE_STAFF: (["Stock", "Counts", "Pick lists"], ["Contracts", "Email outbox"]),
    roles.CONTRACT_ADMIN: (["Vendors", "Contracts", "Carriers"], ["Stock", "Counts"]),
}


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("role", list(EXPECTED))
def test_a_role_signs_in_and_sees_its_navigation(page, live_server, role):
    user = factories.user_with_role(role, username=f"u-{role.split()[0].lower()}")
    factories.WarehouseFactory(code="WH-A").staff.add(user)
    _sign_in(page, live_server, user.username)
    nav = page.get_by_role("navigation", name="Main")
    shown, hidden = EXPECTED[role]
    for label in shown:
        assert nav.get_by_role("link", name=label, exact=True).count() == 1, label
    for label in hidden:
        assert nav.get_by_role("link", name=label, exact=True).count() == 0, label
    assert role in page.get_by_test_id("roles").inner_text()
    screenshot(page, f"home-{role.split()[0].lower()}")


def test_warehouse_staff_use_the_menu_on_a_phone(phone, live_server):
    user = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    factories.WarehouseFactory(code="WH-A").staff.add(user)
    _sign_in(phone, live_server, "picker")
    nav = phone.locator("#nav")
    assert not nav.is_visible()
    phone.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    nav.get_by_role("link", name="Stock", exact=True).click()
    phone.wait_for_url("**/inventory/**")
    # Nothing on the page is wider than the phone (tables scroll inside their wrapper).
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone, "phone-stock")


def test_signing_out_returns_to_the_login_page(page, live_server):
    factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    _sign_in(page, live_server, "boss")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
