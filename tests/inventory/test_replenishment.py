"""Low stock and replenishment suggestions that show their arithmetic; inbound from the
sources other apps register (vendors' open purchase orders)."""

import datetime

import pytest
from django.urls import reverse

from inventory import selectors, services
from tests.factories import ProductFactory, WarehouseFactory
from tests.inventory.factories import stocked


@pytest.fixture
def no_sources():
    saved = list(selectors._INBOUND_SOURCES)
    selectors._INBOUND_SOURCES.clear()
    yield
    selectors._INBOUND_SOURCES[:] = saved


def _ship(warehouse, product, quantity):
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=quantity, actor=None, from_reserved=False
    )


@pytest.fixture
def short(warehouse):
    """60 received, 30 shipped (30 days: 1 a day), 4 reserved, 2 quarantined; lead time 10."""
    product = stocked(
        warehouse,
        ProductFactory(sku="REP-1", lead_time_days=10),
        60,
        reorder_point=20,
        safety_stock=5,
    )
    _ship(warehouse, product, 30)
    services.stock_reserve(warehouse=warehouse, product=product, quantity=4)
    services.stock_quarantine(warehouse=warehouse, product=product, quantity=2, actor=None)
    return product


def test_a_suggestion_shows_its_arithmetic(warehouse, short, no_sources):
    (suggestion,) = selectors.replenishment_suggestions()
    # 30 on hand − 4 reserved − 2 quarantined + 0 inbound − 10 demand = 14; 20 + 5 = 25 → 11.
    assert (suggestion.on_hand, suggestion.reserved, suggestion.quarantined) == (30, 4, 2)
    assert (suggestion.shipped, suggestion.demand, suggestion.inbound) == (30, 10, 0)
    assert (suggestion.position, suggestion.target, suggestion.suggested_qty) == (14, 25, 11)
    assert suggestion.warehouse == warehouse
    assert suggestion.product == short
    assert suggestion.formula.startswith("30 on hand − 4 reserved − 2 quarantined + 0 inbound by ")
    assert "− 10 expected demand (30 shipped in 30 days ÷ 30 × 10 days lead time" in (
        suggestion.formula
    )
    assert suggestion.formula.endswith(
        "= 14; reorder point 20 + safety stock 5 = 25; suggested 25 − 14 = 11"
    )


def test_demand_is_rounded_up(warehouse, no_sources):
    product = stocked(warehouse, ProductFactory(lead_time_days=1), 10, reorder_point=9)
    _ship(warehouse, product, 1)
    (suggestion,) = selectors.replenishment_suggestions()
    assert suggestion.demand == 1  # 1 ÷ 30 × 1 = 0.03 → 1


def test_inbound_purchase_orders_reduce_the_suggestion(warehouse, short, no_sources):
    calls = []

    def open_orders(warehouse_ids, product_ids, until_date):
        calls.append((warehouse_ids, product_ids, until_date))
        return {(warehouse.pk, short.pk): 6}

    selectors.register_inbound_source(open_orders)
    selectors.register_inbound_source(open_orders)  # twice is harmless
    (suggestion,) = selectors.replenishment_suggestions(today=datetime.date(2026, 11, 21))
    assert (suggestion.inbound, suggestion.suggested_qty) == (6, 5)
    assert calls == [([warehouse.pk], [short.pk], datetime.date(2026, 12, 1))]
    assert "+ 6 inbound by 2026-12-01" in suggestion.formula


def test_enough_inbound_means_no_suggestion(warehouse, short, no_sources):
    selectors.register_inbound_source(lambda w, p, until: {(warehouse.pk, short.pk): 11})
    assert selectors.replenishment_suggestions() == []


def test_filters_and_what_is_left_out(warehouse, other_warehouse, short, no_sources):
    stocked(warehouse, ProductFactory(), 100, reorder_point=5)  # plenty
    retired = stocked(warehouse, ProductFactory(is_active=False), 0, reorder_point=5)
    closed = WarehouseFactory(code="WH-OFF", is_active=False)
    stocked(closed, ProductFactory(), 0, reorder_point=5)
    assert [s.product for s in selectors.replenishment_suggestions()] == [short]
    assert selectors.replenishment_suggestions(warehouse_ids=[other_warehouse.pk]) == []
    assert selectors.replenishment_suggestions(product_ids=[retired.pk]) == []


def test_the_replenishment_page_and_csv(manager_client, short, no_sources):
    page = manager_client.get(reverse("inventory:replenishment_list"))
    body = page.content.decode()
    assert 'data-testid="suggested"><strong>11</strong>' in body
    assert "suggested 25 − 14 = 11" in body
    csv = b"".join(
        manager_client.get(
            reverse("inventory:replenishment_list"), {"format": "csv"}
        ).streaming_content
    ).decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert header.startswith("warehouse,sku,product,on_hand")
    assert row.startswith("WH-A,REP-1,")
    assert ",11," in row


def test_the_replenishment_page_refuses_a_bad_window(manager_client, short, no_sources):
    response = manager_client.get(reverse("inventory:replenishment_list"), {"demand_days": "0"})
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == []


def test_the_replenishment_query_count_is_flat(manager_client, warehouse, queries_for, no_sources):
    url = reverse("inventory:replenishment_list")
    stocked(warehouse, ProductFactory(), 0, reorder_point=5)
    one = queries_for(manager_client, url)
    for _ in range(20):
        stocked(warehouse, ProductFactory(), 0, reorder_point=5)
    assert queries_for(manager_client, url) == one


def test_staff_cannot_open_replenishment(warehouse_client):
    assert warehouse_client.get(reverse("inventory:replenishment_list")).status_code == 403


# --- low stock ----------------------------------------------------------------------------------


def test_the_low_stock_list_most_short_first_with_csv(warehouse_client, warehouse):
    stocked(warehouse, ProductFactory(sku="LOW-2"), 3, reorder_point=5)
    worse = stocked(warehouse, ProductFactory(sku="WORSE-1"), 1, reorder_point=50, safety_stock=5)
    stocked(warehouse, ProductFactory(sku="FINE-1"), 100, reorder_point=5)
    page = warehouse_client.get(reverse("inventory:low_stock_list"))
    assert [level.product.sku for level in page.context["page_obj"]] == ["WORSE-1", "LOW-2"]
    assert 'data-testid="short-by">54<' in page.content.decode()  # 50 + 5 safety − 1
    csv = b"".join(
        warehouse_client.get(
            reverse("inventory:low_stock_list"), {"format": "csv"}
        ).streaming_content
    ).decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0].endswith("reorder_point,safety_stock,short_by")
    assert lines[1].startswith(f"WH-A,{worse.sku},")


def test_staff_see_only_their_warehouses_low_stock(warehouse_client, other_warehouse):
    stocked(other_warehouse, ProductFactory(sku="THEIRS-1"), 0, reorder_point=5)
    page = warehouse_client.get(reverse("inventory:low_stock_list"))
    assert list(page.context["page_obj"]) == []


def test_the_low_stock_query_count_is_flat(warehouse_client, warehouse, queries_for):
    url = reverse("inventory:low_stock_list")
    stocked(warehouse, ProductFactory(), 0, reorder_point=5)
    one = queries_for(warehouse_client, url)
    for _ in range(20):
        stocked(warehouse, ProductFactory(), 0, reorder_point=5)
    assert queries_for(warehouse_client, url) == one


# --- ABC override page --------------------------------------------------------------------------


def test_a_manager_sets_and_clears_the_abc_class(manager_client, warehouse_client, warehouse):
    product = ProductFactory(sku="ABC-P", abc_class="C")
    url = reverse("inventory:product_abc", kwargs={"sku": "ABC-P"})
    assert warehouse_client.post(url, {"abc_class": "A"}).status_code == 403
    manager_client.post(url, {"abc_class": "A"})
    product.refresh_from_db()
    assert (product.abc_class, product.abc_class_locked) == ("A", True)
    page = manager_client.get(reverse("inventory:product_detail", kwargs={"sku": "ABC-P"}))
    assert "A (counted daily) · set by hand" in page.content.decode()
    manager_client.post(url, {"abc_class": ""})
    product.refresh_from_db()
    assert product.abc_class_locked is False
