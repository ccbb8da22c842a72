"""Carrier rating: zone bands, geography helpers and quote() over real rate cards."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal import geo
from tests import factories
from tests.vendors.factories import chicago_warehouse, rate_card
from vendors import rating

CHICAGO_TZ = zoneinfo.ZoneInfo("America/Chicago")
CHICAGO = (41.8781, -87.6298)  # ~290 km from Springfield, IL: zone 2
# 2026-06-10 is a Wednesday.
WEDNESDAY = datetime.date(2026, 6, 10)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO_TZ)


@pytest.mark.parametrize(
    ("km", "zone"),
    [
        (0, 1),
        (149.9, 1),
        (150, 2),
        (399.99, 2),
        (400, 3),
        (1199, 4),
        (1600, 6),
        (2699.9, 7),
        (2700, 8),
        (12000, 8),
    ],
)
def test_zone_bands(km, zone):
    assert rating.zone_for_km(km) == zone


def test_negative_distance_is_refused():
    with pytest.raises(ValueError, match="negative"):
        rating.zone_for_km(-1)


def test_haversine_new_york_to_los_angeles():
    km = geo.haversine_km(40.7128, -74.0060, 34.0522, -118.2437)
    assert km == pytest.approx(3936, abs=5)
    assert geo.haversine_km(10, 10, 10, 10) == 0


def test_coordinates_for_known_and_unknown_postal_codes():
    assert geo.coordinates_for("US", "10001") == (40.7506, -73.9972)
    assert geo.coordinates_for("us", " 10001-1234 ") == (40.7506, -73.9972)
    assert geo.coordinates_for("NL", "1012js") == (52.3731, 4.8926)
    assert geo.coordinates_for("DE", "10001") is None
    assert geo.coordinates_for("US", "99999") is None
    assert geo.coordinates_for("", "") is None


def test_business_days_skip_weekends():
    friday = datetime.date(2026, 6, 12)
    assert geo.add_business_days(friday, 0) == friday
    assert geo.add_business_days(friday, 1) == datetime.date(2026, 6, 15)
    assert geo.add_business_days(WEDNESDAY, 5) == datetime.date(2026, 6, 17)
    assert geo.next_business_day(datetime.date(2026, 6, 13)) == datetime.date(2026, 6, 15)
    with pytest.raises(ValueError, match="negative"):
        geo.add_business_days(friday, -1)


@pytest.fixture
def cards(db):
    """Two active carriers (one with an inactive service), one inactive carrier."""
    fast = factories.CarrierFactory(code="FAST", vendor__name="Fast Freight")
    ground = factories.CarrierServiceFactory(carrier=fast, code="FAST-GND", name="Ground")
    rate_card(ground, 2, [(1000, "5.00", 3), (5000, "8.00", 3)])
    rate_card(ground, 1, [(1000, "3.00", 1), (5000, "4.00", 1)])
    express = factories.CarrierServiceFactory(
        carrier=fast, code="FAST-EXP", name="Express", speed="overnight"
    )
    rate_card(express, 2, [(1000, "12.00", 1)])
    retired = factories.CarrierServiceFactory(carrier=fast, code="FAST-OLD", is_active=False)
    rate_card(retired, 2, [(5000, "0.50", 1)])

    slow = factories.CarrierFactory(code="SLOW", vendor__name="Slow Parcel")
    economy = factories.CarrierServiceFactory(
        carrier=slow, code="SLOW-ECO", name="Economy", speed="economy"
    )
    rate_card(economy, 2, [(2000, "4.10", 6), (30000, "9.90", 7)])

    closed = factories.CarrierFactory(code="GONE", vendor__name="Gone Logistics", is_active=False)
    gone = factories.CarrierServiceFactory(carrier=closed, code="GONE-GND")
    rate_card(gone, 2, [(30000, "0.10", 1)])
    return {"ground": ground, "express": express, "economy": economy}


def test_quote_lists_every_applicable_service_cheapest_first(cards):
    origin = chicago_warehouse()
    quotes = rating.quote(
        origin=origin, destination=CHICAGO, weight_grams=800, now=at(WEDNESDAY, 9)
    )
    assert [(q.carrier_code, q.service_code, q.price) for q in quotes] == [
        ("SLOW", "SLOW-ECO", Decimal("4.10")),
        ("FAST", "FAST-GND", Decimal("5.00")),
        ("FAST", "FAST-EXP", Decimal("12.00")),
    ]
    ground = quotes[1]
    assert ground.zone == 2
    assert ground.distance_km == pytest.approx(290, abs=10)
    assert ground.weight_break_grams == 1000
    assert ground.transit_days == 3
    assert ground.carrier_name == "Fast Freight"
    assert ground.service_id == cards["ground"].pk
    assert ground.ship_date == WEDNESDAY
    assert ground.estimated_delivery == datetime.date(2026, 6, 15)  # Wed + 3 business days
    assert ground.meets_service_level is None
    assert ground.as_dict()["price"] == "5.00"


def test_weight_breaks_pick_the_smallest_break_at_or_above_the_weight(cards):
    origin = chicago_warehouse()

    def breaks(grams):
        quotes = rating.quote(
            origin=origin, destination=CHICAGO, weight_grams=grams, ship_date=WEDNESDAY
        )
        return {q.service_code: (q.weight_break_grams, q.price) for q in quotes}

    assert breaks(1000)["FAST-GND"] == (1000, Decimal("5.00"))
    assert breaks(1001) == {
        "FAST-GND": (5000, Decimal("8.00")),
        "SLOW-ECO": (2000, Decimal("4.10")),
    }  # express tops out at 1 kg: overweight is not applicable
    assert breaks(25000) == {"SLOW-ECO": (30000, Decimal("9.90"))}
    assert breaks(30001) == {}


def test_zone_one_uses_zone_one_rates(cards):
    origin = chicago_warehouse()
    quotes = rating.quote(
        origin=origin, destination=(39.80, -89.64), weight_grams=100, ship_date=WEDNESDAY
    )
    assert [(q.service_code, q.zone, q.price) for q in quotes] == [("FAST-GND", 1, Decimal("3.00"))]


@pytest.mark.parametrize(
    ("now", "ships"),
    [
        (at(WEDNESDAY, 9), WEDNESDAY),
        (at(WEDNESDAY, 15, 0), WEDNESDAY),  # at the cut-off still ships today
        (at(WEDNESDAY, 15, 1), datetime.date(2026, 6, 11)),
        (at(datetime.date(2026, 6, 12), 16), datetime.date(2026, 6, 15)),  # Friday late → Monday
        (at(datetime.date(2026, 6, 13), 10), datetime.date(2026, 6, 15)),  # Saturday → Monday
        (at(datetime.date(2026, 6, 14), 23), datetime.date(2026, 6, 15)),  # Sunday → Monday
    ],
)
def test_ship_date_follows_the_warehouse_cutoff_in_its_time_zone(cards, now, ships):
    origin = chicago_warehouse()
    quotes = rating.quote(origin=origin, destination=CHICAGO, weight_grams=800, now=now)
    assert {q.ship_date for q in quotes} == {ships}
    ground = next(q for q in quotes if q.service_code == "FAST-GND")
    assert ground.estimated_delivery == geo.add_business_days(ships, 3)


def test_cutoff_is_read_in_local_time_not_utc(cards):
    # 20:30 UTC is 15:30 in Chicago (CDT): past the 15:00 cut-off although UTC says evening.
    origin = chicago_warehouse()
    now = datetime.datetime(2026, 6, 10, 20, 30, tzinfo=datetime.UTC)
    [first, *_] = rating.quote(origin=origin, destination=CHICAGO, weight_grams=1, now=now)
    assert first.ship_date == datetime.date(2026, 6, 11)
    utc_origin = chicago_warehouse(code="WH-UTC", timezone="UTC")
    early = datetime.datetime(2026, 6, 10, 14, 30, tzinfo=datetime.UTC)
    [first, *_] = rating.quote(origin=utc_origin, destination=CHICAGO, weight_grams=1, now=early)
    assert first.ship_date == WEDNESDAY


def test_service_level_marks_quotes_and_choose_takes_cheapest_meeting_it(cards):
    origin = chicago_warehouse()
    quotes = rating.quote(
        origin=origin,
        destination=CHICAGO,
        weight_grams=800,
        service_level="expedited",
        ship_date=WEDNESDAY,
    )
    assert {q.service_code: q.meets_service_level for q in quotes} == {
        "SLOW-ECO": False,
        "FAST-GND": False,
        "FAST-EXP": True,
    }
    assert rating.choose(quotes, "expedited").service_code == "FAST-EXP"
    assert rating.choose(quotes, "economy").service_code == "SLOW-ECO"
    heavy = rating.quote(origin=origin, destination=CHICAGO, weight_grams=3000, ship_date=WEDNESDAY)
    # Nothing meets overnight at 3 kg: the fastest wins.
    assert rating.choose(heavy, "overnight").service_code == "FAST-GND"
    assert rating.choose([], "standard") is None


def test_unknown_service_level_and_missing_coordinates_are_refused(cards):
    origin = chicago_warehouse()
    with pytest.raises(ValueError, match="Unknown service level 'teleport'"):
        rating.quote(origin=origin, destination=CHICAGO, weight_grams=1, service_level="teleport")
    nowhere = chicago_warehouse(code="WH-NOWHERE", latitude=None, longitude=None)
    with pytest.raises(ValueError, match="WH-NOWHERE has no coordinates"):
        rating.quote(origin=nowhere, destination=CHICAGO, weight_grams=1)


def test_one_query_per_zone_then_cached_until_a_rate_changes(cards):
    origin = chicago_warehouse()
    rating.clear_rate_cache()
    with CaptureQueriesContext(connection) as first:
        rating.quote(origin=origin, destination=CHICAGO, weight_grams=800, ship_date=WEDNESDAY)
    assert len(first) == 1
    with CaptureQueriesContext(connection) as again:
        for grams in (1, 800, 4000, 20000):
            rating.quote(
                origin=origin, destination=CHICAGO, weight_grams=grams, ship_date=WEDNESDAY
            )
    assert len(again) == 0

    cheaper = cards["ground"].rates.get(zone=2, max_weight_grams=1000)
    cheaper.price = Decimal("1.25")
    cheaper.save()
    quotes = rating.quote(origin=origin, destination=CHICAGO, weight_grams=800, ship_date=WEDNESDAY)
    assert quotes[0].service_code == "FAST-GND"
    assert quotes[0].price == Decimal("1.25")


def test_rates_are_not_cached_when_the_ttl_is_zero(cards, settings):
    settings.VENDORS_RATE_CACHE_SECONDS = 0
    origin = chicago_warehouse()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            rating.quote(origin=origin, destination=CHICAGO, weight_grams=800, ship_date=WEDNESDAY)
    assert len(queries) == 3
