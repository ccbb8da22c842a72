"""Warehouse list and detail: staff see their own, contract admins all (read only), summary."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import StockLevelFactory, UserFactory, WarehouseFactory

LIST_URL = reverse("inventory:warehouse_list")


def _detail_url(warehouse) -> str:
    return reverse("inventory:warehouse_detail", kwargs={"code": warehouse.code})


def _codes(response) -> list[str]:
    return [warehouse.code for warehouse in response.context["page_obj"]]


def test_anonymous_is_sent_to_login(client, warehouse):
    for url in (LIST_URL, _detail_url(warehouse)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_users_without_a_role_are_refused(client, no_role_user, warehouse):
    client.force_login(no_role_user)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(_detail_url(warehouse)).status_code == 403


def test_the_pages_refuse_post(manager_client, warehouse):
    assert manager_client.post(LIST_URL).status_code == 405
    assert manager_client.post(_detail_url(warehouse)).status_code == 405


@pytest.mark.parametrize("client_fixture", ["manager_client", "contracts_client"])
def test_managers_and_contract_admins_see_every_warehouse(
    request, client_fixture, warehouse, other_warehouse
):
    response = request.getfixturevalue(client_fixture).get(LIST_URL)
    assert _codes(response) == ["WH-A", "WH-B"]


def test_warehouse_staff_see_only_theirs(warehouse_client, warehouse, other_warehouse):
    response = warehouse_client.get(LIST_URL)
    assert _codes(response) == ["WH-A"]
    assert "WH-B" not in response.content.decode()


def test_the_list_search(manager_client, warehouse, other_warehouse):
    assert _codes(manager_client.get(LIST_URL, {"q": "shelby"})) == ["WH-B"]


def test_the_list_query_count_does_not_grow_with_rows(manager_client, warehouse, queries_for):
    warehouse.staff.add(UserFactory())
    one = queries_for(manager_client, LIST_URL)
    for _ in range(19):
        WarehouseFactory().staff.add(UserFactory())
    assert queries_for(manager_client, LIST_URL) == one


@pytest.mark.smoke
def test_the_detail_shows_address_cutoff_staff_and_stock_summary(
    manager_client, warehouse, warehouse_staff
):
    warehouse.address = "742 Evergreen Terrace"
    warehouse.cutoff_time = datetime.time(14, 30)
    warehouse.save()
    StockLevelFactory(warehouse=warehouse, on_hand=100, reserved=10, reorder_point=10)
    StockLevelFactory(warehouse=warehouse, on_hand=8, reorder_point=10)  # low
    StockLevelFactory(warehouse=WarehouseFactory(code="WH-Z"), on_hand=999)
    response = manager_client.get(_detail_url(warehouse))
    summary = response.context["summary"]
    assert (summary.sku_count, summary.units_on_hand, summary.units_available) == (2, 108, 98)
    assert summary.low_stock_count == 1
    body = response.content.decode()
    assert "742 Evergreen Terrace" in body
    assert '<dd data-testid="cutoff">14:30' in body
    assert warehouse_staff.display_name in body


def test_staff_open_their_warehouse_but_not_another(warehouse_client, warehouse, other_warehouse):
    assert warehouse_client.get(_detail_url(warehouse)).status_code == 200
    assert warehouse_client.get(_detail_url(other_warehouse)).status_code == 404


def test_contract_admins_see_any_warehouse_without_its_stock(contracts_client, other_warehouse):
    StockLevelFactory(warehouse=other_warehouse, on_hand=4321)
    response = contracts_client.get(_detail_url(other_warehouse))
    assert response.status_code == 200
    assert response.context["summary"] is None
    assert 'data-testid="stock-summary"' not in response.content.decode()


def test_an_unknown_code_is_404(manager_client, db):
    assert (
        manager_client.get(reverse("inventory:warehouse_detail", args=["NOPE"])).status_code == 404
    )
