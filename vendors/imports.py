"""Rate card CSV import: all rows or none, problems by row and column.

Columns: service, zone, max_weight_grams, price, transit_days (header row required; comma,
semicolon or tab separated; UTF-8 with or without a byte-order mark). `service` is the code of
one of the carrier's services. The file replaces the whole rate card of every service it names;
services it does not name keep theirs. Row 1 is the header, so the first rate is row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vendors import rating
from vendors.models import Carrier, ShippingRate

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
RATE_COLUMNS = ("service", "zone", "max_weight_grams", "price", "transit_days")
MAX_PRICE = Decimal("99999999.99")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ImportSummary:
    services: int
    rates: int
    replaced: int


def problems_of(error: ValidationError) -> list[Problem]:
    return [
        Problem(e.params["row"], e.params["column"], e.params["detail"])
        if e.params and "row" in e.params
        else Problem(0, "", " ".join(e.messages))
        for e in error.error_list
    ]


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(
            [
                ValidationError(
                    "%(text)s",
                    code="csv",
                    params={"text": str(p), "row": p.row, "column": p.column, "detail": p.message},
                )
                for p in problems[:200]
            ]
        )


def _read(data: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        _raise([Problem(0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        _raise([Problem(row, "", "The file is not UTF-8 text: save it as “CSV UTF-8”.")])
    if not text.strip():
        _raise([Problem(1, "", "The file is empty.")])
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = [name.strip().lower() for name in next(reader)]
    problems = [Problem(1, n, "Unknown column.") for n in header if n and n not in RATE_COLUMNS]
    problems += [Problem(1, n, "This column is required.") for n in RATE_COLUMNS if n not in header]
    problems += [
        Problem(1, n, "This column appears twice.")
        for n in sorted({n for n in header if header.count(n) > 1})
    ]
    _raise(problems)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            _raise([Problem(number, "", f"More than {MAX_ROWS} rows; split the file.")])
        if len(cells) > len(header):
            problems.append(Problem(number, "", "More cells than columns in the header."))
            continue
        rows.append((number, {h: (c or "").strip() for h, c in zip(header, cells, strict=False)}))
    _raise(problems)
    if not rows:
        _raise([Problem(2, "", "The file has a header but no rates.")])
    return rows


def _whole(value: str, column: str, number: int, problems: list, *, low: int, high: int):
    try:
        parsed = int(value)
    except ValueError:
        problems.append(Problem(number, column, f"{value!r} is not a whole number."))
        return None
    if not low <= parsed <= high:
        problems.append(Problem(number, column, f"Must be between {low} and {high}."))
        return None
    return parsed


def rate_card_import_csv(*, carrier: Carrier, data: bytes) -> ImportSummary:
    """Check every row, then replace the rate cards of the services the file names."""
    rows = _read(data)
    services = {s.code.upper(): s for s in carrier.services.all()}
    problems: list[Problem] = []
    cells: dict[tuple[int, int, int], int] = {}
    rates: list[ShippingRate] = []
    for number, row in rows:
        before = len(problems)
        code = row.get("service", "")
        service = services.get(code.upper())
        if not code:
            problems.append(Problem(number, "service", "Required."))
        elif service is None:
            known = ", ".join(sorted(services)) or "none yet"
            problems.append(
                Problem(
                    number, "service", f"{code!r} is not a service of {carrier.code} ({known})."
                )
            )
        zone = _whole(row.get("zone", ""), "zone", number, problems, low=1, high=max(rating.ZONES))
        grams = _whole(
            row.get("max_weight_grams", ""),
            "max_weight_grams",
            number,
            problems,
            low=1,
            high=10_000_000,
        )
        days = _whole(row.get("transit_days", ""), "transit_days", number, problems, low=0, high=60)
        raw_price = row.get("price", "")
        try:
            price = Decimal(raw_price)
            if not price.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            hint = " (use a dot for decimals)" if "," in raw_price else ""
            problems.append(Problem(number, "price", f"{raw_price!r} is not a price{hint}."))
            price = None
        else:
            if price < 0 or price > MAX_PRICE:
                problems.append(
                    Problem(number, "price", "Must be 0 or more (and below 100 million).")
                )
                price = None
            elif price != price.quantize(Decimal("0.01")):
                problems.append(Problem(number, "price", "At most two decimals."))
                price = None
        if len(problems) > before:
            continue
        key = (service.pk, zone, grams)
        if key in cells:
            problems.append(
                Problem(
                    number,
                    "max_weight_grams",
                    f"Same service, zone and weight break as row {cells[key]}.",
                )
            )
            continue
        cells[key] = number
        rates.append(
            ShippingRate(
                service=service,
                zone=zone,
                max_weight_grams=grams,
                price=price,
                transit_days=days,
            )
        )
    _raise(problems)
    service_ids = {rate.service_id for rate in rates}
    with transaction.atomic():
        replaced, _ = ShippingRate.objects.filter(service_id__in=service_ids).delete()
        ShippingRate.objects.bulk_create(rates, batch_size=1000)
    # bulk writes send no signals: drop this process's cached rate cards by hand.
    transaction.on_commit(rating.clear_rate_cache)
    rating.clear_rate_cache()
    return ImportSummary(services=len(service_ids), rates=len(rates), replaced=replaced)
