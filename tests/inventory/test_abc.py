"""ABC classes from shipped value, the manager's override, and the nightly task."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory import abc, services, tasks
from inventory.models import Product, StockMovement
from tests.factories import ProductFactory
from tests.inventory.factories import stocked

A, B, C = Product.AbcClass.A, Product.AbcClass.B, Product.AbcClass.C


def _ship(warehouse, product, quantity):
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=quantity, actor=None, from_reserved=False
    )


def _classes(*products) -> list[str]:
    return [Product.objects.get(pk=p.pk).abc_class for p in products]


def test_classes_follow_the_share_of_shipped_value(warehouse):
    # Values shipped: 700, 100, 100, 60, 40, 0 (total 1000).
    specs = [(70, "10.00"), (10, "10.00"), (5, "20.00"), (6, "10.00"), (4, "10.00"), (0, "5")]
    products = []
    for index, (units, cost) in enumerate(specs):
        product = stocked(warehouse, ProductFactory(sku=f"ABC-{index}", unit_cost=cost), 100)
        if units:
            _ship(warehouse, product, units)
        products.append(product)
    result = abc.product_abc_classify()
    # Before each: 0 % → A, 70 % → A, 80 % → B, 90 % → B, 96 % → C, no value → C.
    assert _classes(*products) == [A, A, B, B, C, C]
    assert result.counts == {"A": 2, "B": 2, "C": 2}
    assert result.total_value == Decimal("1000.00")
    top = Product.objects.get(pk=products[0].pk)
    assert top.abc_movement_value == Decimal("700.00")
    assert top.abc_value_share == Decimal("0.7000")
    assert top.abc_computed_class == A
    assert top.abc_computed_at is not None


def test_the_top_seller_is_a_even_with_almost_all_the_value(warehouse):
    big = stocked(warehouse, ProductFactory(unit_cost="100.00"), 100)
    small = stocked(warehouse, ProductFactory(unit_cost="1.00"), 100)
    _ship(warehouse, big, 50)
    _ship(warehouse, small, 1)
    abc.product_abc_classify()
    assert _classes(big, small) == [A, C]


def test_only_shipments_inside_the_window_count(warehouse):
    old = stocked(warehouse, ProductFactory(unit_cost="10.00"), 100)
    recent = stocked(warehouse, ProductFactory(unit_cost="10.00"), 100)
    _ship(warehouse, old, 50)
    _ship(warehouse, recent, 1)
    later = timezone.now() + datetime.timedelta(days=200)
    StockMovement.objects.filter(product=recent, kind="shipment").update(created_at=later)
    abc.product_abc_classify(now=later + datetime.timedelta(days=1))
    assert _classes(old, recent) == [C, A]


def test_receipts_and_adjustments_are_not_movement_value(warehouse):
    product = stocked(warehouse, ProductFactory(unit_cost="10.00"), 500)
    Product.objects.filter(pk=product.pk).update(abc_class=A)
    abc.product_abc_classify()
    assert _classes(product) == [C]


def test_a_manual_class_survives_the_nightly_run(warehouse):
    seller = stocked(warehouse, ProductFactory(unit_cost="10.00"), 100)
    _ship(warehouse, seller, 10)
    abc.product_abc_override(product=seller, abc_class=C)
    result = abc.product_abc_classify()
    seller.refresh_from_db()
    assert (seller.abc_class, seller.abc_class_locked, seller.abc_computed_class) == (C, True, A)
    assert result.kept_by_override == 1
    # Back to automatic: the computed class applies at once.
    abc.product_abc_override(product=seller, abc_class=None)
    seller.refresh_from_db()
    assert (seller.abc_class, seller.abc_class_locked) == (A, False)


def test_an_unknown_class_is_refused(warehouse):
    product = ProductFactory()
    with pytest.raises(ValidationError) as exc:
        abc.product_abc_override(product=product, abc_class="D")
    assert list(exc.value.error_dict) == ["abc_class"]


def test_the_task_classifies_and_reports(warehouse):
    product = stocked(warehouse, ProductFactory(unit_cost="10.00"), 100)
    _ship(warehouse, product, 3)
    assert tasks.product_abc_classify_task() == {"A": 1, "B": 0, "C": 0, "changed": 1}


def test_the_beat_schedule_holds_both_tasks():
    from django.conf import settings

    from inventory.beat import SCHEDULE

    tasks_scheduled = {entry["task"] for entry in SCHEDULE.values()}
    assert tasks_scheduled == {
        "inventory.tasks.product_abc_classify_task",
        "inventory.tasks.check_plan_daily_task",
    }
    merged = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks_scheduled <= merged
