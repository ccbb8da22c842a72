"""The stock overview: scoping, filters, low-stock badge, CSV, HTMX polling, query budget."""

import csv
import io

import pytest
from django.urls import reverse

from inventory.models import Product
from tests.factories import ProductFactory, StockLevelFactory

URL = reverse("inventory:stock_list")


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _skus(response) -> list[str]:
    return [level.product.sku for level in response.context["page_obj"]]


@pytest.mark.smoke
def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client):
    assert contracts_client.get(URL).status_code == 403


def test_users_without_a_role_are_refused(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(URL).status_code == 403


def test_it_refuses_post(manager_client):
    assert manager_client.post(URL).status_code == 405


@pytest.mark.smoke
def test_it_shows_levels_with_available_stock(manager_client, warehouse):
    StockLevelFactory(
        warehouse=warehouse,
        product=ProductFactory(sku="SKU-AVAIL", name="Blue widget"),
        on_hand=100,
        reserved=20,
        quarantined=5,
        reorder_point=10,
        bin="B-07-2",
    )
    response = manager_client.get(URL)
    assert response.status_code == 200
    (row,) = response.context["page_obj"]
    assert row.available == 75
    body = response.content.decode()
    assert "SKU-AVAIL" in body
    assert "Blue widget" in body
    assert "B-07-2" in body
    assert '<td class="num" data-testid="available">75</td>' in body
    assert 'data-testid="low-stock"' not in body


def test_low_stock_levels_carry_a_badge(manager_client, warehouse):
    # available = 30 - 15 - 5 = 10, equal to the reorder point: low.
    StockLevelFactory(warehouse=warehouse, on_hand=30, reserved=15, quarantined=5, reorder_point=10)
    response = manager_client.get(URL)
    assert response.content.decode().count('data-testid="low-stock"') == 1


def test_warehouse_staff_see_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS-1"))
    response = warehouse_client.get(URL)
    assert _skus(response) == ["MINE-1"]
    assert "THEIRS-1" not in response.content.decode()


def test_managers_see_every_warehouse(manager_client, warehouse, other_warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS-1"))
    assert sorted(_skus(manager_client.get(URL))) == ["MINE-1", "THEIRS-1"]


def test_the_warehouse_filter_takes_a_code(manager_client, warehouse, other_warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS-1"))
    assert _skus(manager_client.get(URL, {"warehouse": other_warehouse.code})) == ["THEIRS-1"]


def test_staff_filtering_on_another_warehouse_get_nothing(
    warehouse_client, warehouse, other_warehouse
):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS-1"))
    response = warehouse_client.get(URL, {"warehouse": other_warehouse.code})
    assert _skus(response) == []
    assert 'data-testid="filter-errors"' in response.content.decode()


@pytest.mark.parametrize("term", ["glow", "SKU-GLOW", "4001234567890"])
def test_the_search_matches_sku_name_or_barcode(manager_client, warehouse, term):
    glow = ProductFactory(sku="SKU-GLOW", name="Glow stick", barcode="4001234567890")
    StockLevelFactory(warehouse=warehouse, product=glow)
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="SKU-OTHER", name="Lamp"))
    assert _skus(manager_client.get(URL, {"q": term})) == ["SKU-GLOW"]


def test_the_low_stock_filter_keeps_only_low_levels(manager_client, warehouse):
    StockLevelFactory(
        warehouse=warehouse,
        product=ProductFactory(sku="LOW"),
        on_hand=12,
        reserved=4,
        reorder_point=10,
    )
    StockLevelFactory(
        warehouse=warehouse, product=ProductFactory(sku="FINE"), on_hand=12, reorder_point=10
    )
    assert _skus(manager_client.get(URL, {"low": "true"})) == ["LOW"]
    assert sorted(_skus(manager_client.get(URL))) == ["FINE", "LOW"]


def test_the_abc_filter(manager_client, warehouse):
    StockLevelFactory(
        warehouse=warehouse, product=ProductFactory(sku="AAA", abc_class=Product.AbcClass.A)
    )
    StockLevelFactory(
        warehouse=warehouse, product=ProductFactory(sku="CCC", abc_class=Product.AbcClass.C)
    )
    assert _skus(manager_client.get(URL, {"abc_class": "A"})) == ["AAA"]


def test_it_sorts_by_available_in_sql(manager_client, warehouse):
    for sku, reserved in (("S-1", 50), ("S-2", 0), ("S-3", 90)):
        StockLevelFactory(
            warehouse=warehouse, product=ProductFactory(sku=sku), on_hand=100, reserved=reserved
        )
    assert _skus(manager_client.get(URL, {"sort": "available"})) == ["S-3", "S-1", "S-2"]
    assert _skus(manager_client.get(URL, {"sort": "-available"})) == ["S-2", "S-1", "S-3"]


def test_csv_export_has_the_filtered_rows_with_formulas_neutralised(manager_client, warehouse):
    StockLevelFactory(
        warehouse=warehouse,
        product=ProductFactory(sku="CSV-1", name='=HYPERLINK("http://evil.example")'),
        on_hand=40,
        reserved=5,
        quarantined=1,
        reorder_point=50,
        bin="C-01-1",
    )
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="CSV-2"))
    response = manager_client.get(URL, {"format": "csv", "q": "CSV-1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _csv_rows(response)
    assert header[:4] == ["warehouse", "sku", "product", "bin"]
    assert rows == [
        [
            warehouse.code,
            "CSV-1",
            '\'=HYPERLINK("http://evil.example")',
            "C-01-1",
            "40",
            "5",
            "1",
            "34",
            "50",
            "yes",
        ]
    ]


def test_staff_csv_holds_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS-1"))
    _, *rows = _csv_rows(warehouse_client.get(URL, {"format": "csv"}))
    assert [row[1] for row in rows] == ["MINE-1"]


def test_the_results_poll_every_ten_seconds_keeping_the_filters(manager_client, warehouse):
    StockLevelFactory(warehouse=warehouse)
    body = manager_client.get(URL, {"low": "true"}).content.decode()
    # Every 10 s while the page is visible (a tab in the background does not poll).
    assert (
        'id="results" hx-get="/inventory/stock/?low=true" '
        "hx-trigger=\"every 10s[document.visibilityState === 'visible']\""
    ) in body


def test_an_htmx_request_gets_only_the_results(manager_client, warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="HX-1"))
    response = manager_client.get(URL, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "HX-1" in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_query_count_does_not_grow_with_rows(manager_client, warehouse, queries_for):
    StockLevelFactory(warehouse=warehouse)
    one = queries_for(manager_client, URL)
    StockLevelFactory.create_batch(19, warehouse=warehouse)
    assert queries_for(manager_client, URL) == one


def test_staff_query_count_does_not_grow_with_rows(warehouse_client, warehouse, queries_for):
    StockLevelFactory(warehouse=warehouse)
    one = queries_for(warehouse_client, URL)
    StockLevelFactory.create_batch(19, warehouse=warehouse)
    assert queries_for(warehouse_client, URL) == one
