"""The beat tasks run by a real Celery worker on Redis against the test database."""

import time

import pytest

from inventory import tasks
from inventory.models import InventoryCheck, Product
from tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail("the worker did not finish in time")


def test_the_worker_plans_todays_checks_once(celery_worker):
    warehouse = WarehouseFactory(code="TW-1")
    for product in ProductFactory.create_batch(3, abc_class=Product.AbcClass.A):
        StockLevelFactory(warehouse=warehouse, product=product)
    tasks.check_plan_daily_task.delay()
    _wait_for(lambda: InventoryCheck.objects.filter(warehouse=warehouse).exists())
    check = InventoryCheck.objects.get(warehouse=warehouse)
    assert check.lines.count() == 3
    # A second run (the next hourly beat) adds nothing.
    tasks.check_plan_daily_task.delay()
    _wait_for(celery_worker.is_idle)
    time.sleep(1)
    assert InventoryCheck.objects.filter(warehouse=warehouse).count() == 1


def test_the_worker_classifies_products(celery_worker):
    from inventory import services

    warehouse = WarehouseFactory(code="TW-2")
    product = ProductFactory(sku="TW-A", abc_class=Product.AbcClass.C)
    services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=2, actor=None, from_reserved=False
    )
    tasks.product_abc_classify_task.delay()
    _wait_for(lambda: Product.objects.get(pk=product.pk).abc_computed_at is not None)
    assert Product.objects.get(pk=product.pk).abc_class == Product.AbcClass.A
