"""Read helpers: the count-free pager, JSON as tables, the routing decision."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import selectors
from orders.models import Order
from tests.factories import OrderFactory


@pytest.fixture
def orders(db):
    for _ in range(30):
        OrderFactory()
    return Order.objects.order_by("-placed_at", "-id")


def test_a_cheap_page_fetches_one_row_more_than_it_shows(orders):
    with CaptureQueriesContext(connection) as ctx:
        page = selectors.cheap_page(orders, page="1", size="25")

    assert len(ctx.captured_queries) == 1
    assert "LIMIT 26" in ctx.captured_queries[0]["sql"]
    assert len(page) == 25
    assert page.has_next
    assert not page.has_previous
    assert (page.start_index, page.end_index) == (1, 25)


def test_the_last_cheap_page_has_no_next(orders):
    page = selectors.cheap_page(orders, page="2", size="25")

    assert len(page) == 5
    assert not page.has_next
    assert page.has_previous
    assert page.previous_page_number == 1
    assert (page.start_index, page.end_index) == (26, 30)


@pytest.mark.parametrize(
    ("page", "size", "number", "per_page"),
    [(None, None, 1, 50), ("x", "7", 1, 50), ("-3", "100", 1, 100), ("0", "abc", 1, 50)],
)
def test_bad_page_and_size_values_fall_back(orders, page, size, number, per_page):
    result = selectors.cheap_page(orders, page=page, size=size)

    assert (result.number, result.size) == (number, per_page)


def test_a_json_table_has_the_union_of_keys_in_first_seen_order():
    table = selectors.json_table([{"b": 1, "a": True}, {"a": False, "c": {"x": [1]}}, "odd"])

    assert table.columns == ["B", "A", "C", "Value"]
    assert table.rows == [[1, "yes", "", ""], ["", "no", '{"x": [1]}', ""], ["", "", "", "odd"]]


def test_a_json_table_can_leave_out_money():
    table = selectors.json_table(
        [{"service": "G", "price": "7.50", "shipping_cost": 1, "transit_days": 2}], hide_money=True
    )

    assert table.columns == ["Service", "Transit days"]


@pytest.mark.parametrize("items", [None, [], {}, "text"])
def test_nothing_to_tabulate_gives_none(items):
    assert selectors.json_table(items) is None


def test_routing_is_none_before_the_order_is_routed():
    assert selectors.routing_for(Order(routing={}), hide_money=False) is None


def test_routing_splits_facts_from_candidates():
    routing = selectors.routing_for(
        Order(routing={"reason": "closest", "total_cost": 9, "candidates": [{"warehouse": "A"}]}),
        hide_money=True,
    )

    assert routing.facts == [("Reason", "closest")]
    assert routing.candidates.columns == ["Warehouse"]
