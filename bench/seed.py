# ruff: noqa: T201 - prints its result for bench/__main__.py
"""Bench data and the queries-per-order figure (run inside Django by bench/__main__.py).

Writes: three warehouses with coordinates, PRODUCTS products with plenty of stock in each
(received through inventory.services, so the ledger holds), one carrier with two services
priced for every zone, a manager with an API token (printed as JSON on the last line).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.intake import order_body  # noqa: E402
from inventory import services as stock  # noqa: E402
from inventory.models import Product, Warehouse  # noqa: E402
from opsportal import roles  # noqa: E402
from opsportal.models import User  # noqa: E402
from vendors.models import Carrier, CarrierService, ShippingRate, Vendor  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "200"))
STOCK = 1_000_000
WAREHOUSES = [
    ("B-CHI", "Chicago", "60601", "41.8864", "-87.6186", "America/Chicago"),
    ("B-NYC", "New York", "10001", "40.7506", "-73.9972", "America/New_York"),
    ("B-DAL", "Dallas", "75201", "32.7876", "-96.7994", "America/Chicago"),
]


def seed() -> dict:
    warehouses = []
    for code, name, postal, lat, lon, tz in WAREHOUSES:
        warehouse, _ = Warehouse.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "country": "US",
                "postal_code": postal,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "timezone": tz,
                "cutoff_time": dt.time(23, 59),
            },
        )
        warehouses.append(warehouse)
    for n in range(PRODUCTS):
        product, created = Product.objects.get_or_create(
            sku=f"BENCH-{n:04d}", defaults={"name": f"Bench item {n}", "weight_grams": 300}
        )
        if created:
            for warehouse in warehouses:
                stock.stock_receive(
                    warehouse=warehouse, product=product, quantity=STOCK, actor=None
                )
    vendor, _ = Vendor.objects.get_or_create(
        name="Bench Parcel", defaults={"kind": Vendor.Kind.CARRIER}
    )
    carrier, _ = Carrier.objects.get_or_create(code="BENCH", defaults={"vendor": vendor})
    for code, days in (("GND", None), ("NXT", 1)):
        service, created = CarrierService.objects.get_or_create(
            carrier=carrier, code=code, defaults={"name": code}
        )
        if created:
            ShippingRate.objects.bulk_create(
                ShippingRate(
                    service=service,
                    zone=zone,
                    max_weight_grams=grams,
                    price=Decimal(5 + zone + grams // 1000 + (20 if days else 0)),
                    transit_days=days or 1 + zone // 2,
                )
                for zone in range(1, 9)
                for grams in (1000, 5000, 30000)
            )
    user, created = User.objects.get_or_create(username="bench-manager")
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=roles.OPERATIONS_MANAGER))
    token, _ = Token.objects.get_or_create(user=user)
    return {"token": token.key, "products": PRODUCTS}


def queries_per_order(token: str) -> dict:
    """Queries of one intake through the whole stack (auth, BEGIN and COMMIT included), 1-line
    and 5-line, with the SKUs' products cached (orders.intake_cache)."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    result = {}
    # The first warms the rate and product caches; BEGIN and COMMIT are counted.
    for lines in (5, 1, 5):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                "/api/v1/orders/",
                order_body(f"Q-{os.getpid()}-{lines}-{len(result)}", 0, range(lines), "60601"),
                content_type="application/json",
            )
        if response.status_code != 201:
            raise SystemExit(f"intake failed: {response.status_code} {response.content[:500]!r}")
        result[f"{lines}_line"] = len(ctx.captured_queries)
    return result


if __name__ == "__main__":
    data = seed()
    if "--queries" in sys.argv:
        data["queries"] = queries_per_order(data["token"])
    print(json.dumps(data))
