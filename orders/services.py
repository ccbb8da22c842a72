"""Order workflows: intake, routing and reservation, backorders, holds, payment, cancel,
re-route, carrier choice, picking, packing, shipping, delivery and the at-risk flag.

Rules every function here keeps:

- Stock moves only through inventory.services: reservations (`stock_reserve_many`, partial),
  releases and consumption (`stock_consume_many` writes the shipment ledger rows).
- `Allocation` rows are the live reservations: per (order line, warehouse) their quantity equals
  what the stock level holds reserved for it, and equals the units on that line in the order's
  open shipments (pending, picking, packed, labelled) of that warehouse. `OrderLine.allocated`
  is their sum; `OrderLine.shipped` what left. The CHECKs hold allocated + shipped ≤ quantity.
- An order changed after intake is locked first (its row, FOR UPDATE), stock rows after (inside
  inventory.services, in primary-key order): one lock order everywhere, so no deadlocks.
- Order.status is derived from the line counters and the shipments (`_refresh_status`), never
  set by hand. Every change writes a timeline event; customer emails go through
  `orders.notifications.notify` inside the same transaction (sent on commit).
- Bad input raises ValidationError naming the field; a refusal caused by the current state
  carries the code `invalid_status` (the API answers 409).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockLevel, Warehouse
from opsportal.db import int_array, prepared_cursor
from orders import addresses, carrier_choice, fastsql, intake_cache, numbering, routing
from orders.intake import OrderInput
from orders.models import (
    Allocation,
    CustomerEmail,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from orders.notifications import notify
from orders.signals import shipment_packed
from vendors.models import CarrierService

INVALID_STATUS = stock.INVALID_STATUS
Actor = AbstractBaseUser | None
Status = Order.Status
Kind = OrderEvent.Kind

OPEN_ORDER_STATUSES = (
    Status.RECEIVED,
    Status.BACKORDERED,
    Status.PARTIALLY_ALLOCATED,
    Status.ALLOCATED,
    Status.PARTIALLY_SHIPPED,
)
MAX_PARCEL_GRAMS = 70_000
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,59}")
_REASON_MAX = 300


# --- small helpers ----------------------------------------------------------------------------


def _error(field: str, message: str, code: str | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _status_error(what: str, message: str) -> ValidationError:
    return _error(what, message, INVALID_STATUS)


def _reason(value: str | None, field: str = "reason", *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise _error(field, "Give a reason.", "required")
    if len(text) > _REASON_MAX:
        raise _error(field, f"At most {_REASON_MAX} characters (this has {len(text)}).")
    return text


def _event(order: Order, what: str, message: str = "", actor: Actor = None, **data) -> OrderEvent:
    return OrderEvent(
        order=order,
        kind=what,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message[:300],
        data=data,
    )


def _event_values(order: Order, what: str, message: str = "", actor: Actor = None, **data) -> dict:
    """`_event` as values for orders.fastsql.Rows.add_rows (intake: no instance built)."""
    return {
        "order_id": order.pk,
        "kind": what,
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
        "message": message[:300],
        "data": data,
    }


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order.pk)


def _lock_shipment(shipment: Shipment) -> tuple[Order, Shipment]:
    """The shipment's order (locked first: the one lock order), then the shipment."""
    order = _lock_order(Order(pk=shipment.order_id))
    locked = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("warehouse", "carrier_service__carrier")
        .get(pk=shipment.pk)
    )
    return order, locked


def derive_status(
    *, quantity: int, allocated: int, shipped: int, routed: bool, all_delivered: bool
) -> str:
    """Order status from its line totals (and whether every shipment that left arrived)."""
    if quantity and shipped >= quantity:
        return Status.DELIVERED if all_delivered else Status.SHIPPED
    if shipped:
        return Status.PARTIALLY_SHIPPED
    if quantity and allocated >= quantity:
        return Status.ALLOCATED
    if allocated:
        return Status.PARTIALLY_ALLOCATED
    return Status.BACKORDERED if routed else Status.RECEIVED


def _refresh_status(order: Order) -> str:
    """Recompute and store the order's status from its lines and shipments."""
    if order.status == Status.CANCELLED:
        return order.status
    totals = order.lines.aggregate(q=Sum("quantity"), a=Sum("allocated"), s=Sum("shipped"))
    quantity, shipped = totals["q"] or 0, totals["s"] or 0
    all_delivered = False
    if quantity and shipped >= quantity:
        all_delivered = not order.shipments.exclude(
            status__in=(Shipment.Status.DELIVERED, Shipment.Status.CANCELLED)
        ).exists()
    status = derive_status(
        quantity=quantity,
        allocated=totals["a"] or 0,
        shipped=shipped,
        routed=bool(order.routing),
        all_delivered=all_delivered,
    )
    if status != order.status:
        order.status = status
        Order.objects.filter(pk=order.pk).update(status=status, updated_at=timezone.now())
    return status


_AVAILABLE_SQL = (
    "SELECT warehouse_id, product_id, on_hand - reserved - quarantined "  # noqa: S608
    f"FROM {StockLevel._meta.db_table} "
    "WHERE warehouse_id = ANY(%s::bigint[]) AND product_id = ANY(%s::bigint[])"
)


def _available(warehouse_ids: Iterable[int], product_ids: Iterable[int]) -> dict:
    """(warehouse id, product id) → available units, read without locks (for planning)."""
    warehouse_ids, product_ids = list(warehouse_ids), list(set(product_ids))
    if not warehouse_ids or not product_ids:
        return {}
    if connection.vendor == "postgresql":
        # Every intake plans from this read: plain SQL costs a third of the ORM's CPU here.
        with prepared_cursor() as cursor:
            cursor.execute(_AVAILABLE_SQL, [int_array(warehouse_ids), int_array(product_ids)])
            return {(w, p): units for w, p, units in cursor.fetchall()}
    rows = StockLevel.objects.filter(
        warehouse_id__in=list(warehouse_ids), product_id__in=list(product_ids)
    ).values_list("warehouse_id", "product_id", "on_hand", "reserved", "quarantined")
    return {
        (w, p): on_hand - reserved - quarantined for w, p, on_hand, reserved, quarantined in rows
    }


def _reserve(
    assignments: list[tuple[int, int, int]], product_of: Mapping[int, int]
) -> list[tuple[int, int, int]]:
    """Reserve planned (need key, warehouse id, units); returns what was really reserved.

    Partial: a unit taken by someone else between the planning read and the lock is simply not
    reserved here (the caller backorders it), never oversold."""
    if not assignments:
        return []
    got = stock.stock_reserve_many(
        lines=[(w, product_of[key], units) for key, w, units in assignments], partial=True
    )
    return [(key, w, units) for (key, w, _), units in zip(assignments, got, strict=True) if units]


# --- intake -----------------------------------------------------------------------------------


@dataclass
class IntakeResult:
    order: Order
    created: bool
    lines: list[OrderLine] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)


def _existing(data: OrderInput) -> Order | None:
    # Every intake asks this first and nearly every answer is "no": a bare indexed SELECT of
    # the id (a third of the ORM's cost); the row itself only for a repeat.
    with prepared_cursor() as cursor:
        cursor.execute(_EXISTING_SQL, [data.channel, data.external_ref])
        row = cursor.fetchone()
    return Order.objects.get(pk=row[0]) if row else None


# The repeat of a given (channel, external_ref): `NOT external_ref = ''` repeats the predicate of
# the partial unique index, so a prepared (generic) plan can use that index; without it the
# plan scans the table.
_EXISTING_SQL = (
    f"SELECT id FROM {Order._meta.db_table} "  # noqa: S608
    "WHERE channel = %s AND external_ref = %s AND NOT external_ref = ''"
)


def order_intake(*, data: OrderInput, by: Actor = None, now: dt.datetime | None = None):
    """Create, route and reserve an order (idempotent on channel + external_ref).

    All or nothing: order and lines, routing, reservations, shipments with their carrier
    chosen, promised dates, timeline events, the "order received" (and "backordered") emails —
    sent on commit. Posting the same (channel, external_ref) again, even concurrently, returns
    the first order with created=False and changes nothing.

    On PostgreSQL an intake is two statements: the first read (is it a repeat, the stock to plan
    from, the new rows' ids and order number), then one statement that reserves the planned
    units in full and inserts every row — alone, it is its own transaction. If a concurrent
    order took planned units in between, that statement fails as a whole (a shortfall: nothing
    kept) and the intake runs again in a transaction that reserves what is there, looks again
    for the rest and backorders what is still missing (`_intake_reserving`, as on SQLite).
    """
    warehouses = intake_cache.active_warehouses()  # cached a few seconds per process
    first = _first_read(data, warehouses)
    if first.existing is not None:
        return IntakeResult(Order.objects.get(pk=first.existing), created=False)
    try:
        return _intake(data, by, now or timezone.now(), warehouses, first)
    except IntegrityError:
        # A concurrent post of the same order committed first: its row answers for both.
        existing = _existing(data) if data.external_ref else None
        if existing is None:
            raise
        return IntakeResult(existing, created=False)


# The first read of an intake, in one round trip on PostgreSQL: is it a repeat, what stock is
# there to plan from (read without locks: reserving locks later), and the ids of the new rows
# with the order number (orders.fastsql.take_ids; wasted when the order is a repeat).
_FIRST_READ_SQL = (
    f"SELECT ({_EXISTING_SQL}), "  # noqa: S608
    "(SELECT json_agg(json_build_array(warehouse_id, product_id, units)) "
    f"FROM ({_AVAILABLE_SQL}) AS stock (warehouse_id, product_id, units))"
)


@dataclass
class _FirstRead:
    existing: int | None  # the id of the order this one repeats
    available: dict | None  # (warehouse id, product id) → units; None: read it later
    ids: list | None  # the values of fastsql.take_ids(_id_counts(…)); None: Rows takes them


def _id_counts(data: OrderInput, warehouses: list[Warehouse]) -> dict:
    """Ids an intake may need, taken ahead: at most a shipment per warehouse (and per unit),
    and the "received" and "backordered" emails."""
    units = sum(line.quantity for line in data.lines)
    return {
        Order: 1,
        OrderLine: len(data.lines),
        Shipment: min(len(warehouses), units),
        CustomerEmail: 2,
    }


def _first_read(data: OrderInput, warehouses: list[Warehouse]) -> _FirstRead:
    if connection.vendor != "postgresql" or not warehouses:
        existing = _existing(data) if data.external_ref else None
        return _FirstRead(existing.pk if existing else None, None, None)
    take, take_params = fastsql.take_ids(_id_counts(data, warehouses), [numbering.SEQUENCE])
    with prepared_cursor() as cursor:
        cursor.execute(
            f"{_FIRST_READ_SQL}, {take}",
            [
                data.channel,
                data.external_ref,
                int_array(w.pk for w in warehouses),
                int_array({line.product.pk for line in data.lines}),
                *take_params,
            ],
        )
        existing, rows, *ids = cursor.fetchone()
    return _FirstRead(existing, {(w, p): units for w, p, units in rows or ()}, ids)


def _intake(
    data: OrderInput,
    by: Actor,
    now: dt.datetime,
    warehouses: list[Warehouse],
    first: _FirstRead,
) -> IntakeResult:
    destination = addresses.destination_for(
        data.ship_to_country, data.ship_to_postal_code, data.latitude, data.longitude
    )
    product_of = {i: line.product.pk for i, line in enumerate(data.lines)}
    needs = [
        routing.Need(i, line.product.pk, line.product.sku, line.quantity, line.product.weight_grams)
        for i, line in enumerate(data.lines)
    ]
    available = first.available
    if available is None:
        available = _available([w.pk for w in warehouses], product_of.values())
    plan = routing.plan(
        needs=needs,
        warehouses=warehouses,
        available=available,
        destination=destination,
        service_level=data.service_level,
        now=now,
    )
    if first.ids is not None:
        # The plan reserved in full and every row written, in one statement (PostgreSQL).
        planned = _merged(plan.assignments)
        rows = _rows_for(data, warehouses, first)
        result = _build(data, by, now, warehouses, destination, plan, planned, 0, rows)
        lead = None
        if planned:
            lead = stock.stock_reserve_ctes(
                lines=[(w, product_of[key], units) for key, w, units in planned]
            )
        try:
            if connection.in_atomic_block:
                with transaction.atomic():  # a savepoint: a shortfall leaves the caller's
                    rows.write(lead=lead)  # transaction usable
            else:
                rows.write(lead=lead)
            return result
        except IntegrityError as exc:
            if not stock.is_shortfall(exc):
                raise
    return _intake_reserving(data, by, now, warehouses, first, destination, needs, plan)


@transaction.atomic
def _intake_reserving(
    data: OrderInput,
    by: Actor,
    now: dt.datetime,
    warehouses: list[Warehouse],
    first: _FirstRead,
    destination: addresses.Destination | None,
    needs: list[routing.Need],
    plan: routing.RoutingPlan,
) -> IntakeResult:
    """Reserve what is there of the plan (partial), look again for units taken by concurrent
    orders, backorder the rest; then write every row (the same rows as the one statement)."""
    product_of = {n.key: n.product_id for n in needs}
    reserved = _reserve(plan.assignments, product_of)
    short = sum(units for _, _, units in plan.assignments) - sum(u for _, _, u in reserved)
    planned: dict[int, int] = defaultdict(int)
    for key, _, units in plan.assignments:
        planned[key] += units
    for _ in range(2):
        # Units planned but taken by a concurrent order between the read and the lock: look
        # again (fresh figures) before backordering them. Costs queries only in a race.
        got: dict[int, int] = defaultdict(int)
        for key, _, units in reserved:
            got[key] += units
        retry = [
            routing.Need(
                n.key, n.product_id, n.sku, planned[n.key] - got[n.key], n.unit_weight_grams
            )
            for n in needs
            if planned[n.key] > got[n.key]
        ]
        if not retry:
            break
        again = routing.plan(
            needs=retry,
            warehouses=warehouses,
            available=_available([w.pk for w in warehouses], {n.product_id for n in retry}),
            destination=destination,
            service_level=data.service_level,
            now=now,
            promised_delivery_date=plan.promised_delivery_date,
        )
        if not again.assignments:
            break
        reserved += _reserve(again.assignments, product_of)
    rows = _rows_for(data, warehouses, first)
    result = _build(data, by, now, warehouses, destination, plan, _merged(reserved), short, rows)
    rows.write()
    return result


def _merged(assignments: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(need key, warehouse id, units) with one entry per (key, warehouse), first-seen order."""
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for key, w, units in assignments:
        merged[(key, w)] += units
    return [(key, w, units) for (key, w), units in merged.items()]


def _rows_for(data: OrderInput, warehouses: list[Warehouse], first: _FirstRead) -> fastsql.Rows:
    # Every row of the order in one INSERT statement on PostgreSQL, with the ids and the order
    # number the first read took (else one query takes them: orders.fastsql.Rows).
    return fastsql.Rows(
        _id_counts(data, warehouses), sequences=[numbering.SEQUENCE], taken=first.ids
    )


def _build(
    data: OrderInput,
    by: Actor,
    now: dt.datetime,
    warehouses: list[Warehouse],
    destination: addresses.Destination | None,
    plan: routing.RoutingPlan,
    reserved: list[tuple[int, int, int]],
    short: int,
    rows: fastsql.Rows,
) -> IntakeResult:
    """Every row of the new order into `rows` (written by the caller): order, lines,
    allocations (`reserved`: need key, warehouse id, units), shipments with their carrier,
    events and emails. `short`: planned units that concurrent orders took first."""
    allocated_by_key: dict[int, int] = defaultdict(int)
    for key, _, units in reserved:
        allocated_by_key[key] += units
    backordered_units = sum(line.quantity for line in data.lines) - sum(allocated_by_key.values())
    routing_json = plan.as_json(decided_at=now)
    codes = {w.pk: w.code for w in warehouses}
    reserved_in = [codes[w] for w in dict.fromkeys(w for _, w, _ in reserved)]
    if short and sorted(reserved_in) != sorted(routing_json["chosen"]):
        routing_json["chosen"] = reserved_in
    if short:
        routing_json["raced"] = (
            f"{short} planned unit(s) were taken by concurrent orders; looked again "
            f"({sum(allocated_by_key.values())} reserved in the end)"
        )

    hold_kind, hold_reason = Order.HoldKind.NONE, ""
    if data.payment_status == Order.PaymentStatus.FAILED:
        hold_kind, hold_reason = Order.HoldKind.PAYMENT, "Payment failed at intake."
    elif destination is None:
        hold_kind = Order.HoldKind.ADDRESS
        hold_reason = (
            f"No coordinates for postal code {data.ship_to_postal_code} in "
            f"{data.ship_to_country}: check the address before shipping."
        )
    quantity = sum(line.quantity for line in data.lines)
    by_warehouse: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, w, units in reserved:
        by_warehouse[w].append((key, units))
    number = rows.value(numbering.SEQUENCE)
    order = fastsql.new(
        Order,
        number=numbering.format_number(number) if number else numbering.next_order_number(),
        channel=data.channel,
        external_ref=data.external_ref,
        customer_name=data.customer_name,
        customer_email=data.customer_email,
        ship_to_name=data.ship_to_name,
        ship_to_line1=data.ship_to_line1,
        ship_to_line2=data.ship_to_line2,
        ship_to_city=data.ship_to_city,
        ship_to_region=data.ship_to_region,
        ship_to_postal_code=data.ship_to_postal_code,
        ship_to_country=data.ship_to_country,
        ship_to_latitude=_coordinate(destination.latitude) if destination else None,
        ship_to_longitude=_coordinate(destination.longitude) if destination else None,
        service_level=data.service_level,
        status=derive_status(
            quantity=quantity,
            allocated=sum(allocated_by_key.values()),
            shipped=0,
            routed=True,
            all_delivered=False,
        ),
        payment_status=data.payment_status,
        hold_kind=hold_kind,
        hold_reason=hold_reason,
        promised_ship_date=plan.promised_ship_date,
        promised_delivery_date=plan.promised_delivery_date,
        total_amount=sum((line.unit_price * line.quantity for line in data.lines), Decimal(0)),
        currency=data.currency,
        routing=routing_json,
        placed_at=data.placed_at,
    )
    # Shipments (one per warehouse that reserved) and their carriers, chosen before the order
    # row is written so its at-risk flag goes in with it.
    warehouse_by_id = {w.pk: w for w in warehouses}
    shipments = []
    for w, items in by_warehouse.items():
        shipment = fastsql.new(Shipment, order=order, warehouse=warehouse_by_id[w])
        grams = routing.parcel_grams(
            (data.lines[key].product.weight_grams, units) for key, units in items
        )
        carrier_choice.choose(shipment, order=order, weight_grams=grams, now=now)
        shipments.append(shipment)
    late = [s for s in shipments if carrier_choice.misses_promise(s, order)]
    if late:
        order.at_risk = True
        order.at_risk_reason = "No carrier service delivers by the promised date."

    rows.add(order)
    lines = rows.add_all(
        [
            fastsql.new(
                OrderLine,
                order=order,
                product=line.product,
                quantity=line.quantity,
                unit_price=line.unit_price,
                allocated=allocated_by_key.get(i, 0),
            )
            for i, line in enumerate(data.lines)
        ]
    )
    # Rows nobody reads back go in as values: no model instance is built for them.
    rows.add_rows(
        Allocation,
        [
            {"order_line_id": lines[key].pk, "warehouse_id": w, "quantity": units}
            for key, w, units in reserved
        ],
    )
    shipments = rows.add_all(shipments)
    rows.add_rows(
        ShipmentLine,
        [
            {"shipment_id": shipment.pk, "order_line_id": lines[key].pk, "quantity": units}
            for shipment in shipments
            for key, units in by_warehouse[shipment.warehouse_id]
        ],
    )
    event = functools.partial(_event_values, order, actor=by)
    events: list = [event(Kind.RECEIVED, f"Order received ({data.channel})")]
    if hold_kind:
        events.append(event(Kind.HELD, hold_reason, kind=hold_kind))
    events.append(event(Kind.ROUTED, plan.reason, chosen=routing_json["chosen"], mode=plan.mode))
    if reserved:
        events.append(
            event(
                Kind.ALLOCATED,
                f"{sum(allocated_by_key.values())} of {quantity} unit(s) reserved",
                warehouses=routing_json["chosen"],
            )
        )
    if backordered_units:
        waiting = [
            f"{line.product.sku} ×{line.quantity - allocated_by_key.get(i, 0)}"
            for i, line in enumerate(data.lines)
            if line.quantity > allocated_by_key.get(i, 0)
        ]
        events.append(event(Kind.BACKORDERED, "Waiting for stock: " + ", ".join(waiting)))
    events += [carrier_choice.event_for(s, order) for s in shipments]
    if late:
        events.append(event(Kind.AT_RISK, order.at_risk_reason))
    # The emails and their timeline events go into the same insert.
    notify(order=order, kind=CustomerEmail.Kind.ORDER_RECEIVED, actor=by, events=events, rows=rows)
    if backordered_units:
        notify(order=order, kind=CustomerEmail.Kind.BACKORDERED, actor=by, events=events, rows=rows)
    rows.add_rows(OrderEvent, events)
    return IntakeResult(order, True, lines, shipments)


def _coordinate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


# --- allocation after intake: backorders, re-routing ------------------------------------------


def _place(
    order: Order,
    lines: list[OrderLine],
    *,
    warehouses: list[Warehouse],
    by: Actor,
    now: dt.datetime,
    product_ids: set[int] | None = None,
) -> tuple[routing.RoutingPlan, list[tuple[int, int, int]]]:
    """Route and reserve what the lines still need; allocations, lines and shipments updated."""
    lines_by_pk = {line.pk: line for line in lines}
    needs = [
        routing.Need(
            line.pk,
            line.product_id,
            line.product.sku,
            line.quantity - line.allocated - line.shipped,
            line.product.weight_grams,
        )
        for line in lines
        if product_ids is None or line.product_id in product_ids
    ]
    destination = _destination_of(order)
    plan = routing.plan(
        needs=needs,
        warehouses=warehouses,
        available=_available([w.pk for w in warehouses], {n.product_id for n in needs}),
        destination=destination,
        service_level=order.service_level,
        now=now,
        promised_delivery_date=order.promised_delivery_date,
    )
    reserved = _reserve(
        plan.assignments, {line.pk: line.product_id for line in lines_by_pk.values()}
    )
    if not reserved:
        return plan, []
    existing = {
        (a.order_line_id, a.warehouse_id): a
        for a in Allocation.objects.filter(order_line__order=order)
    }
    new = []
    for key, w, units in reserved:
        allocation = existing.get((key, w))
        if allocation is None:
            new.append(Allocation(order_line_id=key, warehouse_id=w, quantity=units))
        else:
            Allocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") + units)
        OrderLine.objects.filter(pk=key).update(allocated=F("allocated") + units)
        lines_by_pk[key].allocated += units
    Allocation.objects.bulk_create(new)
    _sync_shipments(order, {w for _, w, _ in reserved}, by=by, now=now)
    return plan, reserved


def _destination_of(order: Order) -> addresses.Destination | None:
    if order.ship_to_latitude is not None and order.ship_to_longitude is not None:
        return addresses.Destination(
            float(order.ship_to_latitude), float(order.ship_to_longitude), "stored"
        )
    return addresses.destination_for(order.ship_to_country, order.ship_to_postal_code)


def _sync_shipments(
    order: Order, warehouse_ids: Iterable[int], *, by: Actor, now: dt.datetime
) -> list[Shipment]:
    """Put allocated units not yet on an open shipment onto an unpacked one of their warehouse
    (a new one if none); the carrier is chosen again for each shipment that changed."""
    warehouse_ids = set(warehouse_ids)
    allocations = Allocation.objects.filter(
        order_line__order=order, warehouse_id__in=warehouse_ids
    ).select_related("order_line__product")
    on_shipments: dict[tuple[int, int], int] = defaultdict(int)
    unpacked: dict[int, Shipment] = {}
    lines_of: dict[int, dict[int, ShipmentLine]] = defaultdict(dict)
    for line in ShipmentLine.objects.filter(
        shipment__order=order,
        shipment__warehouse_id__in=warehouse_ids,
        shipment__status__in=Shipment.OPEN_STATUSES,
    ).select_related("shipment"):
        on_shipments[(line.order_line_id, line.shipment.warehouse_id)] += line.quantity
        if line.shipment.status in Shipment.UNPACKED_STATUSES:
            unpacked.setdefault(line.shipment.warehouse_id, line.shipment)
            lines_of[line.shipment_id][line.order_line_id] = line
    changed: dict[int, Shipment] = {}
    for allocation in allocations:
        missing = (
            allocation.quantity - on_shipments[(allocation.order_line_id, allocation.warehouse_id)]
        )
        if missing <= 0:
            continue
        shipment = unpacked.get(allocation.warehouse_id)
        if shipment is None:
            shipment = Shipment.objects.create(order=order, warehouse_id=allocation.warehouse_id)
            unpacked[allocation.warehouse_id] = shipment
        existing = lines_of[shipment.pk].get(allocation.order_line_id)
        if existing is None:
            lines_of[shipment.pk][allocation.order_line_id] = ShipmentLine.objects.create(
                shipment=shipment, order_line=allocation.order_line, quantity=missing
            )
        else:
            ShipmentLine.objects.filter(pk=existing.pk).update(quantity=F("quantity") + missing)
            existing.quantity += missing
        changed[shipment.pk] = shipment
    for shipment in changed.values():
        _choose_carrier(order, shipment, by=by, now=now)
    return list(changed.values())


def _shipment_grams(shipment: Shipment) -> int:
    return routing.parcel_grams(
        shipment.lines.values_list("order_line__product__weight_grams", "quantity")
    )


def _choose_carrier(order: Order, shipment: Shipment, *, by: Actor, now: dt.datetime) -> None:
    """Quote the shipment again (weight, date) unless a manager chose its carrier by hand."""
    if shipment.override_reason:
        return
    weight = shipment.weight_grams if shipment.packed_at else _shipment_grams(shipment)
    carrier_choice.choose(shipment, order=order, weight_grams=weight, now=now)
    shipment.save(
        update_fields=["carrier_service", "cost", "quotes", "estimated_delivery_date"]
        + ([] if shipment.packed_at else ["weight_grams"])
    )
    carrier_choice.event_for(shipment, order, actor=by).save()


def _backordered_orders(product_ids: set[int] | None, limit: int) -> list[int]:
    lines = OrderLine.objects.filter(
        quantity__gt=F("allocated") + F("shipped"), order__status__in=OPEN_ORDER_STATUSES
    )
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    rows = (
        lines.order_by("order__placed_at", "order_id")
        .values_list("order_id", flat=True)
        .distinct()[: limit * 4]
    )
    seen: list[int] = []
    for order_id in rows:
        if order_id not in seen:
            seen.append(order_id)
        if len(seen) >= limit:
            break
    return seen


def backorders_allocate(
    *, product_ids: Iterable[int] | None = None, limit: int = 500, now: dt.datetime | None = None
) -> int:
    """Allocate waiting (backordered) units, oldest order first; returns the units allocated.

    One transaction per order (its row locked first). Once no warehouse has a product left, the
    younger orders waiting for it are skipped without a lock. Held orders are allocated too
    (a hold stops picking, not reserving). Writes allocations, shipments, events."""
    wanted = set(product_ids) if product_ids is not None else None
    now = now or timezone.now()
    exhausted: set[int] = set()
    total = 0
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    for order_id in _backordered_orders(wanted, limit):
        units, out = _allocate_backorders_of(order_id, wanted, exhausted, warehouses, now)
        total += units
        exhausted |= out
        if wanted is not None and wanted <= exhausted:
            break
    return total


@transaction.atomic
def _allocate_backorders_of(
    order_id: int,
    wanted: set[int] | None,
    exhausted: set[int],
    warehouses: list[Warehouse],
    now: dt.datetime,
) -> tuple[int, set[int]]:
    order = _lock_order(Order(pk=order_id))
    if order.status not in OPEN_ORDER_STATUSES:
        return 0, set()
    lines = [
        line
        for line in order.lines.select_related("product").order_by("id")
        if line.quantity > line.allocated + line.shipped
        and (wanted is None or line.product_id in wanted)
        and line.product_id not in exhausted
    ]
    if not lines:
        return 0, set()
    plan, reserved = _place(
        order,
        lines,
        warehouses=warehouses,
        by=None,
        now=now,
        product_ids={line.product_id for line in lines},
    )
    still = {line.product_id for line in lines if line.quantity > line.allocated + line.shipped}
    if not reserved:
        return 0, still
    units = sum(u for _, _, u in reserved)
    codes = sorted({w.code for w in warehouses if w.pk in {w_ for _, w_, _ in reserved}})
    OrderEvent.objects.create(
        order=order,
        kind=Kind.ALLOCATED,
        message=f"Backorder: {units} unit(s) reserved in {', '.join(codes)} as stock arrived",
        data={"warehouses": codes, "units": units},
    )
    _refresh_status(order)
    return units, still


@transaction.atomic
def order_reroute(
    *, order: Order, by: Actor, reason: str, warehouse: Warehouse | None = None
) -> Order:
    """Route again what has not been packed: releases the reservations of unpacked shipments
    (cancelling them) and places those units and any backorder afresh — in `warehouse` only if
    given. Keeps the promise; stores the new decision with who and why."""
    reason = _reason(reason)
    order = _lock_order(order)
    if order.status not in OPEN_ORDER_STATUSES:
        raise _status_error(
            "status", f"{order.number} is {order.get_status_display().lower()}: nothing to route."
        )
    if warehouse is not None and not warehouse.is_active:
        raise _error("warehouse", f"{warehouse.code} is not active.")
    now = timezone.now()
    previous = order.routing.get("chosen", []) if isinstance(order.routing, dict) else []
    unpacked = list(Shipment.objects.filter(order=order, status__in=Shipment.UNPACKED_STATUSES))
    released = _release_shipments(unpacked, cancel=True)
    warehouses = (
        [warehouse]
        if warehouse is not None
        else list(Warehouse.objects.filter(is_active=True).order_by("code"))
    )
    lines = list(order.lines.select_related("product").order_by("id"))
    plan, reserved = _place(order, lines, warehouses=warehouses, by=by, now=now)
    decision = plan.as_json(decided_at=now)
    decision.update(
        {
            "rerouted_by": getattr(by, "username", "") or "system",
            "reroute_reason": reason,
            "previous": ", ".join(previous),
            "released_units": released,
        }
    )
    if warehouse is not None:
        decision["forced_warehouse"] = warehouse.code
    order.routing = decision
    order.save(update_fields=["routing", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        kind=Kind.REROUTED,
        actor=by,
        message=f"{reason} — {plan.reason}"[:300],
        data={"chosen": decision["chosen"], "previous": previous},
    )
    _refresh_status(order)
    return order


def _release_shipments(shipments: list[Shipment], *, cancel: bool) -> int:
    """Give back the reservations held by these open shipments; allocations and lines follow."""
    if not shipments:
        return 0
    ship_lines = list(
        ShipmentLine.objects.filter(shipment__in=shipments).select_related("order_line", "shipment")
    )
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for line in ship_lines:
        totals[(line.order_line_id, line.shipment.warehouse_id)] += line.quantity
    if totals:
        products = {line.order_line_id: line.order_line.product_id for line in ship_lines}
        stock.stock_release_reservation_many(
            lines=[(w, products[line_id], units) for (line_id, w), units in totals.items()]
        )
    _take_from_allocations(totals)
    for (line_id, _), units in totals.items():
        OrderLine.objects.filter(pk=line_id).update(allocated=F("allocated") - units)
    if cancel:
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(
            status=Shipment.Status.CANCELLED
        )
    return sum(totals.values())


def _take_from_allocations(warehouse_units: dict[tuple[int, int], int]) -> None:
    """Lower allocations by (order line id, warehouse id) → units; a row reaching 0 goes (the
    CHECK quantity > 0 holds at every statement). Line counters are the caller's."""
    if not warehouse_units:
        return
    match = Q()
    for line_id, warehouse_id in warehouse_units:
        match |= Q(order_line_id=line_id, warehouse_id=warehouse_id)
    gone = []
    for allocation in Allocation.objects.filter(match):
        units = warehouse_units[(allocation.order_line_id, allocation.warehouse_id)]
        if units >= allocation.quantity:
            gone.append(allocation.pk)
        else:
            Allocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") - units)
    Allocation.objects.filter(pk__in=gone).delete()


# --- holds, payment, cancel -------------------------------------------------------------------


@transaction.atomic
def order_hold(*, order: Order, kind: str, reason: str, by: Actor) -> Order:
    """Put an order on hold (payment, address or manual) with a reason; stops picking and
    shipping, keeps its reservations. Writes a timeline event."""
    reason = _reason(reason)
    if kind not in (Order.HoldKind.PAYMENT, Order.HoldKind.ADDRESS, Order.HoldKind.MANUAL):
        raise _error("kind", f"{kind!r} is not a hold: use payment, address or manual.")
    order = _lock_order(order)
    if order.status not in OPEN_ORDER_STATUSES:
        raise _status_error(
            "status", f"{order.number} is {order.get_status_display().lower()}: it cannot be held."
        )
    if order.hold_kind:
        raise _status_error(
            "kind", f"{order.number} is already on hold ({order.get_hold_kind_display()})."
        )
    order.hold_kind, order.hold_reason = kind, reason
    order.save(update_fields=["hold_kind", "hold_reason", "updated_at"])
    OrderEvent.objects.create(
        order=order, kind=Kind.HELD, actor=by, message=reason, data={"kind": kind}
    )
    return order


@transaction.atomic
def order_release_hold(*, order: Order, by: Actor, note: str = "") -> Order:
    """Release an order's hold (a manager's decision); writes a timeline event."""
    note = _reason(note, "note", required=False)
    order = _lock_order(order)
    if not order.hold_kind:
        raise _status_error("kind", f"{order.number} is not on hold.")
    if (
        order.hold_kind == Order.HoldKind.PAYMENT
        and order.payment_status == Order.PaymentStatus.FAILED
    ):
        raise _status_error(
            "payment_status",
            "The payment is still failed: record the authorisation or payment first.",
        )
    kind, reason = order.hold_kind, order.hold_reason
    order.hold_kind, order.hold_reason = Order.HoldKind.NONE, ""
    order.save(update_fields=["hold_kind", "hold_reason", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        kind=Kind.RELEASED,
        actor=by,
        message=note or f"Released: {reason}",
        data={"kind": kind, "reason": reason},
    )
    return order


_PAYMENT_MOVES = {
    Order.PaymentStatus.PENDING: {
        Order.PaymentStatus.AUTHORIZED,
        Order.PaymentStatus.PAID,
        Order.PaymentStatus.FAILED,
    },
    Order.PaymentStatus.AUTHORIZED: {
        Order.PaymentStatus.PAID,
        Order.PaymentStatus.FAILED,
        Order.PaymentStatus.REFUNDED,
    },
    Order.PaymentStatus.PAID: {Order.PaymentStatus.REFUNDED},
    Order.PaymentStatus.FAILED: {
        Order.PaymentStatus.PENDING,
        Order.PaymentStatus.AUTHORIZED,
        Order.PaymentStatus.PAID,
    },
    Order.PaymentStatus.REFUNDED: set(),
}


@transaction.atomic
def order_set_payment_status(
    *, order: Order, payment_status: str, by: Actor, note: str = ""
) -> Order:
    """Record a payment status (separate from fulfilment). A failed payment puts the order on a
    payment hold; a manager releases it once paid. Writes a timeline event."""
    note = _reason(note, "note", required=False)
    if payment_status not in Order.PaymentStatus.values:
        raise _error("payment_status", f"{payment_status!r} is not a payment status.")
    order = _lock_order(order)
    if payment_status == order.payment_status:
        return order
    if payment_status not in _PAYMENT_MOVES[order.payment_status]:
        raise _status_error(
            "payment_status",
            f"A payment that is {order.get_payment_status_display().lower()} cannot become "
            f"{Order.PaymentStatus(payment_status).label.lower()}.",
        )
    before = order.payment_status
    order.payment_status = payment_status
    fields = ["payment_status", "updated_at"]
    events = [
        _event(
            order,
            Kind.PAYMENT,
            note or f"Payment {Order.PaymentStatus(payment_status).label.lower()}",
            by,
            before=before,
            after=payment_status,
        )
    ]
    if (
        payment_status == Order.PaymentStatus.FAILED
        and not order.hold_kind
        and order.status in OPEN_ORDER_STATUSES
    ):
        order.hold_kind, order.hold_reason = Order.HoldKind.PAYMENT, "Payment failed."
        fields += ["hold_kind", "hold_reason"]
        events.append(_event(order, Kind.HELD, "Payment failed.", by, kind="payment"))
    order.save(update_fields=fields)
    OrderEvent.objects.bulk_create(events)
    return order


@transaction.atomic
def order_cancel(*, order: Order, by: Actor, reason: str) -> Order:
    """Cancel an order none of which has shipped: releases every reservation, cancels its open
    shipments, writes the timeline and queues the "cancelled" email."""
    reason = _reason(reason)
    order = _lock_order(order)
    if order.status == Status.CANCELLED:
        raise _status_error("status", f"{order.number} is already cancelled.")
    shipped = order.lines.aggregate(s=Sum("shipped"))["s"] or 0
    if shipped:
        raise _status_error(
            "status",
            f"{shipped} unit(s) of {order.number} have shipped: it cannot be cancelled "
            "(open a return for what came back).",
        )
    open_shipments = list(Shipment.objects.filter(order=order, status__in=Shipment.OPEN_STATUSES))
    _release_shipments(open_shipments, cancel=True)
    # Allocations not on a shipment (none if the invariant holds) are released too.
    leftovers = list(
        Allocation.objects.filter(order_line__order=order, quantity__gt=0).select_related(
            "order_line"
        )
    )
    if leftovers:
        stock.stock_release_reservation_many(
            lines=[(a.warehouse_id, a.order_line.product_id, a.quantity) for a in leftovers]
        )
        Allocation.objects.filter(pk__in=[a.pk for a in leftovers]).delete()
        order.lines.update(allocated=0)
    order.status = Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.hold_kind, order.hold_reason = Order.HoldKind.NONE, ""
    order.save(update_fields=["status", "cancelled_at", "hold_kind", "hold_reason", "updated_at"])
    OrderEvent.objects.create(
        order=order, kind=Kind.CANCELLED, actor=by, message=reason, data={"reason": reason}
    )
    notify(order=order, kind=CustomerEmail.Kind.CANCELLED, actor=by)
    return order


# --- carrier override -------------------------------------------------------------------------


@transaction.atomic
def shipment_override_carrier(
    *, shipment: Shipment, service: CarrierService, reason: str, by: Actor
) -> Shipment:
    """A manager's choice of carrier service for a shipment, with a reason; priced from the same
    quotes (re-quoted now). Writes a timeline event."""
    reason = _reason(reason)
    order, shipment = _lock_shipment(shipment)
    if shipment.status not in Shipment.OPEN_STATUSES:
        raise _status_error(
            "status", f"Shipment #{shipment.pk} is {shipment.get_status_display().lower()}."
        )
    weight = shipment.weight_grams if shipment.packed_at else _shipment_grams(shipment)
    quote = carrier_choice.override(
        shipment, order=order, service=service, weight_grams=weight, now=timezone.now()
    )
    shipment.override_reason = reason
    shipment.save(
        update_fields=[
            "carrier_service",
            "cost",
            "quotes",
            "estimated_delivery_date",
            "override_reason",
        ]
    )
    OrderEvent.objects.create(
        order=order,
        kind=Kind.CARRIER_OVERRIDDEN,
        actor=by,
        message=f"Shipment #{shipment.pk}: {quote.carrier_code} {quote.service_name} — {reason}",
        data={
            "shipment": shipment.pk,
            "carrier": quote.carrier_code,
            "service": quote.service_code,
        },
    )
    return shipment


# --- picking, packing, shipping, delivery -----------------------------------------------------


def _refuse_held(order: Order, what: str) -> None:
    if order.hold_kind:
        raise _status_error(
            "hold",
            f"{order.number} is on hold ({order.get_hold_kind_display().lower()}: "
            f"{order.hold_reason}); it cannot be {what} until a manager releases it.",
        )
    if order.status == Status.CANCELLED:
        raise _status_error("status", f"{order.number} is cancelled.")


@transaction.atomic
def shipments_start_picking(
    *, warehouse: Warehouse, by: Actor, limit: int = 20, shipment_ids: Iterable[int] | None = None
) -> list[Shipment]:
    """Start a pick batch: the oldest pending shipments of the warehouse (orders not on hold)
    become `picking`. Writes one timeline event per order."""
    if not 1 <= limit <= 200:
        raise _error("limit", "Pick between 1 and 200 shipments at a time.")
    pending = Shipment.objects.filter(
        warehouse=warehouse,
        status=Shipment.Status.PENDING,
        order__hold_kind=Order.HoldKind.NONE,
        order__status__in=OPEN_ORDER_STATUSES,
    )
    if shipment_ids is not None:
        pending = pending.filter(pk__in=list(shipment_ids))
    batch = list(
        pending.select_for_update(skip_locked=True, of=("self",))
        .select_related("order")
        .order_by("created_at", "id")[:limit]
    )
    if not batch:
        return []
    Shipment.objects.filter(pk__in=[s.pk for s in batch]).update(status=Shipment.Status.PICKING)
    OrderEvent.objects.bulk_create(
        [
            _event(
                s.order,
                Kind.PICKED,
                f"Picking started in {warehouse.code} (batch of {len(batch)})",
                by,
                shipment=s.pk,
            )
            for s in batch
        ]
    )
    for s in batch:
        s.status = Shipment.Status.PICKING
    return batch


@transaction.atomic
def shipment_pack(
    *,
    shipment: Shipment,
    by: Actor,
    weight_grams: int,
    quantities: Mapping[int, int] | None = None,
) -> Shipment:
    """Pack a picked shipment: confirm the units of each line (`quantities`: order line id →
    units; fewer than planned go onto a new pending shipment, still reserved) and the weight.
    The carrier is chosen again for the real weight. Sends `orders.signals.shipment_packed`."""
    if isinstance(weight_grams, bool) or not isinstance(weight_grams, int):
        raise _error("weight_grams", "Enter the weight in whole grams.")
    if not 1 <= weight_grams <= MAX_PARCEL_GRAMS:
        raise _error("weight_grams", f"Between 1 and {MAX_PARCEL_GRAMS} grams.")
    order, shipment = _lock_shipment(shipment)
    _refuse_held(order, "packed")
    if shipment.status not in Shipment.UNPACKED_STATUSES:
        raise _status_error(
            "status",
            f"Shipment #{shipment.pk} is {shipment.get_status_display().lower()}: "
            "only a pending or picking shipment can be packed.",
        )
    lines = list(shipment.lines.select_related("order_line__product").order_by("id"))
    packed: dict[int, int] = {}
    errors: list[str] = []
    given = dict(quantities or {})
    unknown = set(given) - {line.order_line_id for line in lines}
    if unknown:
        errors.append(f"Order line(s) {sorted(unknown)} are not on shipment #{shipment.pk}.")
    for line in lines:
        units = given.get(line.order_line_id, line.quantity)
        sku = line.order_line.product.sku
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            errors.append(f"{sku}: enter a whole number of 0 or more.")
        elif units > line.quantity:
            errors.append(f"{sku}: {units} packed but only {line.quantity} on the shipment.")
        else:
            packed[line.pk] = units
    if errors:
        raise ValidationError({"quantities": errors})
    if not any(packed.values()):
        raise _error("quantities", "Nothing to pack: confirm at least one unit.")
    for line in lines:
        units = packed[line.pk]
        if units == 0:
            line.delete()
        elif units < line.quantity:
            ShipmentLine.objects.filter(pk=line.pk).update(quantity=units)
    now = timezone.now()
    shipment.status = Shipment.Status.PACKED
    shipment.weight_grams = weight_grams
    shipment.packed_at = now
    shipment.save(update_fields=["status", "weight_grams", "packed_at"])
    short = [
        f"{line.order_line.product.sku} ×{line.quantity - packed[line.pk]}"
        for line in lines
        if packed[line.pk] < line.quantity
    ]
    events = [
        _event(
            order,
            Kind.PACKED,
            f"Shipment #{shipment.pk} packed, {weight_grams} g"
            + (f"; short: {', '.join(short)} to follow" if short else ""),
            by,
            shipment=shipment.pk,
            weight_grams=weight_grams,
        )
    ]
    OrderEvent.objects.bulk_create(events)
    _choose_carrier(order, shipment, by=by, now=now)
    if short:
        _sync_shipments(order, [shipment.warehouse_id], by=by, now=now)
    shipment_packed.send(sender=Shipment, shipment=shipment)
    return shipment


def _clean_tracking(tracking_number: str, shipment: Shipment) -> str:
    value = (tracking_number or "").strip()
    if not value:
        raise _error("tracking_number", "Enter the carrier's tracking number.", "required")
    if not TRACKING_NUMBER.fullmatch(value):
        raise _error(
            "tracking_number", "4 to 60 letters, digits or hyphens, as printed on the label."
        )
    other = (
        Shipment.objects.filter(
            tracking_number=value, carrier_service__carrier_id=shipment.carrier_service.carrier_id
        )
        .exclude(pk=shipment.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if other is not None:
        raise _error("tracking_number", f"{value} is already on shipment #{other}.")
    return value


@transaction.atomic
def shipment_ship(*, shipment: Shipment, by: Actor, tracking_number: str) -> Shipment:
    """Hand a packed shipment to the carrier: consumes its reservations (ledger: shipment rows),
    moves allocated → shipped, records the tracking number and queues the "shipped" email."""
    order, shipment = _lock_shipment(shipment)
    _refuse_held(order, "shipped")
    if shipment.status not in (Shipment.Status.PACKED, Shipment.Status.LABELLED):
        raise _status_error(
            "status",
            f"Shipment #{shipment.pk} is {shipment.get_status_display().lower()}: "
            "pack it before shipping.",
        )
    if shipment.carrier_service_id is None:
        raise _status_error("carrier_service", "Choose a carrier service before shipping.")
    tracking = _clean_tracking(tracking_number, shipment)
    lines = list(shipment.lines.select_related("order_line"))
    stock.stock_consume_many(
        lines=[
            (shipment.warehouse_id, line.order_line.product_id, line.quantity) for line in lines
        ],
        actor=by,
        reference=shipment,
        reason=f"{order.number} shipment #{shipment.pk}",
    )
    _take_from_allocations(
        {(line.order_line_id, shipment.warehouse_id): line.quantity for line in lines}
    )
    for line in lines:
        OrderLine.objects.filter(pk=line.order_line_id).update(
            allocated=F("allocated") - line.quantity, shipped=F("shipped") + line.quantity
        )
    now = timezone.now()
    shipment.status = Shipment.Status.SHIPPED
    shipment.tracking_number = tracking
    shipment.shipped_at = now
    shipment.save(update_fields=["status", "tracking_number", "shipped_at"])
    OrderEvent.objects.create(
        order=order,
        kind=Kind.SHIPPED,
        actor=by,
        message=f"Shipment #{shipment.pk} shipped, tracking {tracking}",
        data={"shipment": shipment.pk, "tracking_number": tracking},
    )
    _refresh_status(order)
    notify(order=order, kind=CustomerEmail.Kind.SHIPPED, shipment=shipment, actor=by)
    return shipment


@transaction.atomic
def shipment_deliver(
    *, shipment: Shipment, by: Actor = None, at: dt.datetime | None = None, source: str = ""
) -> Shipment:
    """Record delivery (from the API or the carrier's webhook); delivering twice is a no-op.
    Queues the "delivered" email and derives the order status."""
    order, shipment = _lock_shipment(shipment)
    if shipment.status == Shipment.Status.DELIVERED:
        return shipment
    if shipment.status not in (Shipment.Status.SHIPPED, Shipment.Status.EXCEPTION):
        raise _status_error(
            "status",
            f"Shipment #{shipment.pk} is {shipment.get_status_display().lower()}: "
            "only a shipped parcel can be delivered.",
        )
    shipment.status = Shipment.Status.DELIVERED
    shipment.delivered_at = at or timezone.now()
    shipment.save(update_fields=["status", "delivered_at"])
    OrderEvent.objects.create(
        order=order,
        kind=Kind.DELIVERED,
        actor=by,
        message=f"Shipment #{shipment.pk} delivered" + (f" ({source})" if source else ""),
        data={"shipment": shipment.pk, "source": source},
    )
    _refresh_status(order)
    notify(order=order, kind=CustomerEmail.Kind.DELIVERED, shipment=shipment, actor=by)
    return shipment


@transaction.atomic
def shipment_exception(
    *, shipment: Shipment, reason: str, by: Actor = None, source: str = ""
) -> Shipment:
    """Record a delivery exception (lost, damaged, address not found): the order is at risk and
    the customer hears it will be late (once)."""
    reason = _reason(reason)
    order, shipment = _lock_shipment(shipment)
    if shipment.status not in (Shipment.Status.SHIPPED, Shipment.Status.EXCEPTION):
        raise _status_error(
            "status",
            f"Shipment #{shipment.pk} is {shipment.get_status_display().lower()}: "
            "only a shipped parcel can have a delivery exception.",
        )
    shipment.status = Shipment.Status.EXCEPTION
    shipment.exception_reason = reason
    shipment.save(update_fields=["status", "exception_reason"])
    OrderEvent.objects.create(
        order=order,
        kind=Kind.EXCEPTION,
        actor=by,
        message=f"Shipment #{shipment.pk}: {reason}" + (f" ({source})" if source else ""),
        data={"shipment": shipment.pk, "source": source},
    )
    _flag_at_risk(order, f"Delivery exception on shipment #{shipment.pk}: {reason}", by)
    return shipment


TRACKING_STATUSES = ("in_transit", "delivered", "exception")


def shipment_tracking_update(
    *,
    carrier_code: str,
    tracking_number: str,
    status: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Shipment:
    """A carrier's tracking event (the webhook): delivered or exception; in transit is noted."""
    if status not in TRACKING_STATUSES:
        raise _error("status", f"Use one of {', '.join(TRACKING_STATUSES)}.")
    shipment = (
        Shipment.objects.filter(
            tracking_number=tracking_number, carrier_service__carrier__code=carrier_code
        )
        .order_by("-id")
        .first()
    )
    if shipment is None:
        raise _error(
            "tracking_number",
            f"No {carrier_code} shipment has tracking number {tracking_number!r}.",
            "not_found",
        )
    source = f"{carrier_code} tracking"
    if status == "delivered":
        return shipment_deliver(shipment=shipment, at=at, source=source)
    if status == "exception":
        if shipment.status == Shipment.Status.EXCEPTION and shipment.exception_reason == reason:
            return shipment  # the carrier sent the same event again
        return shipment_exception(
            shipment=shipment, reason=reason or "Reported by the carrier", source=source
        )
    return shipment


# --- promise at risk --------------------------------------------------------------------------


def _flag_at_risk(order: Order, reason: str, by: Actor = None) -> bool:
    """Mark the order at risk (once), note why on the timeline, tell the customer (once)."""
    changed = Order.objects.filter(pk=order.pk, at_risk=False).update(
        at_risk=True, at_risk_reason=reason[:300], updated_at=timezone.now()
    )
    if changed:
        order.at_risk, order.at_risk_reason = True, reason[:300]
        OrderEvent.objects.create(order=order, kind=Kind.AT_RISK, actor=by, message=reason[:300])
    if order.status != Status.CANCELLED:
        notify(order=order, kind=CustomerEmail.Kind.DELAYED, actor=by)
    return bool(changed)


def orders_flag_at_risk(*, today: dt.date | None = None, limit: int = 500) -> int:
    """The beat's sweep: flag open orders that will miss their promise — the promised ship date
    passed with units not shipped, or a shipment's estimated delivery falls after the promised
    delivery date — and queue the "delayed" email once for every flagged order lacking one.
    One transaction per order; returns how many orders were newly flagged."""
    today = today or timezone.localdate()
    late_shipment = Shipment.objects.filter(
        order=OuterRef("pk"),
        status__in=(*Shipment.OPEN_STATUSES, Shipment.Status.SHIPPED),
        estimated_delivery_date__gt=OuterRef("promised_delivery_date"),
    )
    candidates = (
        Order.objects.filter(status__in=OPEN_ORDER_STATUSES + (Status.SHIPPED,), at_risk=False)
        .filter(
            Q(status__in=OPEN_ORDER_STATUSES, promised_ship_date__lt=today) | Exists(late_shipment)
        )
        .order_by("promised_delivery_date", "id")[:limit]
    )
    flagged = 0
    for order in candidates:
        if (
            order.status in OPEN_ORDER_STATUSES
            and order.promised_ship_date
            and (order.promised_ship_date < today)
        ):
            reason = (
                f"Promised to ship by {order.promised_ship_date:%Y-%m-%d}; units are still waiting."
            )
        else:
            reason = "A shipment's estimated delivery is after the promised delivery date."
        with transaction.atomic():
            flagged += _flag_at_risk(_lock_order(order), reason)
    unnotified = (
        Order.objects.filter(at_risk=True, status__in=OPEN_ORDER_STATUSES + (Status.SHIPPED,))
        .exclude(Exists(CustomerEmail.objects.filter(order=OuterRef("pk"), kind="delayed")))
        .order_by("id")[:limit]
    )
    for order in unnotified:
        with transaction.atomic():
            notify(order=order, kind=CustomerEmail.Kind.DELAYED)
    return flagged
