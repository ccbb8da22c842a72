"""Inventory checks: list filters and scoping; the detail keeps blind counts blind."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryCheck
from tests.factories import InventoryCheckFactory, InventoryCheckLineFactory, ProductFactory

LIST_URL = reverse("inventory:check_list")
# Long and odd, so it cannot turn up by chance elsewhere in a page (ids, tokens, dates).
EXPECTED = 736492815
VARIANCE = 5 - EXPECTED


def _detail_url(check) -> str:
    return reverse("inventory:check_detail", kwargs={"pk": check.pk})


def _ids(response) -> list[int]:
    return [check.pk for check in response.context["page_obj"]]


def _counted_check(warehouse, *, blind: bool) -> InventoryCheck:
    check = InventoryCheckFactory(
        warehouse=warehouse, blind=blind, status=InventoryCheck.Status.COUNTING
    )
    InventoryCheckLineFactory(
        inventory_check=check,
        product=ProductFactory(sku="COUNT-1", name="Counted widget"),
        bin="A-01-1",
        expected=EXPECTED,
        counted=5,
        variance=VARIANCE,
        counted_at=timezone.now(),
    )
    return check


# --- list ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, warehouse):
    check = InventoryCheckFactory(warehouse=warehouse)
    for url in (LIST_URL, _detail_url(check)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client, warehouse):
    check = InventoryCheckFactory(warehouse=warehouse)
    assert contracts_client.get(LIST_URL).status_code == 403
    assert contracts_client.get(_detail_url(check)).status_code == 403


def test_the_pages_refuse_post(manager_client, warehouse):
    check = InventoryCheckFactory(warehouse=warehouse)
    assert manager_client.post(LIST_URL).status_code == 405
    assert manager_client.post(_detail_url(check)).status_code == 405


@pytest.mark.smoke
def test_the_list_shows_checks_with_progress(manager_client, warehouse, warehouse_staff):
    check = InventoryCheckFactory(warehouse=warehouse, assigned_to=warehouse_staff)
    InventoryCheckLineFactory(inventory_check=check, counted=3)
    InventoryCheckLineFactory(inventory_check=check)
    response = manager_client.get(LIST_URL)
    (row,) = response.context["page_obj"]
    assert (row.line_count, row.counted_count) == (2, 1)
    body = response.content.decode()
    assert '<td class="num">1 / 2</td>' in body
    assert warehouse_staff.display_name in body


def test_warehouse_staff_see_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    ours = InventoryCheckFactory(warehouse=warehouse)
    InventoryCheckFactory(warehouse=other_warehouse)
    assert _ids(warehouse_client.get(LIST_URL)) == [ours.pk]


def test_the_status_filter_finds_checks_in_review(manager_client, warehouse):
    review = InventoryCheckFactory(warehouse=warehouse, status=InventoryCheck.Status.REVIEW)
    InventoryCheckFactory(warehouse=warehouse, status=InventoryCheck.Status.PLANNED)
    assert _ids(manager_client.get(LIST_URL, {"status": "review"})) == [review.pk]


def test_mine_keeps_the_checks_assigned_to_me(
    warehouse_client, warehouse, warehouse_staff, manager
):
    mine = InventoryCheckFactory(warehouse=warehouse, assigned_to=warehouse_staff)
    InventoryCheckFactory(warehouse=warehouse, assigned_to=manager)
    InventoryCheckFactory(warehouse=warehouse)
    assert _ids(warehouse_client.get(LIST_URL, {"mine": "true"})) == [mine.pk]
    assert len(_ids(warehouse_client.get(LIST_URL))) == 3


def test_warehouse_and_date_filters(manager_client, warehouse, other_warehouse):
    day = datetime.date(2026, 3, 10)
    InventoryCheckFactory(warehouse=warehouse, scheduled_for=day - datetime.timedelta(days=1))
    on_day = InventoryCheckFactory(warehouse=warehouse, scheduled_for=day)
    InventoryCheckFactory(warehouse=other_warehouse, scheduled_for=day)
    response = manager_client.get(
        LIST_URL, {"warehouse": "WH-A", "date_from": "2026-03-10", "date_to": "2026-03-10"}
    )
    assert _ids(response) == [on_day.pk]


def test_the_list_query_count_does_not_grow_with_rows(
    manager_client, warehouse, warehouse_staff, queries_for
):
    InventoryCheckLineFactory(inventory_check__warehouse=warehouse)
    one = queries_for(manager_client, LIST_URL)
    for _ in range(19):
        InventoryCheckLineFactory(
            inventory_check__warehouse=warehouse, inventory_check__assigned_to=warehouse_staff
        )
    assert queries_for(manager_client, LIST_URL) == one


# --- detail -------------------------------------------------------------------------------------


def test_staff_never_receive_the_expected_quantity_of_a_blind_count(warehouse_client, warehouse):
    check = _counted_check(warehouse, blind=True)
    response = warehouse_client.get(_detail_url(check))
    body = response.content.decode()
    assert response.status_code == 200
    assert "COUNT-1" in body
    assert str(EXPECTED) not in body
    assert str(VARIANCE) not in body
    assert str(abs(VARIANCE)) not in body
    assert "Expected" not in body
    assert "Variance" not in body
    assert 'data-testid="counted">5<' in body


def test_blind_counts_stay_blind_in_the_htmx_partial(warehouse_client, warehouse):
    check = _counted_check(warehouse, blind=True)
    body = warehouse_client.get(_detail_url(check), HTTP_HX_REQUEST="true").content.decode()
    assert "COUNT-1" in body
    assert str(EXPECTED) not in body


def test_staff_see_the_expected_quantity_of_an_open_count(warehouse_client, warehouse):
    check = _counted_check(warehouse, blind=False)
    body = warehouse_client.get(_detail_url(check)).content.decode()
    assert f'data-testid="expected">{EXPECTED}<' in body
    assert f'data-testid="variance">{VARIANCE:+d}<' in body


@pytest.mark.smoke
def test_managers_see_expected_and_variance_of_a_blind_count(manager_client, warehouse):
    check = _counted_check(warehouse, blind=True)
    body = manager_client.get(_detail_url(check)).content.decode()
    assert f'data-testid="expected">{EXPECTED}<' in body
    assert f'data-testid="variance">{VARIANCE:+d}<' in body


def test_staff_get_404_for_another_warehouses_check(warehouse_client, other_warehouse):
    check = _counted_check(other_warehouse, blind=False)
    assert warehouse_client.get(_detail_url(check)).status_code == 404


def test_the_detail_query_count_does_not_grow_with_lines(
    manager_client, warehouse, manager, queries_for
):
    check = InventoryCheckFactory(warehouse=warehouse)
    InventoryCheckLineFactory(inventory_check=check, counted=1, counted_by=manager)
    one = queries_for(manager_client, _detail_url(check))
    InventoryCheckLineFactory.create_batch(19, inventory_check=check, counted=1, counted_by=manager)
    assert queries_for(manager_client, _detail_url(check)) == one
