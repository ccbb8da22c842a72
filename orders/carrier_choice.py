"""Carrier choice per shipment: quote every service of every carrier, keep every quote.

The choice is the cheapest quote whose estimated delivery (the ship date follows the warehouse's
cut-off in its time zone, transit in business days) is on or before the order's promised
delivery date; when none is, the fastest. Every quote is stored on the shipment with whether it
meets the promise and which one was chosen; a manager's override picks another service from the
same quotes and keeps the reason (orders.services.shipment_override_carrier).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from orders import fastsql
from orders.models import Order, OrderEvent, Shipment
from orders.routing import best_quote
from vendors import rating
from vendors.models import CarrierService


def _destination(order: Order) -> tuple[float, float] | None:
    if order.ship_to_latitude is None or order.ship_to_longitude is None:
        return None
    return float(order.ship_to_latitude), float(order.ship_to_longitude)


def _quotes(shipment: Shipment, order: Order, weight_grams: int, now: dt.datetime) -> list:
    destination = _destination(order)
    warehouse = shipment.warehouse
    if destination is None or warehouse.latitude is None or warehouse.longitude is None:
        return []
    return rating.quote(
        origin=warehouse,
        destination=destination,
        weight_grams=weight_grams,
        service_level=order.service_level,
        now=now,
    )


def _store(shipment: Shipment, order: Order, quotes: list, chosen, **flags) -> None:
    promise = order.promised_delivery_date
    shipment.quotes = [
        {
            **q.as_dict(),
            "meets_promise": promise is not None and q.estimated_delivery <= promise,
            "chosen": q is chosen,
            **(flags if q is chosen else {}),
        }
        for q in quotes
    ]
    shipment.carrier_service_id = chosen.service_id if chosen else None
    shipment.cost = chosen.price if chosen else None
    shipment.estimated_delivery_date = chosen.estimated_delivery if chosen else None


def choose(
    shipment: Shipment, *, order: Order, weight_grams: int, now: dt.datetime
) -> rating.Quote | None:
    """Quote the shipment and take the cheapest that meets the promise, else the fastest.

    Sets weight, carrier service, cost, estimated delivery and quotes on the (unsaved) shipment;
    no quote at all (no address coordinates, no rate card for the zone or weight) leaves the
    carrier empty for a manager to choose."""
    shipment.weight_grams = weight_grams
    quotes = _quotes(shipment, order, weight_grams, now)
    promise = order.promised_delivery_date or dt.date.max
    chosen = best_quote(quotes, promise)
    _store(shipment, order, quotes, chosen)
    return chosen


def override(
    shipment: Shipment,
    *,
    order: Order,
    service: CarrierService,
    weight_grams: int,
    now: dt.datetime,
) -> rating.Quote:
    """Take `service` for the shipment, priced from a fresh quote; ValidationError if it cannot
    carry this parcel to this address."""
    quotes = _quotes(shipment, order, weight_grams, now)
    chosen = next((q for q in quotes if q.service_id == service.pk), None)
    if chosen is None:
        if not quotes:
            raise ValidationError(
                {"service": "No carrier can be quoted for this shipment: check the address."}
            )
        raise ValidationError(
            {
                "service": f"{service.carrier.code} {service.name} has no rate for a "
                f"{weight_grams} g parcel to this address."
            }
        )
    _store(shipment, order, quotes, chosen, overridden=True)
    return chosen


def misses_promise(shipment: Shipment, order: Order) -> bool:
    return bool(
        shipment.estimated_delivery_date
        and order.promised_delivery_date
        and shipment.estimated_delivery_date > order.promised_delivery_date
    )


def event_for(shipment: Shipment, order: Order, actor=None) -> OrderEvent:
    """The timeline event of a choice (unsaved). No price in it: staff read the timeline."""
    chosen = next((q for q in shipment.quotes if q.get("chosen")), None)
    where = shipment.warehouse.code
    if chosen is None:
        message = f"From {where}: no carrier rate for this parcel; a manager must choose one."
        data = {"quotes": 0}
    else:
        promise = "meets the promise" if chosen["meets_promise"] else "misses the promise"
        message = (
            f"From {where}: {chosen['carrier']} {chosen['service_name']}, "
            f"{chosen['transit_days']} business day(s), arrives {chosen['estimated_delivery']} "
            f"({promise}; {len(shipment.quotes)} quote(s) compared)"
        )
        data = {"carrier": chosen["carrier"], "service": chosen["service"]}
    return fastsql.new(
        OrderEvent,
        order=order,
        kind=OrderEvent.Kind.CARRIER_CHOSEN,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message[:300],
        data=data,
    )
