"""orders.fastsql.insert: intake's bulk inserts, row for row what bulk_create writes."""

from __future__ import annotations

import pytest

from orders import fastsql
from orders.models import Order, OrderEvent, OrderLine
from tests.orders.conftest import order_body


@pytest.fixture
def order(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    response = manager_client.post(
        "/api/v1/orders/", order_body("FAST-1"), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return Order.objects.get(number=response.json()["number"])


def test_rows_get_their_ids_in_order_and_read_back_equal(order, world):
    events = [
        OrderEvent(order=order, kind=OrderEvent.Kind.NOTE, message=f"Zoë № {n} — 山田", data=data)
        for n, data in enumerate([{"a": [1, "ü"]}, {}, {"nested": {"x": None, "y": 1.5}}])
    ]
    assert fastsql.insert(events) is not events  # a list of the same instances
    ids = [e.pk for e in events]
    assert all(ids)
    assert ids == sorted(ids)
    stored = {e.pk: e for e in OrderEvent.objects.filter(pk__in=ids)}
    for event in events:
        again = stored[event.pk]
        assert (again.order_id, again.kind, again.message, again.data) == (
            order.pk,
            event.kind,
            event.message,
            event.data,
        )
        assert again.created_at == event.created_at  # auto_now_add filled before the insert
        assert not event._state.adding


def test_a_related_object_saved_after_construction_gives_its_id(world):
    from decimal import Decimal

    from django.utils import timezone

    order = Order(
        number="SO-FAST-1",
        channel="web",
        external_ref="FAST-REL",
        customer_name="Ada",
        customer_email="ada@example.com",
        ship_to_name="Ada",
        ship_to_line1="1 Main St",
        ship_to_city="Chicago",
        ship_to_postal_code="60601",
        ship_to_country="US",
        total_amount=Decimal("0"),
        placed_at=timezone.now(),
    )
    line = OrderLine(order=order, product=world.widget, quantity=3, unit_price=Decimal("1.50"))
    order.save(force_insert=True)  # after the line was built, as intake does with shipments
    (saved,) = fastsql.insert([line])
    assert saved.order_id == order.pk
    again = OrderLine.objects.get(pk=saved.pk)
    assert (again.product_id, again.quantity, str(again.unit_price)) == (world.widget.pk, 3, "1.50")


def test_nothing_to_insert_and_mixed_models(order):
    assert fastsql.insert([]) == []
    with pytest.raises(TypeError):
        fastsql.insert([OrderEvent(order=order, kind="note"), OrderLine(order=order)])


def test_an_unsaved_related_object_is_refused_like_bulk_create(world):
    order = Order(number="SO-UNSAVED")
    with pytest.raises(ValueError, match="unsaved related object"):
        fastsql.insert([OrderEvent(order=order, kind="note")])
