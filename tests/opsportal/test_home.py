import pytest
from django.urls import reverse

from opsportal.navigation import NAV
from tests import factories


def _nav_names(response) -> set[str]:
    return {
        item["name"] for section in response.context["nav_sections"] for item in section["items"]
    }


@pytest.mark.smoke
def test_each_role_sees_only_its_navigation(manager_client, warehouse_client, contracts_client):
    manager_nav = _nav_names(manager_client.get(reverse("home")))
    staff_nav = _nav_names(warehouse_client.get(reverse("home")))
    contracts_nav = _nav_names(contracts_client.get(reverse("home")))
    assert {"home", "vendors:contract_list", "inventory:stock_list"} <= manager_nav
    # Contracts are for managers (read) and contract admins; never for warehouse staff.
    assert "vendors:contract_list" in contracts_nav
    assert "vendors:contract_list" not in staff_nav
    # Stock is never a contract admin's business; the email outbox is a manager's.
    assert "inventory:stock_list" in staff_nav
    assert "inventory:stock_list" not in contracts_nav
    assert "orders:email_list" not in staff_nav


def test_every_navigation_entry_it_shows_opens_for_that_user(
    manager_client, warehouse_client, contracts_client, superuser_client
):
    for client in (manager_client, warehouse_client, contracts_client, superuser_client):
        response = client.get(reverse("home"))
        for section in response.context["nav_sections"]:
            for item in section["items"]:
                page = client.get(item["url"])
                assert page.status_code == 200, (item["name"], page.status_code)


def test_a_user_without_a_role_sees_only_the_start_page(no_role_user, client):
    client.force_login(no_role_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert _nav_names(response) <= {"home", "api-docs"}
    assert b"No role yet" in response.content


def test_warehouse_staff_see_their_warehouses_and_assigned_counts(
    warehouse_client, warehouse_staff, warehouse, other_warehouse
):
    factories.InventoryCheckFactory(warehouse=warehouse, assigned_to=warehouse_staff)
    factories.InventoryCheckFactory(warehouse=other_warehouse)
    response = warehouse_client.get(reverse("home"))
    assert b"WH-A" in response.content
    assert b"WH-B" not in response.content
    counts = {item.label: item.value for item in response.context["summary"]}
    assert counts["Counts assigned to you"] == 1


def test_the_start_page_counts_orders_on_hold_for_managers(manager_client):
    factories.OrderFactory(hold_kind="manual", hold_reason="Customer called")
    factories.OrderFactory()
    response = manager_client.get(reverse("home"))
    counts = {item.label: item.value for item in response.context["summary"]}
    assert counts["Orders on hold"] == 1


def test_contract_admins_see_contracts_ending_soon(contracts_client):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    factories.VendorContractFactory(end_date=today + datetime.timedelta(days=30))
    factories.VendorContractFactory(end_date=today + datetime.timedelta(days=400))
    response = contracts_client.get(reverse("home"))
    counts = {item.label: item.value for item in response.context["summary"]}
    assert counts["Contracts ending within 90 days"] == 1


def test_navigation_names_are_unique():
    names = [item.url_name for item in NAV]
    assert len(names) == len(set(names))


def test_the_start_page_refuses_post(manager_client):
    assert manager_client.post(reverse("home")).status_code == 405


# Entries for pages a later issue builds (the KPI dashboard); hidden until their URL exists.
NOT_BUILT_YET = {"dashboard"}


@pytest.mark.smoke
def test_every_navigation_entry_names_a_real_url():
    from django.urls import NoReverseMatch, reverse

    unresolved = set()
    for item in NAV:
        try:
            reverse(item.url_name)
        except NoReverseMatch:
            unresolved.add(item.url_name)
    # A typo hides a page silently; a page built since must leave NOT_BUILT_YET.
    assert unresolved == NOT_BUILT_YET
