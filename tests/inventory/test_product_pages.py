"""Product list and detail: prices only for managers, stock only for stock roles, scoping."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.selectors import StockTotals
from tests.factories import ProductFactory, StockLevelFactory
from tests.inventory.factories import StockMovementFactory

LIST_URL = reverse("inventory:product_list")


def _detail_url(product) -> str:
    return reverse("inventory:product_detail", kwargs={"sku": product.sku})


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def priced_product(db):
    return ProductFactory(sku="PRICED-1", name="Priced widget", unit_cost=Decimal("987.65"))


# --- list ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_list(client, db):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_users_without_a_role_are_refused_the_list(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(LIST_URL).status_code == 403


def test_the_list_refuses_post(manager_client):
    assert manager_client.post(LIST_URL).status_code == 405


@pytest.mark.smoke
def test_managers_see_unit_costs(manager_client, priced_product):
    body = manager_client.get(LIST_URL).content.decode()
    assert "PRICED-1" in body
    assert "987.65" in body


@pytest.mark.parametrize("client_fixture", ["warehouse_client", "contracts_client"])
def test_other_roles_see_products_but_no_prices(request, client_fixture, priced_product):
    response = request.getfixturevalue(client_fixture).get(LIST_URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "PRICED-1" in body
    assert "987.65" not in body
    assert "Unit cost" not in body


def test_the_list_search_matches_sku_name_or_barcode(manager_client, db):
    ProductFactory(sku="FIND-ME", name="Needle", barcode="4009999999999")
    ProductFactory(sku="HAY-1", name="Haystack")
    for term in ("find", "needle", "4009999999999"):
        skus = [
            product.sku for product in manager_client.get(LIST_URL, {"q": term}).context["page_obj"]
        ]
        assert skus == ["FIND-ME"], term


def test_the_list_filters_on_abc_class(manager_client, db):
    ProductFactory(sku="A-1", abc_class="A")
    ProductFactory(sku="B-1", abc_class="B")
    response = manager_client.get(LIST_URL, {"abc_class": "B"})
    assert [product.sku for product in response.context["page_obj"]] == ["B-1"]


def test_the_csv_has_prices_only_for_managers(manager_client, warehouse_client, priced_product):
    header, row = _csv_rows(manager_client.get(LIST_URL, {"format": "csv"}))
    assert header[-1] == "unit_cost"
    assert row[0] == "PRICED-1"
    assert row[-1] == "987.65"
    header, row = _csv_rows(warehouse_client.get(LIST_URL, {"format": "csv"}))
    assert "unit_cost" not in header
    assert "987.65" not in row


def test_the_csv_neutralises_formulas(manager_client, db):
    ProductFactory(sku="F-1", name="+SUM(A1:A9)")
    _, row = _csv_rows(manager_client.get(LIST_URL, {"format": "csv"}))
    assert row[1] == "'+SUM(A1:A9)"


def test_the_list_query_count_does_not_grow_with_rows(manager_client, queries_for, db):
    ProductFactory()
    one = queries_for(manager_client, LIST_URL)
    ProductFactory.create_batch(19)
    assert queries_for(manager_client, LIST_URL) == one


# --- detail -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_detail(client, priced_product):
    response = client.get(_detail_url(priced_product))
    assert response.status_code == 302


def test_users_without_a_role_are_refused_the_detail(client, no_role_user, priced_product):
    client.force_login(no_role_user)
    assert client.get(_detail_url(priced_product)).status_code == 403


def test_the_detail_refuses_post(manager_client, priced_product):
    assert manager_client.post(_detail_url(priced_product)).status_code == 405


def test_an_unknown_sku_is_404(manager_client, db):
    assert (
        manager_client.get(reverse("inventory:product_detail", kwargs={"sku": "NOPE"})).status_code
        == 404
    )


def test_a_sku_with_dots_opens(manager_client, db):
    product = ProductFactory(sku="BOLT-M8.25")
    assert manager_client.get(_detail_url(product)).status_code == 200


def test_the_detail_shows_levels_and_totals_to_managers(
    manager_client, priced_product, warehouse, other_warehouse
):
    StockLevelFactory(warehouse=warehouse, product=priced_product, on_hand=50, reserved=10)
    StockLevelFactory(warehouse=other_warehouse, product=priced_product, on_hand=30, quarantined=5)
    response = manager_client.get(_detail_url(priced_product))
    assert [level.warehouse.code for level in response.context["levels"]] == ["WH-A", "WH-B"]
    assert response.context["totals"] == StockTotals(
        on_hand=80, reserved=10, quarantined=5, in_transit=0, available=65
    )
    body = response.content.decode()
    assert '<th class="num" data-testid="total-available">65</th>' in body
    assert "987.65" in body


def test_staff_see_their_levels_and_movements_only_and_no_price(
    warehouse_client, priced_product, warehouse, other_warehouse
):
    StockLevelFactory(warehouse=warehouse, product=priced_product, on_hand=50)
    StockLevelFactory(warehouse=other_warehouse, product=priced_product, on_hand=30)
    StockMovementFactory(warehouse=warehouse, product=priced_product, reason="ours")
    StockMovementFactory(warehouse=other_warehouse, product=priced_product, reason="theirs")
    response = warehouse_client.get(_detail_url(priced_product))
    assert [level.warehouse.code for level in response.context["levels"]] == ["WH-A"]
    assert response.context["totals"].on_hand == 50
    assert [movement.reason for movement in response.context["movements"]] == ["ours"]
    body = response.content.decode()
    assert "WH-B" not in body
    assert "987.65" not in body


def test_the_detail_lists_the_latest_twenty_movements(manager_client, priced_product, warehouse):
    movements = StockMovementFactory.create_batch(25, warehouse=warehouse, product=priced_product)
    shown = manager_client.get(_detail_url(priced_product)).context["movements"]
    assert [movement.pk for movement in shown] == [movement.pk for movement in movements[::-1][:20]]


def test_contract_admins_see_the_product_but_no_stock(contracts_client, priced_product, warehouse):
    StockLevelFactory(warehouse=warehouse, product=priced_product, on_hand=4321)
    response = contracts_client.get(_detail_url(priced_product))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Priced widget" in body
    assert "4321" not in body
    assert 'data-testid="product-levels"' not in body
    assert "987.65" not in body


def test_the_levels_table_polls_and_answers_htmx_with_the_table_only(
    manager_client, priced_product, warehouse
):
    StockLevelFactory(warehouse=warehouse, product=priced_product, on_hand=50, in_transit=4)
    page = manager_client.get(_detail_url(priced_product)).content.decode()
    assert "hx-trigger=\"every 10s[document.visibilityState === 'visible']\"" in page
    fragment = manager_client.get(_detail_url(priced_product), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div class="table-wrap" id="levels"')
    assert "Latest movements" not in body
    assert "HX-Request" in fragment["Vary"]


def test_stock_roles_get_the_adjustment_form_for_their_warehouses(
    warehouse_client, contracts_client, priced_product, warehouse, other_warehouse
):
    body = warehouse_client.get(_detail_url(priced_product)).content.decode()
    assert 'data-testid="adjust-form"' in body
    assert '<option value="WH-A"' in body
    assert "WH-B" not in body
    other = contracts_client.get(_detail_url(priced_product)).content.decode()
    assert 'data-testid="adjust-form"' not in other
