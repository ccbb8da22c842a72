"""Inventory checks (cycle counts): planning, counting, recounts, review and posting.

The life of a check: planned → counting → (review) → posted, or cancelled while open.

- Planning. `check_plan_daily` (Celery beat, per active warehouse) plans one check a day of the
  products due: A-class daily, B weekly, C every 28 days, each product on a fixed day of its
  cycle (its id modulo the cycle) so the work is even and the same day plans the same products.
  Products already in an open check of the warehouse are left out. `planned_on` is unique per
  warehouse: a second run the same day creates nothing. Managers make checks by hand with
  `check_create` (a product list, a bin prefix, or the whole warehouse).
- Starting (`check_start`) snapshots each line: on hand and the id of the product's last ledger
  row in the warehouse, read with the stock rows locked, so both describe the same moment.
- Counting (`check_count`) records what was found. The book quantity is the snapshot plus the
  ledger deltas after it up to the moment the line is counted (count corrections excepted):
  picking and receiving go on during a count, and the variance is only what is really missing
  or extra: variance = counted − (expected + moved during the count).
- Submitting (`check_submit`): lines beyond the warehouse's tolerance (units or value) are asked
  for a recount, once; the counter learns which lines, never by how much. After the recount,
  lines still beyond tolerance wait for an operations manager (review); the others are approved.
  A check with nothing to review is posted at once.
- Review: a manager approves or rejects lines (`check_decide`), then `check_post` writes one
  count correction per approved line with a variance, all in one transaction.

Only inventory.services changes stock: posting calls `services.stock_count_correct`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from inventory import services
from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)
from opsportal import roles

INVALID_STATUS = services.INVALID_STATUS
Status = InventoryCheck.Status
Decision = InventoryCheckLine.Decision

WEEKLY_CYCLE = 7
MONTHLY_CYCLE = 28  # four weeks: every weekday carries the same share of C items
MAX_NAMED = 5  # SKUs named in an error before "and N more"


def _error(field: str, message: str, code: str | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _named(skus: Sequence[str]) -> str:
    shown = ", ".join(skus[:MAX_NAMED])
    return shown + (f" and {len(skus) - MAX_NAMED} more" if len(skus) > MAX_NAMED else "")


def _lock(check: InventoryCheck) -> InventoryCheck:
    return (
        InventoryCheck.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=check.pk)
    )


def _require_status(check: InventoryCheck, *allowed: str, doing: str) -> None:
    if check.status not in allowed:
        wanted = " or ".join(Status(status).label.lower() for status in allowed)
        raise _error(
            "status",
            f"Count {check.pk} is {check.get_status_display().lower()}; "
            f"only a {wanted} count can be {doing}.",
            INVALID_STATUS,
        )


def within_tolerance(warehouse: Warehouse, variance: int, unit_cost: Decimal | None) -> bool:
    """Is a variance small enough to accept without a recount (units and value)?"""
    units = abs(variance)
    value = units * (unit_cost or Decimal("0"))
    return units <= warehouse.count_tolerance_units and value <= warehouse.count_tolerance_value


def open_check_lines(warehouse_id: Any) -> QuerySet[InventoryCheckLine]:
    """Lines of the open checks of a warehouse (id or OuterRef)."""
    return InventoryCheckLine.objects.filter(
        inventory_check__warehouse_id=warehouse_id,
        inventory_check__status__in=InventoryCheck.OPEN_STATUSES,
    )


# --- who counts -------------------------------------------------------------------------------


def counters_for(warehouse: Warehouse) -> QuerySet:
    """Active warehouse staff assigned to the warehouse, least loaded first.

    Load is the number of lines still to count in open checks assigned to them; ties go to the
    user with the fewest open checks, then by username (deterministic).
    """
    User = get_user_model()
    open_lines = Q(
        assigned_checks__status__in=(Status.PLANNED, Status.COUNTING),
        assigned_checks__lines__counted__isnull=True,
    )
    return (
        User.objects.filter(
            is_active=True, warehouses=warehouse, groups__name=roles.WAREHOUSE_STAFF
        )
        .annotate(
            open_lines=Count("assigned_checks__lines", filter=open_lines, distinct=True),
            open_checks=Count(
                "assigned_checks",
                filter=Q(assigned_checks__status__in=(Status.PLANNED, Status.COUNTING)),
                distinct=True,
            ),
        )
        .order_by("open_lines", "open_checks", "username")
    )


def _pick_counter(warehouse: Warehouse, assigned_to: Any | None) -> Any | None:
    if assigned_to is not None:
        if not counters_for(warehouse).filter(pk=assigned_to.pk).exists():
            raise _error(
                "assigned_to",
                f"{assigned_to.get_username()} is not warehouse staff of {warehouse.code}.",
            )
        return assigned_to
    return counters_for(warehouse).first()


# --- planning and creating --------------------------------------------------------------------


def due_levels(warehouse: Warehouse, day: datetime.date) -> QuerySet[StockLevel]:
    """Stock levels of the warehouse whose product is due for counting on `day`."""
    ordinal = day.toordinal()
    due = (
        Q(product__abc_class=Product.AbcClass.A)
        | Q(product__abc_class=Product.AbcClass.B, week_slot=ordinal % WEEKLY_CYCLE)
        | Q(product__abc_class=Product.AbcClass.C, month_slot=ordinal % MONTHLY_CYCLE)
    )
    in_open_check = open_check_lines(warehouse.pk).filter(product_id=OuterRef("product_id"))
    return (
        StockLevel.objects.filter(warehouse=warehouse, product__is_active=True)
        .alias(
            week_slot=F("product_id") % WEEKLY_CYCLE,
            month_slot=F("product_id") % MONTHLY_CYCLE,
        )
        .filter(due)
        .exclude(Exists(in_open_check))
        .order_by("bin", "product__sku")
    )


def _create(
    *,
    warehouse: Warehouse,
    kind: str,
    levels: Iterable[tuple[int, str]],
    scheduled_for: datetime.date,
    created_by: Any | None,
    assigned_to: Any | None,
    blind: bool = True,
    location: str = "",
    planned_on: datetime.date | None = None,
) -> InventoryCheck:
    check = InventoryCheck.objects.create(
        warehouse=warehouse,
        kind=kind,
        scheduled_for=scheduled_for,
        blind=blind,
        location=location,
        assigned_to=assigned_to,
        created_by=created_by,
        planned_on=planned_on,
    )
    InventoryCheckLine.objects.bulk_create(
        [
            InventoryCheckLine(inventory_check=check, product_id=product_id, bin=bin)
            for product_id, bin in levels
        ],
        batch_size=1000,
    )
    return check


def check_plan_daily(
    *, warehouse: Warehouse, day: datetime.date | None = None
) -> InventoryCheck | None:
    """Plan the warehouse's check for `day` (its local today by default); writes a check and
    its lines, or nothing when the day is planned already, nothing is due or the warehouse is
    inactive. Idempotent, also when two runs race (the unique `planned_on` decides)."""
    if not warehouse.is_active:
        return None
    day = day or warehouse_today(warehouse)
    if InventoryCheck.objects.filter(warehouse=warehouse, planned_on=day).exists():
        return None
    try:
        with transaction.atomic():
            levels = list(due_levels(warehouse, day).values_list("product_id", "bin"))
            if not levels:
                return None
            return _create(
                warehouse=warehouse,
                kind=InventoryCheck.Kind.SCHEDULED,
                levels=levels,
                scheduled_for=day,
                created_by=None,
                assigned_to=_pick_counter(warehouse, None),
                planned_on=day,
            )
    except IntegrityError:
        # Another run planned the same warehouse and day first: that check is the plan.
        if InventoryCheck.objects.filter(warehouse=warehouse, planned_on=day).exists():
            return None
        raise


def warehouse_today(warehouse: Warehouse) -> datetime.date:
    """Today where the warehouse is (its time zone), falling back to the portal's."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return timezone.now().astimezone(ZoneInfo(warehouse.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.localdate()


@dataclass(frozen=True)
class CreatedCheck:
    check: InventoryCheck
    left_out: list[str]  # SKUs already in another open check of the warehouse


@transaction.atomic
def check_create(
    *,
    warehouse: Warehouse,
    kind: str,
    created_by: Any,
    products: Sequence[Product] = (),
    location: str = "",
    scheduled_for: datetime.date | None = None,
    assigned_to: Any | None = None,
    blind: bool = True,
) -> CreatedCheck:
    """A check made by hand: a product list, a location (bin prefix) or the whole warehouse.

    Writes the check and its lines. Products in another open check of the warehouse are left
    out (and named); a check that would have no line is refused.
    """
    errors: dict[str, str] = {}
    if not warehouse.is_active:
        errors["warehouse"] = f"{warehouse.code} is not active."
    location = (location or "").strip()
    levels = StockLevel.objects.filter(warehouse=warehouse, product__is_active=True)
    if kind == InventoryCheck.Kind.PRODUCTS:
        if not products:
            errors["products"] = "Name at least one product."
        skus = [product.sku for product in products]
        twice = sorted({sku for sku in skus if skus.count(sku) > 1})
        if twice:
            errors["products"] = f"Each product once: {_named(twice)} repeated."
        location = ""
    elif kind == InventoryCheck.Kind.LOCATION:
        if not location:
            errors["location"] = "Give the bin prefix of the location (e.g. A-01)."
        levels = levels.filter(bin__istartswith=location)
    elif kind == InventoryCheck.Kind.FULL:
        location = ""
    else:
        errors["kind"] = "Choose a product list, a location or the whole warehouse."
    if errors:
        raise ValidationError(errors)
    if kind == InventoryCheck.Kind.PRODUCTS:
        bins = dict(
            levels.filter(product__in=products).values_list("product_id", "bin"),
        )
        wanted = [(product.pk, bins.get(product.pk, "")) for product in products]
    else:
        wanted = list(levels.order_by("bin", "product__sku").values_list("product_id", "bin"))
    busy = set(
        open_check_lines(warehouse.pk)
        .filter(product_id__in=[pk for pk, _ in wanted])
        .values_list("product_id", flat=True)
    )
    left_out = sorted(Product.objects.filter(pk__in=busy).values_list("sku", flat=True))
    lines = [(pk, bin) for pk, bin in wanted if pk not in busy]
    if not lines:
        if left_out:
            raise _error(
                "products",
                f"Every product is already in an open count of {warehouse.code}: "
                f"{_named(left_out)}.",
            )
        where = f" in {location}" if location else ""
        raise _error(
            "location" if kind == InventoryCheck.Kind.LOCATION else "products",
            f"Nothing is stocked{where} in {warehouse.code}: the count would be empty.",
        )
    check = _create(
        warehouse=warehouse,
        kind=kind,
        levels=lines,
        scheduled_for=scheduled_for or warehouse_today(warehouse),
        created_by=created_by,
        assigned_to=_pick_counter(warehouse, assigned_to),
        blind=blind,
        location=location,
    )
    return CreatedCheck(check=check, left_out=left_out)


# --- counting ---------------------------------------------------------------------------------


def _last_movement_ids(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        StockMovement.objects.filter(warehouse_id=warehouse_id, product_id__in=list(product_ids))
        .values("product_id")
        .annotate(last=Max("id"))
    )
    return {row["product_id"]: row["last"] for row in rows}


def _lock_levels(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock the stock rows in primary-key order (the order inventory.services locks them)."""
    rows = (
        StockLevel.objects.filter(warehouse_id=warehouse_id, product_id__in=list(product_ids))
        .select_for_update()
        .order_by("pk")
    )
    return {level.product_id: level for level in rows}


@transaction.atomic
def check_start(*, check: InventoryCheck, by: Any) -> InventoryCheck:
    """Begin counting: snapshot each line's on hand, last ledger row and unit cost (with the
    stock rows locked, so nothing moves between reading the two); planned → counting."""
    check = _lock(check)
    _require_status(check, Status.PLANNED, doing="started")
    lines = list(check.lines.select_related("product"))
    if not lines:
        raise _error("lines", f"Count {check.pk} has no lines to count.")
    product_ids = [line.product_id for line in lines]
    levels = _lock_levels(check.warehouse_id, product_ids)
    last = _last_movement_ids(check.warehouse_id, product_ids)
    for line in lines:
        level = levels.get(line.product_id)
        line.expected = level.on_hand if level else 0
        line.snapshot_movement_id = last.get(line.product_id, 0)
        line.unit_cost = line.product.unit_cost
    InventoryCheckLine.objects.bulk_update(
        lines, ["expected", "snapshot_movement_id", "unit_cost"], batch_size=1000
    )
    check.status = Status.COUNTING
    check.started_at = timezone.now()
    if check.assigned_to_id is None and roles.has_role(by, roles.WAREHOUSE_STAFF):
        check.assigned_to = by
    check.save(update_fields=["status", "started_at", "assigned_to"])
    return check


def _in_recount(check: InventoryCheck) -> bool:
    # Recounts are asked for only when the first round is submitted: from then on, only
    # those lines are counted.
    return check.lines.filter(recount=True).exists()


def find_line(check: InventoryCheck, code: str) -> InventoryCheckLine:
    """The check's line for a scanned or typed SKU (any case) or barcode."""
    code = (code or "").strip()
    if not code:
        raise _error("code", "Scan or type a SKU or barcode.")
    line = (
        check.lines.select_related("product")
        .filter(Q(product__sku__iexact=code) | Q(product__barcode=code))
        .first()
    )
    if line is not None:
        return line
    product = Product.objects.filter(Q(sku__iexact=code) | Q(barcode=code)).first()
    if product is None:
        raise _error("code", f"No product has the SKU or barcode “{code}”.")
    raise _error(
        "code",
        f"{product.sku} is not on count {check.pk}. Count only the products listed; "
        "tell a manager about stock that should not be here.",
    )


@transaction.atomic
def check_count(*, check: InventoryCheck, by: Any, code: str, quantity: int) -> InventoryCheckLine:
    """Record the quantity found of one product (scanned SKU or barcode); writes the line:
    counted, who and when, what moved since the snapshot, the variance. Counting again before
    submitting replaces the count; in the recount round only the lines asked for are counted."""
    if quantity is None or quantity == "":
        raise _error("quantity", "Type the quantity you counted (0 if there is none).")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise _error("quantity", f"Enter a whole number of units, not {quantity!r}.")
    if quantity < 0:
        raise _error("quantity", "A counted quantity cannot be negative.")
    check = _lock(check)
    _require_status(check, Status.COUNTING, doing="counted")
    line = find_line(check, code)
    line = InventoryCheckLine.objects.select_for_update().get(pk=line.pk)
    if _in_recount(check) and not line.recount:
        raise _error(
            "code",
            f"{line.product.sku} is counted already; now only the lines asked for a recount "
            "are counted.",
            INVALID_STATUS,
        )
    # Lock the stock row: a movement of this product either is in the ledger already (and in
    # the sum below) or waits until this line is written.
    _lock_levels(check.warehouse_id, [line.product_id])
    last = _last_movement_ids(check.warehouse_id, [line.product_id]).get(line.product_id, 0)
    moved = (
        StockMovement.objects.filter(
            warehouse_id=check.warehouse_id,
            product_id=line.product_id,
            id__gt=line.snapshot_movement_id or 0,
            id__lte=last,
        )
        .exclude(kind=StockMovement.Kind.COUNT)
        .aggregate(total=Sum("delta"))["total"]
        or 0
    )
    line.counted = quantity
    line.counted_by = by
    line.counted_at = timezone.now()
    line.counted_movement_id = last
    line.moved_during_count = moved
    line.variance = quantity - (line.expected + moved)
    line.within_tolerance = within_tolerance(check.warehouse, line.variance, line.unit_cost)
    line.save(
        update_fields=[
            "counted",
            "counted_by",
            "counted_at",
            "counted_movement_id",
            "moved_during_count",
            "variance",
            "within_tolerance",
        ]
    )
    return line


@dataclass(frozen=True)
class Submitted:
    check: InventoryCheck
    recount: int  # lines asked for a recount now
    to_review: int  # lines waiting for a manager


@transaction.atomic
def check_submit(*, check: InventoryCheck, by: Any) -> Submitted:
    """Finish a round of counting. First round: lines beyond tolerance are asked for a recount
    (the first count is kept) and the check stays in counting. Otherwise lines beyond tolerance
    wait for a manager (review) and the rest are approved; with nothing to review the check is
    posted at once (count corrections in the ledger)."""
    check = _lock(check)
    _require_status(check, Status.COUNTING, doing="submitted")
    lines = list(check.lines.select_related("product").order_by("bin", "product__sku"))
    missing = [line.product.sku for line in lines if line.counted is None]
    if missing:
        raise _error(
            "lines",
            f"{len(missing)} line{'s' if len(missing) != 1 else ''} still to count: "
            f"{_named(missing)}. Count 0 for what you cannot find.",
            "incomplete",
        )
    beyond = [line for line in lines if not line.within_tolerance]
    if beyond and not any(line.recount for line in lines):
        for line in beyond:
            line.recount = True
            line.first_count = line.counted
            line.first_variance = line.variance
            line.counted = None
            line.counted_at = None
            line.variance = None
            line.within_tolerance = None
            line.moved_during_count = None
            line.counted_movement_id = None
        InventoryCheckLine.objects.bulk_update(
            beyond,
            [
                "recount",
                "first_count",
                "first_variance",
                "counted",
                "counted_at",
                "variance",
                "within_tolerance",
                "moved_during_count",
                "counted_movement_id",
            ],
        )
        return Submitted(check=check, recount=len(beyond), to_review=0)
    for line in lines:
        line.decision = Decision.APPROVED if line.within_tolerance else Decision.PENDING
    InventoryCheckLine.objects.bulk_update(lines, ["decision"], batch_size=1000)
    check.status = Status.REVIEW
    check.submitted_at = timezone.now()
    check.save(update_fields=["status", "submitted_at"])
    if not beyond:  # everything within tolerance: accepted without a manager
        check = _post(check, by=by, approved_by=None)
    return Submitted(check=check, recount=0, to_review=len(beyond))


def _line_within(check: InventoryCheck, line: InventoryCheckLine) -> bool:
    if line.within_tolerance is not None:
        return line.within_tolerance
    cost = line.unit_cost if line.unit_cost is not None else line.product.unit_cost
    return within_tolerance(check.warehouse, line.variance or 0, cost)


def _settle_undecided(check: InventoryCheck) -> None:
    """Counted lines of a check in review that carry no decision (made before decisions were
    recorded, e.g. imported or seeded) get one now: approved within tolerance, else pending."""
    undecided = list(
        check.lines.select_related("product").filter(decision=Decision.NONE, counted__isnull=False)
    )
    for line in undecided:
        line.decision = Decision.APPROVED if _line_within(check, line) else Decision.PENDING
    InventoryCheckLine.objects.bulk_update(undecided, ["decision"], batch_size=1000)


def review_lines(check: InventoryCheck) -> list[InventoryCheckLine]:
    """Lines waiting for a manager, in walking order (undecided old lines judged as above)."""
    lines = (
        check.lines.select_related("product", "counted_by")
        .filter(Q(decision=Decision.PENDING) | Q(decision=Decision.NONE, counted__isnull=False))
        .order_by("bin", "product__sku", "id")
    )
    return [
        line for line in lines if line.decision == Decision.PENDING or not _line_within(check, line)
    ]


@transaction.atomic
def check_decide(
    *, check: InventoryCheck, by: Any, approve: bool, line_ids: Iterable[int] | None = None
) -> int:
    """Approve or reject lines waiting for a manager (all of them when `line_ids` is None);
    writes the lines' decision, who and when. Returns how many were decided."""
    check = _lock(check)
    _require_status(check, Status.REVIEW, doing="approved or rejected")
    _settle_undecided(check)
    pending = check.lines.filter(decision=Decision.PENDING)
    if line_ids is not None:
        wanted = {int(pk) for pk in line_ids}
        if not wanted:
            raise _error("lines", "Choose at least one line.")
        found = set(pending.filter(pk__in=wanted).values_list("pk", flat=True))
        unknown = sorted(wanted - found)
        if unknown:
            raise _error(
                "lines",
                f"Not waiting for a decision on count {check.pk}: line "
                + ", ".join(str(pk) for pk in unknown[:MAX_NAMED])
                + ".",
            )
        pending = pending.filter(pk__in=found)
    return pending.update(
        decision=Decision.APPROVED if approve else Decision.REJECTED,
        decided_by=by,
        decided_at=timezone.now(),
    )


@transaction.atomic
def check_post(*, check: InventoryCheck, by: Any) -> InventoryCheck:
    """Post a reviewed check: one count correction (ledger) per approved line with a variance,
    all in this transaction; rejected lines leave the stock as it is; review → posted."""
    return _post(_lock(check), by=by, approved_by=by)


def _post(check: InventoryCheck, *, by: Any, approved_by: Any | None) -> InventoryCheck:
    _require_status(check, Status.REVIEW, doing="posted")
    _settle_undecided(check)
    lines = list(check.lines.select_related("product").order_by("product_id"))
    waiting = [line.product.sku for line in lines if line.decision == Decision.PENDING]
    if waiting:
        raise _error(
            "lines",
            f"Approve or reject every line first: {_named(waiting)} "
            f"{'waits' if len(waiting) == 1 else 'wait'} for a decision.",
            INVALID_STATUS,
        )
    to_post = [line for line in lines if line.decision == Decision.APPROVED and line.variance]
    # Every stock row first, in primary-key order, as inventory.services would lock them.
    _lock_levels(check.warehouse_id, [line.product_id for line in to_post])
    for line in to_post:
        line.correction = services.stock_count_correct(
            warehouse=check.warehouse,
            product=line.product,
            actor=by,
            reference=check,
            delta=line.variance,
            reason=f"Count {check.pk}: counted {line.counted}, book {line.book_quantity}",
        )
    InventoryCheckLine.objects.bulk_update(to_post, ["correction"])
    check.status = Status.POSTED
    check.posted_at = timezone.now()
    check.approved_by = approved_by
    check.save(update_fields=["status", "posted_at", "approved_by"])
    return check


@transaction.atomic
def check_cancel(*, check: InventoryCheck, by: Any) -> InventoryCheck:
    """Cancel an open check; nothing is posted (no ledger row)."""
    check = _lock(check)
    _require_status(check, *InventoryCheck.OPEN_STATUSES, doing="cancelled")
    check.status = Status.CANCELLED
    check.save(update_fields=["status"])
    return check


def check_progress(check: InventoryCheck) -> tuple[int, int]:
    """(counted, to count) of the current round: in the recount round, only recount lines."""
    lines = check.lines.all()
    if check.status == Status.COUNTING and lines.filter(recount=True).exists():
        lines = lines.filter(recount=True)
    totals = lines.aggregate(
        total=Count("pk"), counted=Count("pk", filter=Q(counted__isnull=False))
    )
    return totals["counted"], totals["total"]


def recount_skus(check: InventoryCheck) -> list[str]:
    """SKUs of the lines asked for a recount and not yet recounted, in walking order."""
    return list(
        check.lines.filter(recount=True, counted__isnull=True)
        .order_by("bin", "product__sku")
        .values_list("product__sku", flat=True)
    )
