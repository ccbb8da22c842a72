"""Listeners of other apps' signals (connected in OrdersConfig.ready).

Stock that becomes available — a receipt, a customer return put back on the shelf, a transfer
arriving, units released from quarantine — may fill backorders. The receiver only collects the
products of the transaction and, once it commits, sends one task for them: the allocation runs
in its own transactions (orders.services.backorders_allocate), oldest order first, so a stock
movement never waits on order work and is never rolled back by it. A beat sweep catches what a
lost task missed.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from inventory.models import StockMovement

FREEING_KINDS = frozenset(
    {
        StockMovement.Kind.RECEIPT,
        StockMovement.Kind.RETURN,
        StockMovement.Kind.TRANSFER_IN,
        StockMovement.Kind.RELEASE,
        StockMovement.Kind.ADJUSTMENT,
        StockMovement.Kind.COUNT,
    }
)


def _enqueue(pending: set[int]) -> None:
    """After commit: one task for the products collected on this connection (the first
    callback of a transaction takes them all, the others find nothing left)."""
    if not pending:
        return
    products = sorted(pending)
    pending.clear()
    from orders.fulfilment_tasks import backorders_allocate_task

    backorders_allocate_task.delay(products)


def _callback_waiting(connection, pending: set[int]) -> bool:
    return any(
        isinstance(func, partial) and func.func is _enqueue and func.args[0] is pending
        for _, func, _ in connection.run_on_commit
    )


def on_stock_moved(sender, movement: StockMovement, **kwargs) -> None:
    frees_stock = movement.kind == StockMovement.Kind.RELEASE or movement.delta > 0
    if movement.kind not in FREEING_KINDS or not frees_stock:
        return
    connection = transaction.get_connection()
    # Per connection (so per thread). Products left by a rolled-back transaction (its callback
    # was dropped with it) are forgotten before this one collects its own.
    pending = connection.__dict__.setdefault("_orders_freed_products", set())
    if pending and not _callback_waiting(connection, pending):
        pending.clear()
    pending.add(movement.product_id)
    # robust: a broker outage must not fail the stock change (the beat sweep catches up).
    transaction.on_commit(partial(_enqueue, pending), robust=True)
