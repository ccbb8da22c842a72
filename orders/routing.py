"""Routing: which warehouse(s) fill an order, and why. Pure planning over figures read before.

Candidates are the active warehouses. Each is quoted for the whole parcel (vendors.rating) and
checked against the stock available to it. The promise is the earliest ship date of any candidate
(its cut-off in its time zone) plus the transit days of the service level, in business days.

- One warehouse that can fill every line wins, ranked by (promise met, shipping cost, distance).
- Otherwise the order is split, greedily: take the warehouse that covers the most of the units
  still needed (ties: the better ranked), then the next, until nothing more can be covered.
  Greedy set cover is not always the true minimum, but it is within a small factor of it and
  is exact for the common cases (one or two warehouses); we accept that.
- What no warehouse has is backordered; `orders.services.backorders_allocate` fills it, oldest
  order first, when stock arrives.

Every candidate considered is kept with why it won or lost (`RoutingPlan.as_json()` is what
Order.routing stores and the order page shows under "why this warehouse"). Reasons name no
prices: warehouse staff see the reasons, not the shipping costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from inventory.models import Warehouse
from opsportal import geo
from orders.addresses import Destination
from vendors import rating

PACKAGING_GRAMS = 150


@dataclass(frozen=True)
class Need:
    """Units of one order line still to place."""

    key: int  # the line's index in the order (or its pk)
    product_id: int
    sku: str
    quantity: int
    unit_weight_grams: int


@dataclass
class Candidate:
    warehouse: Warehouse
    fillable: dict[int, int]  # need key → units this warehouse can give
    can_fill: bool
    distance_km: float | None
    ship_date: dt.date
    quote: rating.Quote | None = None
    meets_promise: bool | None = None
    rank: int = 0
    why: str = ""

    @property
    def cost(self) -> Decimal | None:
        return self.quote.price if self.quote else None

    def sort_key(self) -> tuple:
        return (
            self.meets_promise is not True,
            self.cost if self.cost is not None else Decimal("Infinity"),
            self.distance_km if self.distance_km is not None else float("inf"),
            self.warehouse.code,
        )


@dataclass
class RoutingPlan:
    mode: str  # "single", "split", "backordered", "none"
    assignments: list[tuple[int, int, int]]  # (need key, warehouse id, units)
    backordered: dict[int, int]  # need key → units no warehouse has
    candidates: list[Candidate]
    chosen: list[Warehouse]
    reason: str
    promised_ship_date: dt.date
    promised_delivery_date: dt.date
    destination: Destination | None
    needs: list[Need] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def as_json(self, *, decided_at: dt.datetime) -> dict:
        skus = {need.key: need.sku for need in self.needs}
        data = {
            "decided_at": decided_at.isoformat(timespec="seconds"),
            "mode": self.mode,
            "chosen": [w.code for w in self.chosen],
            "reason": self.reason,
            "promised_delivery_date": self.promised_delivery_date.isoformat(),
            "destination": (
                f"{self.destination.latitude:.4f}, {self.destination.longitude:.4f} "
                f"({self.destination.source})"
                if self.destination
                else "unknown"
            ),
            "backordered": ", ".join(
                f"{skus.get(key, key)} ×{units}" for key, units in self.backordered.items()
            ),
            **self.extra,
            "candidates": [
                {
                    "rank": c.rank,
                    "warehouse": c.warehouse.code,
                    "can_fill": c.can_fill,
                    "units_available": sum(c.fillable.values()),
                    "meets_promise": c.meets_promise,
                    "cost": str(c.cost) if c.cost is not None else None,
                    "service": (
                        f"{c.quote.carrier_code} {c.quote.service_code}" if c.quote else None
                    ),
                    "distance_km": round(c.distance_km) if c.distance_km is not None else None,
                    "ships": c.ship_date.isoformat(),
                    "why": c.why,
                }
                for c in self.candidates
            ],
        }
        if not data["backordered"]:
            del data["backordered"]
        return data


def parcel_grams(items: Iterable[tuple[int, int]]) -> int:
    """Weight of a parcel of (unit weight, units) items, with the packaging."""
    return sum(weight * units for weight, units in items) + PACKAGING_GRAMS


def best_quote(quotes: Sequence[rating.Quote], promise: dt.date) -> rating.Quote | None:
    """The cheapest quote delivering by the promise, else the fastest (then cheapest)."""
    meeting = [q for q in quotes if q.estimated_delivery <= promise]
    if meeting:
        return min(meeting, key=lambda q: (q.price, q.estimated_delivery, q.carrier_code))
    if not quotes:
        return None
    return min(quotes, key=lambda q: (q.estimated_delivery, q.price, q.carrier_code))


def promise_for(ship_date: dt.date, service_level: str) -> dt.date:
    return geo.add_business_days(ship_date, rating.SERVICE_LEVEL_TRANSIT_DAYS[service_level])


def plan(
    *,
    needs: Sequence[Need],
    warehouses: Sequence[Warehouse],
    available: dict[tuple[int, int], int],
    destination: Destination | None,
    service_level: str,
    now: dt.datetime,
    promised_delivery_date: dt.date | None = None,
) -> RoutingPlan:
    """Choose warehouses for the needs from the figures given; writes nothing."""
    needs = [need for need in needs if need.quantity > 0]
    candidates = [_candidate(w, needs, available, destination, now) for w in warehouses]
    earliest = min((c.ship_date for c in candidates), default=now.date())
    promise = promised_delivery_date or promise_for(earliest, service_level)
    grams = parcel_grams((n.unit_weight_grams, n.quantity) for n in needs)
    for c in candidates:
        if destination is not None and c.warehouse.latitude is not None:
            quotes = rating.quote(
                origin=c.warehouse,
                destination=(destination.latitude, destination.longitude),
                weight_grams=grams,
                service_level=service_level,
                now=now,
            )
            c.quote = best_quote(quotes, promise)
            c.meets_promise = c.quote is not None and c.quote.estimated_delivery <= promise
    candidates.sort(key=Candidate.sort_key)
    candidates.sort(key=lambda c: not c.can_fill)  # stable: fillers first, each by rank
    for rank, c in enumerate(candidates, start=1):
        c.rank = rank

    if not needs:
        mode, assignments, backordered, chosen = "none", [], {}, []
        reason = "Nothing left to place."
    elif candidates and candidates[0].can_fill:
        winner = candidates[0]
        mode, chosen, backordered = "single", [winner.warehouse], {}
        assignments = [(n.key, winner.warehouse.pk, n.quantity) for n in needs]
        reason = _single_reason(winner, candidates)
        for c in candidates[1:]:
            c.why = _lost_to(c, winner, needs)
        winner.why = "Chosen: fills every line"
    else:
        assignments, backordered, chosen = _split(needs, candidates)
        mode = "split" if chosen else "backordered"
        reason = _split_reason(chosen, backordered, needs)
        used = {w.pk for w in chosen}
        for c in candidates:
            if c.warehouse.pk in used:
                units = sum(u for _, w, u in assignments if w == c.warehouse.pk)
                c.why = f"Chosen: gives {units} unit(s)"
            else:
                c.why = _shortage(c, needs) or "Not needed: the others cover what it has"
    first_ship = next(
        (c.ship_date for c in candidates if chosen and c.warehouse.pk == chosen[0].pk), earliest
    )
    return RoutingPlan(
        mode=mode,
        assignments=assignments,
        backordered=backordered,
        candidates=candidates,
        chosen=chosen,
        reason=reason,
        promised_ship_date=first_ship,
        promised_delivery_date=promise,
        destination=destination,
        needs=list(needs),
    )


def _candidate(
    warehouse: Warehouse,
    needs: Sequence[Need],
    available: dict[tuple[int, int], int],
    destination: Destination | None,
    now: dt.datetime,
) -> Candidate:
    fillable = {
        n.key: max(0, min(n.quantity, available.get((warehouse.pk, n.product_id), 0)))
        for n in needs
    }
    km = None
    if destination is not None and warehouse.latitude is not None:
        km = geo.haversine_km(
            float(warehouse.latitude),
            float(warehouse.longitude),
            destination.latitude,
            destination.longitude,
        )
    return Candidate(
        warehouse=warehouse,
        fillable=fillable,
        can_fill=bool(needs) and all(fillable[n.key] == n.quantity for n in needs),
        distance_km=km,
        ship_date=rating.ship_date_for(warehouse, now),
    )


def _shortage(c: Candidate, needs: Sequence[Need]) -> str:
    short = [
        f"{n.sku} ({c.fillable[n.key]} of {n.quantity})"
        for n in needs
        if c.fillable[n.key] < n.quantity
    ]
    return "Cannot fill " + ", ".join(short) if short else ""


def _lost_to(c: Candidate, winner: Candidate, needs: Sequence[Need]) -> str:
    if not c.can_fill:
        return _shortage(c, needs)
    if winner.meets_promise and not c.meets_promise:
        return "Misses the promised delivery date"
    if c.cost is not None and winner.cost is not None and c.cost > winner.cost:
        return "Costs more to ship"
    if c.cost is None and winner.cost is not None:
        return "No carrier rate for this parcel"
    return "Farther away"


def _single_reason(winner: Candidate, candidates: Sequence[Candidate]) -> str:
    code = winner.warehouse.code
    fillers = sum(1 for c in candidates if c.can_fill)
    parts = [f"{code} can fill every line"]
    if winner.meets_promise:
        parts.append("meets the promised delivery date")
    elif winner.meets_promise is False:
        parts.append("no warehouse can meet the promised delivery date; it is the best option")
    if fillers > 1 and winner.cost is not None:
        parts.append("is the cheapest to ship from among those that can")
    if winner.distance_km is not None:
        parts.append(f"is {winner.distance_km:,.0f} km away")
    others = f" ({fillers - 1} other warehouse(s) could fill it too)" if fillers > 1 else ""
    return ", ".join(parts) + others + "."


def _split(
    needs: Sequence[Need], candidates: Sequence[Candidate]
) -> tuple[list[tuple[int, int, int]], dict[int, int], list[Warehouse]]:
    remaining = {n.key: n.quantity for n in needs}
    left = {c.warehouse.pk: dict(c.fillable) for c in candidates}
    assignments: list[tuple[int, int, int]] = []
    chosen: list[Warehouse] = []
    pool = list(candidates)
    while any(remaining.values()) and pool:
        # The warehouse covering the most units still needed; ties go to the better ranked.
        best = max(
            pool,
            key=lambda c: (
                sum(min(left[c.warehouse.pk][k], r) for k, r in remaining.items()),
                -c.rank,
            ),
        )
        gives = {k: min(left[best.warehouse.pk][k], r) for k, r in remaining.items()}
        if not any(gives.values()):
            break
        pool.remove(best)
        chosen.append(best.warehouse)
        for key, units in gives.items():
            if units:
                assignments.append((key, best.warehouse.pk, units))
                remaining[key] -= units
    backordered = {k: r for k, r in remaining.items() if r}
    return assignments, backordered, chosen


def _split_reason(chosen: Sequence[Warehouse], backordered: dict[int, int], needs) -> str:
    skus = {n.key: n.sku for n in needs}
    if not chosen:
        reason = "No warehouse has any of the stock available"
    elif len(chosen) == 1:
        reason = f"No warehouse can fill every line; {chosen[0].code} has the most of it"
    else:
        reason = (
            "No warehouse can fill every line: split over "
            + ", ".join(w.code for w in chosen)
            + " (fewest warehouses, chosen greedily)"
        )
    if backordered:
        reason += "; backordered: " + ", ".join(
            f"{skus[k]} ×{units}" for k, units in backordered.items()
        )
    return reason + "."
