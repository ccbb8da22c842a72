"""orders.fastsql: insert() (one model, bulk_create) and Rows (every row of an order in one
statement on PostgreSQL)."""

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


def _new_order(number: str) -> Order:
    from decimal import Decimal

    from django.utils import timezone

    return Order(
        number=number,
        channel="web",
        external_ref=number,
        customer_name="Zoë Ünïcode 山田",
        customer_email="zoe@example.com",
        ship_to_name="Zoë",
        ship_to_line1="1 Rue de l'Église",
        ship_to_city="Montréal",
        ship_to_postal_code="60601",
        ship_to_country="US",
        ship_to_latitude=Decimal("41.886400"),
        ship_to_longitude=Decimal("-87.618600"),
        total_amount=Decimal("12.34"),
        routing={"chosen": ["CHI"], "candidates": [{"cost": "1.20", "rank": 1}]},
        placed_at=timezone.now(),
    )


def test_a_related_object_saved_after_construction_gives_its_id(world):
    from decimal import Decimal

    order = _new_order("SO-FAST-1")
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


# --- Rows: every row of an order in one statement ----------------------------------------------


def test_rows_write_an_order_its_lines_and_events_in_two_queries(world):
    import datetime as dt
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.models import Allocation, Shipment

    fastsql.Rows({Order: 1, OrderLine: 1, Allocation: 1, Shipment: 1})  # sequence names, once
    with CaptureQueriesContext(connection) as ctx:
        rows = fastsql.Rows({Order: 1, OrderLine: 2, Allocation: 1, Shipment: 1})
        order = rows.add(_new_order("SO-ROWS-1"))
        shipment = Shipment(order=order, warehouse=world.chicago, quotes=[{"price": "5.10"}])
        line_a, line_b = rows.add_all(
            [
                OrderLine(order=order, product=world.widget, quantity=2, unit_price=Decimal("1.5")),
                OrderLine(
                    order=order, product=world.gadget, quantity=1, unit_price=Decimal("9.99")
                ),
            ]
        )
        (allocation,) = rows.add_all(
            [Allocation(order_line=line_a, warehouse=world.chicago, quantity=2)]
        )
        shipment.estimated_delivery_date = dt.date(2026, 11, 24)  # before add(): SQLite saves
        rows.add(shipment)
        events = rows.add_all(
            [OrderEvent(order=order, kind="note", message="Zoë — 山田", data={"n": [1, "ü"]})]
        )
        rows.write()
    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 2  # the ids, then one INSERT of everything
        assert events[0].pk is None  # no id taken for it: the table's default, unread
    assert all(obj.pk for obj in (order, line_a, line_b, allocation, shipment))
    stored = Order.objects.get(pk=order.pk)
    assert (stored.customer_name, stored.ship_to_line1, stored.routing) == (
        "Zoë Ünïcode 山田",
        "1 Rue de l'Église",
        {"chosen": ["CHI"], "candidates": [{"cost": "1.20", "rank": 1}]},
    )
    assert (stored.total_amount, stored.ship_to_latitude) == (Decimal("12.34"), Decimal("41.8864"))
    assert stored.placed_at == order.placed_at  # microseconds and time zone kept
    assert stored.created_at == order.created_at
    lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    assert (lines[line_a.pk].quantity, lines[line_b.pk].unit_price) == (2, Decimal("9.99"))
    assert Allocation.objects.get(pk=allocation.pk).order_line_id == line_a.pk
    again = Shipment.objects.get(pk=shipment.pk)
    assert (again.order_id, again.quotes, again.estimated_delivery_date, again.label.name) == (
        order.pk,
        [{"price": "5.10"}],
        dt.date(2026, 11, 24),
        "",
    )
    event = OrderEvent.objects.get(order=order)
    assert (event.message, event.data) == ("Zoë — 山田", {"n": [1, "ü"]})


@pytest.mark.postgres  # other databases insert at add(): no ids are taken ahead
def test_rows_refuse_more_rows_than_ids_and_mixed_ids(world):
    rows = fastsql.Rows({Order: 1})
    rows.add(_new_order("SO-ROWS-2"))
    with pytest.raises(ValueError, match="More Order rows than ids"):
        rows.add(_new_order("SO-ROWS-3"))
    rows = fastsql.Rows({})
    first = rows.add(_new_order("SO-ROWS-4"))
    first.pk = 10**9
    rows.add(_new_order("SO-ROWS-5"))
    with pytest.raises(ValueError, match="every Order row an id, or none"):
        rows.write()


def test_a_failed_write_leaves_nothing_of_the_order(world):
    from decimal import Decimal

    from django.db import IntegrityError, transaction

    rows = fastsql.Rows({Order: 1})
    rows.add(_new_order("SO-DUP"))
    rows.write()

    def write_again() -> None:
        with transaction.atomic():
            rows = fastsql.Rows({Order: 1, OrderLine: 1})
            order = rows.add(_new_order("SO-DUP"))  # the number is taken: the INSERT fails
            order.external_ref = "another"
            line = OrderLine(order=order, product=world.widget, quantity=1, unit_price=Decimal(1))
            rows.add(line)
            rows.write()

    with pytest.raises(IntegrityError):
        write_again()
    assert Order.objects.filter(number="SO-DUP").count() == 1
    assert not OrderLine.objects.filter(product=world.widget).exists()


def test_rows_given_as_values_take_their_defaults_and_keep_their_order(world):
    from django.utils import timezone

    from orders.models import Allocation, ShipmentLine

    rows = fastsql.Rows({Order: 1, OrderLine: 1})
    order = rows.add(_new_order("SO-VALUES-1"))
    (line,) = rows.add_all([OrderLine(order=order, product=world.widget, quantity=2, unit_price=1)])
    before = timezone.now()
    rows.add_rows(
        Allocation, [{"order_line_id": line.pk, "warehouse_id": world.chicago.pk, "quantity": 2}]
    )
    rows.add_rows(
        OrderEvent,
        [
            {"order_id": order.pk, "kind": "note", "message": "first"},
            OrderEvent(order=order, kind="note", message="second", data={"x": 1}),
            {"order_id": order.pk, "kind": "note", "message": "third", "data": {"ü": "山"}},
        ],
    )
    rows.write()
    allocation = Allocation.objects.get(order_line=line)
    assert (allocation.warehouse_id, allocation.quantity) == (world.chicago.pk, 2)
    assert allocation.created_at >= before  # auto_now_add filled for a row given as values
    events = list(OrderEvent.objects.filter(order=order).order_by("pk"))
    assert [(e.message, e.data, e.actor_id) for e in events] == [
        ("first", {}, None),
        ("second", {"x": 1}, None),
        ("third", {"ü": "山"}, None),
    ]
    with pytest.raises(ValueError, match="no column 'shipment'"):
        rows.add_rows(ShipmentLine, [{"shipment": 1}])


# --- fastsql.new: the instance Model(**values) makes, without its constructor ------------------


def _instance_state(obj) -> tuple[dict, dict, bool, object]:
    values = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return values, dict(obj._state.fields_cache), obj._state.adding, obj._state.db


def test_new_makes_the_instance_the_constructor_makes(order, world, manager):
    from decimal import Decimal

    from orders.models import CustomerEmail, Shipment

    unsaved = _new_order("SO-NEW-1")
    cases = [
        (Order, {k: v for k, v in unsaved.__dict__.items() if k not in ("_state", "id")}),
        (
            OrderLine,
            {
                "order": order,
                "product": world.widget,
                "quantity": 2,
                "unit_price": Decimal("1.50"),
                "allocated": 1,
            },
        ),
        (OrderLine, {"order": unsaved, "product": world.gadget, "quantity": 1}),  # no id yet
        (Shipment, {"order": order, "warehouse": world.chicago}),
        (
            CustomerEmail,
            {
                "order": order,
                "kind": "order_received",
                "shipment": None,
                "return_request": None,
                "to": "zoe@example.com",
                "subject": "Hi",
            },
        ),
        (
            OrderEvent,
            {
                "order_id": order.pk,
                "kind": "email",
                "actor": manager,
                "message": "Queued",
                "data": {"email": 1},
            },
        ),
        (OrderEvent, {"order": order, "kind": "note", "actor": None, "message": "x"}),
    ]
    for model, values in cases:
        assert _instance_state(fastsql.new(model, **values)) == _instance_state(model(**values)), (
            model
        )


def test_new_calls_callable_defaults_per_instance_and_checks_what_it_is_given(order, world):
    from orders.models import Shipment

    first = fastsql.new(Shipment, order=order, warehouse=world.chicago)
    second = fastsql.new(Shipment, order=order, warehouse=world.chicago)
    assert first.quotes == second.quotes == []
    assert first.quotes is not second.quotes
    with pytest.raises(TypeError, match="no field 'colour'"):
        fastsql.new(Shipment, order=order, colour="red")
    with pytest.raises(ValueError, match="Shipment.warehouse must be a Warehouse"):
        fastsql.new(Shipment, order=order, warehouse=world.widget)


def test_new_refuses_a_model_with_init_receivers(db):
    from django.db.models.signals import post_init

    from vendors.models import Carrier

    def receiver(**_kwargs):
        pass

    post_init.connect(receiver, sender=Carrier)
    try:
        with pytest.raises(TypeError, match="init signal receivers"):
            fastsql.new(Carrier, name="X")
    finally:
        post_init.disconnect(receiver, sender=Carrier)
