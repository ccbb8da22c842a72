"""Reads of the inventory app, scoped to the warehouses a user may see, prefetched in one place.

Warehouse staff see only the warehouses assigned to them (`roles.warehouse_ids_for`); managers
and superusers see every warehouse. Pages and the API both read through these functions.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, TruncWeek
from django.utils import timezone

from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from opsportal import roles

# The same arithmetic as StockLevel.available, in SQL, so lists can filter and sort on it.
# An alias rather than an annotation: the model's `available` property reads the same columns.
AVAILABLE = ExpressionWrapper(
    F("on_hand") - F("reserved") - F("quarantined"), output_field=IntegerField()
)
LOW_STOCK = Q(available__lte=F("reorder_point"))


# --- blind counts: what a counter must not read ------------------------------------------------
#
# While a blind check is open (planned, counting or in review) in a warehouse, the warehouse
# staff do not see the on-hand of the products under count there: not in the stock list, the
# product page, the low-stock list, the API, nor the ledger (whose deltas add up to on-hand, so
# those rows are left out, not just their on_hand_after). Managers see everything. Sorting on
# on-hand or availability puts the hidden rows last, and the low-stock filter skips them, so
# their position in a list says nothing either.


def _blind_count_lines(warehouse_ref: Any, product_ref: Any) -> QuerySet[InventoryCheckLine]:
    return InventoryCheckLine.objects.filter(
        inventory_check__warehouse_id=warehouse_ref,
        product_id=product_ref,
        inventory_check__blind=True,
        inventory_check__status__in=InventoryCheck.OPEN_STATUSES,
    )


# On a StockLevel or StockMovement row: is its product under an open blind count there?
UNDER_BLIND_COUNT = Exists(_blind_count_lines(OuterRef("warehouse_id"), OuterRef("product_id")))


def hides_counted_stock(user: Any) -> bool:
    """Is the user a counter (warehouse staff, not a manager) kept blind during counts?"""
    return sees_stock(user) and roles.warehouse_ids_for(user) is not None


def is_under_blind_count(user: Any, warehouse: Warehouse, product: Product) -> bool:
    """Must this user not see the product's on-hand in this warehouse right now?"""
    return hides_counted_stock(user) and _blind_count_lines(warehouse.pk, product.pk).exists()


def _scoped(queryset: QuerySet, user: Any, field: str = "warehouse_id") -> QuerySet:
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": warehouse_ids})


def sees_stock(user: Any) -> bool:
    """Stock levels and the ledger are for managers and warehouse staff, not contract admins."""
    return roles.has_role(user, roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)


def sees_unit_cost(user: Any) -> bool:
    """Prices are for managers and superusers only; warehouse staff never see them."""
    return roles.has_role(user, roles.OPERATIONS_MANAGER)


def sees_expected(check: InventoryCheck, user: Any) -> bool:
    """A blind count hides expected quantity and variance from everyone but managers."""
    return not check.blind or roles.has_role(user, roles.OPERATIONS_MANAGER)


def can_work_in(user: Any, warehouse: Warehouse) -> bool:
    """May the user change stock in this warehouse? Managers anywhere, staff in theirs only."""
    if not sees_stock(user):
        return False
    warehouse_ids = roles.warehouse_ids_for(user)
    return warehouse_ids is None or warehouse.pk in warehouse_ids


def work_warehouses_for(user: Any) -> QuerySet[Warehouse]:
    """Active warehouses where the user may change stock (for a form's drop-down)."""
    if not sees_stock(user):
        return Warehouse.objects.none()
    return warehouse_choices_for(user).filter(is_active=True).order_by("code")


def transfer_destinations() -> QuerySet[Warehouse]:
    """Every active warehouse: stock may be sent to any of them (code and name only)."""
    return Warehouse.objects.filter(is_active=True).only("pk", "code", "name").order_by("code")


def warehouses_for(user: Any) -> QuerySet[Warehouse]:
    """The warehouses a user may see, with the number of staff assigned."""
    return (
        _scoped(Warehouse.objects.all(), user, "pk")
        .annotate(staff_count=Count("staff", distinct=True))
        .order_by("code")
    )


def warehouse_choices_for(user: Any) -> QuerySet[Warehouse]:
    """Warehouses for a filter's drop-down: only those the user may see."""
    return _scoped(Warehouse.objects.only("pk", "code", "name"), user, "pk")


def warehouse_staff(warehouse: Warehouse) -> QuerySet:
    """The people assigned to a warehouse, by name."""
    return warehouse.staff.order_by("first_name", "last_name", "username")


@dataclass(frozen=True)
class StockSummary:
    sku_count: int
    units_on_hand: int
    units_available: int
    low_stock_count: int


def warehouse_stock_summary(warehouse: Warehouse, user: Any = None) -> StockSummary:
    """SKU count, units on hand and available, and low-stock count of one warehouse (1 query).

    For a counter, products under an open blind count are left out of the unit totals (the
    total minus the visible rows would be their on-hand)."""
    levels = StockLevel.objects.filter(warehouse=warehouse)
    if user is not None and hides_counted_stock(user):
        levels = levels.exclude(UNDER_BLIND_COUNT)
    totals = levels.aggregate(
        sku_count=Count("pk"),
        units_on_hand=Coalesce(Sum("on_hand"), 0),
        units_available=Coalesce(Sum(AVAILABLE), 0),
        # available <= reorder point, spelt the other way round: aggregates take no alias.
        low_stock_count=Count("pk", filter=Q(reorder_point__gte=AVAILABLE)),
    )
    return StockSummary(**totals)


def products() -> QuerySet[Product]:
    """Every product (the catalogue is not scoped by warehouse)."""
    return Product.objects.all()


def stock_levels_for(user: Any) -> QuerySet[StockLevel]:
    """Stock levels the user may see, with `available` computed in SQL for filters and sorting,
    and `under_blind_count` (True where a counter must not see on-hand and availability)."""
    blind = UNDER_BLIND_COUNT if hides_counted_stock(user) else Value(False)
    return (
        _scoped(StockLevel.objects.all(), user)
        .select_related("warehouse", "product")
        .alias(available=AVAILABLE)
        .annotate(under_blind_count=blind)
        .order_by("warehouse__code", "product__sku")
    )


def product_levels_for(product: Product, user: Any) -> list[StockLevel]:
    """A product's stock level in each warehouse the user may see."""
    return list(stock_levels_for(user).filter(product=product))


@dataclass(frozen=True)
class StockTotals:
    on_hand: int
    reserved: int
    quarantined: int
    in_transit: int
    available: int


def stock_totals(levels: list[StockLevel]) -> StockTotals:
    """Sums over some levels (e.g. one product in every warehouse the user sees); on-hand and
    available leave out the levels hidden by a blind count."""
    seen = [level for level in levels if not getattr(level, "under_blind_count", False)]
    return StockTotals(
        on_hand=sum(level.on_hand for level in seen),
        reserved=sum(level.reserved for level in levels),
        quarantined=sum(level.quarantined for level in levels),
        in_transit=sum(level.in_transit for level in levels),
        available=sum(level.available for level in seen),
    )


def movements_for(user: Any) -> QuerySet[StockMovement]:
    """The stock ledger as the user may see it, newest first (for a counter, without the rows
    of products under an open blind count in that warehouse)."""
    movements = _scoped(StockMovement.objects.all(), user)
    if hides_counted_stock(user):
        movements = movements.exclude(UNDER_BLIND_COUNT)
    return movements.select_related("warehouse", "product", "actor", "reference_type")


def low_stock_for(user: Any) -> QuerySet[StockLevel]:
    """Levels at or under their reorder point (available ≤ reorder point) the user may see,
    most short first; a counter's hidden rows are left out."""
    return (
        stock_levels_for(user)
        .filter(LOW_STOCK, under_blind_count=False, product__is_active=True)
        .annotate(short_by=F("reorder_point") + F("safety_stock") - F("available"))
        .order_by("-short_by", "warehouse__code", "product__sku")
    )


def recent_movements_for(product: Product, user: Any, limit: int = 20) -> list[StockMovement]:
    """The product's latest movements in the warehouses the user may see."""
    return list(movements_for(user).filter(product=product).order_by("-created_at", "-id")[:limit])


def checks_for(user: Any) -> QuerySet[InventoryCheck]:
    """Inventory checks the user may see, with their line and counted-line totals."""
    return (
        _scoped(InventoryCheck.objects.all(), user)
        .select_related("warehouse", "assigned_to")
        .annotate(
            line_count=Count("lines"),
            counted_count=Count("lines", filter=Q(lines__counted__isnull=False)),
        )
        .order_by("-scheduled_for", "-id")
    )


def check_lines_queryset() -> QuerySet[InventoryCheckLine]:
    """Check lines in walking order (bin, then product), with what a line row shows."""
    return InventoryCheckLine.objects.select_related("product", "counted_by").order_by(
        "bin", "product__sku", "id"
    )


def check_lines(check: InventoryCheck) -> QuerySet[InventoryCheckLine]:
    """One check's lines in walking order."""
    return check_lines_queryset().filter(inventory_check=check)


def transfers_for(user: Any) -> QuerySet[Transfer]:
    """Transfers from or to a warehouse the user may see, with line and unit totals."""
    transfers = Transfer.objects.all()
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        transfers = transfers.filter(
            Q(source_id__in=warehouse_ids) | Q(destination_id__in=warehouse_ids)
        )
    return (
        transfers.select_related("source", "destination", "created_by")
        .annotate(
            line_count=Count("lines"),
            units=Coalesce(Sum("lines__quantity"), 0),
            received_units=Coalesce(Sum("lines__received"), 0),
        )
        .order_by("-created_at", "-id")
    )


def transfer_lines_queryset() -> QuerySet[TransferLine]:
    """Transfer lines as a transfer shows them: in the order they were entered, with products."""
    return TransferLine.objects.select_related("product").order_by("id")


def check_lines_for_count(check: InventoryCheck) -> QuerySet[InventoryCheckLine]:
    """The lines a counter walks through: only what the count screen shows (no expected)."""
    return (
        InventoryCheckLine.objects.filter(inventory_check=check)
        .select_related("product", "counted_by")
        .only(
            "pk",
            "inventory_check_id",
            "bin",
            "counted",
            "counted_at",
            "recount",
            "first_count",
            "product__sku",
            "product__name",
            "product__barcode",
            "counted_by__username",
            "counted_by__first_name",
            "counted_by__last_name",
        )
        .order_by("bin", "product__sku", "id")
    )


# --- inventory record accuracy ------------------------------------------------------------------
#
# Over the lines of posted checks (rejected lines left out: the manager did not trust that
# count). A line is accurate when its final count was within the warehouse's tolerance; value
# accuracy is 1 − Σ|variance × unit cost| ÷ Σ(book quantity × unit cost). Dates are counted_at.

_MONEY = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class Accuracy:
    """Record accuracy of a group of counted lines (a warehouse, a counter, a week, all)."""

    key: Any  # warehouse code, counter's name, or the Monday of the week
    lines: int
    within_tolerance: int
    book_value: Decimal
    variance_value: Decimal

    @property
    def line_accuracy(self) -> float | None:
        """Share of lines within tolerance, 0–100 (None with no line)."""
        return round(100 * self.within_tolerance / self.lines, 1) if self.lines else None

    @property
    def value_accuracy(self) -> float | None:
        """100 × (1 − |variance value| ÷ book value), never below 0 (None with no value)."""
        if not self.book_value:
            return None
        share = 1 - float(self.variance_value) / float(self.book_value)
        return round(100 * max(share, 0.0), 1)


def _accuracy_lines(
    warehouse_ids: Iterable[int] | None,
    since: datetime.datetime | datetime.date | None,
    until: datetime.datetime | datetime.date | None,
) -> QuerySet[InventoryCheckLine]:
    lines = InventoryCheckLine.objects.filter(
        inventory_check__status=InventoryCheck.Status.POSTED, counted__isnull=False
    ).exclude(decision=InventoryCheckLine.Decision.REJECTED)
    if warehouse_ids is not None:
        lines = lines.filter(inventory_check__warehouse_id__in=list(warehouse_ids))
    if since is not None:
        lines = lines.filter(
            **{"counted_at__date__gte" if _is_date(since) else "counted_at__gte": since}
        )
    if until is not None:
        lines = lines.filter(
            **{"counted_at__date__lte" if _is_date(until) else "counted_at__lt": until}
        )
    cost = Coalesce(F("unit_cost"), F("product__unit_cost"), output_field=_MONEY)
    book = F("expected") + Coalesce(F("moved_during_count"), 0)
    warehouse = "inventory_check__warehouse__"
    # Lines counted before the tolerance was recorded per line: judged by today's tolerance.
    judged = Case(
        When(
            Q(variance__isnull=False)
            & Q(abs_variance__lte=F(f"{warehouse}count_tolerance_units"))
            & Q(abs_variance_value__lte=F(f"{warehouse}count_tolerance_value")),
            then=Value(True),
        ),
        default=Value(False),
    )
    # Annotations, not aliases: the aggregates below sum them.
    return lines.alias(
        abs_variance=Abs(Coalesce(F("variance"), 0)),
        abs_variance_value=ExpressionWrapper(Abs(Coalesce(F("variance"), 0)) * cost, _MONEY),
    ).annotate(
        abs_value=F("abs_variance_value"),
        book_value=ExpressionWrapper(book * cost, _MONEY),
        accurate=Coalesce(F("within_tolerance"), judged),
    )


def _is_date(value: Any) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


_ACCURACY_AGGREGATES = {
    "lines": Count("pk"),
    "within": Count("pk", filter=Q(accurate=True)),
    "book": Coalesce(Sum("book_value"), Value(Decimal("0")), output_field=_MONEY),
    "off": Coalesce(Sum("abs_value"), Value(Decimal("0")), output_field=_MONEY),
}


def _accuracy(key: Any, row: dict) -> Accuracy:
    return Accuracy(
        key=key,
        lines=row["lines"],
        within_tolerance=row["within"],
        book_value=row["book"],
        variance_value=row["off"],
    )


def record_accuracy(
    warehouse_ids: Iterable[int] | None = None,
    since: datetime.datetime | datetime.date | None = None,
    until: datetime.datetime | datetime.date | None = None,
) -> list[Accuracy]:
    """Inventory record accuracy per warehouse (key: warehouse code), by code (1 query)."""
    rows = (
        _accuracy_lines(warehouse_ids, since, until)
        .values("inventory_check__warehouse__code")
        .annotate(**_ACCURACY_AGGREGATES)
        .order_by("inventory_check__warehouse__code")
    )
    return [_accuracy(row["inventory_check__warehouse__code"], row) for row in rows]


def record_accuracy_total(
    warehouse_ids: Iterable[int] | None = None,
    since: datetime.datetime | datetime.date | None = None,
    until: datetime.datetime | datetime.date | None = None,
) -> Accuracy:
    """Inventory record accuracy over every line in scope (key: None) (1 query)."""
    row = _accuracy_lines(warehouse_ids, since, until).aggregate(**_ACCURACY_AGGREGATES)
    return _accuracy(None, row)


def accuracy_by_counter(
    warehouse_ids: Iterable[int] | None = None,
    since: datetime.datetime | datetime.date | None = None,
    until: datetime.datetime | datetime.date | None = None,
) -> list[Accuracy]:
    """Record accuracy per counter (key: username), most lines first (1 query)."""
    rows = (
        _accuracy_lines(warehouse_ids, since, until)
        .filter(counted_by__isnull=False)
        .values("counted_by__username")
        .annotate(**_ACCURACY_AGGREGATES)
        .order_by("-lines", "counted_by__username")
    )
    return [_accuracy(row["counted_by__username"], row) for row in rows]


def accuracy_over_time(
    warehouse_ids: Iterable[int] | None = None,
    since: datetime.datetime | datetime.date | None = None,
    until: datetime.datetime | datetime.date | None = None,
    *,
    weeks: int = 12,
) -> list[Accuracy]:
    """Record accuracy per week (key: the week's Monday, a date), oldest first, every week of
    the range present (weeks with no count have 0 lines). Default range: the last `weeks`."""
    today = timezone.localdate()
    if since is None:
        since = today - datetime.timedelta(weeks=weeks - 1, days=today.weekday())
    rows = (
        _accuracy_lines(warehouse_ids, since, until)
        .annotate(week=TruncWeek("counted_at"))
        .values("week")
        .annotate(**_ACCURACY_AGGREGATES)
        .order_by("week")
    )
    by_week = {_as_date(row["week"]): _accuracy(_as_date(row["week"]), row) for row in rows}
    first = _as_date(since)
    first -= datetime.timedelta(days=first.weekday())
    last = _as_date(until) if until is not None else today
    result = []
    week = first
    while week <= last:
        result.append(
            by_week.get(week)
            or Accuracy(
                key=week,
                lines=0,
                within_tolerance=0,
                book_value=Decimal("0"),
                variance_value=Decimal("0"),
            )
        )
        week += datetime.timedelta(weeks=1)
    return result


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def check_accuracy(check: InventoryCheck) -> Accuracy:
    """Record accuracy of one posted check (key: the check id)."""
    rows = (
        _accuracy_lines(None, None, None)
        .filter(inventory_check=check)
        .aggregate(**_ACCURACY_AGGREGATES)
    )
    return _accuracy(check.pk, rows)


# --- replenishment ------------------------------------------------------------------------------
#
# Inbound stock (open purchase orders) belongs to the vendors app, which inventory may not
# import: vendors registers a function here instead. With none registered, inbound is 0.

InboundSource = Callable[
    [Iterable[int] | None, Iterable[int] | None, datetime.date], dict[tuple[int, int], int]
]
_INBOUND_SOURCES: list[InboundSource] = []

DEMAND_DAYS = 30  # average daily shipments over this many days


def register_inbound_source(fn: InboundSource) -> InboundSource:
    """Register `fn(warehouse_ids, product_ids, until_date) -> {(warehouse_id, product_id): qty}`
    giving the quantity expected in by `until_date`. Registering twice is harmless. Returns fn
    (usable as a decorator)."""
    if fn not in _INBOUND_SOURCES:
        _INBOUND_SOURCES.append(fn)
    return fn


def unregister_inbound_source(fn: InboundSource) -> None:
    if fn in _INBOUND_SOURCES:
        _INBOUND_SOURCES.remove(fn)


def inbound_quantities(
    warehouse_ids: Iterable[int] | None,
    product_ids: Iterable[int] | None,
    until_date: datetime.date,
) -> dict[tuple[int, int], int]:
    """Quantity expected in by `until_date` per (warehouse id, product id), over every source."""
    warehouse_ids = None if warehouse_ids is None else sorted(set(warehouse_ids))
    product_ids = None if product_ids is None else sorted(set(product_ids))
    total: dict[tuple[int, int], int] = {}
    for source in _INBOUND_SOURCES:
        for key, quantity in source(warehouse_ids, product_ids, until_date).items():
            total[key] = total.get(key, 0) + int(quantity)
    return total


@dataclass(frozen=True)
class ReplenishmentSuggestion:
    """How much of a product to order for a warehouse, with the arithmetic behind it.

    position = on_hand − reserved − quarantined + inbound − demand
    target   = reorder_point + safety_stock
    suggested_qty = max(0, target − position)
    demand = ⌈shipped over `demand_days` ÷ demand_days × lead_time_days⌉
    """

    warehouse: Warehouse
    product: Product
    on_hand: int
    reserved: int
    quarantined: int
    inbound: int
    inbound_until: datetime.date
    shipped: int
    demand_days: int
    lead_time_days: int
    demand: int
    reorder_point: int
    safety_stock: int
    position: int
    target: int
    suggested_qty: int

    @property
    def formula(self) -> str:
        """The arithmetic, said in full."""
        held = f"{self.on_hand} on hand − {self.reserved} reserved"
        if self.quarantined:
            held += f" − {self.quarantined} quarantined"
        return (
            f"{held} + {self.inbound} inbound by {self.inbound_until:%Y-%m-%d} "
            f"− {self.demand} expected demand ({self.shipped} shipped in {self.demand_days} days "
            f"÷ {self.demand_days} × {self.lead_time_days} days lead time, rounded up) "
            f"= {self.position}; reorder point {self.reorder_point} + safety stock "
            f"{self.safety_stock} = {self.target}; suggested {self.target} − {self.position} "
            f"= {self.suggested_qty}"
        )


def replenishment_suggestions(
    warehouse_ids: Iterable[int] | None = None,
    product_ids: Iterable[int] | None = None,
    *,
    demand_days: int = DEMAND_DAYS,
    today: datetime.date | None = None,
) -> list[ReplenishmentSuggestion]:
    """What to order, per active warehouse and active product whose position falls short of
    reorder point + safety stock; most short first. Two queries, plus the inbound sources once
    per distinct lead time."""
    today = today or timezone.localdate()
    since = timezone.now() - datetime.timedelta(days=demand_days)
    shipped = (
        StockMovement.objects.filter(
            warehouse_id=OuterRef("warehouse_id"),
            product_id=OuterRef("product_id"),
            kind=StockMovement.Kind.SHIPMENT,
            created_at__gte=since,
        )
        .values("product_id")
        .annotate(units=Sum(-F("delta")))
        .values("units")
    )
    levels = StockLevel.objects.filter(product__is_active=True, warehouse__is_active=True)
    if warehouse_ids is not None:
        levels = levels.filter(warehouse_id__in=list(warehouse_ids))
    if product_ids is not None:
        levels = levels.filter(product_id__in=list(product_ids))
    # Inbound only raises the position: a level that is not short without demand counted in
    # SQL first is never short. Integer arithmetic: ⌈a ÷ b⌉ = (a + b − 1) ÷ b.
    levels = (
        levels.select_related("warehouse", "product")
        .annotate(shipped=Coalesce(Subquery(shipped, output_field=IntegerField()), 0))
        .annotate(
            demand=ExpressionWrapper(
                (F("shipped") * F("product__lead_time_days") + (demand_days - 1)) / demand_days,
                output_field=IntegerField(),
            )
        )
        .alias(
            before_inbound=F("on_hand") - F("reserved") - F("quarantined") - F("demand"),
            target=F("reorder_point") + F("safety_stock"),
        )
        .filter(before_inbound__lt=F("target"))
        .order_by("warehouse__code", "product__sku")
    )
    candidates = list(levels)
    inbound: dict[tuple[int, int], int] = {}
    by_lead_time: dict[int, list[StockLevel]] = {}
    for level in candidates:
        by_lead_time.setdefault(level.product.lead_time_days, []).append(level)
    if _INBOUND_SOURCES:
        for lead_time, group in by_lead_time.items():
            found = inbound_quantities(
                {level.warehouse_id for level in group},
                {level.product_id for level in group},
                today + datetime.timedelta(days=lead_time),
            )
            for level in group:
                key = (level.warehouse_id, level.product_id)
                if key in found:
                    inbound[key] = found[key]
    suggestions = []
    for level in candidates:
        key = (level.warehouse_id, level.product_id)
        coming = inbound.get(key, 0)
        position = level.on_hand - level.reserved - level.quarantined + coming - level.demand
        target = level.reorder_point + level.safety_stock
        if position >= target:
            continue
        suggestions.append(
            ReplenishmentSuggestion(
                warehouse=level.warehouse,
                product=level.product,
                on_hand=level.on_hand,
                reserved=level.reserved,
                quarantined=level.quarantined,
                inbound=coming,
                inbound_until=today + datetime.timedelta(days=level.product.lead_time_days),
                shipped=level.shipped,
                demand_days=demand_days,
                lead_time_days=level.product.lead_time_days,
                demand=level.demand,
                reorder_point=level.reorder_point,
                safety_stock=level.safety_stock,
                position=position,
                target=target,
                suggested_qty=target - position,
            )
        )
    suggestions.sort(key=lambda s: (-s.suggested_qty, s.warehouse.code, s.product.sku))
    return suggestions
