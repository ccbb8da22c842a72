"""Intake under concurrency on PostgreSQL, with real threads and real transactions.

50 orders race for the last 10 units: exactly 10 are allocated, the rest backordered, stock is
never negative, nobody gets a 500. The same order posted at once by 10 clients is one order."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.test import Client
from rest_framework.authtoken.models import Token

from inventory.models import StockLevel
from orders.models import Allocation, Order, OrderLine
from tests.orders.conftest import order_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(token: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict] | None] = [None] * len(bodies)

    def run(index: int, body: dict) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/orders/", body, content_type="application/json")
            results[index] = (response.status_code, response.json())
        except Exception as exc:  # the assertion below shows it
            results[index] = (0, {"error": repr(exc)})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_orders_for_the_last_ten_units_allocate_exactly_ten(manager, world):
    world.receive(world.chicago, world.widget, 10)
    token = Token.objects.create(user=manager).key
    bodies = [
        order_body(f"RACE-{n}", lines=[{"sku": "WIDGET", "quantity": 1, "unit_price": "9.99"}])
        for n in range(50)
    ]

    results = _race(token, bodies)

    codes = Counter(code for code, _ in results)
    assert codes == {201: 50}, [r for r in results if r[0] != 201][:3]
    statuses = Counter(body["status"] for _, body in results)
    assert statuses == {Order.Status.ALLOCATED: 10, Order.Status.BACKORDERED: 40}
    level = StockLevel.objects.get(warehouse=world.chicago, product=world.widget)
    assert (level.on_hand, level.reserved) == (10, 10)
    assert level.available == 0
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 10
    assert sum(OrderLine.objects.values_list("allocated", flat=True)) == 10
    assert Order.objects.count() == 50
    assert not StockLevel.objects.filter(on_hand__lt=0).exists()
    assert not StockLevel.objects.filter(reserved__gt=10).exists()


def test_mixed_quantities_never_oversell(manager, world):
    world.receive(world.chicago, world.widget, 7)
    world.receive(world.newyork, world.widget, 3)
    token = Token.objects.create(user=manager).key
    bodies = [
        order_body(
            f"MIX-{n}", lines=[{"sku": "WIDGET", "quantity": 1 + n % 3, "unit_price": "1.00"}]
        )
        for n in range(20)
    ]

    results = _race(token, bodies)

    assert {code for code, _ in results} == {201}
    allocated = sum(line["allocated"] for _, body in results for line in body["lines"])
    assert allocated == 10
    for level in StockLevel.objects.filter(product=world.widget):
        assert level.reserved == level.on_hand
        per_warehouse = Allocation.objects.filter(warehouse=level.warehouse).values_list(
            "quantity", flat=True
        )
        assert sum(per_warehouse) == level.reserved


def test_the_same_order_posted_concurrently_is_one_order(manager, world):
    world.receive(world.chicago, world.widget, 10)
    token = Token.objects.create(user=manager).key

    results = _race(token, [order_body("SAME-1") for _ in range(10)])

    codes = Counter(code for code, _ in results)
    assert codes == {201: 1, 200: 9}, results[:2]
    assert len({body["number"] for _, body in results}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(warehouse=world.chicago, product=world.widget).reserved == 2
    assert connection.vendor == "postgresql"


def _stale_first_read(monkeypatch, take):
    """The first read returns, then a concurrent order takes stock before the intake's write:
    `take` runs in between (committed at once: autocommit)."""
    from orders import services

    original = services._first_read

    def first_read_then_race(data, warehouses):
        result = original(data, warehouses)
        take()
        return result

    monkeypatch.setattr(services, "_first_read", first_read_then_race)


def test_stock_taken_after_the_plan_fails_the_one_statement_and_backorders(
    manager, world, monkeypatch
):
    from inventory import services as stock

    world.receive(world.chicago, world.widget, 3)
    _stale_first_read(
        monkeypatch,
        lambda: stock.stock_reserve_many(lines=[(world.chicago.pk, world.widget.pk, 2)]),
    )
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    body = order_body("STALE-1", lines=[{"sku": "WIDGET", "quantity": 3, "unit_price": "1.00"}])

    response = client.post("/api/v1/orders/", body, content_type="application/json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["status"] == Order.Status.PARTIALLY_ALLOCATED
    assert [line["allocated"] for line in answer["lines"]] == [1]
    order = Order.objects.get()
    assert "taken by concurrent orders" in order.routing["raced"]
    level = StockLevel.objects.get(warehouse=world.chicago, product=world.widget)
    assert level.reserved == 3  # the concurrent 2 + this order's 1, never more than on hand
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 1
    # The failed statement left nothing: one order, its rows once.
    assert OrderLine.objects.count() == 1
    assert order.events.filter(kind="received").count() == 1
    assert order.emails.filter(kind="order_received").count() == 1


def test_the_email_kick_runs_once_the_order_is_committed(manager, world, monkeypatch):
    from orders import notifications

    world.receive(world.chicago, world.widget, 5)
    seen = []

    def committed_elsewhere() -> None:
        def look() -> None:  # another connection sees only committed rows
            seen.append(Order.objects.filter(external_ref="KICK-1").exists())
            connections.close_all()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join(timeout=30)

    monkeypatch.setattr(notifications, "kick", committed_elsewhere)
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")

    response = client.post("/api/v1/orders/", order_body("KICK-1"), content_type="application/json")

    assert response.status_code == 201
    assert seen == [True]
