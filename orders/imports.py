"""CSV import of orders: one row per order line, all or nothing, errors by row and column.

The file is UTF-8 (a byte-order mark is fine), comma-, semicolon- or tab-separated, with a
header row (columns below). Rows with the same channel and external_ref are one order; its
order-level cells must agree. Every order is checked by the same rules as the API
(orders.intake) before anything is written; then all are placed in one transaction through
orders.services.order_intake. An order already received (same channel and external_ref) is
skipped and counted as unchanged, so uploading a file twice creates nothing twice.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.imports import ImportSummary, Problem, _raise, _rows
from orders import services
from orders.intake import parse_order
from orders.models import Order

COLUMNS = (
    "channel",
    "external_ref",
    "customer_name",
    "customer_email",
    "ship_to_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "service_level",
    "payment_status",
    "currency",
    "sku",
    "quantity",
    "unit_price",
)
REQUIRED = {
    "external_ref",
    "customer_name",
    "customer_email",
    "line1",
    "city",
    "postal_code",
    "country",
    "sku",
    "quantity",
    "unit_price",
}
ORDER_COLUMNS = [c for c in COLUMNS if c not in ("sku", "quantity", "unit_price")]
# Intake error paths → the CSV column that holds the value.
_COLUMN_OF_PATH = {
    "customer.name": "customer_name",
    "customer.email": "customer_email",
    "ship_to.name": "ship_to_name",
    "ship_to.line1": "line1",
    "ship_to.line2": "line2",
    "ship_to.city": "city",
    "ship_to.region": "region",
    "ship_to.postal_code": "postal_code",
    "ship_to.country": "country",
}


def _body(rows: list[tuple[int, dict]]) -> dict:
    first = rows[0][1]
    return {
        "channel": first.get("channel") or Order.Channel.CSV,
        "external_ref": first.get("external_ref", ""),
        "customer": {
            "name": first.get("customer_name", ""),
            "email": first.get("customer_email", ""),
        },
        "ship_to": {
            "name": first.get("ship_to_name") or first.get("customer_name", ""),
            "line1": first.get("line1", ""),
            "line2": first.get("line2", ""),
            "city": first.get("city", ""),
            "region": first.get("region", ""),
            "postal_code": first.get("postal_code", ""),
            "country": first.get("country", ""),
        },
        "service_level": first.get("service_level") or Order.ServiceLevel.STANDARD,
        "payment_status": first.get("payment_status") or Order.PaymentStatus.PENDING,
        "currency": first.get("currency") or "USD",
        "lines": [
            {
                "sku": values.get("sku", ""),
                "quantity": values.get("quantity", ""),
                "unit_price": values.get("unit_price", ""),
            }
            for _, values in rows
        ],
    }


def _problems(error: ValidationError, rows: list[tuple[int, dict]]) -> list[Problem]:
    problems = []
    for path, messages in error.message_dict.items():
        line = re.match(r"lines\[(\d+)\]\.?(.*)", path)
        if line:
            row = rows[int(line[1])][0]
            column = line[2] or "sku"
        else:
            row = rows[0][0]
            column = _COLUMN_OF_PATH.get(path, path if path in COLUMNS else "")
        problems += [Problem(row, column, message) for message in messages]
    return problems


@transaction.atomic
def orders_import_csv(*, data: bytes, by: Any) -> ImportSummary:
    """Place every order of the file, or none (a ValidationError listing each problem)."""
    rows = _rows(data, COLUMNS, REQUIRED)
    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    problems: list[Problem] = []
    for row, values in rows:
        key = (values.get("channel") or Order.Channel.CSV, values.get("external_ref", ""))
        if not key[1]:
            problems.append(Problem(row, "external_ref", "Required: it identifies the order."))
            continue
        group = groups.setdefault(key, [])
        if group:
            first_row, first = group[0]
            for column in ORDER_COLUMNS:
                if values.get(column, "") != first.get(column, ""):
                    problems.append(
                        Problem(row, column, f"Differs from row {first_row} of the same order.")
                    )
        group.append((row, values))
    existing = set(
        Order.objects.filter(external_ref__in=[ref for _, ref in groups]).values_list(
            "channel", "external_ref"
        )
    )
    parsed = []
    skipped = 0
    for key, group in groups.items():
        if key in existing:
            skipped += 1
            continue
        try:
            parsed.append((group, parse_order(_body(group))))
        except ValidationError as exc:
            problems += _problems(exc, group)
    _raise(sorted(problems, key=lambda p: (p.row, p.column)))
    for group, order in parsed:
        try:
            services.order_intake(data=order, by=by)
        except ValidationError as exc:
            _raise([Problem(group[0][0], "", " ".join(exc.messages))])
    return ImportSummary(created=len(parsed), updated=0, unchanged=skipped)
