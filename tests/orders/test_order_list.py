"""The order list: who sees which orders, filters, the count-free pager, CSV, query budget."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.factories import (
    AllocationFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)
from tests.orders.factories import order_in
from tests.orders.helpers import count_rows, csv_rows, queries_for


def _url(**query) -> str:
    from urllib.parse import urlencode

    return reverse("orders:order_list") + (f"?{urlencode(query)}" if query else "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_contract_admins_cannot_see_orders(contracts_client):
    assert contracts_client.get(_url()).status_code == 403


def test_users_without_a_role_cannot_see_orders(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(_url()).status_code == 403


def test_the_list_is_read_only(manager_client):
    assert manager_client.post(_url()).status_code == 405


@pytest.mark.smoke
def test_managers_see_every_order_with_status_flags_and_total(manager_client, warehouse):
    order_in(
        warehouse,
        number="W-1001",
        customer_name="Ada Lovelace",
        status=Order.Status.BACKORDERED,
        payment_status=Order.PaymentStatus.FAILED,
        hold_kind=Order.HoldKind.PAYMENT,
        hold_reason="Card declined",
        at_risk=True,
        promised_delivery_date=datetime.date(2026, 3, 4),
        total_amount=Decimal("123.45"),
    )
    OrderFactory(number="W-1002")  # not routed anywhere: managers still see it

    response = manager_client.get(_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert count_rows(response, "order-row") == 2
    assert "W-1001" in body
    assert "W-1002" in body
    assert "Backordered" in body
    assert "Payment failed" in body  # hold flag
    assert 'data-testid="at-risk"' in body
    assert "2026-03-04" in body
    assert "123.45 USD" in body
    assert reverse("orders:order_detail", args=["W-1001"]) in body


def test_newest_orders_come_first_with_the_id_breaking_ties(manager_client, db):
    placed = timezone.now()
    older = OrderFactory(number="OLD", placed_at=placed - datetime.timedelta(days=1))
    first_tied = OrderFactory(number="TIE-1", placed_at=placed)
    second_tied = OrderFactory(number="TIE-2", placed_at=placed)

    body = manager_client.get(_url()).content.decode()

    positions = [body.index(o.number + "<") for o in (second_tied, first_tied, older)]
    assert positions == sorted(positions)


def test_warehouse_staff_see_only_orders_touching_their_warehouses(
    warehouse_client, warehouse, other_warehouse
):
    order_in(warehouse, number="MINE-SHIPPED")
    allocated_only = OrderLineFactory(order=OrderFactory(number="MINE-ALLOCATED"))
    AllocationFactory(order_line=allocated_only, warehouse=warehouse)
    ShipmentFactory(order=OrderFactory(number="MINE-SHIPMENT"), warehouse=warehouse)
    order_in(other_warehouse, number="THEIRS")
    OrderFactory(number="NOWHERE")

    response = warehouse_client.get(_url())

    body = response.content.decode()
    assert count_rows(response, "order-row") == 3
    assert "MINE-SHIPPED" in body
    assert "MINE-ALLOCATED" in body
    assert "MINE-SHIPMENT" in body
    assert "THEIRS" not in body
    assert "NOWHERE" not in body


def test_warehouse_staff_never_see_order_totals(warehouse_client, warehouse):
    order_in(warehouse, total_amount=Decimal("987.65"))

    body = warehouse_client.get(_url()).content.decode()

    assert "987.65" not in body
    assert "Total" not in body


def test_warehouse_staff_cannot_widen_their_view_with_the_warehouse_filter(
    warehouse_client, warehouse, other_warehouse
):
    order_in(warehouse, number="MINE")
    order_in(other_warehouse, number="THEIRS")

    body = warehouse_client.get(_url(warehouse=other_warehouse.pk)).content.decode()

    assert "THEIRS" not in body


def test_an_order_with_many_lines_in_a_warehouse_is_listed_once(manager_client, warehouse):
    placed = order_in(warehouse, number="SPLIT")
    for _ in range(2):
        line = OrderLineFactory(order=placed.order)
        AllocationFactory(order_line=line, warehouse=warehouse)

    response = manager_client.get(_url(warehouse=warehouse.pk))

    assert count_rows(response, "order-row") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": Order.Status.SHIPPED}, {"SHIPPED"}),
        ({"channel": Order.Channel.PHONE}, {"PHONE"}),
        ({"at_risk": "true"}, {"RISKY"}),
        ({"on_hold": "true"}, {"HELD"}),
        ({"on_hold": "false"}, {"SHIPPED", "PHONE", "RISKY", "OTHER-WH", "OLD"}),
        ({"backordered": "true"}, {"PHONE", "RISKY", "HELD", "OTHER-WH", "OLD"}),
        ({"backordered": "false"}, {"SHIPPED"}),
        ({"placed_from": "2026-02-01"}, {"SHIPPED", "PHONE", "RISKY", "HELD", "OTHER-WH"}),
        ({"placed_to": "2026-01-31"}, {"OLD"}),
        ({"placed_from": "2026-02-02", "placed_to": "2026-02-02"}, {"PHONE"}),
    ],
)
def test_filters_narrow_the_list(manager_client, warehouse, other_warehouse, query, expected):
    def at(day: int, month: int = 2) -> datetime.datetime:
        return datetime.datetime(2026, month, day, 12, tzinfo=datetime.UTC)

    shipped = order_in(warehouse, number="SHIPPED", status=Order.Status.SHIPPED, placed_at=at(1))
    shipped.line.allocated = 0
    shipped.line.shipped = 2
    shipped.line.save()
    order_in(warehouse, number="PHONE", channel=Order.Channel.PHONE, placed_at=at(2))
    order_in(warehouse, number="RISKY", at_risk=True, placed_at=at(3))
    order_in(
        warehouse,
        number="HELD",
        hold_kind=Order.HoldKind.MANUAL,
        hold_reason="Check address",
        placed_at=at(4),
    )
    order_in(other_warehouse, number="OTHER-WH", placed_at=at(5))
    order_in(warehouse, number="OLD", placed_at=at(15, month=1))

    response = manager_client.get(_url(**query))

    body = response.content.decode()
    shown = {
        n for n in ("SHIPPED", "PHONE", "RISKY", "HELD", "OTHER-WH", "OLD") if f">{n}<" in body
    }
    assert shown == expected


def test_the_warehouse_filter_uses_allocations_and_shipments(
    manager_client, warehouse, other_warehouse
):
    order_in(warehouse, number="HERE")
    ShipmentFactory(order=OrderFactory(number="SHIPS-HERE"), warehouse=warehouse)
    order_in(other_warehouse, number="THERE")

    body = manager_client.get(_url(warehouse=warehouse.pk)).content.decode()

    assert ">HERE<" in body
    assert ">SHIPS-HERE<" in body
    assert ">THERE<" not in body


@pytest.mark.parametrize("q", ["W-77", "grace", "HOPPER@EXAMPLE", "1Z999"])
def test_search_finds_orders_by_number_name_email_or_tracking_number(manager_client, warehouse, q):
    placed = order_in(
        warehouse,
        number="W-7700",
        customer_name="Grace Hopper",
        customer_email="hopper@example.com",
    )
    placed.shipment.tracking_number = "1Z999"
    placed.shipment.save()
    order_in(warehouse, number="X-1", customer_name="Alan Turing")

    body = manager_client.get(_url(q=q)).content.decode()

    assert ">W-7700<" in body
    assert ">X-1<" not in body


def test_the_pager_shows_next_without_counting_the_table(manager_client, db):
    for _ in range(26):
        OrderFactory()

    with CaptureQueriesContext(connection) as ctx:
        first = manager_client.get(_url(size=25))
    second = manager_client.get(_url(size=25, page=2))

    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    assert count_rows(first, "order-row") == 25
    assert 'data-testid="next-page"' in first.content.decode()
    assert 'data-testid="prev-page"' not in first.content.decode()
    assert count_rows(second, "order-row") == 1
    assert 'data-testid="next-page"' not in second.content.decode()
    assert "page=1" in second.content.decode()


def test_a_page_past_the_end_is_empty_not_an_error(manager_client, db):
    OrderFactory()

    response = manager_client.get(_url(page=99))

    assert response.status_code == 200
    assert count_rows(response, "order-row") == 0


def test_an_htmx_request_gets_only_the_results(manager_client, warehouse):
    order_in(warehouse, number="W-1")

    response = manager_client.get(_url(), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body
    assert ">W-1<" in body
    assert "HX-Request" in response["Vary"]


def test_csv_export_streams_the_filtered_orders_with_formulas_neutralised(
    manager_client, warehouse
):
    order_in(
        warehouse,
        number="CSV-1",
        customer_name='=HYPERLINK("http://evil")',
        status=Order.Status.ALLOCATED,
        total_amount=Decimal("10.50"),
    )
    order_in(warehouse, number="CSV-2", status=Order.Status.SHIPPED)

    response = manager_client.get(_url(status=Order.Status.ALLOCATED, format="csv"))

    assert response.streaming
    header, *rows = csv_rows(response)
    assert header[:2] == ["number", "placed_at"]
    assert "total_amount" in header
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["number"] == "CSV-1"
    assert row["customer_name"] == '\'=HYPERLINK("http://evil")'
    assert row["total_amount"] == "10.50"


def test_csv_export_for_warehouse_staff_has_their_orders_and_no_prices(
    warehouse_client, warehouse, other_warehouse
):
    order_in(warehouse, number="MINE")
    order_in(other_warehouse, number="THEIRS")

    header, *rows = csv_rows(warehouse_client.get(_url(format="csv")))

    assert "total_amount" not in header
    assert [row[0] for row in rows] == ["MINE"]


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_query_count_does_not_grow_with_the_rows(request, client_fixture, warehouse):
    client = request.getfixturevalue(client_fixture)
    product = ProductFactory()
    order_in(warehouse, product=product)
    client.get(_url())  # warm-up: session, content types
    one = queries_for(client, _url())
    for _ in range(19):
        order_in(warehouse, product=product)

    assert queries_for(client, _url()) == one


def test_an_exact_order_number_finds_that_order_not_its_prefix_siblings(manager_client, db):
    OrderFactory(number="W-1")
    OrderFactory(number="W-10")

    body = manager_client.get(_url(q="W-1")).content.decode()

    assert ">W-1<" in body
    assert ">W-10<" not in body


def test_staff_of_a_warehouse_no_order_touches_see_an_empty_list(warehouse_client, other_warehouse):
    order_in(other_warehouse, number="THEIRS")

    response = warehouse_client.get(_url())

    assert response.status_code == 200
    assert count_rows(response, "order-row") == 0
