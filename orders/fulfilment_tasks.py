"""Thin tasks of order fulfilment (default queue): ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from orders import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def backorders_allocate_task(product_ids: list[int]) -> int:
    """Allocate backorders of these products (stock just arrived); idempotent."""
    return services.backorders_allocate(product_ids=product_ids)


@shared_task
def backorders_sweep_task() -> int:
    """Allocate any backorder for which stock is available (catches lost tasks)."""
    return services.backorders_allocate()


@shared_task
def orders_flag_at_risk_task() -> int:
    """Flag open orders that will miss their promise; queue the "delayed" email once each."""
    return services.orders_flag_at_risk()
