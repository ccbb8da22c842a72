"""The demo data set behind `manage.py seed_demo`: deterministic, current, idempotent.

Two scales. `small` (the default, what `make run` loads) is a believable business to click
through: five US warehouses, ~300 products, vendors, carriers with full rate cards, ~400 orders in
every status with their timeline, shipments, emails and returns, cycle counts, quality records and
a readable Order Processing Manual (the SOP bodies live in opsportal/data/sops/*.md). `large`
(12 warehouses, 20,000 products, 1,000,000 orders) is for benchmarks: the same shapes, leaner
detail per order (one timeline event, one shipment per shipped order).

Deterministic: every section draws from its own `random.Random` seeded with SEED and the section
(and batch) name, so a section's rows never depend on whether another section ran. Dates are
relative to today, so the demo always looks current, but the shape is fixed.

Idempotent: every section is one transaction that first looks for its natural keys (usernames,
warehouse codes, SKUs, vendor names, contract/PO/order/NC/RMA numbers, SOP codes) and skips what
exists; order batches check their first order number. Running the command again writes nothing,
and an interrupted large run resumes at the first missing batch.

Bulk writes bypass inventory.services on purpose: a million orders cannot go through per-row
services. The generator keeps every invariant those services keep instead:
- per (warehouse, product) the StockMovement deltas sum to StockLevel.on_hand, and each row's
  on_hand_after is the running sum in time order;
- StockLevel.reserved equals the sum of the Allocation rows of that warehouse and product
  (Allocation rows are live reservations; a line's allocations sum to its `allocated`);
- reserved + quarantined <= on_hand, allocated <= quantity - shipped, hold_kind implies a reason,
  SOP approver != author, CAPA verifier != owner, one effective version per SOP.

How rows are written: the small sections use bulk_create (and objects.create where a history
row is wanted). The high-volume tables (stock levels, the ledger, orders and everything under
them) go through `Rows`: one executemany (SQLite) or COPY (PostgreSQL) per table and batch, ids
taken from the table's sequence first so children can point at parents. bulk_create's SQL
compiler costs ~10-20 µs per value, and a million orders are ~70 million values. On PostgreSQL,
outside an enclosing transaction, a writer thread with its own connection commits batch k while
batch k+1 is planned. Historical timestamps on bulk_create'd rows (auto_now_add fields) are
kept by lifting auto_now_add for the duration of the insert (`_backdating`).

Data: opsportal/data/demo_reference.json (warehouses, vendors, contracts, carriers and rate-card
formulas, quality stories), demo_catalog.json (product families, names), postal_codes.csv
(ship-to places with coordinates), sops/<code>.md (the SOP bodies).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import json
import math
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)
from opsportal import roles
from opsportal.geo import add_business_days, haversine_km
from opsportal.models import User
from orders.models import (
    Allocation,
    CustomerEmail,
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from quality.models import (
    Acknowledgement,
    Certification,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    InspectionPlan,
    Manual,
    ManualEntry,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
    SOPWorkLink,
)
from vendors.models import (
    Carrier,
    CarrierService,
    ContractPrice,
    PurchaseOrder,
    PurchaseOrderLine,
    ShippingRate,
    Vendor,
    VendorContact,
    VendorContract,
)
from vendors.rating import zone_for_km

SEED = 20260611
PASSWORD = "opsportal-demo"  # noqa: S105 (the agreed public demo login, printed by `make run`)
URL = "http://127.0.0.1:8000/"
DATA_DIR = Path(__file__).resolve().parent / "data"
SOP_DIR = DATA_DIR / "sops"

Log = Callable[[str], None]


# --- scale ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    warehouses: int
    products: int
    orders: int
    history_days: int  # orders are spread over this many days up to now
    detail: bool  # small: full timeline, emails, returns; large: lean rows per order
    batch_size: int = 10_000


SCALES = {
    "small": Scale("small", warehouses=5, products=300, orders=400, history_days=60, detail=True),
    "large": Scale(
        "large", warehouses=12, products=20_000, orders=1_000_000, history_days=365, detail=False
    ),
}


def scale_config(
    name: str,
    *,
    orders: int | None = None,
    products: int | None = None,
    warehouses: int | None = None,
    batch_size: int | None = None,
) -> Scale:
    """The named scale with any overrides; raises ValueError for impossible sizes."""
    base = SCALES[name]
    scale = Scale(
        name=name,
        warehouses=base.warehouses if warehouses is None else warehouses,
        products=base.products if products is None else products,
        orders=base.orders if orders is None else orders,
        history_days=base.history_days,
        detail=base.detail,
        batch_size=base.batch_size if batch_size is None else batch_size,
    )
    if not 2 <= scale.warehouses <= len(WAREHOUSES):
        raise ValueError(f"--warehouses must be between 2 and {len(WAREHOUSES)}.")
    if not 40 <= scale.products <= 999_999:
        raise ValueError("--products must be between 40 and 999,999.")
    if not 0 <= scale.orders <= 9_999_999:
        raise ValueError("--orders must be between 0 and 9,999,999.")
    if scale.batch_size < 1:
        raise ValueError("--batch-size must be at least 1.")
    return scale


# --- reference data ---------------------------------------------------------------------------

# Warehouses, vendors, contracts, carriers and their rate-card formulas, the quality stories:
# opsportal/data/demo_reference.json. Day offsets there are relative to the day of seeding.
REFERENCE: dict[str, Any] = json.loads((DATA_DIR / "demo_reference.json").read_text("utf-8"))
WAREHOUSES: list[dict] = REFERENCE["warehouses"]
VENDORS: list[dict] = REFERENCE["vendors"]
CARRIERS: list[dict] = REFERENCE["carriers"]

# username, first, last, role (None: superuser), warehouses (indexes into WAREHOUSES)
USERS = [
    ("manager", "Maria", "Okafor", roles.OPERATIONS_MANAGER, ()),
    ("warehouse", "Wes", "Delgado", roles.WAREHOUSE_STAFF, (0, 1)),
    ("warehouse2", "Hannah", "Kowalski", roles.WAREHOUSE_STAFF, (2,)),
    ("contracts", "Carla", "Nguyen", roles.CONTRACT_ADMIN, ()),
    ("quality", "Quentin", "Moreau", roles.OPERATIONS_MANAGER, ()),
    ("admin", "Ada", "Admin", None, ()),
]
# What the command prints at the end (the same logins as README and `make run`).
LOGINS = [
    ("manager", "Operations Manager"),
    ("warehouse", "Warehouse Staff (WH-EWR, WH-ATL)"),
    ("warehouse2", "Warehouse Staff (WH-CHI)"),
    ("contracts", "Contract Admin"),
    ("quality", "Operations Manager (quality lead, approves SOPs)"),
    ("admin", "superuser (Django admin at /admin/)"),
]

WEIGHT_BREAKS = (500, 1000, 2000, 5000, 10000, 20000, 30000)
# Transit days a service level allows (carrier choice: cheapest service meeting it).
PROMISE_DAYS = {"economy": 7, "standard": 5, "expedited": 2, "overnight": 1}


# --- helpers ----------------------------------------------------------------------------------


def rng_for(*parts: object) -> random.Random:
    """A generator for one section (and batch): same parts, same numbers, on every machine."""
    return random.Random(":".join(str(p) for p in (SEED, *parts)))  # noqa: S311 (demo data)


def ean13(base12: str) -> str:
    """base12 + the EAN-13 check digit (weights 1, 3, 1, 3, … from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(base12))
    return base12 + str((10 - total % 10) % 10)


def rate_price(carrier: dict, service: dict, zone: int, grams: int) -> Decimal:
    """A rate-card cell: rises with zone and weight; regional carriers charge extra far away."""
    kg, far = Decimal(grams) / 1000, zone - 1
    price = (
        Decimal(service["base"])
        + Decimal(service["per_zone"]) * far
        + Decimal(service["per_kg"]) * kg
        + Decimal(service["per_zone_kg"]) * far * kg
        + Decimal(carrier["surcharge_per_zone_beyond_3"]) * max(0, zone - 3)
    )
    return money(price)


def weight_break(grams: int) -> int:
    i = bisect.bisect_left(WEIGHT_BREAKS, grams)
    return WEIGHT_BREAKS[min(i, len(WEIGHT_BREAKS) - 1)]


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def chunked(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_catalog() -> dict[str, Any]:
    return json.loads((DATA_DIR / "demo_catalog.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Place:
    postal_code: str
    city: str
    region: str
    country: str
    latitude: float
    longitude: float


def load_places() -> list[Place]:
    with (DATA_DIR / "postal_codes.csv").open(encoding="utf-8", newline="") as f:
        return [
            Place(
                r["postal_code"],
                r["city"],
                r["region"],
                r["country"],
                float(r["latitude"]),
                float(r["longitude"]),
            )
            for r in csv.DictReader(f)
        ]


@contextmanager
def _backdating(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the historical timestamps we set on auto_now_add fields."""
    lifted = [
        f
        for m in model_classes
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now_add", False)
    ]
    for f in lifted:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in lifted:
            f.auto_now_add = True


@contextmanager
def _wide_sqlite_batches() -> Iterator[None]:
    """SQLite builds since 3.32 take 32,766 parameters per statement; Django assumes 999."""
    features = connection.features
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    import sqlite3

    old = features.max_query_params
    features.max_query_params = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    try:
        yield
    finally:
        features.max_query_params = old


def bulk(model: type[models.Model], objs: list, batch_size: int = 2000) -> list:
    if objs:
        model.objects.bulk_create(objs, batch_size=batch_size)
    return objs


MISSING = object()


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, taken the way the database would hand them out."""
    if count == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the seed holds the write lock (IMMEDIATE transaction) while it inserts.
        q = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({q(pk)}), 0) FROM {q(table)}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _db_converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value of this field goes into the database: Django's own adapters, bound
    once (the `connection` proxy costs a thread-local lookup per attribute)."""
    db = connections[DEFAULT_DB_ALIAS]
    ops = db.ops
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if db.vendor != "sqlite":
        return None  # psycopg adapts Decimal, date, time and aware datetimes itself
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    if isinstance(field, models.DateTimeField):
        if settings.USE_TZ:  # what adapt_datetimefield_value does with an aware value, inlined
            tz = db.timezone
            return lambda value: str(value.astimezone(tz).replace(tzinfo=None))
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.TimeField):
        return ops.adapt_timefield_value
    return None


class Rows:
    """Many new rows of one model, written with one executemany (SQLite) or COPY (PostgreSQL).

    bulk_create costs ~10-20 µs per value in its SQL compiler; a million orders are ~70 million
    values. Fields not given take the model's defaults (so a field added later still gets its
    default), auto_now fields the seed's clock; Django's field methods adapt the values.
    """

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template: list[Any] = []
        for f in self.fields:
            if f.primary_key:
                self.template.append(None)
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.template.append(now)
            else:  # as Model.__init__ does: the default, "" for text, else None
                default = f.get_default()
                self.template.append(MISSING if default is None and not f.null else default)
        self.rows: list[list[Any]] = []

    def add(self, **values: Any) -> None:
        row = self.template.copy()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def insert_from(self, select: dict[str, str], source: str, params: list) -> int:
        """INSERT … SELECT: the given columns are SQL over `source`; every other column gets
        the default `add` would give it. The database does the work, not Python."""
        pk = self.model._meta.pk.attname
        columns, values, bound = [], [], []
        for f, default in zip(self.fields, self.template, strict=True):
            if f.attname == pk:
                continue
            columns.append(connection.ops.quote_name(f.column))
            if f.attname in select:
                values.append(select[f.attname])
            else:
                if default is MISSING:
                    raise ValueError(f"{self.model.__name__}: no value for {f.name}")
                convert = _db_converter(f)
                values.append("%s")
                bound.append(convert(default) if convert and default is not None else default)
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*bound, *params])  # noqa: S608 (our own column names)
            return cursor.rowcount

    def write(self) -> int:
        rows, fields = self.rows, self.fields
        if not rows:
            return 0
        converters = [(i, c) for i, f in enumerate(fields) if (c := _db_converter(f))]
        pk = self.index[self.model._meta.pk.attname]
        without_pk = [row for row in rows if row[pk] is None]
        for row, new_pk in zip(without_pk, allocate_ids(self.model, len(without_pk)), strict=True):
            row[pk] = new_pk
        required = [i for i, value in enumerate(self.template) if value is MISSING]
        for row in rows:
            missing = [fields[i].name for i in required if row[i] is MISSING]
            if missing:
                raise ValueError(f"{self.model.__name__}: no value for {', '.join(missing)}")
            for i, convert in converters:
                if row[i] is not None:
                    row[i] = convert(row[i])
        q = connection.ops.quote_name
        table = q(self.model._meta.db_table)
        columns = ", ".join(q(f.column) for f in fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
        self.rows = []
        return len(rows)


def create_missing(model: type[models.Model], key: str, objs: list, batch_size: int = 2000) -> int:
    """Insert the objects whose natural key is not in the table yet; returns how many."""
    existing: set = set()
    for part in chunked([getattr(o, key) for o in objs], 5000):
        existing.update(model.objects.filter(**{f"{key}__in": part}).values_list(key, flat=True))
    new = [o for o in objs if getattr(o, key) not in existing]
    bulk(model, new, batch_size)
    return len(new)


@dataclass
class ProductPlan:
    index: int
    sku: str
    category: int
    item: int
    weight_grams: int
    unit_cost: Decimal
    abc_class: str
    popularity: float
    profile: str  # "normal", "low" (below reorder point) or "out" (nothing available anywhere)
    is_active: bool
    id: int = 0


@dataclass
class Rate:
    service_id: int
    carrier: str
    service: str
    speed: str
    price: Decimal
    transit_days: int


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Seeder:
    """Builds the demo data set section by section; see the module docstring for the rules."""

    def __init__(self, scale: Scale, log: Log | None = None) -> None:
        self.scale = scale
        self.log = log or (lambda message: None)
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.today = timezone.localdate(self.now)
        self.catalog = load_catalog()
        self.places = load_places()
        self.place_by_code = {p.postal_code: p for p in self.places}
        self.report = SeedReport()
        self.users: dict[str, User] = {}
        self.warehouses: list[Warehouse] = []
        self.products: list[ProductPlan] = []
        self.services: list[CarrierService] = []
        self.rates: dict[tuple[int, int, int], Rate] = {}
        self.po_plan: list[dict] = []
        self.vendors: dict[str, Vendor] = {}

    # -- driver --------------------------------------------------------------------------------

    def run(self) -> SeedReport:
        sections: list[tuple[str, Callable[[], int], bool]] = [
            ("warehouses", self.seed_warehouses, True),
            ("users", self.seed_users, True),
            ("products", self.seed_products, True),
            ("vendors and contracts", self.seed_vendors, True),
            ("carriers and rate cards", self.seed_carriers, True),
            ("purchase orders", self.seed_purchase_orders, True),
            ("stock, ledger and counts", self.seed_stock, True),
            ("orders", self.seed_orders, False),  # one transaction per batch
            ("returns", self.seed_returns, True),
            ("SOPs and manual", self.seed_sops, True),
            ("quality", self.seed_quality, True),
        ]
        with _wide_sqlite_batches():
            for name, section, atomic in sections:
                started = time.monotonic()
                if atomic:
                    with transaction.atomic():
                        created = section()
                else:
                    created = section()
                seconds = time.monotonic() - started
                self.report.created[name] = created
                self.report.seconds[name] = seconds
                state = f"{created:,} rows created" if created else "already there"
                self.log(f"  {name}: {state} ({seconds:.1f} s)")
        return self.report

    def user(self, username: str) -> User:
        return self.users[username]

    # -- warehouses and users ------------------------------------------------------------------

    def seed_warehouses(self) -> int:
        created = 0
        for spec in WAREHOUSES[: self.scale.warehouses]:
            postal = spec["postal_code"]
            place = self.place_by_code[postal]
            warehouse = Warehouse.objects.filter(code=spec["code"]).first()
            if warehouse is None:
                warehouse = Warehouse.objects.create(
                    code=spec["code"],
                    name=spec["name"],
                    address=f"{spec['street']}\n{place.city}, {place.region} {postal}",
                    city=place.city,
                    region=place.region,
                    country=place.country,
                    postal_code=postal,
                    latitude=Decimal(f"{place.latitude:.6f}"),
                    longitude=Decimal(f"{place.longitude:.6f}"),
                    cutoff_time=dt.time(spec["cutoff_hour"], 0),
                    timezone=spec["timezone"],
                )
                created += 1
            self.warehouses.append(warehouse)
        return created

    def seed_users(self) -> int:
        created = 0
        password = None  # hashed once: PBKDF2 costs ~0.5 s per call
        groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
        for username, first, last, role, warehouse_indexes in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = password or make_password(PASSWORD)
                user = User.objects.create(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@opsportal.example",
                    password=password,
                    is_staff=role is None,
                    is_superuser=role is None,
                )
                if role:
                    user.groups.add(groups[role])
                for i in warehouse_indexes:
                    if i < len(self.warehouses):
                        self.warehouses[i].staff.add(user)
                created += 1
            self.users[username] = user
        return created

    # -- products ------------------------------------------------------------------------------

    def plan_products(self) -> list[ProductPlan]:
        rng = rng_for("products", self.scale.products)
        categories = self.catalog["categories"]
        plans = []
        for i in range(1, self.scale.products + 1):
            c = rng.randrange(len(categories))
            item = rng.randrange(len(categories[c]["items"]))
            _, _, weights, costs, _ = categories[c]["items"][item]
            profile_roll = rng.random()
            plans.append(
                ProductPlan(
                    index=i,
                    sku=f"{categories[c]['prefix']}-{i:06d}",
                    category=c,
                    item=item,
                    weight_grams=rng.randint(*weights),
                    unit_cost=money(rng.uniform(*costs)),
                    abc_class="C",
                    popularity=rng.paretovariate(1.16),
                    profile="out"
                    if profile_roll < 0.025
                    else "low"
                    if profile_roll < 0.11
                    else "normal",
                    is_active=rng.random() > 0.02,
                )
            )
        # ABC by yearly value (cost × demand): the top 20 % of products A, the next 30 % B.
        ranked = sorted(plans, key=lambda p: (-float(p.unit_cost) * p.popularity, p.index))
        for rank, plan in enumerate(ranked):
            share = rank / len(ranked)
            plan.abc_class = "A" if share < 0.2 else "B" if share < 0.5 else "C"
        return plans

    def seed_products(self) -> int:
        self.products = self.plan_products()
        rng = rng_for("product-details", self.scale.products)
        categories = self.catalog["categories"]
        created = 0
        for part in chunked(self.products, self.scale.batch_size):
            objs = []
            for plan in part:
                name_template, unit, _, _, dims = categories[plan.category]["items"][plan.item]
                name = name_template.format(
                    size=rng.choice(self.catalog["sizes"]),
                    len=rng.choice(self.catalog["lengths"]),
                    glove=rng.choice(self.catalog["gloves"]),
                )
                scale = rng.uniform(0.85, 1.2)
                objs.append(
                    Product(
                        sku=plan.sku,
                        name=name,
                        barcode=ean13(f"20{plan.index:010d}"),  # 20-29: restricted circulation
                        unit=unit,
                        weight_grams=plan.weight_grams,
                        length_mm=round(dims[0] * scale),
                        width_mm=round(dims[1] * scale),
                        height_mm=round(dims[2] * scale),
                        unit_cost=plan.unit_cost,
                        abc_class=plan.abc_class,
                        abc_class_locked=rng.random() < 0.01,
                        is_active=plan.is_active,
                    )
                )
            created += create_missing(Product, "sku", objs)
            if len(self.products) > self.scale.batch_size:
                self.log(f"    products {part[-1].index:,}/{self.scale.products:,}")
        ids = {}
        for part in chunked([p.sku for p in self.products], 5000):
            ids.update(Product.objects.filter(sku__in=part).values_list("sku", "id"))
        for plan in self.products:
            plan.id = ids[plan.sku]
        return created

    # -- vendors, contracts, carriers ----------------------------------------------------------

    def _vendor(self, name: str, kind: str, status: str, country: str, contacts: list) -> tuple:
        vendor = Vendor.objects.filter(name=name).first()
        if vendor is not None:
            return vendor, 0
        slug = "".join(ch for ch in name.lower().split(" ")[0] if ch.isalnum()) or "vendor"
        vendor = Vendor.objects.create(
            name=name,
            kind=kind,
            status=status,
            status_reason=(
                "Repeated thread-pitch failures at receiving; re-audit failed."
                if status == Vendor.Status.DISQUALIFIED
                else "New supplier: 100 % receiving inspection for the first six months."
                if status == Vendor.Status.CONDITIONAL
                else ""
            ),
            status_changed_at=self.now - dt.timedelta(days=120),
            email=f"orders@{slug}.example",
            phone=f"+1 555 01{len(name) % 10}{len(slug) % 10} {len(name):04d}",
            website=f"https://{slug}.example",
            country=country,
        )
        bulk(
            VendorContact,
            [
                VendorContact(
                    vendor=vendor,
                    name=person,
                    role=role,
                    email=f"{person.split()[0].lower()}@{slug}.example",
                    phone=f"+1 555 02{i}{len(person) % 10} {1000 + len(person) * 7}",
                    is_primary=i == 0,
                )
                for i, (person, role) in enumerate(contacts)
            ],
        )
        return vendor, 1 + len(contacts)

    def _contract(self, number: str, vendor: Vendor, spec: dict, prices: list[ProductPlan]) -> int:
        if VendorContract.objects.filter(number=number).exists():
            return 0
        rng = rng_for("contract", number)
        contract = VendorContract.objects.create(
            vendor=vendor,
            number=number,
            title=spec["title"],
            status=spec["status"],
            start_date=self.today + dt.timedelta(days=spec["start"]),
            end_date=self.today + dt.timedelta(days=spec["end"]),
            auto_renew=spec.get("auto_renew", False),
            notice_days=spec.get("notice", 30),
            currency=spec.get("currency", "USD"),
            value=money(rng.randrange(40, 900) * 1000),
            payment_terms=spec.get("terms", "Net 30"),
            sla_on_time_pct=Decimal(spec.get("on_time", "95.00")),
            sla_lead_time_days=spec.get("lead", 7),
            sla_max_defect_rate=Decimal(spec.get("defects", "1.00")),
            owner=self.user("contracts"),
            previous=VendorContract.objects.filter(number=spec.get("previous", "")).first(),
            notes=spec.get("notes", ""),
        )
        lines = []
        for plan in prices:
            price = money(float(plan.unit_cost) * rng.uniform(0.86, 0.98))
            lead = rng.choice((3, 5, 7, 10, 14))
            lines.append(
                ContractPrice(
                    contract=contract,
                    product_id=plan.id,
                    price=price,
                    min_qty=1,
                    lead_time_days=lead,
                )
            )
            if rng.random() < 0.25:  # volume tier
                lines.append(
                    ContractPrice(
                        contract=contract,
                        product_id=plan.id,
                        price=money(price * Decimal("0.94")),
                        min_qty=100,
                        lead_time_days=lead,
                    )
                )
        bulk(ContractPrice, lines)
        return 1 + len(lines)

    def seed_vendors(self) -> int:
        created = 0
        for spec in VENDORS:
            self.vendors[spec["name"]], n = self._vendor(
                spec["name"], spec["kind"], spec["status"], spec["country"], spec["contacts"]
            )
            created += n
        supplies = {spec["name"]: spec["supplies"] for spec in VENDORS}
        by_prefix: dict[str, list[ProductPlan]] = defaultdict(list)
        for plan in self.products:
            if plan.is_active:
                by_prefix[plan.sku[:3]].append(plan)
        per_contract = 25 if self.scale.products < 5000 else 60
        for spec in REFERENCE["contracts"]:  # a renewal comes after the contract it renews
            pool = [p for prefix in supplies[spec["vendor"]] for p in by_prefix[prefix]]
            priced = rng_for("prices", spec["number"]).sample(pool, min(per_contract, len(pool)))
            created += self._contract(
                spec["number"],
                self.vendors[spec["vendor"]],
                spec,
                sorted(priced, key=lambda p: p.index),
            )
        return created

    def seed_carriers(self) -> int:
        created = 0
        for i, spec in enumerate(CARRIERS):
            code = spec["code"]
            vendor, n = self._vendor(
                spec["vendor"],
                Vendor.Kind.CARRIER,
                Vendor.Status.QUALIFIED,
                "US",
                [("Key account desk", "Carrier account manager")],
            )
            created += n
            carrier = Carrier.objects.filter(code=code).first()
            if carrier is None:
                carrier = Carrier.objects.create(
                    vendor=vendor, code=code, tracking_url_template=spec["tracking_url_template"]
                )
                created += 1
            for svc in spec["services"]:
                service = CarrierService.objects.filter(carrier=carrier, code=svc["code"]).first()
                if service is None:
                    service = CarrierService.objects.create(
                        carrier=carrier, code=svc["code"], name=svc["name"], speed=svc["speed"]
                    )
                    rates = [
                        ShippingRate(
                            service=service,
                            zone=zone,
                            max_weight_grams=grams,
                            price=rate_price(spec, svc, zone, grams),
                            transit_days=svc["transit_days"][zone - 1],
                        )
                        for zone in range(1, 9)
                        for grams in WEIGHT_BREAKS
                    ]
                    created += 1 + len(bulk(ShippingRate, rates))
                self.services.append(service)
            created += self._contract(
                f"CON-20{i + 1:02d}",
                vendor,
                {
                    "title": f"{spec['vendor']}: parcel services agreement",
                    "status": "active",
                    "start": -400 + 150 * i,
                    "end": spec["contract_ends_in_days"],
                    "terms": "Net 30",
                    "on_time": "96.50",
                    "lead": 1,
                    "defects": "0.30",
                },
                [],
            )
        for rate in ShippingRate.objects.select_related("service__carrier").filter(
            service__in=self.services
        ):
            svc = rate.service
            self.rates[(svc.pk, rate.zone, rate.max_weight_grams)] = Rate(
                svc.pk, svc.carrier.code, svc.code, svc.speed, rate.price, rate.transit_days
            )
        return created

    # -- purchase orders -----------------------------------------------------------------------

    def plan_purchase_orders(self) -> list[dict]:
        """Purchase orders in every status; received lines feed the ledger and inspections."""
        rng = rng_for("purchase-orders", self.scale.warehouses, self.scale.products)
        pattern = [
            "received",
            "sent",
            "partially_received",
            "received",
            "draft",
            "sent",
            "received",
            "partially_received",
            "cancelled",
            "received",
        ]
        suppliers = [
            i for i, v in enumerate(VENDORS) if v["supplies"] and v["status"] != "disqualified"
        ]
        by_prefix: dict[str, list[ProductPlan]] = defaultdict(list)
        for plan in self.products:
            if plan.is_active:
                by_prefix[plan.sku[:3]].append(plan)
        plans = []
        for i in range(4 * self.scale.warehouses):
            status = pattern[i % len(pattern)]
            vendor_index = suppliers[(i * 4) % len(suppliers)]
            pool = [p for prefix in VENDORS[vendor_index]["supplies"] for p in by_prefix[prefix]]
            created = self.now - dt.timedelta(
                days={
                    "received": rng.randint(12, 55),
                    "partially_received": rng.randint(12, 20),
                    "sent": rng.randint(1, 8),
                    "draft": rng.randint(0, 3),
                    "cancelled": rng.randint(20, 40),
                }[status],
                hours=rng.randint(0, 8),
            )
            sent = created + dt.timedelta(hours=rng.randint(2, 30))
            expected = (sent + dt.timedelta(days=rng.randint(5, 12))).date()
            received_at = None
            if status == "received":
                received_at = min(
                    dt.datetime.combine(expected, dt.time(10), tzinfo=dt.UTC)
                    + dt.timedelta(days=rng.randint(-2, 2), hours=rng.randint(0, 6)),
                    self.now - dt.timedelta(days=5),
                )
            elif status == "partially_received":
                received_at = self.now - dt.timedelta(days=rng.randint(4, 9), hours=3)
            lines = []
            for n, plan in enumerate(rng.sample(pool, min(len(pool), rng.randint(2, 6)))):
                quantity = rng.choice((24, 48, 60, 100, 120, 200, 250, 400))
                received = 0
                if status == "received":
                    received = quantity
                elif status == "partially_received":
                    received = quantity if n == 0 else quantity // 2 if n == 1 else 0
                lines.append(
                    {
                        "product": plan,
                        "quantity": quantity,
                        "received": received,
                        "unit_price": money(float(plan.unit_cost) * rng.uniform(0.86, 0.98)),
                        "inspection": None,
                    }
                )
            plans.append(
                {
                    "number": f"PO-{100001 + i}",
                    "status": status,
                    "vendor": VENDORS[vendor_index]["name"],
                    "vendor_index": vendor_index,
                    "warehouse": i % self.scale.warehouses,
                    "created_at": created,
                    "sent_at": sent if status not in ("draft",) else None,
                    "expected_date": expected if status != "draft" else None,
                    "received_at": received_at,
                    "lines": lines,
                    "notes": "Cancelled: the supplier could not meet the delivery date."
                    if status == "cancelled"
                    else "",
                }
            )
        # Inspections on received lines: two fail (quantity quarantined), the newest is pending.
        received_lines = [(po, line) for po in plans for line in po["lines"] if line["received"]]
        for _po, line in received_lines:
            line["inspection"] = "passed"
        conditional = [
            (po, line)
            for po, line in received_lines
            if VENDORS[po["vendor_index"]]["status"] == "conditional"
        ]
        failing = conditional[:1]  # a conditional supplier first, then a general receipt
        failing += [pl for pl in received_lines[2:] if pl not in failing][:1]
        for _, line in failing:
            line["inspection"] = "failed"
        newest = max(received_lines, key=lambda pl: pl[0]["received_at"], default=None)
        if newest is not None and newest[1]["inspection"] == "passed":
            newest[1]["inspection"] = "pending"
        return plans

    def seed_purchase_orders(self) -> int:
        self.po_plan = self.plan_purchase_orders()
        contracts = {
            c.vendor_id: c for c in VendorContract.objects.filter(status="active").order_by("pk")
        }
        created = 0
        with _backdating(PurchaseOrder):
            for spec in self.po_plan:
                if PurchaseOrder.objects.filter(number=spec["number"]).exists():
                    continue
                vendor = self.vendors[spec["vendor"]]
                po = PurchaseOrder.objects.create(
                    number=spec["number"],
                    vendor=vendor,
                    warehouse=self.warehouses[spec["warehouse"]],
                    contract=contracts.get(vendor.pk),
                    status=spec["status"],
                    expected_date=spec["expected_date"],
                    currency="EUR" if vendor.country == "DE" else "USD",
                    notes=spec["notes"],
                    created_by=self.user("manager"),
                    created_at=spec["created_at"],
                    sent_at=spec["sent_at"],
                    received_at=spec["received_at"] if spec["status"] == "received" else None,
                )
                lines = [
                    PurchaseOrderLine(
                        purchase_order=po,
                        product_id=line["product"].id,
                        quantity=line["quantity"],
                        unit_price=line["unit_price"],
                        received=line["received"],
                    )
                    for line in spec["lines"]
                ]
                created += 1 + len(bulk(PurchaseOrderLine, lines))
        return created

    # -- stock, ledger, cycle counts -----------------------------------------------------------

    def plan_stock_pairs(self) -> dict[tuple[int, int], dict]:
        """Which warehouse holds which product, how much it should end with, where it sits."""
        forced = {
            (po["warehouse"], line["product"].index)
            for po in self.po_plan
            for line in po["lines"]
            if line["received"]
        }
        eu = {
            i
            for i, w in enumerate(WAREHOUSES[: self.scale.warehouses])
            if self.place_by_code[w["postal_code"]].country != "US"
        }
        pairs = {}
        for plan in self.products:
            rng = rng_for("stock", plan.index)
            held = [
                w
                for w in range(self.scale.warehouses)
                if rng.random() < (0.6 if w in eu else 0.85) or (w, plan.index) in forced
            ]
            if not held:
                held = [rng.randrange(self.scale.warehouses)]
            for w in held:
                rp = {"A": rng.randint(30, 60), "B": rng.randint(12, 30)}.get(
                    plan.abc_class, rng.randint(4, 12)
                )
                if plan.profile == "out":
                    target = 0
                elif plan.profile == "low":
                    target = rng.randint(0, rp)
                else:
                    lo, hi = {"A": (60, 400), "B": (25, 200), "C": (6, 90)}[plan.abc_class]
                    target = rng.randint(lo, hi)
                pairs[(w, plan.index)] = {
                    "target": target,
                    "reorder_point": rp,
                    "safety_stock": max(1, rp // 2),
                    "bin": f"{'ABCDEFGH'[plan.category]}{rng.randint(1, 24):02d}"
                    f"-{rng.randint(1, 12):02d}-{rng.choice('ABCD')}",
                }
        return pairs

    def plan_checks(self, pairs: dict[tuple[int, int], dict]) -> list[dict]:
        """Cycle counts per warehouse: posted ones in the past, one in review, today's plan."""
        by_warehouse: dict[int, list[ProductPlan]] = defaultdict(list)
        for plan in self.products:
            for w in range(self.scale.warehouses):
                if (w, plan.index) in pairs and plan.abc_class in "AB" and plan.is_active:
                    by_warehouse[w].append(plan)
        size = 12 if self.scale.detail else 20
        checks = []
        for w in range(self.scale.warehouses):
            rng = rng_for("checks", w)
            pool = by_warehouse[w]
            assignee = "warehouse" if w in (0, 1) else "warehouse2" if w == 2 else None
            states = [("posted", 27), ("posted", 13), ("posted", 6), ("review", 1), ("planned", 0)]
            if w == 2:
                states.append(("counting", 0))
            if w == 0:
                states.append(("cancelled", 10))
            for status, days_ago in states:
                products = sorted(rng.sample(pool, min(size, len(pool))), key=lambda p: p.index)
                start = self.now - dt.timedelta(days=days_ago, hours=1)
                lines = []
                for n, plan in enumerate(products):
                    variance = 0
                    if status in ("posted", "review") and rng.random() < 0.2:
                        variance = rng.choice((-3, -2, -1, -1, 1, 2))
                    counted = status in ("posted", "review") or (status == "counting" and n % 2)
                    lines.append(
                        {
                            "product": plan,
                            "variance": variance,
                            "counted": counted,
                            "recount": status == "review" and n == 0,
                        }
                    )
                checks.append(
                    {
                        "warehouse": w,
                        "status": status,
                        "start": start,
                        "scheduled_for": (self.now - dt.timedelta(days=days_ago)).date(),
                        "assignee": assignee,
                        "lines": lines,
                        "id": 0,
                        "kind": "scheduled" if status != "cancelled" else "products",
                    }
                )
        return checks

    def seed_stock(self) -> int:
        if StockLevel.objects.filter(warehouse__in=self.warehouses).exists():
            return 0
        pairs = self.plan_stock_pairs()
        checks = self.plan_checks(pairs)
        self._create_check_headers(checks)
        counts_at: dict[tuple[int, int], list[tuple[dict, dict]]] = defaultdict(list)
        for check in checks:
            for line in check["lines"]:
                counts_at[(check["warehouse"], line["product"].index)].append((check, line))
        po_ids = dict(PurchaseOrder.objects.values_list("number", "id"))
        receipts: dict[tuple[int, int], list[tuple[dict, dict]]] = defaultdict(list)
        for po in self.po_plan:
            for line in po["lines"]:
                if line["received"]:
                    receipts[(po["warehouse"], line["product"].index)].append((po, line))
        ct_po = ContentType.objects.get_for_model(PurchaseOrder)
        ct_check = ContentType.objects.get_for_model(InventoryCheck)
        staff = [self.user("warehouse"), self.user("warehouse"), self.user("warehouse2")]
        created = len(checks)
        by_product: dict[int, list[int]] = defaultdict(list)
        for w, index in pairs:
            by_product[index].append(w)
        staff_ids = [u.pk if u else None for u in staff]
        levels, movements = Rows(StockLevel, self.now), Rows(StockMovement, self.now)
        # Adjustments carry a reason code where the ledger has one.
        coded = "reason_code" in movements.index
        for part in chunked(self.products, 2000):
            for plan in part:
                for w in sorted(by_product[plan.index]):
                    spec = pairs[(w, plan.index)]
                    actor = staff_ids[w] if w < len(staff_ids) else None
                    ledger, quarantined = self._ledger(
                        plan,
                        w,
                        spec,
                        receipts.get((w, plan.index), []),
                        counts_at.get((w, plan.index), []),
                    )
                    warehouse_id = self.warehouses[w].pk
                    for when, kind, delta, after, reason, ref in ledger:
                        ref_type = ref_id = None
                        if ref is not None:
                            is_po = ref[0] == "po"
                            ref_type = ct_po.pk if is_po else ct_check.pk
                            ref_id = str(po_ids[ref[1]] if is_po else ref[1])
                        system = kind in ("shipment", "receipt") and ref is None
                        extra = {}
                        if kind == "adjustment" and coded:
                            extra["reason_code"] = "found" if delta > 0 else "damaged"
                        movements.add(
                            **extra,
                            warehouse_id=warehouse_id,
                            product_id=plan.id,
                            delta=delta,
                            kind=kind,
                            reason=reason,
                            reference_type_id=ref_type,
                            reference_id=ref_id or "",
                            actor_id=None if system else actor,
                            created_at=when,
                            on_hand_after=after,
                        )
                    levels.add(
                        warehouse_id=warehouse_id,
                        product_id=plan.id,
                        on_hand=ledger[-1][3],
                        quarantined=quarantined,
                        reorder_point=spec["reorder_point"],
                        safety_stock=spec["safety_stock"],
                        bin=spec["bin"],
                    )
            n_levels, n_movements = len(levels), len(movements)
            created += levels.write() + movements.write()
            self.log(
                f"    stock for products up to {part[-1].index:,}: "
                f"{n_levels:,} levels, {n_movements:,} movements"
            )
        created += self._create_check_lines(checks, pairs)
        return created

    def _ledger(
        self, plan: ProductPlan, w: int, spec: dict, receipts: list, counts: list
    ) -> tuple[list[tuple], int]:
        """Movements of one stock level in time order: (when, kind, delta, on_hand_after, reason,
        reference). Shipments are sized from the balance at the time; the opening balance is
        raised until the running balance never goes below zero and ends at the target."""
        rng = rng_for("ledger", w, plan.index)
        opening_at = self.now - dt.timedelta(
            days=self.scale.history_days + rng.randint(20, 40), hours=rng.randint(0, 9)
        )
        span = (self.now - dt.timedelta(days=4) - opening_at).total_seconds()

        def at(fraction: float) -> dt.datetime:
            return opening_at + dt.timedelta(seconds=int(span * fraction))

        events: list[list] = []  # [when, kind, delta or None (shipment), reason, ref, extra]
        quarantined = 0
        for po, line in receipts:
            events.append(
                [
                    po["received_at"],
                    "receipt",
                    line["received"],
                    f"Received on {po['number']}",
                    ("po", po["number"]),
                    None,
                ]
            )
            if line["inspection"] == "failed":
                quarantined += line["received"]
                events.append(
                    [
                        po["received_at"] + dt.timedelta(hours=2),
                        "quarantine",
                        0,
                        f"Failed receiving inspection: {po['number']} held",
                        ("po", po["number"]),
                        None,
                    ]
                )
        for _ in range(rng.randint(1, 3) if self.scale.detail else 1):
            events.append(
                [
                    at(rng.uniform(0.05, 0.95)),
                    "shipment",
                    None,
                    "Customer shipments (daily summary)",
                    None,
                    rng.uniform(0.15, 0.5),
                ]
            )
        if rng.random() < 0.12:
            delta = rng.choice((-3, -2, -1, 1, 2))
            reason = (
                rng.choice(("Damaged in handling", "Broken seal found at putaway"))
                if (delta < 0)
                else "Found during putaway"
            )
            events.append([at(rng.uniform(0.1, 0.95)), "adjustment", delta, reason, None, None])
        if rng.random() < 0.05:
            events.append(
                [
                    at(rng.uniform(0.3, 0.95)),
                    "return",
                    rng.randint(1, 2),
                    "Customer return restocked",
                    None,
                    None,
                ]
            )
        for check, line in counts:
            if check["status"] == "posted" and line["variance"]:
                events.append(
                    [
                        check["start"] + dt.timedelta(hours=5),
                        "count",
                        line["variance"],
                        f"Cycle count #{check['id']} posted",
                        ("check", check["id"]),
                        None,
                    ]
                )
        events.sort(key=lambda e: e[0])
        target = spec["target"] + quarantined
        opening = max(target, 10) * rng.randint(2, 4)
        running, lowest = opening, opening
        for event in events:
            if event[2] is None:
                event[2] = -int(running * event[5])
            running += event[2]
            lowest = min(lowest, running)
        opening += max(0, -lowest)
        running += max(0, -lowest)
        if running > target:
            events.append(
                [
                    self.now - dt.timedelta(days=3, hours=18),
                    "shipment",
                    target - running,
                    "Customer shipments (daily summary)",
                    None,
                    None,
                ]
            )
        else:
            opening += target - running
        rows = [
            (
                opening_at,
                "receipt",
                opening,
                opening,
                "Opening balance (migrated from the previous system)",
                None,
            )
        ]
        balance = opening
        for when, kind, delta, reason, ref, _ in events:
            if kind == "shipment" and delta == 0:
                continue
            balance += delta
            rows.append((when, kind, delta, balance, reason, ref))
        if counts:  # kept only where a count needs the balance at a given time
            spec["history"] = rows
        return rows, quarantined

    def _create_check_headers(self, checks: list[dict]) -> None:
        objs = []
        for check in checks:
            status, start = check["status"], check["start"]
            done = status in ("posted", "review")
            objs.append(
                InventoryCheck(
                    warehouse=self.warehouses[check["warehouse"]],
                    kind=check["kind"],
                    scheduled_for=check["scheduled_for"],
                    status=status,
                    blind=True,
                    assigned_to=self.users.get(check["assignee"]) if check["assignee"] else None,
                    created_by=self.user("manager"),
                    started_at=start if status in ("posted", "review", "counting") else None,
                    submitted_at=start + dt.timedelta(hours=3) if done else None,
                    approved_by=self.user("manager") if status == "posted" else None,
                    posted_at=start + dt.timedelta(hours=5) if status == "posted" else None,
                    created_at=start - dt.timedelta(hours=10),
                )
            )
        with _backdating(InventoryCheck):
            bulk(InventoryCheck, objs)
        for check, obj in zip(checks, objs, strict=True):
            check["id"] = obj.pk

    def _create_check_lines(self, checks: list[dict], pairs: dict) -> int:
        objs = []
        for check in checks:
            counter = self.users.get(check["assignee"] or "manager") or self.user("manager")
            for line in check["lines"]:
                spec = pairs[(check["warehouse"], line["product"].index)]
                expected = counted = variance = first = None
                if check["status"] in ("posted", "review", "counting"):
                    # The balance just before the count was posted (or began).
                    cut = check["start"] + dt.timedelta(
                        hours=5 if check["status"] == "posted" else 0
                    )
                    times = [row[0] for row in spec["history"]]
                    i = bisect.bisect_left(times, cut) - 1
                    expected = spec["history"][max(i, 0)][3]
                if line["counted"] and expected is not None:
                    counted = max(0, expected + line["variance"])
                    variance = counted - expected
                    if line["recount"]:
                        first = counted + 4
                objs.append(
                    InventoryCheckLine(
                        inventory_check_id=check["id"],
                        product_id=line["product"].id,
                        bin=spec["bin"],
                        expected=expected,
                        counted=counted,
                        counted_by=counter if counted is not None else None,
                        counted_at=check["start"] + dt.timedelta(minutes=10 + 3 * len(objs) % 120)
                        if counted is not None
                        else None,
                        variance=variance,
                        recount=line["recount"],
                        first_count=first,
                    )
                )
        return len(bulk(InventoryCheckLine, objs))

    # -- orders --------------------------------------------------------------------------------

    def seed_orders(self) -> int:
        from orders.numbering import sync_order_number_sequence

        generator = OrderGenerator(self)
        created = generator.run()
        # New orders (intake) take numbers from a sequence: it must start after the seeded ones.
        sync_order_number_sequence()
        return created

    def seed_returns(self) -> int:
        return seed_returns(self) if self.scale.detail else 0

    def seed_sops(self) -> int:
        return seed_sops(self)

    def seed_quality(self) -> int:
        return seed_quality(self)


# Target status by age of the order (days): the generator then derives the real status from
# what could be allocated and shipped, exactly as the order services would.
STATUS_BY_AGE = [
    (
        0.3,
        {
            "received": 25,
            "allocated": 45,
            "partially_allocated": 8,
            "backordered": 8,
            "partially_shipped": 8,
            "cancelled": 2,
        },
    ),
    (
        2,
        {
            "received": 2,
            "allocated": 35,
            "partially_allocated": 6,
            "backordered": 7,
            "partially_shipped": 12,
            "shipped": 35,
            "cancelled": 3,
        },
    ),
    (
        7,
        {
            "allocated": 3,
            "backordered": 4,
            "partially_shipped": 4,
            "shipped": 40,
            "delivered": 45,
            "cancelled": 4,
        },
    ),
    (
        math.inf,
        {
            "backordered": 1,
            "partially_shipped": 0.5,
            "shipped": 2,
            "delivered": 93,
            "cancelled": 3.5,
        },
    ),
]
CHANNELS = {"web": 50, "marketplace": 25, "edi": 10, "phone": 5, "portal": 5, "csv": 5}
REF_PREFIX = {"web": "W-", "marketplace": "MP-", "edi": "EDI-", "phone": "PH-", "csv": "CSV-"}
SERVICE_LEVELS = {"economy": 15, "standard": 60, "expedited": 18, "overnight": 7}
HOLDS: dict[str, str] = REFERENCE["holds"]
EMAIL_SUBJECTS: dict[str, str] = REFERENCE["email_subjects"]


def weighted(table: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(table)
    return keys, list(itertools.accumulate(table[k] for k in keys))


def weighted_choice(items: Sequence, cum_weights: Sequence[float], rng: random.Random) -> Any:
    """rng.choices(items, cum_weights=...)[0] without its per-call overhead (same draws)."""
    return items[bisect.bisect(cum_weights, rng.random() * cum_weights[-1], 0, len(items) - 1)]


def derive_status(lines: list[dict], shipments: list[dict], routed: bool, cancelled: bool) -> str:
    """Order status from line quantities, as the order services derive it."""
    if cancelled:
        return Order.Status.CANCELLED
    quantity = sum(line["quantity"] for line in lines)
    shipped = sum(sum(line["shipped"].values()) for line in lines)
    allocated = sum(sum(line["allocated"].values()) for line in lines)
    if shipped == quantity:
        shipped_ones = [s for s in shipments if s["status"] != "pending"]
        delivered = all(s["status"] == "delivered" for s in shipped_ones)
        return Order.Status.DELIVERED if delivered else Order.Status.SHIPPED
    if shipped:
        return Order.Status.PARTIALLY_SHIPPED
    if allocated == quantity:
        return Order.Status.ALLOCATED
    if allocated:
        return Order.Status.PARTIALLY_ALLOCATED
    return Order.Status.BACKORDERED if routed else Order.Status.RECEIVED


def ascii_slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class OrderGenerator:
    """Orders in batches: each batch is planned from its own generator and written in one
    transaction together with the reservations it makes."""

    def __init__(self, seeder: Seeder) -> None:
        self.s = seeder
        self.scale = seeder.scale
        self.now = seeder.now
        wh = seeder.warehouses
        self.codes = [w.code for w in wh]
        self.cutoffs = [w.cutoff_time.hour for w in wh]
        self.us = [i for i, w in enumerate(wh) if w.country == "US"]
        self.eu = [i for i, w in enumerate(wh) if w.country != "US"]
        places = seeder.places
        self.us_places = [p for p in places if p.country == "US"]
        self.eu_places = [p for p in places if p.country != "US"] if self.eu else []
        self.distance: dict[tuple[str, int], float] = {}
        for place in self.us_places + self.eu_places:
            for i, w in enumerate(wh):
                self.distance[(place.postal_code, i)] = haversine_km(
                    place.latitude, place.longitude, float(w.latitude), float(w.longitude)
                )
        self.rates_by: dict[tuple[int, int], list[Rate]] = defaultdict(list)
        for (_, zone, grams), rate in seeder.rates.items():
            self.rates_by[(zone, grams)].append(rate)
        for options in self.rates_by.values():
            options.sort(key=lambda r: (r.price, r.transit_days, r.service))
        products = [p for p in seeder.products if p.is_active]
        self.orderable = [p for p in products if p.profile != "out"]
        self.orderable_cum = list(itertools.accumulate(p.popularity for p in self.orderable))
        self.out_of_stock = [p for p in products if p.profile == "out"]
        cat = seeder.catalog
        self.first_names = cat["first_names"]
        self.last_names = cat["last_names"]
        self.streets, self.eu_streets = cat["streets"], cat["eu_streets"]
        self.slugs = {name: ascii_slug(name) for name in self.first_names + self.last_names}
        # Live stock: what can still be reserved, and the level rows to write reservations to.
        self.held: dict[int, set[int]] = defaultdict(set)
        self.available: dict[tuple[int, int], int] = {}
        self.level: dict[tuple[int, int], list[int]] = {}  # -> [pk, reserved]
        index_of = {w.pk: i for i, w in enumerate(wh)}
        rows = StockLevel.objects.filter(warehouse__in=wh).values_list(
            "pk", "warehouse_id", "product_id", "on_hand", "reserved", "quarantined"
        )
        for pk, warehouse_id, product_id, on_hand, reserved, quarantined in rows.iterator(5000):
            w = index_of[warehouse_id]
            self.held[product_id].add(w)
            self.available[(w, product_id)] = on_hand - reserved - quarantined
            self.level[(w, product_id)] = [pk, reserved]
        self.channel_table = weighted(CHANNELS)
        self.level_table = weighted(SERVICE_LEVELS)
        self.status_tables = [(limit, weighted(t)) for limit, t in STATUS_BY_AGE]
        self.coords: dict[str, tuple[Decimal, Decimal]] = {}
        self.quotes: dict[tuple[int, int, str], tuple[Rate, list[Rate]]] = {}
        self.rankings: dict[tuple, list[dict]] = {}
        self.nearest: dict[tuple, list[dict]] = {}
        self.quote_views: dict[tuple, list[dict]] = {}

    # -- planning one order --------------------------------------------------------------------

    def placed_at(self, i: int, rng: random.Random) -> dt.datetime:
        # Small demos crowd the recent days (open work to click through); large is uniform.
        n = max(self.scale.orders, 1)
        power = 1.8 if self.scale.detail else 1.0
        fraction = ((n - i + 0.5 + rng.uniform(-0.4, 0.4)) / n) ** power
        age = dt.timedelta(days=self.scale.history_days) * fraction
        return self.now - max(age, dt.timedelta(minutes=5))

    def pick(self, table: tuple[list, list[float]], rng: random.Random) -> Any:
        keys, cum = table
        return weighted_choice(keys, cum, rng)

    def quote(self, zone: int, grams: int, level: str) -> tuple[Rate, list[Rate], int]:
        """Cheapest service meeting the promise, else the fastest; every option considered."""
        parcels = max(1, math.ceil(grams / WEIGHT_BREAKS[-1]))
        key = (zone, weight_break(min(grams, WEIGHT_BREAKS[-1])), level)
        cached = self.quotes.get(key)
        if cached is None:
            options = self.rates_by[key[:2]]
            meeting = [r for r in options if r.transit_days <= PROMISE_DAYS[level]]
            chosen = (
                meeting[0] if meeting else min(options, key=lambda r: (r.transit_days, r.price))
            )
            cached = self.quotes[key] = (chosen, options)
        return cached[0], cached[1], parcels

    def by_distance(self, postal_code: str, candidates: list[int], ranked: list) -> list:
        key = (postal_code, candidates is self.eu)
        if key not in self.nearest:
            self.nearest[key] = sorted(ranked, key=lambda c: c["km"])
        return self.nearest[key]

    def ranking(self, postal_code: str, candidates: list[int], grams: int, level: str) -> list:
        """Warehouses for one destination ranked by (promise met, shipping cost, distance)."""
        parcels = max(1, math.ceil(grams / WEIGHT_BREAKS[-1]))
        key = (postal_code, weight_break(min(grams, WEIGHT_BREAKS[-1])), parcels, level)
        ranked = self.rankings.get(key)
        if ranked is None:
            ranked = []
            for w in candidates:
                km = self.distance[(postal_code, w)]
                rate, _, _ = self.quote(zone_for_km(km), grams, level)
                ranked.append(
                    {
                        "w": w,
                        "meets_promise": rate.transit_days <= PROMISE_DAYS[level],
                        "cost": rate.price * parcels,
                        "km": km,
                    }
                )
            ranked.sort(key=lambda c: (not c["meets_promise"], c["cost"], c["km"]))
            self.rankings[key] = ranked
        return ranked

    def quote_view(self, rate: Rate, options: list[Rate], parcels: int) -> list[dict]:
        """The quotes stored on a shipment: all of them (small) or the chosen and the next."""
        key = (id(rate), id(options), parcels)
        view = self.quote_views.get(key)
        if view is None:
            alternatives = [r for r in options if r is not rate]
            shown = options if self.scale.detail else [rate, *alternatives[:1]]
            view = self.quote_views[key] = [
                {
                    "carrier": r.carrier,
                    "service": r.service,
                    "price": str(r.price * parcels),
                    "transit_days": r.transit_days,
                    "chosen": r is rate,
                }
                for r in shown
            ]
        return view

    def plan_order(self, i: int, rng: random.Random) -> dict:
        placed = self.placed_at(i, rng)
        age = (self.now - placed).total_seconds() / 86400
        target = next(self.pick(t, rng) for limit, t in self.status_tables if age < limit)
        eu_order = bool(self.eu) and rng.random() < 0.08
        place = rng.choice(self.eu_places if eu_order else self.us_places)
        candidates = self.eu if eu_order else self.us
        first, last = rng.choice(self.first_names), rng.choice(self.last_names)
        channel = self.pick(self.channel_table, rng)
        level = self.pick(self.level_table, rng)
        order = {
            "i": i,
            "number": f"SO-{i:07d}",
            "placed_at": placed,
            "channel": channel,
            "external_ref": f"{REF_PREFIX[channel]}{500000 + i}" if channel in REF_PREFIX else "",
            "customer_name": f"{first} {last}",
            "customer_email": f"{self.slugs[first]}.{self.slugs[last]}{i % 997}@example.com",
            "line1": f"{rng.randint(1, 9800)} {rng.choice(self.eu_streets if eu_order else self.streets)}",
            "line2": rng.choice(("", "", "", "", "Apt 4B", "Suite 210", "Unit 7")),
            "place": place,
            "service_level": level,
            "hold": "",
            "at_risk": False,
            "shipments": [],
            "events": [],
            "emails": [],
            "routing": {},
        }
        # Lines: ~1.55 per order; backorders involve a product nobody has in stock.
        count = weighted_choice((1, 2, 3, 4), (62, 87, 96, 100), rng)
        if target in ("partially_allocated", "partially_shipped"):
            count = max(count, 2)
        chosen: list[ProductPlan] = []
        while len(chosen) < count:
            product = weighted_choice(self.orderable, self.orderable_cum, rng)
            if product not in chosen:
                chosen.append(product)
        if target in ("backordered", "partially_allocated") and self.out_of_stock:
            chosen[0 if target == "backordered" else -1] = rng.choice(self.out_of_stock)
            if target == "backordered":
                chosen = chosen[:1]
        order["lines"] = [
            {
                "product": p,
                "quantity": weighted_choice((1, 2, 3, 5, 12), (55, 75, 85, 95, 100), rng),
                "unit_price": money(float(p.unit_cost) * rng.uniform(1.45, 2.2)),
                "allocated": {},
                "shipped": {},
            }
            for p in chosen
        ]
        cancelled = target == "cancelled"
        routed = target != "received" and not (cancelled and rng.random() < 0.4)
        if routed:
            self.route(order, candidates, target, rng)
        if (
            target == "received"
            and rng.random() < 0.3
            or (target == "allocated" and rng.random() < 0.06)
        ):
            order["hold"] = rng.choice(list(HOLDS))
        order["status"] = derive_status(order["lines"], order["shipments"], routed, cancelled)
        order["routed"] = routed
        self.finish(order, rng)
        return order

    def route(self, order: dict, candidates: list[int], target: str, rng: random.Random) -> None:
        """Choose the warehouse(s), reserve or ship, and store why (the routing JSON)."""
        lines, level, place = order["lines"], order["service_level"], order["place"]
        grams = sum(line["product"].weight_grams * line["quantity"] for line in lines) + 150
        historic = target in ("shipped", "delivered", "cancelled")
        reserve = target not in ("shipped", "delivered", "cancelled")

        def can_supply(w: int, line: dict) -> bool:
            pid = line["product"].id
            if historic:
                return w in self.held[pid]
            return self.available.get((w, pid), 0) >= line["quantity"]

        ranked = self.ranking(place.postal_code, candidates, grams, level)
        if historic:  # who holds every product (it could ship then)
            holders = set.intersection(*(self.held[line["product"].id] for line in lines))
            fills = {c["w"]: c["w"] in holders for c in ranked}
        else:
            fills = {c["w"]: all(can_supply(c["w"], line) for line in lines) for c in ranked}
        scored = sorted(ranked, key=lambda c: not fills[c["w"]])  # stable: promise, cost, km
        by_distance = self.by_distance(place.postal_code, candidates, ranked)
        plan: dict[int, int] = {}  # line index -> warehouse
        if target == "partially_shipped":
            holders = self.held[lines[0]["product"].id]
            plan[0] = next((c["w"] for c in by_distance if c["w"] in holders), by_distance[0]["w"])
            for n, line in enumerate(lines[1:], start=1):
                w = next((c["w"] for c in by_distance if can_supply(c["w"], line)), None)
                if w is not None:
                    plan[n] = w
            reason = "Shipped what the nearest warehouse had; the rest follows from another."
        elif fills[scored[0]["w"]]:
            best = scored[0]
            plan = dict.fromkeys(range(len(lines)), best["w"])
            reason = (
                f"{self.codes[best['w']]} can fill every line"
                + (", meets the promise" if best["meets_promise"] else "")
                + " and is the cheapest to ship from."
            )
        else:
            for n, line in enumerate(lines):
                w = next((c["w"] for c in by_distance if can_supply(c["w"], line)), None)
                if w is not None:
                    plan[n] = w
            if historic:  # it shipped: from the nearest warehouse if none holds it today
                for n in range(len(lines)):
                    plan.setdefault(n, by_distance[0]["w"])
            missing = [lines[n]["product"].sku for n in range(len(lines)) if n not in plan]
            used = sorted({self.codes[w] for w in plan.values()})
            reason = (
                "No warehouse can fill every line: split over " + ", ".join(used)
                if used
                else "No warehouse has the stock available"
            )
            if missing:
                reason += "; backordered: " + ", ".join(missing)
            reason += "."
        for n, w in plan.items():
            line = lines[n]
            key = (w, line["product"].id)
            if target in ("shipped", "delivered") or (target == "partially_shipped" and n == 0):
                line["shipped"][w] = line["quantity"]
            elif reserve:
                self.available[key] -= line["quantity"]
                line["allocated"][w] = line["quantity"]
        keep = len(scored) if self.scale.detail else 3
        order["routing"] = {
            "chosen": sorted({self.codes[w] for w in plan.values()}),
            "reason": reason,
            "candidates": [
                {
                    "warehouse": self.codes[c["w"]],
                    "can_fill": fills[c["w"]],
                    "meets_promise": c["meets_promise"],
                    "cost": str(c["cost"]),
                    "distance_km": round(c["km"]),
                }
                for c in scored[:keep]
            ],
        }
        order["grams"] = grams

    def finish(self, order: dict, rng: random.Random) -> None:
        """Promised dates, shipments with quotes, payment, risk, the timeline and the emails."""
        placed, level, lines = order["placed_at"], order["service_level"], order["lines"]
        detail = self.scale.detail
        shipped_from = sorted({w for line in lines for w in line["shipped"]})
        allocated_at = sorted({w for line in lines for w in line["allocated"]})
        used = shipped_from + [w for w in allocated_at if w not in shipped_from]
        if order["routed"]:
            cutoff = self.cutoffs[used[0]] if used else 15
            ship_day = placed.date() if placed.hour < cutoff else placed.date() + dt.timedelta(1)
            while ship_day.weekday() >= 5:
                ship_day += dt.timedelta(days=1)
            order["promised_ship_date"] = ship_day
            order["promised_delivery_date"] = add_business_days(ship_day, PROMISE_DAYS[level])
        # Shipments: one per warehouse that shipped; small demos also show work in progress.
        for w in used:
            shipped = [
                (n, line["shipped"][w]) for n, line in enumerate(lines) if w in line["shipped"]
            ]
            in_progress = [
                (n, line["allocated"][w]) for n, line in enumerate(lines) if w in line["allocated"]
            ]
            if shipped:
                status, parts = "shipped", shipped
            elif detail and not order["hold"] and rng.random() < 0.5:
                status, parts = (
                    rng.choice(("pending", "picking", "packed", "labelled")),
                    in_progress,
                )
            else:
                continue
            grams = sum(lines[n]["product"].weight_grams * q for n, q in parts) + 150
            zone = zone_for_km(self.distance[(order["place"].postal_code, w)])
            rate, options, parcels = self.quote(zone, grams, level)
            shipment = {
                "w": w,
                "status": status,
                "parts": parts,
                "grams": grams,
                "rate": rate,
                "cost": rate.price * parcels,
                "tracking": "",
                "shipped_at": None,
                "delivered_at": None,
                "exception": "",
                "created_at": min(placed + dt.timedelta(minutes=rng.randint(20, 90)), self.now),
            }
            shipment["quotes"] = self.quote_view(rate, options, parcels)
            if status in ("labelled", "shipped"):
                shipment["tracking"] = f"{rate.carrier}{order['i']:09d}{len(order['shipments'])}"
            if status == "shipped":
                at = min(
                    placed + dt.timedelta(hours=rng.randint(3, 26)),
                    self.now - dt.timedelta(minutes=20),
                )
                shipment["shipped_at"] = at
                arrives = add_business_days(at.date(), rate.transit_days)
                shipment["estimated_delivery_date"] = arrives
                delivered = dt.datetime.combine(arrives, dt.time(rng.randint(9, 18)), tzinfo=dt.UTC)
                age_days = (self.now - placed).days
                if delivered < self.now - dt.timedelta(hours=2) and rng.random() < (
                    0.97 if age_days > 7 else 0.6
                ):
                    shipment["status"], shipment["delivered_at"] = "delivered", delivered
                elif age_days > 7 or rng.random() < 0.04:
                    shipment["status"] = "exception"
                    shipment["exception"] = rng.choice(
                        (
                            "Carrier: address not found, parcel held at the depot.",
                            "No carrier scan for 3 days; trace opened with the carrier.",
                            "Damaged in transit; carrier is returning the parcel.",
                        )
                    )
            order["shipments"].append(shipment)
        order["status"] = derive_status(
            lines, order["shipments"], order["routed"], order["status"] == Order.Status.CANCELLED
        )
        status = order["status"]
        age = (self.now - placed).total_seconds() / 86400
        order["at_risk"] = bool(
            (status in ("backordered", "partially_allocated") and age > 2)
            or (
                status == "allocated"
                and order.get("promised_ship_date")
                and order["promised_ship_date"] < self.s.today
            )
            or any(s["status"] == "exception" for s in order["shipments"])
        )
        if order["hold"] and status not in (
            "received",
            "allocated",
            "partially_allocated",
            "backordered",
        ):
            order["hold"] = ""
        order["payment_status"] = (
            "failed"
            if order["hold"] == "payment"
            else "paid"
            if status in ("shipped", "delivered", "partially_shipped")
            else "refunded"
            if status == "cancelled" and order["routed"]
            else "pending"
            if status in ("received", "cancelled")
            else "authorized"
        )
        self.timeline(order, rng)

    def timeline(self, order: dict, rng: random.Random) -> None:
        placed, status = order["placed_at"], order["status"]
        events, emails = order["events"], order["emails"]
        minute = dt.timedelta(minutes=1)
        events.append(
            (
                "received",
                placed,
                f"Order received ({order['channel']})",
                {"lines": len(order["lines"])},
            )
        )
        recent = (self.now - placed) < dt.timedelta(days=3)
        if not self.scale.detail:
            if recent:
                emails.append(
                    (
                        "order_received",
                        None,
                        "sent" if placed < self.now - minute * 10 else "pending",
                        placed + minute,
                        "",
                    )
                )
            return
        failing = order["i"] % 173 == 0
        emails.append(
            (
                "order_received",
                None,
                "failed" if failing else "pending" if placed > self.now - minute * 10 else "sent",
                placed + minute,
                "550 5.1.1 Recipient address rejected: user unknown" if failing else "",
            )
        )
        if order["hold"]:
            events.append(("held", placed + minute, HOLDS[order["hold"]], {"kind": order["hold"]}))
        if order["routing"]:
            events.append(
                (
                    "routed",
                    placed + minute,
                    order["routing"]["reason"],
                    {"chosen": order["routing"]["chosen"]},
                )
            )
            if any(line["allocated"] or line["shipped"] for line in order["lines"]):
                events.append(
                    (
                        "allocated",
                        placed + minute * 2,
                        "Stock reserved",
                        {"warehouses": order["routing"]["chosen"]},
                    )
                )
            waiting = [
                line["product"].sku
                for line in order["lines"]
                if not line["allocated"] and not line["shipped"]
            ]
            if waiting and status != "cancelled":
                events.append(
                    (
                        "backordered",
                        placed + minute * 2,
                        "Waiting for stock: " + ", ".join(waiting),
                        {"skus": waiting},
                    )
                )
                emails.append(("backordered", None, "sent", placed + minute * 3, ""))
        for k, shipment in enumerate(order["shipments"]):
            rate, created = shipment["rate"], shipment["created_at"]
            events.append(
                (
                    "carrier_chosen",
                    created,
                    f"{rate.carrier} {rate.service}, "
                    f"{rate.transit_days} day(s), {shipment['cost']}",
                    {
                        "carrier": rate.carrier,
                        "service": rate.service,
                        "price": str(shipment["cost"]),
                    },
                )
            )
            steps = ["pending", "picking", "packed", "labelled", "shipped"]
            reached = steps.index(shipment["status"]) if shipment["status"] in steps else 4
            for step, kind, minutes in ((2, "picked", 40), (2, "packed", 55), (3, "labelled", 70)):
                if reached >= step:
                    events.append((kind, created + dt.timedelta(minutes=minutes), "", {}))
            shipped_at = shipment["shipped_at"]
            if shipped_at:
                events.append(
                    (
                        "shipped",
                        shipped_at,
                        f"Tracking {shipment['tracking']}",
                        {"tracking_number": shipment["tracking"]},
                    )
                )
                emails.append(("shipped", k, "sent", shipped_at + minute * 5, ""))
            if shipment["delivered_at"]:
                events.append(("delivered", shipment["delivered_at"], "", {}))
                emails.append(("delivered", k, "sent", shipment["delivered_at"] + minute * 5, ""))
            if shipment["exception"]:
                at = min(shipped_at + dt.timedelta(days=2), self.now - dt.timedelta(hours=1))
                events.append(("exception", at, shipment["exception"], {}))
        if order["at_risk"]:
            at = max(
                placed + dt.timedelta(hours=2), self.now - dt.timedelta(hours=rng.randint(2, 20))
            )
            events.append(("at_risk", at, "Promised delivery date is at risk", {}))
            emails.append(("delayed", None, "sent", at + minute * 5, ""))
        if status == "cancelled":
            at = min(placed + dt.timedelta(hours=rng.randint(1, 20)), self.now - minute * 30)
            events.append(
                (
                    "cancelled",
                    at,
                    "Cancelled at the customer's request",
                    {"reason": "customer request"},
                )
            )
            emails.append(("cancelled", None, "sent", at + minute, ""))

    # -- writing batches -----------------------------------------------------------------------

    def run(self) -> int:
        total, size = self.scale.orders, self.scale.batch_size
        # PostgreSQL: a second connection commits batch k while this thread plans batch k+1
        # (the server does half the work). SQLite has one writer; an outer transaction (tests)
        # must see every row: both write in line.
        writer = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            writer = BatchWriter(self.flush, self.s.log)
        started, created = time.monotonic(), 0
        try:
            for batch, first in enumerate(range(1, total + 1, size)):
                last = min(first + size - 1, total)
                if Order.objects.filter(number=f"SO-{first:07d}").exists():
                    continue
                rng = rng_for("orders", batch, size)
                t0 = time.monotonic()
                label = f"orders {last:,}/{total:,}"
                if writer is not None:
                    orders = [self.plan_order(i, rng) for i in range(first, last + 1)]
                    work = self.rows(orders)  # ids come from the sequences: no lock needed
                    writer.put(label, work, time.monotonic() - t0, started)
                    continue
                with transaction.atomic():
                    orders = [self.plan_order(i, rng) for i in range(first, last + 1)]
                    work = self.rows(orders)
                    t1 = time.monotonic()
                    created += self.flush(*work)
                t2 = time.monotonic()
                self.s.log(
                    f"    {label}: {t2 - t0:.1f} s (plan {t1 - t0:.1f} s, write {t2 - t1:.1f} s; "
                    f"{len(orders) / max(t2 - t0, 1e-9):,.0f}/s; {t2 - started:.0f} s so far)"
                )
        finally:
            if writer is not None:
                writer.close()
                created += writer.written
        return created

    def rows(self, orders: list[dict]) -> tuple[dict[type, Rows], list, tuple | None]:
        """One batch as rows (ids first, so children point at parents) and its reservations.

        Lean (large) batches leave two kinds of rows to SQL in `flush`: the one timeline event
        per order and the lines of single-shipment orders (all their shipped lines)."""
        derived = not self.scale.detail
        now, wh = self.now, [w.pk for w in self.s.warehouses]
        table = {
            m: Rows(m, now)
            for m in (
                Order,
                OrderLine,
                Allocation,
                Shipment,
                ShipmentLine,
                OrderEvent,
                CustomerEmail,
            )
        }
        order_ids = iter(allocate_ids(Order, len(orders)))
        line_ids = iter(allocate_ids(OrderLine, sum(len(o["lines"]) for o in orders)))
        shipment_ids = iter(allocate_ids(Shipment, sum(len(o["shipments"]) for o in orders)))
        touched: set[tuple[int, int]] = set()
        for o in orders:
            place = o["place"]
            if place.postal_code not in self.coords:
                self.coords[place.postal_code] = (
                    Decimal(f"{place.latitude:.6f}"),
                    Decimal(f"{place.longitude:.6f}"),
                )
            lat, lon = self.coords[place.postal_code]
            order_id = next(order_ids)
            total = sum((line["unit_price"] * line["quantity"] for line in o["lines"]), Decimal(0))
            table[Order].add(
                id=order_id,
                number=o["number"],
                channel=o["channel"],
                external_ref=o["external_ref"],
                customer_name=o["customer_name"],
                customer_email=o["customer_email"],
                ship_to_name=o["customer_name"],
                ship_to_line1=o["line1"],
                ship_to_line2=o["line2"],
                ship_to_city=place.city,
                ship_to_region=place.region,
                ship_to_postal_code=place.postal_code,
                ship_to_country=place.country,
                ship_to_latitude=lat,
                ship_to_longitude=lon,
                service_level=o["service_level"],
                status=o["status"],
                payment_status=o["payment_status"],
                hold_kind=o["hold"],
                hold_reason=HOLDS.get(o["hold"], ""),
                promised_ship_date=o.get("promised_ship_date"),
                promised_delivery_date=o.get("promised_delivery_date"),
                at_risk=o["at_risk"],
                total_amount=total,
                currency="EUR" if place.country != "US" else "USD",
                routing=o["routing"],
                placed_at=o["placed_at"],
                created_at=o["placed_at"],
            )
            line_pks = []
            for line in o["lines"]:
                line_id = next(line_ids)
                line_pks.append(line_id)
                product_id = line["product"].id
                table[OrderLine].add(
                    id=line_id,
                    order_id=order_id,
                    product_id=product_id,
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    allocated=sum(line["allocated"].values()),
                    shipped=sum(line["shipped"].values()),
                )
                for w, quantity in line["allocated"].items():
                    table[Allocation].add(
                        order_line_id=line_id,
                        warehouse_id=wh[w],
                        quantity=quantity,
                        created_at=o["placed_at"] + dt.timedelta(minutes=2),
                    )
                    touched.add((w, product_id))
                    self.level[(w, product_id)][1] += quantity
            shipment_pks = []
            for shipment in o["shipments"]:
                shipment_id = next(shipment_ids)
                shipment_pks.append(shipment_id)
                table[Shipment].add(
                    id=shipment_id,
                    order_id=order_id,
                    warehouse_id=wh[shipment["w"]],
                    carrier_service_id=shipment["rate"].service_id,
                    status=shipment["status"],
                    tracking_number=shipment["tracking"],
                    weight_grams=shipment["grams"],
                    cost=shipment["cost"],
                    quotes=shipment["quotes"],
                    estimated_delivery_date=shipment.get("estimated_delivery_date"),
                    exception_reason=shipment["exception"],
                    created_at=shipment["created_at"],
                    shipped_at=shipment["shipped_at"],
                    delivered_at=shipment["delivered_at"],
                )
                if derived and len(o["shipments"]) == 1:
                    continue  # its lines are derived in SQL (flush)
                for n, quantity in shipment["parts"]:
                    table[ShipmentLine].add(
                        shipment_id=shipment_id, order_line_id=line_pks[n], quantity=quantity
                    )
            for kind, at, message, data in [] if derived else o["events"]:
                table[OrderEvent].add(
                    order_id=order_id,
                    kind=kind,
                    message=message,
                    data=data,
                    created_at=min(at, now),
                )
            for kind, k, status, at, error in o["emails"]:
                at = min(at, now)
                table[CustomerEmail].add(
                    order_id=order_id,
                    kind=kind,
                    shipment_id=shipment_pks[k] if k is not None else None,
                    to=o["customer_email"],
                    subject=EMAIL_SUBJECTS[kind].format(number=o["number"]),
                    status=status,
                    attempts=0 if status == "pending" else 1,
                    last_error=error,
                    claimed_at=at if status != "pending" else None,
                    sent_at=at if status == "sent" else None,
                    created_at=at,
                )
        levels = [StockLevel(pk=self.level[k][0], reserved=self.level[k][1]) for k in touched]
        numbers = (orders[0]["number"], orders[-1]["number"]) if derived and orders else None
        return table, levels, numbers

    @staticmethod
    def flush(table: dict[type, Rows], levels: list[StockLevel], numbers: tuple | None) -> int:
        """Write one batch and its reservations (the caller holds the transaction)."""
        written = sum(rows.write() for rows in table.values())
        if numbers:  # lean mode: one event per order, lines of single-shipment orders
            q = connection.ops.quote_name
            orders = q(Order._meta.db_table)
            lines, shipments = q(OrderLine._meta.db_table), q(Shipment._meta.db_table)
            written += table[OrderEvent].insert_from(
                {
                    "order_id": "o.id",
                    "kind": "'received'",
                    "message": "'Order received (' || o.channel || ')'",
                    "created_at": "o.placed_at",
                },
                f"FROM {orders} o WHERE o.number BETWEEN %s AND %s",
                list(numbers),
            )
            only_shipment = (
                f"NOT EXISTS (SELECT 1 FROM {shipments} t WHERE t.order_id = o.id AND t.id <> s.id)"  # noqa: S608 (our table names)
            )
            written += table[ShipmentLine].insert_from(
                {"shipment_id": "s.id", "order_line_id": "l.id", "quantity": "l.shipped"},
                f"FROM {orders} o JOIN {shipments} s ON s.order_id = o.id "
                f"JOIN {lines} l ON l.order_id = o.id "
                f"WHERE o.number BETWEEN %s AND %s AND l.shipped > 0 AND {only_shipment}",
                list(numbers),
            )
        StockLevel.objects.bulk_update(levels, ["reserved"], batch_size=500)
        return written


class BatchWriter:
    """A thread with its own connection that writes batches in order, one transaction each."""

    def __init__(self, flush: Callable[..., int], log: Log) -> None:
        self.flush, self.log = flush, log
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.written = 0
        self.thread = threading.Thread(target=self._work, name="seed-writer", daemon=True)
        self.thread.start()

    def put(self, label: str, work: tuple, plan_seconds: float, started: float) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((label, work, plan_seconds, started))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # drain: the main thread raises at its next put
                label, work, plan_seconds, started = item
                t0 = time.monotonic()
                try:
                    with transaction.atomic():
                        self.written += self.flush(*work)
                except BaseException as error:  # re-raised in the main thread
                    self.error = error
                    continue
                now = time.monotonic()
                self.log(
                    f"    {label}: planned in {plan_seconds:.1f} s, written in {now - t0:.1f} s "
                    f"while the next batch was planned ({now - started:.0f} s so far)"
                )
        finally:
            connections.close_all()


# --- returns ------------------------------------------------------------------------------------

RETURNS = REFERENCE["returns"]


def seed_returns(s: Seeder) -> int:
    if ReturnRequest.objects.filter(number="RMA-000001").exists():
        return 0
    rng = rng_for("returns")
    window = (s.now - dt.timedelta(days=40), s.now - dt.timedelta(days=5))
    delivered = list(
        Order.objects.filter(
            status=Order.Status.DELIVERED, number__startswith="SO-", placed_at__range=window
        )
        .order_by("number")
        .values_list("pk", flat=True)
    )
    picks = sorted(rng.sample(delivered, min(len(RETURNS["states"]), len(delivered))))
    ct_return = ContentType.objects.get_for_model(ReturnRequest)
    created, dispositions = 0, itertools.cycle(RETURNS["dispositions"])
    with _backdating(ReturnRequest, OrderEvent, CustomerEmail, StockMovement):
        for n, order_pk in enumerate(picks):
            order = Order.objects.get(pk=order_pk)
            line = order.lines.filter(shipped__gt=0).order_by("pk").first()
            if line is None:
                continue
            shipment_line = (
                ShipmentLine.objects.filter(order_line=line).select_related("shipment").first()
            )
            if shipment_line is None:
                continue
            status = RETURNS["states"][n]
            arrived = status in ("received", "closed")
            opened = s.now - dt.timedelta(days=rng.randint(4, 12), hours=rng.randint(0, 8))
            received_at = s.now - dt.timedelta(hours=60 - 5 * n) if arrived else None
            disposition = next(dispositions) if arrived else ""
            quantity = min(line.shipped, rng.randint(1, 2))
            rma = ReturnRequest.objects.create(
                number=f"RMA-{n + 1:06d}",
                order=order,
                reason=rng.choice(RETURNS["reasons"]),
                status=status,
                disposition=disposition,
                refund_status="refunded"
                if status == "closed"
                else "pending"
                if arrived
                else "none",
                warehouse=shipment_line.shipment.warehouse,
                created_by=s.user("manager"),
                created_at=opened,
                received_at=received_at,
            )
            ReturnLine.objects.create(
                return_request=rma,
                order_line=line,
                quantity=quantity,
                received_quantity=quantity if arrived else 0,
            )
            OrderEvent.objects.create(
                order=order,
                kind="return",
                created_at=opened,
                message=f"Return {rma.number} opened: {rma.reason}",
            )
            created += 3
            if arrived:
                CustomerEmail.objects.create(
                    order=order,
                    kind="return_received",
                    to=order.customer_email,
                    subject=EMAIL_SUBJECTS["return_received"].format(number=order.number),
                    status="sent",
                    attempts=1,
                    claimed_at=received_at,
                    sent_at=received_at,
                    created_at=received_at,
                )
                created += 1
            level = StockLevel.objects.filter(
                warehouse=rma.warehouse, product_id=line.product_id
            ).first()
            if disposition == "restock" and level is not None:
                # The newest ledger row for this level: returns arrive after every seeded movement.
                StockLevel.objects.filter(pk=level.pk).update(on_hand=level.on_hand + quantity)
                StockMovement.objects.create(
                    warehouse=rma.warehouse,
                    product_id=line.product_id,
                    delta=quantity,
                    kind="return",
                    reason=f"Return {rma.number} restocked",
                    reference_type=ct_return,
                    reference_id=str(rma.pk),
                    actor=s.user("warehouse"),
                    created_at=received_at,
                    on_hand_after=level.on_hand + quantity,
                )
                created += 1
            if status == "closed":
                Order.objects.filter(pk=order.pk).update(payment_status="refunded")
    return created


# --- SOPs and the manual ------------------------------------------------------------------------

MANUAL_TITLE = "Order Processing Manual"
MANUAL_ORDER = [
    "SOP-ORD-001",
    "SOP-ORD-002",
    "SOP-WH-001",
    "SOP-WH-002",
    "SOP-WH-003",
    "SOP-ORD-003",
    "SOP-INV-001",
]
# Where work happens → the SOP it follows ({% sop_link key %} on those screens).
SOP_WORK_LINKS = {
    "inventory.count": "SOP-INV-001",
    "orders.pick": "SOP-WH-001",
    "orders.pack": "SOP-WH-002",
    "orders.ship": "SOP-WH-003",
    "orders.returns": "SOP-ORD-003",
    "vendors.receive": "SOP-QA-001",
    "quality.inspection": "SOP-QA-001",
}


def sop_body(code: str) -> str:
    return (SOP_DIR / f"{code}.md").read_text(encoding="utf-8")


def first_issue(body: str) -> tuple[str, str]:
    """The first issue of a document: today's text without its last section."""
    cut = body.rfind("\n## ")
    if cut <= 0:
        return body, ""
    return body[:cut].rstrip() + "\n", body[cut:].strip().splitlines()[0].lstrip("# ")


def seed_sops(s: Seeder) -> int:
    created = 0
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    readers = {
        roles.OPERATIONS_MANAGER: ["manager", "quality"],
        roles.WAREHOUSE_STAFF: ["warehouse", "warehouse2"],
    }
    with _backdating(SOPVersion, Acknowledgement):
        for n, spec in enumerate(REFERENCE["sops"]):
            code, owner, sop_roles = spec["code"], spec["owner"], spec["roles"]
            summary = spec["change_summary"]
            if SOPDocument.objects.filter(code=code).exists():
                continue
            author = s.user(owner)
            approver = s.user("quality" if owner == "manager" else "manager")
            document = SOPDocument.objects.create(
                code=code, title=spec["title"], area=spec["area"], owner=author
            )
            document.roles.set([groups[r] for r in sop_roles])
            body = sop_body(code)
            old_body, added = first_issue(body)
            issued = s.now - dt.timedelta(days=420 - 7 * n)
            revised = s.now - dt.timedelta(days=110 - 9 * n)
            SOPVersion.objects.create(
                document=document,
                number=1,
                body=old_body,
                status="superseded",
                author=author,
                approver=approver,
                change_summary="First issue.",
                created_at=issued,
                submitted_at=issued + dt.timedelta(days=3),
                effective_at=issued + dt.timedelta(days=7),
            )
            current = SOPVersion.objects.create(
                document=document,
                number=2,
                body=body,
                status="effective",
                author=author,
                approver=approver,
                created_at=revised,
                change_summary=f"{summary} Added section: {added}." if added else summary,
                submitted_at=revised + dt.timedelta(days=2),
                effective_at=revised + dt.timedelta(days=5),
            )
            created += 3
            if code in REFERENCE["next_versions"]:
                proposal = REFERENCE["next_versions"][code]
                status, change, extra = (
                    proposal["status"],
                    proposal["change_summary"],
                    proposal["appendix"],
                )
                drafted = s.now - dt.timedelta(days=4)
                SOPVersion.objects.create(
                    document=document,
                    number=3,
                    body=body.rstrip() + extra,
                    status=status,
                    author=author,
                    change_summary=change,
                    created_at=drafted,
                    submitted_at=drafted + dt.timedelta(days=1) if status == "in_review" else None,
                )
                created += 1
            # Most readers have acknowledged; warehouse2 still has some to read.
            for role in sop_roles:
                for k, username in enumerate(readers[role]):
                    if username == "warehouse2" and n % 2:
                        continue
                    Acknowledgement.objects.create(
                        user=s.user(username),
                        version=current,
                        acknowledged_at=current.effective_at + dt.timedelta(days=1 + k + n % 3),
                    )
                    created += 1
        manual = Manual.objects.filter(title=MANUAL_TITLE).first()
        if manual is None:
            manual = Manual.objects.create(
                title=MANUAL_TITLE,
                description="How an order is taken, routed, picked, packed, shipped and "
                "returned, and how the stock it draws on is counted. Issued to operations and "
                "warehouse staff; each chapter is the effective version of its SOP.",
            )
            docs = {d.code: d for d in SOPDocument.objects.filter(code__in=MANUAL_ORDER)}
            bulk(
                ManualEntry,
                [
                    ManualEntry(manual=manual, document=docs[code], position=i)
                    for i, code in enumerate(MANUAL_ORDER, start=1)
                ],
            )
            created += 1 + len(MANUAL_ORDER)
    linked = set(SOPWorkLink.objects.values_list("key", flat=True))
    by_code = {d.code: d for d in SOPDocument.objects.filter(code__in=SOP_WORK_LINKS.values())}
    for key, code in SOP_WORK_LINKS.items():
        if key not in linked and code in by_code:
            SOPWorkLink.objects.create(key=key, document=by_code[code])
            created += 1
    return created


# --- quality ------------------------------------------------------------------------------------

CRITERIA: dict[str, list[dict]] = REFERENCE["inspection_criteria"]


def seed_quality(s: Seeder) -> int:
    if NonConformance.objects.filter(number="NC-0001").exists():
        return 0
    rng = rng_for("quality")
    wh = s.warehouses
    vendors = {v.name: v for v in Vendor.objects.all()}
    qa_sop = SOPDocument.objects.filter(code="SOP-QA-001").first()
    cleaning = next((p for p in s.products if p.sku.startswith("CLN") and p.is_active), None)
    plans = {
        "fasteners": InspectionPlan(
            name="Receiving inspection: fasteners (Northwind)",
            trigger="receipt",
            vendor=vendors[VENDORS[0]["name"]],
            sampling="sample_size",
            sample_size=8,
            criteria=CRITERIA["fasteners"],
            sop=qa_sop,
        ),
        "imports": InspectionPlan(
            name="Receiving inspection: conditional import supplier",
            trigger="receipt",
            vendor=vendors[VENDORS[9]["name"]],
            sampling="sample_size",
            sample_size=20,
            criteria=CRITERIA["imports"],
            sop=qa_sop,
        ),
        "general": InspectionPlan(
            name="Receiving inspection: every 2nd receipt",
            trigger="receipt",
            sampling="every_nth",
            every_nth=2,
            sample_size=3,
            criteria=CRITERIA["general"],
            sop=qa_sop,
        ),
        "hazmat": InspectionPlan(
            name="Pre-shipment check: hazardous cleaning chemicals",
            trigger="pre_shipment",
            product_id=cleaning.id if cleaning else None,
            sampling="every_unit",
            criteria=[
                {"name": "Hazard label present", "kind": "pass_fail"},
                {"name": "Cap sealed and upright", "kind": "pass_fail"},
            ],
        ),
        "scales": InspectionPlan(
            name="Monthly scale verification",
            trigger="periodic",
            warehouse=wh[0],
            sampling="every_unit",
            sample_size=1,
            criteria=[
                {
                    "name": "5 kg test weight",
                    "kind": "measure",
                    "unit": "g",
                    "min": 4990,
                    "max": 5010,
                }
            ],
        ),
    }
    bulk(InspectionPlan, list(plans.values()))
    created = len(plans)
    staff = ["warehouse", "warehouse", "warehouse2"]
    po_lines = {
        (number, product_id): pk
        for pk, number, product_id in PurchaseOrderLine.objects.values_list(
            "pk", "purchase_order__number", "product_id"
        )
    }
    ct_po_line = ContentType.objects.get_for_model(PurchaseOrderLine)
    inspections, failed = [], []
    for po in s.po_plan:
        for line in po["lines"]:
            if not line["inspection"]:
                continue
            key = (
                "fasteners"
                if po["vendor_index"] == 0
                else "imports"
                if po["vendor_index"] == 9
                else "general"
            )
            plan = plans[key]
            outcome = line["inspection"]
            results = []
            if outcome != "pending":
                broken = rng.randrange(len(plan.criteria)) if outcome == "failed" else -1
                for c, criterion in enumerate(plan.criteria):
                    result: dict[str, Any] = {"name": criterion["name"], "passed": c != broken}
                    if criterion["kind"] == "measure":
                        lo, hi = criterion["min"], criterion["max"]
                        value = rng.uniform(lo, hi) if c != broken else hi + (hi - lo) * 0.6
                        result["value"] = round(value, 3)
                    if c == broken:
                        result["note"] = "Out of tolerance on 3 of the sampled units."
                    results.append(result)
            inspection = Inspection(
                plan=plan,
                source_type=ct_po_line,
                source_id=str(po_lines[(po["number"], line["product"].id)]),
                product_id=line["product"].id,
                vendor=vendors[po["vendor"]],
                warehouse=wh[po["warehouse"]],
                quantity=line["received"],
                sample_size=min(plan.sample_size, line["received"]),
                results=results,
                status=outcome,
                inspector=s.user(staff[po["warehouse"]])
                if po["warehouse"] < len(staff)
                else s.user("manager"),
                notes="Quantity quarantined; NC raised." if outcome == "failed" else "",
                created_at=po["received_at"] + dt.timedelta(hours=1),
                inspected_at=po["received_at"] + dt.timedelta(hours=3)
                if outcome != "pending"
                else None,
            )
            inspections.append(inspection)
            if outcome == "failed":
                failed.append((inspection, po, line))
    with _backdating(Inspection, NonConformance):
        bulk(Inspection, inspections)
        created += len(inspections)
        created += _non_conformances(s, failed)
    created += _compliance(s)
    return created


def _non_conformances(s: Seeder, failed: list) -> int:
    """NCs from failed receipts, a damaged return and the stories in demo_reference.json."""
    ct_inspection = ContentType.objects.get_for_model(Inspection)
    ct_return = ContentType.objects.get_for_model(ReturnRequest)
    ncs: list[tuple[NonConformance, list[dict]]] = []
    for n, (inspection, po, line) in enumerate(failed):
        nc = NonConformance(
            title=f"Failed receiving inspection on {po['number']}: {line['product'].sku}",
            description="Sampled units out of tolerance; the received quantity is quarantined.",
            origin="inspection",
            source_type=ct_inspection,
            source_id=str(inspection.pk),
            product_id=line["product"].id,
            vendor=inspection.vendor,
            warehouse=inspection.warehouse,
            quantity=line["received"],
            # The undecided one still holds its quarantined units for the disposition.
            quarantined=line["received"] if n == 0 else 0,
            severity="major",
            disposition="" if n == 0 else "return_to_vendor",
            status="investigating" if n == 0 else "action",
            owner=s.user("manager"),
            due_date=s.today + dt.timedelta(days=10 + 5 * n),
            created_at=inspection.inspected_at,
        )
        ncs.append((nc, [REFERENCE["inspection_capa"]] if n else []))
    rma = ReturnRequest.objects.filter(disposition="quality").order_by("number").first()
    if rma is not None:
        nc = NonConformance(
            title=f"Customer return {rma.number}: product arrived damaged",
            description="Carton crushed; inner packaging insufficient for the carrier network.",
            origin="return",
            source_type=ct_return,
            source_id=str(rma.pk),
            warehouse=rma.warehouse,
            quantity=1,
            owner=s.user("quality"),
            due_date=s.today + dt.timedelta(days=21),
            created_at=rma.created_at,
        )
        ncs.append((nc, []))
    for story in REFERENCE["non_conformances"]:
        closed = story["closed_days_ago"]
        nc = NonConformance(
            title=story["title"],
            description=story["description"],
            origin=story["origin"],
            warehouse=s.warehouses[story["warehouse"] % len(s.warehouses)],
            quantity=story["quantity"],
            severity=story["severity"],
            status=story["status"],
            disposition=story["disposition"],
            owner=s.user(story["owner"]),
            due_date=s.today + dt.timedelta(days=story["due_in_days"]),
            created_at=s.now - dt.timedelta(days=story["created_days_ago"]),
            closed_at=s.now - dt.timedelta(days=closed) if closed is not None else None,
        )
        ncs.append((nc, story["actions"]))
    for n, (nc, _) in enumerate(ncs, start=1):
        nc.number = f"NC-{n:04d}"
    bulk(NonConformance, [nc for nc, _ in ncs])
    actions = [_corrective_action(s, nc, spec) for nc, specs in ncs for spec in specs]
    bulk(CorrectiveAction, actions)
    return len(ncs) + len(actions)


def _corrective_action(s: Seeder, nc: NonConformance, spec: dict) -> CorrectiveAction:
    owner = s.user(spec["owner"])
    # Effectiveness is verified by someone other than the owner (a DB CHECK too).
    verifier = s.user("quality") if spec["owner"] != "quality" else s.user("manager")
    status = spec["status"]
    due = s.today + dt.timedelta(days=spec["due_in_days"])
    noon = dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC)
    checked = status in ("verified", "ineffective")
    return CorrectiveAction(
        non_conformance=nc,
        whys=spec["whys"],
        root_cause=spec["root_cause"],
        action=spec["action"],
        owner=owner,
        due_date=due,
        status=status,
        completed_at=noon if status in ("done", "verified", "ineffective") else None,
        verified_by=verifier if checked else None,
        verified_at=noon + dt.timedelta(days=14) if checked else None,
        verification_notes={
            "verified": "No repeat in the following 30 days.",
            "ineffective": "Problem recurred.",
        }.get(status, ""),
    )


def _compliance(s: Seeder) -> int:
    """Requirements (ISO 9001, OSHA), certifications per warehouse, safety incidents."""
    rng = rng_for("compliance")
    requirements = [
        ComplianceRequirement(
            standard=r["standard"],
            clause=r["clause"],
            title=r["title"],
            description=r["description"],
            owner=s.user(r["owner"]),
            review_cadence_days=r["review_cadence_days"],
            next_review=s.today + dt.timedelta(days=r["next_review_in_days"]),
            evidence=r["evidence"],
            status=r["status"],
        )
        for r in REFERENCE["requirements"]
        if not ComplianceRequirement.objects.filter(
            standard=r["standard"], clause=r["clause"]
        ).exists()
    ]
    bulk(ComplianceRequirement, requirements)
    certifications = []
    for i, warehouse in enumerate(s.warehouses):
        # WH-ATL's certificate runs out in 40 days: the dashboard should warn about it.
        valid_until = s.today + dt.timedelta(days=40 if i == 1 else 200 + 37 * i)
        certifications.append(
            Certification(
                name="ISO 9001:2015 certificate",
                issuer="Bureau Example Certification",
                warehouse=warehouse,
                valid_from=valid_until - dt.timedelta(days=3 * 365),
                valid_until=valid_until,
            )
        )
        if warehouse.country != "US":
            certifications.append(
                Certification(
                    name="Authorised Economic Operator (AEO-F)",
                    issuer="Customs authority",
                    warehouse=warehouse,
                    valid_from=s.today - dt.timedelta(days=500),
                    valid_until=s.today + dt.timedelta(days=900),
                )
            )
    certifications.append(
        Certification(
            name="Fire safety inspection certificate",
            issuer="City fire marshal",
            warehouse=s.warehouses[3 % len(s.warehouses)],
            valid_from=s.today - dt.timedelta(days=375),
            valid_until=s.today - dt.timedelta(days=10),
        )
    )
    bulk(Certification, certifications)
    reporters = ["warehouse", "warehouse", "warehouse2"]
    incidents = [
        SafetyIncident(
            warehouse=s.warehouses[i["warehouse"]],
            kind=i["kind"],
            severity=i["severity"],
            lost_days=i["lost_days"],
            occurred_at=s.now - dt.timedelta(days=i["days_ago"], hours=rng.randint(1, 9)),
            description=i["description"],
            actions=i["actions"],
            reported_by=s.user(reporters[i["warehouse"]] if i["warehouse"] < 3 else "manager"),
        )
        for i in REFERENCE["incidents"]
        if i["warehouse"] < len(s.warehouses)
    ]
    bulk(SafetyIncident, incidents)
    return len(requirements) + len(certifications) + len(incidents)
