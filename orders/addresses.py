"""Ship-to addresses: ISO countries, postal-code formats, and where a parcel is going.

A postal code must have the shape its country uses (a US ZIP is 5 digits or ZIP+4, a German
Postleitzahl 5 digits, …); countries not listed here take 2–10 letters, digits, spaces or
hyphens. Coordinates come from the order when given, else from the bundled postal-code data set
(`opsportal.geo`), else approximately from the known postal codes of the same country sharing
the longest prefix (US ZIPs and most European codes are regional by their first digits). None
when the country has no known postal code at all: the order then waits on an address hold.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass

from opsportal import geo

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
    """.split()  # noqa: SIM905 - 249 codes read better as a block than as a list literal
)

_POSTAL_FORMATS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "5 digits or ZIP+4 (62701 or 62701-1234)"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "A1A 1A1"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "e.g. SW1A 1AA"),
    "DE": (r"\d{5}", "5 digits"),
    "FR": (r"\d{5}", "5 digits"),
    "ES": (r"\d{5}", "5 digits"),
    "IT": (r"\d{5}", "5 digits"),
    "FI": (r"\d{5}", "5 digits"),
    "SE": (r"\d{3} ?\d{2}", "5 digits (123 45)"),
    "NL": (r"\d{4} ?[A-Z]{2}", "4 digits and 2 letters (1012 AB)"),
    "BE": (r"\d{4}", "4 digits"),
    "AT": (r"\d{4}", "4 digits"),
    "CH": (r"\d{4}", "4 digits"),
    "DK": (r"\d{4}", "4 digits"),
    "NO": (r"\d{4}", "4 digits"),
    "AU": (r"\d{4}", "4 digits"),
    "PL": (r"\d{2}-\d{3}", "NN-NNN"),
    "PT": (r"\d{4}-\d{3}", "NNNN-NNN"),
    "CZ": (r"\d{3} ?\d{2}", "NNN NN"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "an Eircode (D02 X285)"),
    "JP": (r"\d{3}-?\d{4}", "NNN-NNNN"),
    "MX": (r"\d{5}", "5 digits"),
}
_GENERIC = (r"[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]", "2–10 letters, digits, spaces or hyphens")


def clean_country(value: str) -> str:
    """The ISO alpha-2 code in upper case; ValueError naming the problem otherwise."""
    code = (value or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"Use the two-letter ISO country code (US, DE, …), not {value!r}.")
    if code not in COUNTRIES:
        raise ValueError(f"{code} is not an ISO 3166-1 country code.")
    return code


def clean_postal_code(country: str, value: str) -> str:
    """The postal code in upper case with single spaces; ValueError if it has the wrong shape."""
    code = " ".join((value or "").upper().split())
    if not code:
        raise ValueError("A postal code is required.")
    pattern, shape = _POSTAL_FORMATS.get(country, _GENERIC)
    if not re.fullmatch(pattern, code):
        raise ValueError(f"{value!r} is not a postal code of {country}: expected {shape}.")
    return code


@dataclass(frozen=True)
class Destination:
    latitude: float
    longitude: float
    source: str  # "given", "postal code", "approximate (…)"


@functools.cache
def _known_codes() -> dict[str, list[tuple[str, float, float]]]:
    by_country: dict[str, list[tuple[str, float, float]]] = {}
    with geo.POSTAL_CODES_CSV.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            country = row["country"].strip().upper()
            code = geo.normalize_postal_code(country, row["postal_code"])
            by_country.setdefault(country, []).append(
                (code, float(row["latitude"]), float(row["longitude"]))
            )
    return by_country


def destination_for(
    country: str,
    postal_code: str,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Destination | None:
    """Where the parcel goes: given coordinates, the postal code, or its nearest known prefix."""
    if latitude is not None and longitude is not None:
        return Destination(float(latitude), float(longitude), "given")
    exact = geo.coordinates_for(country, postal_code)
    if exact is not None:
        return Destination(exact[0], exact[1], "postal code")
    code = geo.normalize_postal_code(country, postal_code)
    known = _known_codes().get(country, [])
    for length in range(len(code) - 1, 0, -1):
        matches = [
            (lat, lon) for known_code, lat, lon in known if known_code[:length] == code[:length]
        ]
        if matches:
            lat = sum(m[0] for m in matches) / len(matches)
            lon = sum(m[1] for m in matches) / len(matches)
            return Destination(lat, lon, f"approximate (postal codes {code[:length]}…)")
    return None
