"""Distances, postal-code coordinates and business days: the geography carrier rating needs.

Postal codes come from the bundled data set `opsportal/data/postal_codes.csv` (postal code, city,
region, country, latitude, longitude); it is read once per process. Business days are Monday to
Friday (no holiday calendar).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
from pathlib import Path

POSTAL_CODES_CSV = Path(__file__).resolve().parent / "data" / "postal_codes.csv"
EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def normalize_postal_code(country: str, postal_code: str) -> str:
    """The lookup form of a postal code: upper case without spaces; US ZIP+4 → the 5-digit ZIP."""
    code = re.sub(r"\s+", "", postal_code or "").upper()
    if (country or "").strip().upper() == "US":
        code = code.split("-", 1)[0]
    return code


@functools.cache
def _postal_index() -> dict[tuple[str, str], tuple[float, float]]:
    index: dict[tuple[str, str], tuple[float, float]] = {}
    with POSTAL_CODES_CSV.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            country = row["country"].strip().upper()
            key = (country, normalize_postal_code(country, row["postal_code"]))
            index[key] = (float(row["latitude"]), float(row["longitude"]))
    return index


def coordinates_for(country: str, postal_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a postal code in a country (ISO alpha-2), or None when unknown."""
    country = (country or "").strip().upper()
    return _postal_index().get((country, normalize_postal_code(country, postal_code)))


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5


def next_business_day(day: dt.date) -> dt.date:
    """The first business day after `day`."""
    return add_business_days(day, 1)


@functools.lru_cache(maxsize=8192)
def add_business_days(day: dt.date, days: int) -> dt.date:
    """`day` plus `days` business days (Mon–Fri); 0 days returns `day` itself."""
    if days < 0:
        raise ValueError("days must not be negative")
    while days > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            days -= 1
    return day
