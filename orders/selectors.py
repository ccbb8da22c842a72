"""Reads of the orders app: scoped to the user's warehouses, prefetched in one place."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)

from inventory.models import StockLevel, Warehouse
from opsportal import roles
from opsportal.listing import PAGE_SIZES
from orders.models import (
    Allocation,
    CustomerEmail,
    Order,
    OrderEvent,
    OrderLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)

# Newest first, with the id as tie-breaker: walks the (placed_at, id) index backwards.
ORDER_LIST_ORDERING = ("-placed_at", "-id")
# Shipments, emails and returns: newest first by id, which follows creation; created_at has no
# index of its own, so ordering by it would sort the whole table for every page.
NEWEST_FIRST = ("-id",)
PICKABLE_STATUSES = (Shipment.Status.PENDING, Shipment.Status.PICKING)
# Keys of routing candidates and carrier quotes that carry money; hidden from warehouse staff.
_MONEY_KEY_PARTS = ("price", "cost", "amount", "total", "rate", "value")


def can_see_prices(user: Any) -> bool:
    """Prices, totals and shipping costs are for managers (and superusers), never staff."""
    return roles.has_role(user, roles.OPERATIONS_MANAGER)


def can_see_outbox(user: Any) -> bool:
    """Customer emails (addresses, delivery errors) are managers' work, like the outbox page."""
    return roles.has_role(user, roles.OPERATIONS_MANAGER)


# --- pages without COUNT(*) -------------------------------------------------------------------


@dataclass(frozen=True)
class CheapPage:
    """A page that knows only whether another follows: no COUNT(*) over a million rows."""

    object_list: list
    number: int
    size: int
    has_next: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.object_list)


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def cheap_page(
    queryset: QuerySet, *, page: str | None, size: str | None, default_size: int = 50
) -> CheapPage:
    """One page of an ordered queryset: fetches size + 1 rows to learn if a next page exists."""
    per_page = _positive_int(size, default_size)
    if per_page not in PAGE_SIZES:
        per_page = default_size
    number = _positive_int(page, 1)
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return CheapPage(
        object_list=rows[:per_page], number=number, size=per_page, has_next=len(rows) > per_page
    )


# --- orders -----------------------------------------------------------------------------------


def _touches_warehouses(warehouse_ids: list[int]) -> Q:
    """Orders with an allocation or a shipment in one of the warehouses (EXISTS, no row fan-out)."""
    allocated = Allocation.objects.filter(
        order_line__order=OuterRef("pk"), warehouse_id__in=warehouse_ids
    ).values("pk")
    shipped = Shipment.objects.filter(order=OuterRef("pk"), warehouse_id__in=warehouse_ids).values(
        "pk"
    )
    # One EXISTS over a UNION ALL rather than EXISTS OR EXISTS: PostgreSQL turns an OR of EXISTS
    # into hashed subplans that read every allocation of the warehouse (~2 s at a million orders);
    # this form is probed order by order down the placed_at index, so a page costs milliseconds.
    return Q(Exists(allocated.union(shipped, all=True)))


def _any_order_touches(warehouse_ids: list[int]) -> bool:
    # Probing order by order never stops early when no order touches the warehouses (a new
    # warehouse): it would walk every order. The warehouse indexes answer that case at once.
    return (
        Allocation.objects.filter(warehouse_id__in=warehouse_ids).exists()
        or Shipment.objects.filter(warehouse_id__in=warehouse_ids).exists()
    )


def orders_touching(queryset: QuerySet[Order], warehouse_ids: Iterable[int]) -> QuerySet[Order]:
    """Orders of the queryset with an allocation or a shipment in one of the warehouses."""
    ids = list(warehouse_ids)
    if not _any_order_touches(ids):
        return queryset.none()
    return queryset.filter(_touches_warehouses(ids))


def orders_for(user: Any) -> QuerySet[Order]:
    """Orders the user may see: all for managers, those touching their warehouses for staff."""
    orders = Order.objects.order_by(*ORDER_LIST_ORDERING)
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is None:
        return orders
    return orders_touching(orders, warehouse_ids)


def order_api_queryset(user: Any) -> QuerySet[Order]:
    """Orders for the API with lines, allocations, shipments and events prefetched."""
    warehouse_ids = roles.warehouse_ids_for(user)
    allocations = Allocation.objects.select_related("warehouse").order_by("warehouse__code", "id")
    shipments = (
        shipments_base()
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product"))
        )
        .order_by("id")
    )
    if warehouse_ids is not None:
        # Staff see their own warehouses' part of an order, never another warehouse's work.
        allocations = allocations.filter(warehouse_id__in=warehouse_ids)
        shipments = shipments.filter(warehouse_id__in=warehouse_ids)
    return orders_for(user).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("product")
            .prefetch_related(Prefetch("allocations", queryset=allocations))
            .order_by("id"),
        ),
        Prefetch("shipments", queryset=shipments),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    )


OPEN_ORDER_STATUSES = (
    Order.Status.RECEIVED,
    Order.Status.BACKORDERED,
    Order.Status.PARTIALLY_ALLOCATED,
    Order.Status.ALLOCATED,
    Order.Status.PARTIALLY_SHIPPED,
)


def orders_at_risk() -> QuerySet[Order]:
    """Open orders flagged as going to miss their promise, the most urgent first (dashboard).

    The flag is set by orders.services (delivery exceptions, a carrier slower than the promise)
    and by the hourly sweep (promised ship date passed); it uses the partial at-risk index."""
    return Order.objects.filter(at_risk=True, status__in=OPEN_ORDER_STATUSES).order_by(
        F("promised_delivery_date").asc(nulls_last=True), "placed_at", "id"
    )


def backordered_lines() -> QuerySet[OrderLine]:
    """Lines with units neither allocated nor shipped: waiting for stock."""
    return OrderLine.objects.filter(quantity__gt=F("allocated") + F("shipped"))


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    allocations: list[Allocation]
    shipments: list[Shipment]
    events: list[OrderEvent]
    emails: list[CustomerEmail]


def order_detail(order: Order, user: Any) -> OrderDetail:
    """Everything the order page shows; staff get only their warehouses' allocations/shipments."""
    warehouse_ids = roles.warehouse_ids_for(user)
    lines = list(order.lines.select_related("product").order_by("id"))
    for line in lines:
        # In Python: Decimal × int stays exact; SQLite would hand back a float for the product.
        line.line_total = line.quantity * line.unit_price
    allocations = (
        Allocation.objects.filter(order_line__order=order)
        .select_related("warehouse", "order_line__product")
        .order_by("warehouse__code", "order_line_id")
    )
    shipments = (
        shipments_base()
        .filter(order=order)
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product"))
        )
        .order_by("id")
    )
    if warehouse_ids is not None:
        allocations = allocations.filter(warehouse_id__in=warehouse_ids)
        shipments = shipments.filter(warehouse_id__in=warehouse_ids)
    shipment_list = with_tracking_links(shipments)
    emails: list[CustomerEmail] = []
    if can_see_outbox(user):
        emails = list(order.emails.order_by("created_at", "id"))
    return OrderDetail(
        order=order,
        lines=lines,
        allocations=list(allocations),
        shipments=shipment_list,
        events=list(order.events.select_related("actor").order_by("created_at", "id")),
        emails=emails,
    )


@dataclass(frozen=True)
class JsonTable:
    """Rows of JSON objects as a table: the union of their keys, in first-seen order."""

    columns: list[str]
    rows: list[list[Any]]


# Columns first in this order (JSON objects from PostgreSQL come back with their keys sorted
# by the database, not as written); other keys follow as first seen.
_COLUMN_ORDER = (
    "rank",
    "warehouse",
    "chosen",
    "carrier",
    "service",
    "service_name",
    "can_fill",
    "units_available",
    "meets_promise",
    "cost",
    "price",
    "transit_days",
    "ships",
    "ship_date",
    "estimated_delivery",
    "distance_km",
    "zone",
    "why",
)
# Quote keys not worth a column on the page (they repeat the service or the row's position).
_QUIET_KEYS = {"service_id", "carrier_name", "speed", "weight_break_grams", "meets_service_level"}


def json_table(items: Any, *, hide_money: bool = False) -> JsonTable | None:
    """A list of JSON objects (routing candidates, carrier quotes) as columns and rows."""
    if not isinstance(items, list) or not items:
        return None
    objects = [item if isinstance(item, dict) else {"value": item} for item in items]
    columns: list[str] = []
    for obj in objects:
        for key in obj:
            if key in columns or key in _QUIET_KEYS:
                continue
            if hide_money and any(part in key.lower() for part in _MONEY_KEY_PARTS):
                continue
            columns.append(key)
    rank = {key: index for index, key in enumerate(_COLUMN_ORDER)}
    columns.sort(key=lambda key: rank.get(key, len(rank)))
    return JsonTable(
        columns=[_label(key) for key in columns],
        rows=[[_cell(obj.get(key, "")) for key in columns] for obj in objects],
    )


def _label(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def _cell(value: Any) -> Any:
    """Scalars as they are, booleans as yes/no, nested objects as compact JSON (escaped later)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


# The facts of a routing decision in reading order (PostgreSQL returns JSON keys sorted).
_FACT_ORDER = (
    "reason",
    "chosen",
    "backordered",
    "mode",
    "promised_delivery_date",
    "destination",
    "reroute_reason",
    "rerouted_by",
    "previous",
    "forced_warehouse",
    "released_units",
    "raced",
    "decided_at",
)


@dataclass(frozen=True)
class Routing:
    """The stored routing decision: facts (scalars) and the candidates considered."""

    facts: list[tuple[str, Any]]
    candidates: JsonTable | None


def routing_for(order: Order, *, hide_money: bool) -> Routing | None:
    """'Why this warehouse' from order.routing; None when the order was not routed yet."""
    data = order.routing if isinstance(order.routing, dict) else {}
    if not data:
        return None
    order = {key: index for index, key in enumerate(_FACT_ORDER)}
    facts = [
        (_label(key), _cell(value))
        for key, value in sorted(data.items(), key=lambda item: order.get(item[0], len(order)))
        if key != "candidates"
        and not (hide_money and any(part in key.lower() for part in _MONEY_KEY_PARTS))
    ]
    return Routing(
        facts=facts, candidates=json_table(data.get("candidates"), hide_money=hide_money)
    )


# --- shipments --------------------------------------------------------------------------------


def shipments_base() -> QuerySet[Shipment]:
    """Shipments with what a row shows: order, warehouse, carrier service and carrier."""
    return Shipment.objects.select_related(
        "order", "warehouse", "carrier_service__carrier"
    ).order_by(*NEWEST_FIRST)


def shipments_for(user: Any) -> QuerySet[Shipment]:
    """Shipments of the user's warehouses (all for managers)."""
    shipments = shipments_base()
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        shipments = shipments.filter(warehouse_id__in=warehouse_ids)
    return shipments


def shipment_api_queryset(user: Any) -> QuerySet[Shipment]:
    """Shipments for the API, with their lines prefetched."""
    return shipments_for(user).prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product"))
    )


def tracking_link(shipment: Shipment) -> str:
    """The carrier's tracking URL for a shipment; only http(s), so a bad template is no script."""
    service = shipment.carrier_service
    if service is None or not shipment.tracking_number:
        return ""
    url = service.carrier.tracking_url(shipment.tracking_number)
    return url if url.startswith(("https://", "http://")) else ""


def with_tracking_links(shipments: Iterable[Shipment]) -> list[Shipment]:
    """The shipments, each with a `tracking_link` attribute for templates."""
    result = list(shipments)
    for shipment in result:
        shipment.tracking_link = tracking_link(shipment)
    return result


# --- pick list --------------------------------------------------------------------------------


def pick_warehouses_for(user: Any) -> QuerySet[Warehouse]:
    """Warehouses the user may pick in: their own for staff, every warehouse for managers."""
    warehouses = Warehouse.objects.order_by("code")
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=warehouse_ids)
    return warehouses


def default_pick_warehouse(user: Any) -> Warehouse | None:
    """The first active warehouse the user may pick in."""
    return pick_warehouses_for(user).filter(is_active=True).first()


def pick_lines_for(user: Any) -> QuerySet[ShipmentLine]:
    """Lines of shipments waiting to be picked, with the bin of their stock, sorted by bin."""
    bin_of_stock = StockLevel.objects.filter(
        warehouse_id=OuterRef("shipment__warehouse_id"),
        product_id=OuterRef("order_line__product_id"),
    ).values("bin")[:1]
    lines = (
        ShipmentLine.objects.filter(
            shipment__status__in=PICKABLE_STATUSES,
            # A held order waits: nothing of it is picked until a manager releases it.
            shipment__order__hold_kind=Order.HoldKind.NONE,
        )
        .select_related("shipment__order", "shipment__warehouse", "order_line__product")
        .annotate(bin_location=Subquery(bin_of_stock))
        .order_by(F("bin_location").asc(nulls_last=True), "shipment_id", "id")
    )
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        lines = lines.filter(shipment__warehouse_id__in=warehouse_ids)
    return lines


def shipment_work_lines(shipment: Shipment) -> list[ShipmentLine]:
    """A shipment's lines with product and the bin of its stock, in walking order (by bin)."""
    bin_of_stock = StockLevel.objects.filter(
        warehouse_id=shipment.warehouse_id, product_id=OuterRef("order_line__product_id")
    ).values("bin")[:1]
    return list(
        shipment.lines.select_related("order_line__product")
        .annotate(bin_location=Subquery(bin_of_stock))
        .order_by(F("bin_location").asc(nulls_last=True), "id")
    )


# --- returns and emails -----------------------------------------------------------------------


def returns_for(user: Any) -> QuerySet[ReturnRequest]:
    """Returns of the user's warehouses (all for managers), newest first."""
    returns = ReturnRequest.objects.select_related("order", "warehouse").order_by(*NEWEST_FIRST)
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        returns = returns.filter(warehouse_id__in=warehouse_ids)
    return returns


def return_api_queryset(user: Any) -> QuerySet[ReturnRequest]:
    """Returns for the API, with their lines prefetched."""
    return returns_for(user).prefetch_related("lines__order_line__product")


def customer_emails() -> QuerySet[CustomerEmail]:
    """The customer email outbox, newest first (for managers: the views enforce it)."""
    return CustomerEmail.objects.select_related("order").order_by(*NEWEST_FIRST)
