"""Safety incidents and near misses, recorded per warehouse."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory.models import Warehouse
from opsportal import roles
from quality.models import SafetyIncident
from quality.services.common import choice, error, text, whole_number

Kind = SafetyIncident.Kind


def _may_record_in(by: Any, warehouse: Warehouse) -> None:
    ids = roles.warehouse_ids_for(by)
    if ids is not None and warehouse.pk not in ids:
        raise error("warehouse", f"You do not work in {warehouse.code}.", code="not_your_warehouse")


@transaction.atomic
def incident_record(
    *,
    warehouse: Warehouse,
    occurred_at: datetime.datetime,
    kind: str,
    description: str,
    by: Any,
    severity: str = SafetyIncident.Severity.LOW,
    lost_days: int = 0,
    actions: str = "",
) -> SafetyIncident:
    """Record an incident or near miss in one of the reporter's warehouses."""
    if warehouse is None:
        raise error("warehouse", "Choose the warehouse.")
    _may_record_in(by, warehouse)
    kind = choice(kind, "kind", Kind)
    severity = choice(severity, "severity", SafetyIncident.Severity)
    if occurred_at is None:
        raise error("occurred_at", "When did it happen?")
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise error("occurred_at", "That is in the future.")
    lost_days = whole_number(lost_days or 0, "lost_days")
    if lost_days and kind != Kind.INJURY:
        raise error("lost_days", "Only an injury can cost working days.")
    if lost_days > 366:
        raise error("lost_days", "At most 366 days per incident.")
    return SafetyIncident.objects.create(
        warehouse=warehouse,
        occurred_at=occurred_at,
        kind=kind,
        severity=severity,
        lost_days=lost_days,
        description=text(description, "description", max_length=5000, required=True),
        actions=text(actions, "actions", max_length=5000),
        reported_by=by,
    )


@transaction.atomic
def incident_update(
    *, incident: SafetyIncident, by: Any, actions: str, lost_days: int, severity: str
) -> SafetyIncident:
    """A manager follows up: actions taken, lost days as they become known, severity."""
    incident = SafetyIncident.objects.select_for_update().get(pk=incident.pk)
    lost_days = whole_number(lost_days or 0, "lost_days")
    if lost_days and incident.kind != Kind.INJURY:
        raise error("lost_days", "Only an injury can cost working days.")
    incident.lost_days = lost_days
    incident.actions = text(actions, "actions", max_length=5000)
    incident.severity = choice(severity, "severity", SafetyIncident.Severity)
    incident.save(update_fields=["lost_days", "actions", "severity"])
    return incident
