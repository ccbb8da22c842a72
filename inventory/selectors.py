"""Reads of the inventory app, scoped to the warehouses a user may see, prefetched in one place.

Warehouse staff see only the warehouses assigned to them (`roles.warehouse_ids_for`); managers
and superusers see every warehouse. Pages and the API both read through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

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


def warehouse_stock_summary(warehouse: Warehouse) -> StockSummary:
    """SKU count, units on hand and available, and low-stock count of one warehouse (1 query)."""
    totals = StockLevel.objects.filter(warehouse=warehouse).aggregate(
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
    """Stock levels the user may see, with `available` computed in SQL for filters and sorting."""
    return (
        _scoped(StockLevel.objects.all(), user)
        .select_related("warehouse", "product")
        .alias(available=AVAILABLE)
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
    """Sums over some levels (e.g. one product in every warehouse the user sees)."""
    return StockTotals(
        on_hand=sum(level.on_hand for level in levels),
        reserved=sum(level.reserved for level in levels),
        quarantined=sum(level.quarantined for level in levels),
        in_transit=sum(level.in_transit for level in levels),
        available=sum(level.available for level in levels),
    )


def movements_for(user: Any) -> QuerySet[StockMovement]:
    """The stock ledger as the user may see it, newest first."""
    return _scoped(StockMovement.objects.all(), user).select_related(
        "warehouse", "product", "actor", "reference_type"
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
