"""Thin Celery tasks of the quality app (beat runs them daily)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from quality.services import compliance, inspections, nonconformance


@shared_task
def inspections_periodic_task() -> int:
    return len(inspections.inspections_schedule_periodic(today=timezone.localdate()))


@shared_task
def capa_overdue_reminders_task() -> int:
    return nonconformance.capa_overdue_reminders(today=timezone.localdate())


@shared_task
def compliance_reminders_task() -> int:
    return compliance.compliance_reminders(today=timezone.localdate())
