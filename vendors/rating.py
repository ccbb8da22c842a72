"""Carrier rating: zones from great-circle distance, and `quote()` over every carrier's rate card.

Zone bands (great-circle km from the origin warehouse to the destination):

    zone 1:    0 –  150 km        zone 5: 1200 – 1600 km
    zone 2:  150 –  400 km        zone 6: 1600 – 2100 km
    zone 3:  400 –  800 km        zone 7: 2100 – 2700 km
    zone 4:  800 – 1200 km        zone 8: 2700 km and beyond

A band includes its lower limit (exactly 150 km is zone 2). A rate card cell (`ShippingRate`) is
(service, zone, max_weight_grams) → price, transit days; a parcel uses the cell with the smallest
max_weight_grams at or above its weight, and a service with no such cell does not carry it.

Cost: one query per zone fetches the rates of every active service of every active carrier. The
result is kept per process for `VENDORS_RATE_CACHE_SECONDS` (default 60 s); saving or deleting a
rate, service, carrier or vendor in this process, or importing a rate card, drops it at once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from inventory.models import Warehouse
from opsportal import geo

# Upper limits (km, exclusive) of zones 1..7; beyond the last is zone 8.
ZONE_LIMITS_KM: tuple[int, ...] = (150, 400, 800, 1200, 1600, 2100, 2700)
ZONES: tuple[int, ...] = tuple(range(1, len(ZONE_LIMITS_KM) + 2))

# The most transit days each order service level allows (orders.Order.ServiceLevel values).
SERVICE_LEVEL_TRANSIT_DAYS: dict[str, int] = {
    "economy": 7,
    "standard": 5,
    "expedited": 2,
    "overnight": 1,
}


def zone_for_km(km: float) -> int:
    """The rating zone (1–8) of a great-circle distance in km; see the bands above."""
    if km < 0:
        raise ValueError("distance must not be negative")
    return 1 + bisect.bisect_right(ZONE_LIMITS_KM, km)


@dataclass(frozen=True)
class Quote:
    carrier_code: str
    carrier_name: str
    service_id: int
    service_code: str
    service_name: str
    speed: str
    zone: int
    distance_km: float
    weight_grams: int
    weight_break_grams: int  # the rate card cell used: the smallest break ≥ the weight
    price: Decimal
    transit_days: int
    ship_date: dt.date
    estimated_delivery: dt.date
    # None when no service level was asked for; else whether transit days fit that level.
    meets_service_level: bool | None

    def as_dict(self) -> dict:
        """JSON-ready (e.g. stored on a shipment as one of the quotes considered)."""
        return {
            "carrier": self.carrier_code,
            "carrier_name": self.carrier_name,
            "service_id": self.service_id,
            "service": self.service_code,
            "service_name": self.service_name,
            "speed": self.speed,
            "zone": self.zone,
            "distance_km": round(self.distance_km, 1),
            "weight_break_grams": self.weight_break_grams,
            "price": str(self.price),
            "transit_days": self.transit_days,
            "ship_date": self.ship_date.isoformat(),
            "estimated_delivery": self.estimated_delivery.isoformat(),
            "meets_service_level": self.meets_service_level,
        }


@dataclass(frozen=True)
class _Rate:
    service_id: int
    service_code: str
    service_name: str
    speed: str
    carrier_code: str
    carrier_name: str
    max_weight_grams: int
    price: Decimal
    transit_days: int


# zone -> (expires at (monotonic), rates by service id, each sorted by max weight)
_cache: dict[int, tuple[float, dict[int, list[_Rate]]]] = {}
_cache_lock = threading.Lock()


def clear_rate_cache(**_kwargs: object) -> None:
    """Forget cached rate cards (after a rate card, service or carrier changed)."""
    with _cache_lock:
        _cache.clear()


def _rates_for_zone(zone: int) -> dict[int, list[_Rate]]:
    ttl = float(getattr(settings, "VENDORS_RATE_CACHE_SECONDS", 60))
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(zone)
    if hit is not None and hit[0] > now:
        return hit[1]
    from vendors.models import ShippingRate

    rows = (
        ShippingRate.objects.filter(
            zone=zone,
            service__is_active=True,
            service__carrier__is_active=True,
            service__carrier__vendor__is_active=True,
        )
        .order_by("service_id", "max_weight_grams")
        .values_list(
            "service_id",
            "service__code",
            "service__name",
            "service__speed",
            "service__carrier__code",
            "service__carrier__vendor__name",
            "max_weight_grams",
            "price",
            "transit_days",
        )
    )
    by_service: dict[int, list[_Rate]] = {}
    for row in rows:
        by_service.setdefault(row[0], []).append(_Rate(*row))
    if ttl > 0:
        with _cache_lock:
            _cache[zone] = (now + ttl, by_service)
    return by_service


def ship_date_for(warehouse: Warehouse, now: dt.datetime | None = None) -> dt.date:
    """The day a parcel handed over `now` leaves: today in the warehouse's time zone if that is a
    business day and the clock is not past the cut-off, else the next business day."""
    now = now or timezone.now()
    try:
        tz = zoneinfo.ZoneInfo(warehouse.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = now.astimezone(tz)
    day = local.date()
    if geo.is_business_day(day) and local.time() <= warehouse.cutoff_time:
        return day
    return geo.next_business_day(day)


def quote(
    *,
    origin: Warehouse,
    destination: tuple[float, float],
    weight_grams: int,
    service_level: str | None = None,
    ship_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[Quote]:
    """Every applicable rate of every active service of every active carrier, cheapest first.

    `destination` is (latitude, longitude). `service_level` (economy, standard, expedited,
    overnight) does not filter: it marks each quote with whether its transit days meet the level,
    so a caller can take the cheapest that meets it, else the fastest (see `choose`). Without a
    `ship_date`, the ship date follows the warehouse cut-off at `now` (default: the current time).
    Rates are read with one query per zone (cached per process, see the module docstring).
    """
    if origin.latitude is None or origin.longitude is None:
        raise ValueError(f"Warehouse {origin.code} has no coordinates.")
    if weight_grams < 0:
        raise ValueError("weight_grams must not be negative")
    if service_level is not None and service_level not in SERVICE_LEVEL_TRANSIT_DAYS:
        raise ValueError(
            f"Unknown service level {service_level!r}; "
            f"use one of {', '.join(SERVICE_LEVEL_TRANSIT_DAYS)}."
        )
    lat, lon = destination
    km = geo.haversine_km(float(origin.latitude), float(origin.longitude), float(lat), float(lon))
    zone = zone_for_km(km)
    leaves = ship_date if ship_date is not None else ship_date_for(origin, now)
    max_days = SERVICE_LEVEL_TRANSIT_DAYS.get(service_level) if service_level else None
    quotes = []
    for rates in _rates_for_zone(zone).values():
        weights = [r.max_weight_grams for r in rates]
        i = bisect.bisect_left(weights, weight_grams)
        if i == len(rates):
            continue  # heavier than the service's largest weight break
        r = rates[i]
        quotes.append(
            Quote(
                carrier_code=r.carrier_code,
                carrier_name=r.carrier_name,
                service_id=r.service_id,
                service_code=r.service_code,
                service_name=r.service_name,
                speed=r.speed,
                zone=zone,
                distance_km=km,
                weight_grams=weight_grams,
                weight_break_grams=r.max_weight_grams,
                price=r.price,
                transit_days=r.transit_days,
                ship_date=leaves,
                estimated_delivery=geo.add_business_days(leaves, r.transit_days),
                meets_service_level=None if max_days is None else r.transit_days <= max_days,
            )
        )
    quotes.sort(key=lambda q: (q.price, q.transit_days, q.carrier_code, q.service_code))
    return quotes


def choose(quotes: list[Quote], service_level: str) -> Quote | None:
    """The cheapest quote whose transit days meet the service level, else the fastest one."""
    if not quotes:
        return None
    max_days = SERVICE_LEVEL_TRANSIT_DAYS[service_level]
    meeting = [q for q in quotes if q.transit_days <= max_days]
    if meeting:
        return min(meeting, key=lambda q: (q.price, q.transit_days))
    return min(quotes, key=lambda q: (q.transit_days, q.price))


def connect_cache_invalidation() -> None:
    """Called from VendorsConfig.ready(): changes made in this process drop the cache."""
    from vendors.models import Carrier, CarrierService, ShippingRate, Vendor

    for model in (ShippingRate, CarrierService, Carrier, Vendor):
        uid = f"vendors.rating.clear:{model.__name__}"
        post_save.connect(clear_rate_cache, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(clear_rate_cache, sender=model, dispatch_uid=uid + ":delete")
