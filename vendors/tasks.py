"""Thin Celery tasks of the vendors app: they take ids or nothing and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from vendors import services


@shared_task
def contract_reminders_send_task() -> int:
    """Queue the contract end and notice reminders due today (never the same one twice)."""
    return services.contract_reminders_queue(today=timezone.localdate())


@shared_task
def contracts_roll_over_task() -> dict:
    """Expire or auto-renew the active contracts whose end date has passed."""
    return services.contracts_roll_over(today=timezone.localdate())
