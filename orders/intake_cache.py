"""Per-process caches of what every intake reads and rarely changes: products by SKU, and the
active warehouses. Each intake then skips two queries.

Entries live `ORDERS_INTAKE_CACHE_SECONDS` (default 5 s; 0 turns the caches off). Saving or
deleting a product or warehouse in this process drops the cache at once (signals); a change
made by another process (or `QuerySet.update()`) shows within those seconds, like the rate
cards of vendors.rating. What a stale entry could do is bounded: intake still locks and checks
the stock rows themselves, so nothing is oversold; a product deactivated moments ago may take
an order for a few seconds more, as if it had arrived just before. The form and the CSV import
do not use these caches (they validate with the serializer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save

from inventory.models import Product, Warehouse
from opsportal.db import prepared_cursor

_lock = threading.Lock()
_products: dict[str, tuple[float, Product]] = {}  # sku -> (expires at, product)
_warehouses: list[tuple[float, list[Warehouse]]] = []  # [(expires at, active warehouses)]
_MAX_PRODUCTS = 50_000  # bounded: a long-lived worker never grows without end
_REFRESH_AT_MOST = 500  # cached SKUs read again ahead of their expiry by one miss


def _ttl() -> float:
    return float(getattr(settings, "ORDERS_INTAKE_CACHE_SECONDS", 5))


def clear(**_kwargs: object) -> None:
    """Forget everything cached (a product or warehouse changed in this process)."""
    with _lock:
        _products.clear()
        _warehouses.clear()


def products_by_sku(skus: Iterable[str]) -> dict[str, Product]:
    """The products of these SKUs that exist (active or not), one query for those not cached.

    That query also reads again the cached SKUs that expire within half the lifetime (a few
    hundred at most), so the hot SKUs of a process are refreshed together, about once a
    lifetime, rather than one miss at a time on most intakes."""
    skus = list(skus)
    ttl = _ttl()
    now = time.monotonic()
    found: dict[str, Product] = {}
    soon: list[str] = []
    if ttl > 0:
        with _lock:
            for sku in skus:
                hit = _products.get(sku)
                if hit is not None and hit[0] > now:
                    found[sku] = hit[1]
            if len(found) < len(skus):
                horizon = now + ttl / 2
                soon = [s for s, (expires, _) in _products.items() if expires < horizon]
                soon = soon[:_REFRESH_AT_MOST]
    missing = [sku for sku in skus if sku not in found]
    if missing:
        fresh = {p.sku: p for p in _read_products(list(dict.fromkeys(missing + soon)))}
        found.update((sku, fresh[sku]) for sku in missing if sku in fresh)
        if ttl > 0:
            with _lock:
                for sku in soon:
                    if sku not in fresh:
                        _products.pop(sku, None)  # gone meanwhile
                if len(_products) + len(fresh) > _MAX_PRODUCTS:
                    _products.clear()
                for sku, product in fresh.items():
                    _products[sku] = (now + ttl, product)
    return found


def _read_products(skus: list[str]) -> list[Product]:
    """The products of these SKUs. On PostgreSQL plain SQL, a fifth of the ORM's CPU (a miss
    costs a query on most intakes of a large catalogue); psycopg gives every column of Product
    its Python type (SQLite does not, hence the ORM there)."""
    if connection.vendor != "postgresql":
        return list(Product.objects.filter(sku__in=skus))
    meta = Product._meta
    quote = connection.ops.quote_name
    fields = meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    # Only quoted model metadata is formatted in; the SKUs are one array parameter (the same
    # text whatever their number: prepared once).
    sql = (
        f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.get_field('sku').column)} = ANY(%s::text[])"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [skus])
        rows = cursor.fetchall()
    names = [f.attname for f in fields]
    return [Product.from_db(connection.alias, names, row) for row in rows]


def active_warehouses() -> list[Warehouse]:
    """The active warehouses by code (a new list each call; the instances are shared: read only)."""
    ttl = _ttl()
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            if _warehouses and _warehouses[0][0] > now:
                return list(_warehouses[0][1])
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    if ttl > 0:
        with _lock:
            _warehouses[:] = [(now + ttl, warehouses)]
    return list(warehouses)


for _model in (Product, Warehouse):
    _uid = f"orders.intake_cache:{_model.__name__}"
    post_save.connect(clear, sender=_model, dispatch_uid=_uid + ":save")
    post_delete.connect(clear, sender=_model, dispatch_uid=_uid + ":delete")
