"""Thin Celery tasks of the inventory app: they take ids or nothing and call one service."""

from __future__ import annotations

from celery import shared_task

from inventory import abc, checks
from inventory.models import Warehouse


@shared_task
def check_plan_daily_task() -> list[int]:
    """Plan today's check in every active warehouse (idempotent: hourly runs add nothing once
    a warehouse's local day is planned). Returns the ids of the checks created."""
    created = []
    for warehouse in Warehouse.objects.filter(is_active=True).order_by("code"):
        check = checks.check_plan_daily(warehouse=warehouse)
        if check is not None:
            created.append(check.pk)
    return created


@shared_task
def product_abc_classify_task() -> dict[str, int]:
    """Recompute the ABC classes from the last 90 days of shipped value."""
    result = abc.product_abc_classify()
    return {**result.counts, "changed": result.changed}
