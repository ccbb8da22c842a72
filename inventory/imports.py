"""CSV imports of products and of opening stock: all or nothing, errors by row and column.

A file is UTF-8 with or without a byte-order mark, comma-, semicolon- or tab-separated, with a
header row. Every row is checked before anything is written; when any row is wrong the import
raises one ValidationError listing every problem (each with `params` row / column / message,
row 1 being the header) and nothing is saved. Stock goes through inventory.services, so opening
stock leaves count movements in the ledger like any other change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory import services
from inventory.models import Product, StockLevel, Warehouse

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

PRODUCT_COLUMNS = (
    "sku",
    "name",
    "barcode",
    "unit",
    "weight_grams",
    "length_mm",
    "width_mm",
    "height_mm",
    "unit_cost",
    "abc_class",
    "is_active",
)
STOCK_COLUMNS = ("warehouse", "sku", "quantity", "bin", "reorder_point", "safety_stock")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int = 0


def problems_of(error: ValidationError) -> list[Problem]:
    """The row / column / message of each problem an import raised."""
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
                # The text goes in as a parameter: a "%" typed in a cell must not be a format.
                ValidationError(
                    "%(text)s",
                    code="csv",
                    params={"text": str(p), "row": p.row, "column": p.column, "detail": p.message},
                )
                for p in problems
            ]
        )


def _rows(data: bytes, columns: tuple[str, ...], required: set[str]) -> list[tuple[int, dict]]:
    """(row number, {column: stripped text}) for each data row; header problems raised."""
    if len(data) > MAX_BYTES:
        _raise([Problem(0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        _raise([Problem(row, "", "The file is not UTF-8 text: save it as “CSV UTF-8”.")])
    if not text.strip():
        _raise([Problem(1, "", "The file is empty.")])
    first_line = text.splitlines()[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = [name.strip().lower() for name in next(reader)]
    problems = [
        Problem(1, name, "Unknown column.") for name in header if name not in columns and name
    ]
    problems += [
        Problem(1, name, "This column is required.") for name in sorted(required - set(header))
    ]
    problems += [
        Problem(1, name, "This column appears twice.")
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    _raise(problems)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            _raise([Problem(number, "", f"{len(cells)} cells but {len(header)} columns.")])
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            _raise([Problem(number, "", f"At most {MAX_ROWS} rows per file.")])
    if not rows:
        _raise([Problem(2, "", "The file has a header but no rows.")])
    return rows


def _clean_field(model: type, name: str, raw: str, problems: list[Problem], row: int) -> Any:
    field = model._meta.get_field(name)
    try:
        if field.get_internal_type() == "BooleanField":
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValidationError("Use yes or no.")
        if field.choices:
            known = {str(label).lower(): value for value, label in field.choices}
            known.update({str(value).lower(): value for value, _ in field.choices})
            raw = known.get(raw.lower(), raw)
        return field.clean(raw, None)
    except ValidationError as exc:
        problems.append(Problem(row, name, " ".join(exc.messages)))
        return None


@transaction.atomic
def product_import_csv(*, data: bytes) -> ImportSummary:
    """Create or update products from CSV by SKU; all or nothing. Writes Product rows only."""
    rows = _rows(data, PRODUCT_COLUMNS, required={"sku", "name"})
    skus = [values.get("sku", "") for _, values in rows]
    existing = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    barcodes = [values.get("barcode", "") for _, values in rows if values.get("barcode")]
    barcode_owner = dict(Product.objects.filter(barcode__in=barcodes).values_list("barcode", "sku"))
    problems: list[Problem] = []
    seen_sku: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    products: list[tuple[Product, bool]] = []
    for row, values in rows:
        sku = values.get("sku", "")
        if not sku:
            problems.append(Problem(row, "sku", "Required."))
            continue
        if sku in seen_sku:
            problems.append(Problem(row, "sku", f"{sku} is already on row {seen_sku[sku]}."))
            continue
        seen_sku[sku] = row
        product = existing.get(sku)
        is_new = product is None
        if is_new:
            product = Product(sku=sku)
        for column in PRODUCT_COLUMNS[1:]:
            raw = values.get(column)
            if raw is None or (raw == "" and column != "barcode"):
                if column == "name" and is_new:
                    problems.append(Problem(row, "name", "Required for a new product."))
                continue
            value = _clean_field(Product, column, raw, problems, row)
            if value is not None:
                setattr(product, column, value)
        sku_field = Product._meta.get_field("sku")
        if len(sku) > sku_field.max_length:
            problems.append(Problem(row, "sku", f"At most {sku_field.max_length} characters."))
        barcode = product.barcode
        if barcode:
            if barcode in seen_barcode:
                problems.append(
                    Problem(row, "barcode", f"{barcode} is already on row {seen_barcode[barcode]}.")
                )
            elif barcode_owner.get(barcode, sku) != sku:
                problems.append(
                    Problem(row, "barcode", f"{barcode} belongs to {barcode_owner[barcode]}.")
                )
            seen_barcode[barcode] = row
        products.append((product, is_new))
    _raise(problems)
    created = [product for product, is_new in products if is_new]
    updated = [product for product, is_new in products if not is_new]
    Product.objects.bulk_create(created)
    if updated:
        Product.objects.bulk_update(updated, list(PRODUCT_COLUMNS[1:]))
    return ImportSummary(created=len(created), updated=len(updated))


@transaction.atomic
def stock_import_opening_csv(
    *, data: bytes, actor: Any, warehouse_ids: Iterable[int] | None = None
) -> ImportSummary:
    """Set opening on-hand (and bin, reorder point, safety stock) per warehouse and SKU from
    CSV; all or nothing. On-hand changes are count movements written by the stock services.

    `warehouse_ids` limits the warehouses rows may name (warehouse staff); None allows all.
    """
    rows = _rows(data, STOCK_COLUMNS, required={"warehouse", "sku", "quantity"})
    allowed = None if warehouse_ids is None else set(warehouse_ids)
    codes = {values.get("warehouse", "") for _, values in rows}
    skus = {values.get("sku", "") for _, values in rows}
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in=codes)}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    plan: list[tuple[int, Warehouse, Product, int, dict]] = []
    for row, values in rows:
        warehouse = warehouses.get(values.get("warehouse", ""))
        product = products.get(values.get("sku", ""))
        if warehouse is None:
            problems.append(
                Problem(row, "warehouse", f"No warehouse “{values.get('warehouse', '')}”.")
            )
        elif allowed is not None and warehouse.pk not in allowed:
            problems.append(Problem(row, "warehouse", f"You do not work in {warehouse.code}."))
        if product is None:
            problems.append(Problem(row, "sku", f"No product “{values.get('sku', '')}”."))
        raw = values.get("quantity", "")
        quantity = None
        if not raw.isdigit():
            problems.append(Problem(row, "quantity", "A whole number of 0 or more."))
        else:
            quantity = int(raw)
        settings: dict = {}
        for column in ("bin", "reorder_point", "safety_stock"):
            if values.get(column):
                value = _clean_field(StockLevel, column, values[column], problems, row)
                if value is not None:
                    settings[column] = value
        key = (values.get("warehouse", ""), values.get("sku", ""))
        if key in seen:
            problems.append(
                Problem(row, "sku", f"{key[1]} in {key[0]} is already on row {seen[key]}.")
            )
        seen[key] = row
        if warehouse and product and quantity is not None:
            plan.append((row, warehouse, product, quantity, settings))
    _raise(problems)
    created = updated = unchanged = 0
    for row, warehouse, product, quantity, settings in plan:
        try:
            movement = services.stock_count_correct(
                warehouse=warehouse,
                product=product,
                counted_on_hand=quantity,
                actor=actor,
                reason="Opening stock (CSV import)",
            )
            if settings:
                services.stock_level_configure(warehouse=warehouse, product=product, **settings)
        except ValidationError as exc:
            _raise([Problem(row, "quantity", " ".join(exc.messages))])
        if movement is None:
            unchanged += 1
        elif movement.on_hand_after == movement.delta:
            created += 1
        else:
            updated += 1
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)
