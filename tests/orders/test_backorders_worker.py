"""Backorders filled by a real Celery worker when stock arrives (task sent on commit)."""

from __future__ import annotations

import time

import pytest

from inventory import services as stock
from inventory.models import StockLevel
from orders import services
from orders.intake import parse_order
from orders.models import Order
from tests.orders.conftest import order_body

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, worker, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out; worker log:\n{worker.log_tail()}")


def test_a_receipt_allocates_waiting_orders_oldest_first_on_the_worker(
    celery_worker, manager, world
):
    lines = [{"sku": "WIDGET", "quantity": 2, "unit_price": "4.00"}]
    older = services.order_intake(data=parse_order(order_body("B-1", lines=lines)), by=manager)
    younger = services.order_intake(data=parse_order(order_body("B-2", lines=lines)), by=manager)
    assert older.order.status == younger.order.status == Order.Status.BACKORDERED

    stock.stock_receive(warehouse=world.newyork, product=world.widget, quantity=3, actor=None)

    def allocated() -> bool:
        return Order.objects.get(pk=older.order.pk).status == Order.Status.ALLOCATED

    _wait_for(allocated, celery_worker)
    _wait_for(
        lambda: Order.objects.get(pk=younger.order.pk).status == Order.Status.PARTIALLY_ALLOCATED,
        celery_worker,
    )
    level = StockLevel.objects.get(warehouse=world.newyork, product=world.widget)
    assert (level.on_hand, level.reserved) == (3, 3)
    assert Order.objects.get(pk=older.order.pk).shipments.get().warehouse == world.newyork
