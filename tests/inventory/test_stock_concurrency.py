"""The stock services under real concurrency: threads, each with its own PostgreSQL connection.

Nothing is mocked. A barrier releases the threads together so they really race for the rows.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREAD_TIMEOUT = 60


def _race(count: int, work: Callable[[int], object]) -> list[tuple[str, object]]:
    """Run work(0..count-1) in threads started together: ("ok", result) | ("refused" | "error", exc)."""
    barrier = threading.Barrier(count)
    results: list[tuple[str, object]] = [("error", "did not finish")] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            results[index] = ("ok", work(index))
        except ValidationError as exc:
            results[index] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - a deadlock or a 500 must show up, not vanish
            results[index] = ("error", exc)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "threads still running: a deadlock?"
    return results


def _errors(results) -> list:
    return [value for outcome, value in results if outcome == "error"]


def _ledger_matches_on_hand() -> bool:
    for level in StockLevel.objects.all():
        total = StockMovement.objects.filter(
            warehouse_id=level.warehouse_id, product_id=level.product_id
        ).aggregate(total=Sum("delta"))["total"]
        if (total or 0) != level.on_hand:
            return False
    return True


def test_fifty_threads_reserving_the_last_ten_units_get_exactly_ten():
    warehouse = WarehouseFactory(code="RACE")
    product = ProductFactory(sku="LAST-10")
    services.stock_receive(warehouse=warehouse, product=product, quantity=10, actor=None)

    results = _race(
        50, lambda _: services.stock_reserve(warehouse=warehouse, product=product, quantity=1)
    )

    assert _errors(results) == []
    outcomes = Counter(outcome for outcome, _ in results)
    assert outcomes == {"ok": 10, "refused": 40}
    assert all(value == 1 for outcome, value in results if outcome == "ok")
    for outcome, exc in results:
        if outcome == "refused":
            assert [e.code for e in exc.error_dict["quantity"]] == [services.INSUFFICIENT_STOCK]
            assert exc.messages[0].startswith("Only 0 of LAST-10 in RACE available")
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved, level.quarantined) == (10, 10, 0)
    assert StockMovement.objects.count() == 1  # the receipt; reservations write no ledger row


def test_partial_reservations_never_hand_out_more_than_there_is():
    warehouse = WarehouseFactory(code="RACE")
    product = ProductFactory(sku="SCARCE")
    services.stock_receive(warehouse=warehouse, product=product, quantity=25, actor=None)

    results = _race(
        30,
        lambda _: services.stock_reserve(
            warehouse=warehouse, product=product, quantity=3, partial=True
        ),
    )

    assert _errors(results) == []
    granted = [value for outcome, value in results if outcome == "ok"]
    assert len(granted) == 30
    assert sum(granted) == 25
    assert sorted(granted, reverse=True)[:9] == [3] * 8 + [1]
    assert StockLevel.objects.get().reserved == 25


def test_opposite_lock_orders_do_not_deadlock():
    """Half the threads reserve (A, B), half (B, A), ten times each, all at once."""
    warehouse = WarehouseFactory(code="RACE")
    first = ProductFactory(sku="PAIR-A")
    second = ProductFactory(sku="PAIR-B")
    for product in (first, second):
        services.stock_receive(warehouse=warehouse, product=product, quantity=1000, actor=None)
    forward = [(warehouse.pk, first.pk, 1), (warehouse.pk, second.pk, 1)]
    backward = list(reversed(forward))

    def work(index: int) -> int:
        for _ in range(10):
            services.stock_reserve_many(lines=forward if index % 2 else backward)
        return 10

    results = _race(40, work)

    assert _errors(results) == []
    assert Counter(outcome for outcome, _ in results) == {"ok": 40}
    assert list(StockLevel.objects.order_by("product__sku").values_list("reserved", flat=True)) == [
        400,
        400,
    ]


def test_racing_first_receipts_land_on_one_level():
    warehouse = WarehouseFactory(code="RACE")
    product = ProductFactory(sku="NEW-HERE")

    results = _race(
        20,
        lambda _: services.stock_receive(
            warehouse=warehouse, product=product, quantity=1, actor=None
        ),
    )

    assert _errors(results) == []
    assert Counter(outcome for outcome, _ in results) == {"ok": 20}
    level = StockLevel.objects.get()
    assert level.on_hand == 20
    assert sorted(StockMovement.objects.values_list("on_hand_after", flat=True)) == list(
        range(1, 21)
    )


def test_mixed_traffic_keeps_the_ledger_equal_to_on_hand():
    """Receipts, reserve + ship, adjustments, quarantine and release on two hot levels."""
    warehouses = [WarehouseFactory(code="RACE-1"), WarehouseFactory(code="RACE-2")]
    product = ProductFactory(sku="HOT")
    for warehouse in warehouses:
        services.stock_receive(warehouse=warehouse, product=product, quantity=30, actor=None)

    def work(index: int) -> str:
        warehouse = warehouses[index % 2]
        kwargs = {"warehouse": warehouse, "product": product}
        step = index % 5
        if step == 0:
            services.stock_receive(**kwargs, quantity=2, actor=None)
        elif step == 1:
            if services.stock_reserve(**kwargs, quantity=4, partial=True) == 4:
                services.stock_consume(**kwargs, quantity=4, actor=None)
        elif step == 2:
            services.stock_adjust(**kwargs, delta=-3, reason_code="damaged", actor=None)
        elif step == 3:
            services.stock_quarantine(**kwargs, quantity=2, actor=None)
            services.stock_release(**kwargs, quantity=2, actor=None)
        else:
            services.stock_reserve_many(
                lines=[(w.pk, product.pk, 1) for w in reversed(warehouses)], partial=True
            )
        return "done"

    results = _race(40, work)

    assert _errors(results) == []
    for outcome, exc in results:
        if outcome == "refused":
            codes = {e.code for errors in exc.error_dict.values() for e in errors}
            assert codes == {services.INSUFFICIENT_STOCK}
    assert _ledger_matches_on_hand()
    for level in StockLevel.objects.all():
        assert level.on_hand >= 0
        assert level.reserved + level.quarantined <= level.on_hand
        assert level.quarantined == 0


def test_the_rows_are_locked_in_one_query_in_primary_key_order():
    warehouse = WarehouseFactory(code="RACE")
    products = [ProductFactory(sku=f"LOCK-{n}") for n in range(3)]
    for product in products:
        services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    lines = [(warehouse.pk, product.pk, 1) for product in reversed(products)]

    with CaptureQueriesContext(connection) as context:
        services.stock_reserve_many(lines=lines)

    locking = [q["sql"] for q in context.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert (
        'ORDER BY "inventory_stocklevel"."id" ASC FOR UPDATE OF "inventory_stocklevel"'
        in (locking[0])
    )
