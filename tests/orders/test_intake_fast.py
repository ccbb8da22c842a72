"""The API's hand-written intake check never disagrees with OrderIntakeSerializer.

`fast_order_input` may only accept bodies the serializer accepts, and must then give the same
OrderInput; everything else returns None so the serializer's own 400 answers."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from orders.intake import OrderIntakeSerializer, fast_order_input, order_input
from tests.orders.conftest import order_body


def _serializer_input(body):
    serializer = OrderIntakeSerializer(data=copy.deepcopy(body))
    if not serializer.is_valid():
        return None
    return order_input(serializer.validated_data)


def _same(a, b) -> bool:
    return dataclasses.replace(a, placed_at=None) == dataclasses.replace(b, placed_at=None)


def _variant(path: str, value):
    body = order_body(lines=[{"sku": "WIDGET", "quantity": 2, "unit_price": "19.99"}])
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DROP:
        node.pop(last, None)
    else:
        node[int(last) if last.isdigit() else last] = value
    return body


_DROP = object()

VALID = [
    ("channel", "phone"),
    ("customer.name", "  Zoë Ğüneş 山田 太郎  "),
    ("customer.email", " ada@example.com "),
    ("ship_to.line2", "Apt. 4 — rear"),
    ("ship_to.line2", _DROP),
    ("ship_to.line2", ""),
    ("ship_to.region", _DROP),
    ("ship_to.region", "   "),
    ("ship_to.country", "us"),
    ("ship_to.postal_code", " 60601 "),
    ("currency", "eur"),
    ("currency", _DROP),
    ("service_level", "expedited"),
    ("service_level", _DROP),
    ("payment_status", "paid"),
    ("lines.0.quantity", "3"),
    ("lines.0.quantity", 10_000),
    ("lines.0.unit_price", 5),
    ("lines.0.unit_price", "0"),
    ("lines.0.unit_price", "7.5"),
    ("lines.0.unit_price", "999999.99"),
    ("lines.0.sku", " WIDGET "),
]

REFUSED_OR_DOUBTFUL = [
    ("channel", "fax"),
    ("channel", 1),
    ("external_ref", ""),
    ("external_ref", "x" * 101),
    ("external_ref", _DROP),
    ("customer", _DROP),
    ("customer", "Ada"),
    ("customer.name", "   "),
    ("customer.name", "a\x00b"),
    ("customer.name", "bad \ud800 surrogate"),
    ("customer.name", None),
    ("customer.email", "not-an-email"),
    ("ship_to.name", "x" * 201),
    ("ship_to.line1", 12),
    ("ship_to.line2", None),
    ("ship_to.country", "USA"),
    ("ship_to.country", "U"),
    ("ship_to.country", "ZZ"),
    ("ship_to.postal_code", "ABCDE"),
    ("ship_to.latitude", "41.0"),
    ("currency", "US"),
    ("currency", "U5D"),
    ("service_level", "teleport"),
    ("payment_status", "maybe"),
    ("placed_at", "2026-01-01T00:00:00Z"),
    ("lines", []),
    ("lines", [{"sku": "WIDGET", "quantity": 1, "unit_price": "1"}] * 2),
    ("lines.0.sku", "NOPE"),
    ("lines.0.quantity", 0),
    ("lines.0.quantity", -1),
    ("lines.0.quantity", 1.5),
    ("lines.0.quantity", 2.0),
    ("lines.0.quantity", True),
    ("lines.0.quantity", "1.0"),
    ("lines.0.quantity", "2e3"),
    ("lines.0.quantity", 10_001),
    ("lines.0.quantity", "٣"),
    ("lines.0.unit_price", "-1"),
    ("lines.0.unit_price", "1.999"),
    ("lines.0.unit_price", "1000000"),
    ("lines.0.unit_price", 1.5),
    ("lines.0.unit_price", "NaN"),
    ("lines.0.unit_price", "1e3"),
    ("lines.0.unit_price", _DROP),
]


@pytest.mark.parametrize(("path", "value"), VALID)
def test_a_valid_body_gives_the_serializers_input(world, path, value):
    body = _variant(path, value)
    expected = _serializer_input(body)
    assert expected is not None, "the case must be valid for the serializer"
    fast = fast_order_input(copy.deepcopy(body))
    assert fast is not None
    assert _same(fast, expected)


@pytest.mark.parametrize(("path", "value"), REFUSED_OR_DOUBTFUL)
def test_a_doubtful_body_is_left_to_the_serializer(world, path, value):
    body = _variant(path, value)
    fast = fast_order_input(copy.deepcopy(body))
    expected = _serializer_input(body)
    # Never accept what the serializer refuses; when both accept, the same input.
    assert fast is None or (expected is not None and _same(fast, expected))
    if path != "placed_at" and path != "ship_to.latitude":
        assert fast is None


def test_an_inactive_product_is_left_to_the_serializer(world):
    world.gadget.is_active = False
    world.gadget.save()
    body = order_body(lines=[{"sku": "GADGET", "quantity": 1, "unit_price": "1.00"}])
    assert fast_order_input(body) is None
    assert _serializer_input(body) is None


def test_several_lines_keep_their_order_and_products(world):
    lines = [
        {"sku": "GIZMO", "quantity": 1, "unit_price": "1.00"},
        {"sku": "WIDGET", "quantity": "4", "unit_price": 3},
        {"sku": "GADGET", "quantity": 2, "unit_price": "2.5"},
    ]
    body = order_body(lines=lines)
    fast = fast_order_input(copy.deepcopy(body))
    assert _same(fast, _serializer_input(body))
    assert [(line.product, line.quantity, str(line.unit_price)) for line in fast.lines] == [
        (world.gizmo, 1, "1.00"),
        (world.widget, 4, "3.00"),
        (world.gadget, 2, "2.50"),
    ]


def test_a_form_encoded_or_odd_top_level_body_is_left_to_the_serializer(world):
    assert fast_order_input([order_body()]) is None
    assert fast_order_input("order") is None


# --- the per-process caches of products and warehouses (orders.intake_cache) -------------------


def _post(client, body):
    return client.post("/api/v1/orders/", body, content_type="application/json")


def _tables_read(ctx) -> set[str]:
    return {
        table
        for q in ctx.captured_queries
        for table in ("inventory_product", "inventory_warehouse")
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    }


def test_a_second_intake_reads_products_and_warehouses_from_the_cache(manager_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world.receive(world.chicago, world.widget, 10)
    with CaptureQueriesContext(connection) as first:
        assert _post(manager_client, order_body("C-1")).status_code == 201
    with CaptureQueriesContext(connection) as second:
        assert _post(manager_client, order_body("C-2")).status_code == 201
    assert _tables_read(first) == {"inventory_product", "inventory_warehouse"}
    assert _tables_read(second) == set()
    # (The first also read the rate card, cached by vendors.rating.)
    assert len(second.captured_queries) < len(first.captured_queries)


def test_saving_a_product_or_warehouse_drops_the_cache_at_once(manager_client, world):
    world.receive(world.chicago, world.widget, 10)
    world.receive(world.newyork, world.widget, 10)
    assert _post(manager_client, order_body("C-1")).status_code == 201
    world.widget.is_active = False
    world.widget.save()
    refused = _post(manager_client, order_body("C-2"))
    assert refused.status_code == 400
    assert "inactive" in refused.json()["lines"]["0"]["sku"][0]
    world.widget.is_active = True
    world.widget.save()
    world.chicago.is_active = False
    world.chicago.save()
    answer = _post(manager_client, order_body("C-3")).json()
    assert answer["routing"]["chosen"] == ["WH-NYC"]


def test_a_change_made_elsewhere_shows_once_the_entry_expires(
    manager_client, world, settings, monkeypatch
):
    import time

    from inventory.models import Product
    from orders import intake_cache

    settings.ORDERS_INTAKE_CACHE_SECONDS = 5
    world.receive(world.chicago, world.widget, 10)
    assert _post(manager_client, order_body("C-1")).status_code == 201
    # Another process deactivates the product: no signal reaches this one.
    Product.objects.filter(pk=world.widget.pk).update(is_active=False)
    clock = time.monotonic()
    monkeypatch.setattr(intake_cache.time, "monotonic", lambda: clock + 6)
    refused = _post(manager_client, order_body("C-2"))
    assert refused.status_code == 400
    assert "inactive" in refused.json()["lines"]["0"]["sku"][0]


def test_no_cache_when_its_seconds_are_zero(world, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders import intake_cache

    settings.ORDERS_INTAKE_CACHE_SECONDS = 0
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert set(intake_cache.products_by_sku(["WIDGET", "NOPE"])) == {"WIDGET"}
            assert [w.code for w in intake_cache.active_warehouses()] == ["WH-CHI", "WH-NYC"]
        assert len(ctx.captured_queries) == 2


def test_a_miss_also_reads_again_the_cached_skus_about_to_expire(world, settings, monkeypatch):
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Product
    from orders import intake_cache

    settings.ORDERS_INTAKE_CACHE_SECONDS = 10
    intake_cache.clear()
    start = time.monotonic()
    monkeypatch.setattr(intake_cache.time, "monotonic", lambda: start)
    intake_cache.products_by_sku(["WIDGET"])
    Product.objects.filter(pk=world.widget.pk).update(name="Widget v2")  # another process

    monkeypatch.setattr(intake_cache.time, "monotonic", lambda: start + 4)
    with CaptureQueriesContext(connection) as early:
        intake_cache.products_by_sku(["GADGET"])  # WIDGET expires in 6 s: not yet
    monkeypatch.setattr(intake_cache.time, "monotonic", lambda: start + 6)
    with CaptureQueriesContext(connection) as late:
        intake_cache.products_by_sku(["GIZMO"])  # WIDGET expires in 4 s, < half of 10
    with CaptureQueriesContext(connection) as after:
        found = intake_cache.products_by_sku(["WIDGET", "GADGET", "GIZMO"])

    assert len(early.captured_queries) == len(late.captured_queries) == 1
    assert "WIDGET" not in early.captured_queries[0]["sql"]
    assert "WIDGET" in late.captured_queries[0]["sql"]
    assert len(after.captured_queries) == 0
    assert found["WIDGET"].name == "Widget v2"
