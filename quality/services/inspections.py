"""Inspection plans, the inspections receipts, packed shipments and the calendar create, and
recording results: a failure quarantines the affected stock and opens a non-conformance.

Receipts and packed shipments reach here through signals (quality.receivers) sent inside the
transaction that moved the stock, so an inspection exists exactly when its receipt does.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockMovement, Warehouse
from quality.models import Inspection, InspectionPlan, NonConformance
from quality.services.common import choice, error, text, whole_number

Trigger = InspectionPlan.Trigger
Sampling = InspectionPlan.Sampling
PASS_FAIL = "pass_fail"  # noqa: S105 - a criterion kind, not a password
MEASURE = "measure"
CRITERION_KINDS = (PASS_FAIL, MEASURE)
MAX_CRITERIA = 30


# --- plans -----------------------------------------------------------------------------------


def _number(value: Any, where: str, bound: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise error("criteria", f"{where}: the {bound} must be a number.")
    try:
        number = float(Decimal(str(value).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise error("criteria", f"{where}: the {bound} must be a number.") from None
    if not math.isfinite(number):
        raise error("criteria", f"{where}: the {bound} must be a number.")
    return number


def clean_criteria(criteria: Any) -> list[dict]:
    """Criteria as stored: [{"name", "kind": pass_fail|measure, "unit", "min", "max"}]."""
    if not isinstance(criteria, list) or not criteria:
        raise error("criteria", "Add at least one criterion.")
    if len(criteria) > MAX_CRITERIA:
        raise error("criteria", f"At most {MAX_CRITERIA} criteria per plan.")
    cleaned: list[dict] = []
    seen: set[str] = set()
    for index, criterion in enumerate(criteria, start=1):
        where = f"Criterion {index}"
        if not isinstance(criterion, dict):
            raise error("criteria", f"{where}: expected an object with a name and a kind.")
        name = " ".join(str(criterion.get("name") or "").split())
        if not name:
            raise error("criteria", f"{where}: give it a name.")
        if len(name) > 120:
            raise error("criteria", f"{where}: the name is longer than 120 characters.")
        where = f"Criterion {index} ({name})"
        if name.casefold() in seen:
            raise error("criteria", f"{where}: two criteria have this name.")
        seen.add(name.casefold())
        kind = criterion.get("kind") or PASS_FAIL
        if kind not in CRITERION_KINDS:
            raise error("criteria", f"{where}: the kind must be pass_fail or measure.")
        if kind == PASS_FAIL:
            cleaned.append({"name": name, "kind": PASS_FAIL})
            continue
        unit = str(criterion.get("unit") or "").strip()
        if len(unit) > 20:
            raise error("criteria", f"{where}: the unit is longer than 20 characters.")
        low = _number(criterion.get("min"), where, "minimum")
        high = _number(criterion.get("max"), where, "maximum")
        if low is None and high is None:
            raise error("criteria", f"{where}: a measurement needs a minimum, a maximum or both.")
        if low is not None and high is not None and low > high:
            raise error("criteria", f"{where}: the minimum {low:g} is above the maximum {high:g}.")
        cleaned.append({"name": name, "kind": MEASURE, "unit": unit, "min": low, "max": high})
    return cleaned


PLAN_FIELDS = (
    "name",
    "trigger",
    "product",
    "vendor",
    "warehouse",
    "sampling",
    "sample_size",
    "every_nth",
    "period_days",
    "criteria",
    "sop",
    "is_active",
)


@transaction.atomic
def plan_save(*, plan: InspectionPlan | None, data: dict, by: Any) -> InspectionPlan:
    """Create or update an inspection plan after checking its scope, sampling and criteria."""
    plan = plan or InspectionPlan()
    values = {name: data.get(name, getattr(plan, name, None)) for name in PLAN_FIELDS}
    values["name"] = text(values["name"], "name", max_length=200, required=True)
    values["trigger"] = choice(values["trigger"], "trigger", Trigger)
    values["sampling"] = choice(values["sampling"] or Sampling.SAMPLE_SIZE, "sampling", Sampling)
    values["criteria"] = clean_criteria(values["criteria"])
    values["sample_size"] = whole_number(values["sample_size"] or 0, "sample_size")
    values["every_nth"] = whole_number(values["every_nth"] or 1, "every_nth")
    values["period_days"] = whole_number(values["period_days"] or 30, "period_days")
    values["is_active"] = bool(values["is_active"]) if values["is_active"] is not None else True
    sampling, trigger = values["sampling"], values["trigger"]
    if sampling in (Sampling.SAMPLE_SIZE, Sampling.EVERY_NTH) and values["sample_size"] < 1:
        raise error("sample_size", "Inspect at least 1 unit.")
    if sampling == Sampling.EVERY_NTH:
        if trigger != Trigger.RECEIPT:
            raise error("sampling", "“Every Nth receipt” applies to receipt plans only.")
        if values["every_nth"] < 1:
            raise error("every_nth", "Enter 1 (every receipt) or more.")
    if trigger == Trigger.PRE_SHIPMENT and values["vendor"] is not None:
        raise error(
            "vendor",
            "A pre-shipment plan cannot be scoped to a vendor: a shipment does not say who "
            "supplied its units. Scope it to a product or a warehouse.",
        )
    if trigger == Trigger.PERIODIC:
        if values["vendor"] is not None:
            raise error("vendor", "A periodic plan runs per warehouse, not per vendor.")
        if values["period_days"] < 1:
            raise error("period_days", "Repeat every 1 day or more.")
    for name, value in values.items():
        setattr(plan, name, value)
    plan.save()
    return plan


@transaction.atomic
def plan_delete(*, plan: InspectionPlan, by: Any) -> None:
    """Delete a plan that never created an inspection; others are deactivated instead."""
    if plan.inspections.exists():
        raise error(
            "plan",
            f"“{plan.name}” has inspections on record: deactivate it instead of deleting it.",
            code="has_inspections",
        )
    plan.delete()


# --- creating inspections --------------------------------------------------------------------


def _specific(plans: list[InspectionPlan]) -> list[InspectionPlan]:
    """Only the most specific plans: a vendor's own plan replaces the catch-all one."""
    if not plans:
        return []

    def scope(plan: InspectionPlan) -> int:
        return sum(x is not None for x in (plan.product_id, plan.vendor_id, plan.warehouse_id))

    best = max(scope(plan) for plan in plans)
    return [plan for plan in plans if scope(plan) == best]


def _matching_plans(
    trigger: str, *, product_id: int | None, warehouse_id: int, vendor_id: int | None
) -> list[InspectionPlan]:
    plans = InspectionPlan.objects.filter(trigger=trigger, is_active=True).filter(
        Q(product__isnull=True) | Q(product_id=product_id),
        Q(warehouse__isnull=True) | Q(warehouse_id=warehouse_id),
        Q(vendor__isnull=True) | Q(vendor_id=vendor_id),
    )
    return _specific(list(plans.order_by("pk")))


def _sample(plan: InspectionPlan, quantity: int) -> int:
    if plan.sampling == Sampling.EVERY_UNIT:
        return quantity
    return min(plan.sample_size, quantity) if quantity else plan.sample_size


def _nth_receipt_due(plan: InspectionPlan) -> bool:
    """Count this receipt against the plan; True when it is the Nth. The UPDATE locks the plan
    row to the end of the transaction, so concurrent receipts are counted one after another."""
    InspectionPlan.objects.filter(pk=plan.pk).update(receipts_seen=F("receipts_seen") + 1)
    seen = InspectionPlan.objects.values_list("receipts_seen", flat=True).get(pk=plan.pk)
    return seen % max(plan.every_nth, 1) == 0


def _receipt_source(movement: StockMovement) -> tuple[Any, int | None]:
    """What a receipt came from (a purchase order line, or the movement itself) and its vendor."""
    from vendors.models import PurchaseOrderLine

    if movement.reference_type_id:
        content_type = ContentType.objects.get_for_id(movement.reference_type_id)
        if content_type.model_class() is PurchaseOrderLine:
            line = (
                PurchaseOrderLine.objects.select_related("purchase_order")
                .filter(pk=movement.reference_id)
                .first()
            )
            if line is not None:
                return line, line.purchase_order.vendor_id
    return movement, None


def inspections_for_receipt(*, movement: StockMovement) -> list[Inspection]:
    """Inspections the plans ask for on a receipt (called inside the receipt's transaction)."""
    if movement.kind != StockMovement.Kind.RECEIPT or movement.delta <= 0:
        return []
    source, vendor_id = _receipt_source(movement)
    created = []
    plans = _matching_plans(
        Trigger.RECEIPT,
        product_id=movement.product_id,
        warehouse_id=movement.warehouse_id,
        vendor_id=vendor_id,
    )
    for plan in plans:
        if plan.sampling == Sampling.EVERY_NTH and not _nth_receipt_due(plan):
            continue
        created.append(
            Inspection.objects.create(
                plan=plan,
                source_type=ContentType.objects.get_for_model(source),
                source_id=str(source.pk),
                product_id=movement.product_id,
                vendor_id=vendor_id,
                warehouse_id=movement.warehouse_id,
                quantity=movement.delta,
                sample_size=_sample(plan, movement.delta),
            )
        )
    return created


def inspections_for_shipment(*, shipment: Any) -> list[Inspection]:
    """Pre-shipment inspections for a packed shipment, one per product a plan covers."""
    quantities: dict[int, int] = {}
    for product_id, quantity in shipment.lines.values_list("order_line__product_id", "quantity"):
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    content_type = ContentType.objects.get_for_model(shipment)
    created = []
    for product_id, quantity in sorted(quantities.items()):
        plans = _matching_plans(
            Trigger.PRE_SHIPMENT,
            product_id=product_id,
            warehouse_id=shipment.warehouse_id,
            vendor_id=None,
        )
        for plan in plans:
            created.append(
                Inspection.objects.create(
                    plan=plan,
                    source_type=content_type,
                    source_id=str(shipment.pk),
                    product_id=product_id,
                    warehouse_id=shipment.warehouse_id,
                    quantity=quantity,
                    sample_size=_sample(plan, quantity),
                )
            )
    return created


@transaction.atomic
def inspections_schedule_periodic(*, today: datetime.date) -> list[Inspection]:
    """Open the periodic inspections that are due: one per plan and warehouse per period."""
    created = []
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    plans = InspectionPlan.objects.filter(trigger=Trigger.PERIODIC, is_active=True).order_by("pk")
    for plan in plans.select_for_update():
        start = datetime.datetime.combine(
            today - datetime.timedelta(days=max(plan.period_days, 1) - 1),
            datetime.time.min,
            tzinfo=timezone.get_current_timezone(),
        )
        targets = [w for w in warehouses if plan.warehouse_id in (None, w.pk)]
        recent = set(
            Inspection.objects.filter(plan=plan, created_at__gte=start).values_list(
                "warehouse_id", flat=True
            )
        )
        for warehouse in targets:
            if warehouse.pk in recent:
                continue
            created.append(
                Inspection.objects.create(
                    plan=plan,
                    product_id=plan.product_id,
                    warehouse=warehouse,
                    quantity=0,
                    sample_size=plan.sample_size if plan.sampling != Sampling.EVERY_UNIT else 1,
                )
            )
    return created


# --- recording -------------------------------------------------------------------------------


def requirement_of(criterion: dict) -> str:
    unit = criterion.get("unit") or ""
    low, high = criterion.get("min"), criterion.get("max")
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}".strip()
    if low is not None:
        return f"≥ {low:g} {unit}".strip()
    return f"≤ {high:g} {unit}".strip()


def _judge(criterion: dict, given: dict, problems: list[str]) -> dict:
    name = criterion["name"]
    note = str(given.get("note") or "").strip()[:300]
    if criterion.get("kind") == MEASURE:
        raw = given.get("value")
        if raw is None or (isinstance(raw, str) and not raw.strip()) or isinstance(raw, bool):
            problems.append(f"{name}: enter the measured value ({requirement_of(criterion)}).")
            return {}
        try:
            value = float(Decimal(str(raw).strip().replace(",", ".")))
        except (InvalidOperation, ValueError):
            problems.append(f"{name}: “{raw}” is not a number.")
            return {}
        if not math.isfinite(value):
            problems.append(f"{name}: “{raw}” is not a number.")
            return {}
        low, high = criterion.get("min"), criterion.get("max")
        passed = (low is None or value >= low) and (high is None or value <= high)
        return {"name": name, "passed": passed, "value": value, "note": note}
    passed = given.get("passed")
    if isinstance(passed, str):
        passed = {"pass": True, "true": True, "fail": False, "false": False}.get(passed.lower())
    if not isinstance(passed, bool):
        problems.append(f"{name}: choose pass or fail.")
        return {}
    return {"name": name, "passed": passed, "note": note}


def judge_results(plan: InspectionPlan, results: Any) -> list[dict]:
    """One result per criterion of the plan, judged against it; errors name the criterion."""
    if not isinstance(results, list):
        raise error("results", "Give one result per criterion.")
    by_name: dict[str, dict] = {}
    for given in results:
        if not isinstance(given, dict) or not str(given.get("name") or "").strip():
            raise error("results", "Each result needs the name of its criterion.")
        by_name[str(given["name"]).strip()] = given
    criteria = plan.criteria or []
    known = {criterion["name"] for criterion in criteria}
    unknown = sorted(set(by_name) - known)
    if unknown:
        raise error("results", f"Not criteria of “{plan.name}”: {', '.join(unknown)}.")
    problems: list[str] = []
    judged = [
        _judge(criterion, by_name.get(criterion["name"], {}), problems) for criterion in criteria
    ]
    if problems:
        raise ValidationError({"results": problems})
    return judged


@transaction.atomic
def inspection_record(
    *,
    inspection: Inspection,
    results: Any,
    by: Any,
    notes: str = "",
    affected_quantity: int | None = None,
    severity: str = NonConformance.Severity.MAJOR,
) -> Inspection:
    """Record each criterion's result. A failure quarantines `affected_quantity` (default: all
    the inspection covers) through inventory.services and opens a non-conformance against the
    source and vendor, in this one transaction."""
    from quality.services import nonconformance

    locked = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=inspection.pk)
    )
    if locked.status != Inspection.Status.PENDING:
        raise error(
            "status",
            f"This inspection was already recorded ({locked.get_status_display().lower()}).",
            code="invalid_status",
        )
    judged = judge_results(locked.plan, results)
    notes = text(notes, "notes", max_length=2000)
    failed = any(not result["passed"] for result in judged)
    locked.results = judged
    locked.notes = notes
    locked.inspector = by
    locked.inspected_at = timezone.now()
    locked.status = Inspection.Status.FAILED if failed else Inspection.Status.PASSED
    locked.save(update_fields=["results", "notes", "inspector", "inspected_at", "status"])
    if not failed:
        return locked
    if affected_quantity is None:
        affected = locked.quantity if locked.product_id else 0
    else:
        affected = whole_number(affected_quantity, "affected_quantity")
    if affected and not locked.product_id:
        raise error(
            "affected_quantity", "This inspection covers no product: nothing to quarantine."
        )
    if locked.quantity and affected > locked.quantity:
        raise error(
            "affected_quantity",
            f"At most the {locked.quantity} units this inspection covers.",
        )
    failures = ", ".join(result["name"] for result in judged if not result["passed"])
    reason = f"Failed inspection #{locked.pk}: {failures}"[:200]
    if affected:
        try:
            stock.stock_quarantine(
                warehouse=locked.warehouse,
                product=locked.product,
                quantity=affected,
                actor=by,
                reason=reason,
                reference=locked,
            )
        except ValidationError as exc:
            raise error(
                "affected_quantity",
                "Cannot quarantine "
                f"{affected}: {' '.join(exc.messages)} Enter the quantity still on the shelf.",
                code=getattr(exc, "code", None),
            ) from exc
    locked.non_conformance = nonconformance.nc_open(
        title=f"Failed inspection: {locked.plan.name}"
        + (f" — {locked.product.sku}" if locked.product_id else ""),
        description=f"{failures} failed.{(' ' + notes) if notes else ''}",
        origin=NonConformance.Origin.INSPECTION,
        source=locked,
        product=locked.product,
        vendor=locked.vendor,
        warehouse=locked.warehouse,
        quantity=affected or locked.quantity,
        quarantined=affected,
        severity=severity,
        by=by,
    )
    return locked
