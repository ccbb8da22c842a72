"""Counts under real concurrency on PostgreSQL: picking goes on while the snapshot is taken
and lines are counted; planners race; posting races picking. Threads, own connections."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from inventory import checks, services
from inventory.models import InventoryCheck, StockLevel, StockMovement
from tests.factories import ProductFactory, WarehouseFactory, user_with_role
from tests.inventory.test_stock_concurrency import _errors, _ledger_matches_on_hand, _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PICKS = 40


def _picker(warehouse, products, stop: threading.Event, picked: list[int]) -> threading.Thread:
    """Ships one unit at a time, round the products, until stopped."""

    def run() -> None:
        try:
            index = 0
            while not stop.is_set() and index < PICKS * len(products):
                product = products[index % len(products)]
                services.stock_ship(
                    warehouse=warehouse,
                    product=product,
                    quantity=1,
                    actor=None,
                    from_reserved=False,
                )
                picked.append(product.pk)
                index += 1
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_picking_during_snapshot_and_count_leaves_no_false_variance():
    warehouse = WarehouseFactory(code="CC-1")
    manager = user_with_role("superuser", username="boss")
    products = [ProductFactory(sku=f"CC-{n}") for n in range(5)]
    for product in products:
        services.stock_receive(warehouse=warehouse, product=product, quantity=500, actor=None)
    created = checks.check_create(warehouse=warehouse, kind="full", created_by=manager, products=[])
    stop = threading.Event()
    picked: list[int] = []
    picker = _picker(warehouse, products, stop, picked)
    picker.start()
    try:
        time.sleep(0.05)
        check = checks.check_start(check=created.check, by=manager)  # while picking runs
        time.sleep(0.05)
        for product in products:
            # The counter finds exactly what is on the shelf at the moment of counting.
            on_shelf = StockLevel.objects.get(warehouse=warehouse, product=product).on_hand
            line = checks.check_count(check=check, by=manager, code=product.sku, quantity=on_shelf)
            # A pick may slip in between reading the shelf and recording the count: the
            # count is then higher than the book by those picks, never lower.
            assert 0 <= line.variance <= PICKS
    finally:
        stop.set()
        picker.join(timeout=60)
    assert not picker.is_alive()
    assert picked, "the picker never ran"
    # Counting again now that the shelf is still: every variance is exactly zero.
    for product in products:
        on_shelf = StockLevel.objects.get(warehouse=warehouse, product=product).on_hand
        line = checks.check_count(check=check, by=manager, code=product.sku, quantity=on_shelf)
        assert line.variance == 0, product.sku
        moved = -sum(1 for pk in picked if pk == product.pk)
        assert line.moved_during_count >= moved  # picks before the snapshot are not "moved"
    result = checks.check_submit(check=check, by=manager)
    assert result.check.status == InventoryCheck.Status.POSTED
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).exists()
    assert _ledger_matches_on_hand()


def test_the_snapshot_is_consistent_with_the_ledger_under_concurrent_picks():
    """expected is on hand at the snapshot row: ledger sum up to snapshot_movement_id."""
    warehouse = WarehouseFactory(code="CC-2")
    manager = user_with_role("superuser", username="boss")
    products = [ProductFactory(sku=f"SN-{n}") for n in range(8)]
    for product in products:
        services.stock_receive(warehouse=warehouse, product=product, quantity=300, actor=None)
    created = checks.check_create(warehouse=warehouse, kind="full", created_by=manager)
    stop = threading.Event()
    picked: list[int] = []
    pickers = [_picker(warehouse, products[i::2], stop, picked) for i in range(2)]
    for picker in pickers:
        picker.start()
    try:
        time.sleep(0.05)
        check = checks.check_start(check=created.check, by=manager)
    finally:
        stop.set()
        for picker in pickers:
            picker.join(timeout=60)
    for line in check.lines.all():
        ledger = sum(
            StockMovement.objects.filter(
                warehouse=warehouse, product_id=line.product_id, id__lte=line.snapshot_movement_id
            ).values_list("delta", flat=True)
        )
        assert ledger == line.expected


def test_two_planners_racing_make_one_check():
    warehouse = WarehouseFactory(code="CC-3")
    for n in range(5):
        product = ProductFactory(sku=f"PL-{n}", abc_class="A")
        services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    import datetime

    day = datetime.date(2026, 11, 23)
    results = _race(6, lambda _: checks.check_plan_daily(warehouse=warehouse, day=day))
    assert not _errors(results)
    made = [value for outcome, value in results if outcome == "ok" and value is not None]
    assert len(made) == 1
    assert InventoryCheck.objects.filter(warehouse=warehouse).count() == 1
    assert InventoryCheck.objects.get().lines.count() == 5


def test_posting_while_orders_reserve_never_breaks_the_invariants():
    warehouse = WarehouseFactory(code="CC-4")
    manager = user_with_role("superuser", username="boss")
    product = ProductFactory(sku="PR-1")
    services.stock_receive(warehouse=warehouse, product=product, quantity=20, actor=None)
    check = checks.check_start(
        check=checks.check_create(
            warehouse=warehouse, kind="products", created_by=manager, products=[product]
        ).check,
        by=manager,
    )
    for _ in range(2):  # found 8 of 20, twice: goes to review
        checks.check_count(check=check, by=manager, code="PR-1", quantity=8)
        checks.check_submit(check=check, by=manager)
    checks.check_decide(check=check, by=manager, approve=True)

    def work(index: int):
        if index == 0:
            return checks.check_post(check=check, by=manager)
        return services.stock_reserve(warehouse=warehouse, product=product, quantity=2)

    results = _race(8, work)
    assert not _errors(results), _errors(results)
    level = StockLevel.objects.get(warehouse=warehouse, product=product)
    assert level.reserved + level.quarantined <= level.on_hand
    assert _ledger_matches_on_hand()
    posted = results[0][0] == "ok"
    check.refresh_from_db()
    assert (check.status == InventoryCheck.Status.POSTED) == posted
    if not posted:  # reservations took more than 8 units first: the write-off was refused
        assert isinstance(results[0][1], ValidationError)
        assert level.on_hand == 20
    else:
        assert level.on_hand == 8
