"""Order services after intake: pick, pack, ship, deliver; holds, payment, cancel, re-route,
carrier override; backorders filled oldest first when stock arrives; the at-risk sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from inventory import services as stock
from inventory.models import StockLevel, StockMovement
from orders import services
from orders.intake import parse_order
from orders.models import Allocation, CustomerEmail, Order, OrderEvent, Shipment
from tests.orders.conftest import order_body


def place(manager, ref="W-1", lines=None, **overrides) -> Order:
    result = services.order_intake(
        data=parse_order(order_body(ref, lines=lines, **overrides)), by=manager
    )
    assert result.created
    return result.order


def line(sku, quantity, price="10.00") -> dict:
    return {"sku": sku, "quantity": quantity, "unit_price": price}


def level(warehouse, product) -> StockLevel:
    return StockLevel.objects.get(warehouse=warehouse, product=product)


def kinds(order) -> list[str]:
    return list(order.events.values_list("kind", flat=True))


def test_an_order_goes_from_intake_to_delivered(manager, world):
    world.receive(world.chicago, world.widget, 10)
    order = place(manager, lines=[line("WIDGET", 3)])
    (shipment,) = order.shipments.all()

    (picked,) = services.shipments_start_picking(warehouse=world.chicago, by=manager)
    assert picked.pk == shipment.pk
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=1450)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.weight_grams) == (Shipment.Status.PACKED, 1450)
    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-0001")

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    stock_row = level(world.chicago, world.widget)
    assert (stock_row.on_hand, stock_row.reserved) == (7, 0)
    movement = StockMovement.objects.get(kind=StockMovement.Kind.SHIPMENT)
    assert (movement.delta, movement.reference_id) == (-3, str(shipment.pk))
    assert not Allocation.objects.filter(order_line__order=order).exists()
    order_line = order.lines.get()
    assert (order_line.allocated, order_line.shipped) == (0, 3)

    services.shipment_deliver(shipment=shipment, by=manager)
    services.shipment_deliver(shipment=shipment, by=manager)  # a repeat changes nothing
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert kinds(order).count(OrderEvent.Kind.DELIVERED) == 1
    assert set(order.emails.values_list("kind", flat=True)) >= {
        CustomerEmail.Kind.SHIPPED,
        CustomerEmail.Kind.DELIVERED,
    }


def test_packing_fewer_units_sends_the_rest_on_a_new_shipment(manager, world):
    world.receive(world.chicago, world.widget, 10)
    order = place(manager, lines=[line("WIDGET", 3)])
    shipment = order.shipments.get()
    order_line = order.lines.get()

    services.shipment_pack(
        shipment=shipment, by=manager, weight_grams=900, quantities={order_line.pk: 2}
    )
    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-0002")

    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    follow_up = order.shipments.get(status=Shipment.Status.PENDING)
    assert [(sl.order_line_id, sl.quantity) for sl in follow_up.lines.all()] == [(order_line.pk, 1)]
    assert level(world.chicago, world.widget).reserved == 1
    assert follow_up.carrier_service is not None


def test_a_split_order_ships_in_parts(manager, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.gadget, 5)
    order = place(manager, lines=[line("WIDGET", 1), line("GADGET", 1)])
    assert order.routing["mode"] == "split"
    assert sorted(order.routing["chosen"]) == ["WH-CHI", "WH-NYC"]
    chicago = order.shipments.get(warehouse=world.chicago)
    services.shipment_pack(shipment=chicago, by=manager, weight_grams=600)
    services.shipment_ship(shipment=chicago, by=manager, tracking_number="ACME-0003")
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED


def test_the_winner_is_the_warehouse_that_fills_every_line_even_if_farther(manager, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.widget, 5)
    world.receive(world.newyork, world.gadget, 5)
    order = place(manager, lines=[line("WIDGET", 1), line("GADGET", 1)])
    assert order.routing["chosen"] == ["WH-NYC"]
    candidates = {c["warehouse"]: c for c in order.routing["candidates"]}
    assert candidates["WH-CHI"]["can_fill"] is False
    assert "Cannot fill GADGET" in candidates["WH-CHI"]["why"]


def test_among_warehouses_that_fill_the_cheaper_nearer_one_wins(manager, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])  # to Chicago
    assert order.routing["chosen"] == ["WH-CHI"]
    losers = [c for c in order.routing["candidates"] if c["warehouse"] == "WH-NYC"]
    assert losers[0]["why"] == "Costs more to ship"


def test_a_held_order_is_not_packed_until_released(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    services.order_hold(order=order, kind="manual", reason="Customer asked to wait", by=manager)
    shipment = order.shipments.get()
    with pytest.raises(ValidationError) as caught:
        services.shipment_pack(shipment=shipment, by=manager, weight_grams=500)
    assert "on hold" in str(caught.value)
    assert services.shipments_start_picking(warehouse=world.chicago, by=manager) == []

    services.order_release_hold(order=order, by=manager, note="Go ahead")
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=500)
    assert [k for k in kinds(order) if k in (OrderEvent.Kind.HELD, OrderEvent.Kind.RELEASED)] == [
        OrderEvent.Kind.HELD,
        OrderEvent.Kind.RELEASED,
    ]


def test_a_hold_needs_a_reason(manager, world):
    order = place(manager)
    with pytest.raises(ValidationError) as caught:
        services.order_hold(order=order, kind="manual", reason="  ", by=manager)
    assert "reason" in caught.value.message_dict


def test_a_failed_payment_holds_the_order_and_blocks_release_until_paid(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager)
    services.order_set_payment_status(order=order, payment_status="failed", by=manager)
    order.refresh_from_db()
    assert order.hold_kind == Order.HoldKind.PAYMENT
    with pytest.raises(ValidationError):
        services.order_release_hold(order=order, by=manager)
    services.order_set_payment_status(order=order, payment_status="paid", by=manager)
    services.order_release_hold(order=order, by=manager)
    order.refresh_from_db()
    assert (order.payment_status, order.hold_kind) == ("paid", "")


def test_a_refunded_payment_cannot_become_paid(manager, world):
    order = place(manager, payment_status="paid")
    services.order_set_payment_status(order=order, payment_status="refunded", by=manager)
    with pytest.raises(ValidationError) as caught:
        services.order_set_payment_status(order=order, payment_status="paid", by=manager)
    assert caught.value.error_dict["payment_status"][0].code == services.INVALID_STATUS


def test_cancelling_releases_every_reservation(manager, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.gadget, 5)
    order = place(manager, lines=[line("WIDGET", 2), line("GADGET", 1)])
    services.shipment_pack(
        shipment=order.shipments.get(warehouse=world.chicago), by=manager, weight_grams=900
    )

    services.order_cancel(order=order, by=manager, reason="Customer changed their mind")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert level(world.chicago, world.widget).reserved == 0
    assert level(world.newyork, world.gadget).reserved == 0
    assert not Allocation.objects.filter(order_line__order=order).exists()
    assert set(order.shipments.values_list("status", flat=True)) == {Shipment.Status.CANCELLED}
    assert order.emails.filter(kind=CustomerEmail.Kind.CANCELLED).exists()
    with pytest.raises(ValidationError):
        services.order_cancel(order=order, by=manager, reason="again")


def test_a_shipped_order_cannot_be_cancelled(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    shipment = order.shipments.get()
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=500)
    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-0004")
    with pytest.raises(ValidationError) as caught:
        services.order_cancel(order=order, by=manager, reason="too late")
    assert "have shipped" in str(caught.value)


def test_a_manager_reroutes_to_another_warehouse_with_a_reason(manager, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 2)])
    assert order.routing["chosen"] == ["WH-CHI"]

    services.order_reroute(
        order=order, by=manager, reason="Chicago dock is closed", warehouse=world.newyork
    )

    order.refresh_from_db()
    assert order.routing["chosen"] == ["WH-NYC"]
    assert order.routing["reroute_reason"] == "Chicago dock is closed"
    assert order.routing["previous"] == "WH-CHI"
    assert level(world.chicago, world.widget).reserved == 0
    assert level(world.newyork, world.widget).reserved == 2
    assert order.shipments.get(status=Shipment.Status.PENDING).warehouse == world.newyork
    assert order.shipments.filter(status=Shipment.Status.CANCELLED).count() == 1
    assert order.status == Order.Status.ALLOCATED
    assert OrderEvent.Kind.REROUTED in kinds(order)


def test_rerouting_to_a_warehouse_without_stock_backorders(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 2)])
    services.order_reroute(order=order, by=manager, reason="test", warehouse=world.newyork)
    order.refresh_from_db()
    assert order.status == Order.Status.BACKORDERED
    assert level(world.chicago, world.widget).reserved == 0


def test_backorders_are_allocated_oldest_order_first_when_stock_arrives(manager, world):
    older = place(manager, "OLD", lines=[line("WIDGET", 2)])
    younger = place(manager, "NEW", lines=[line("WIDGET", 2)])
    Order.objects.filter(pk=older.pk).update(placed_at=younger.placed_at - dt.timedelta(hours=1))
    assert older.status == younger.status == Order.Status.BACKORDERED
    world.receive(world.newyork, world.widget, 3)

    allocated = services.backorders_allocate(product_ids=[world.widget.pk])

    older.refresh_from_db()
    younger.refresh_from_db()
    assert allocated == 3
    assert older.status == Order.Status.ALLOCATED
    assert younger.status == Order.Status.PARTIALLY_ALLOCATED
    assert level(world.newyork, world.widget).reserved == 3
    assert older.shipments.get().warehouse == world.newyork
    assert younger.lines.get().allocated == 1


def test_a_receipt_sends_the_backorder_task_after_commit(
    manager, world, django_capture_on_commit_callbacks, monkeypatch
):
    from orders import fulfilment_tasks

    sent = []
    monkeypatch.setattr(
        fulfilment_tasks.backorders_allocate_task, "delay", lambda ids: sent.append(ids)
    )
    place(manager, lines=[line("WIDGET", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        stock.stock_receive(warehouse=world.chicago, product=world.widget, quantity=4, actor=None)
        stock.stock_receive(warehouse=world.newyork, product=world.widget, quantity=4, actor=None)
    assert sent == [[world.widget.pk]]


def test_a_shipment_movement_sends_no_task(
    manager, world, django_capture_on_commit_callbacks, monkeypatch
):
    from orders import fulfilment_tasks

    world.receive(world.chicago, world.widget, 4)
    sent = []
    monkeypatch.setattr(
        fulfilment_tasks.backorders_allocate_task, "delay", lambda ids: sent.append(ids)
    )
    with django_capture_on_commit_callbacks(execute=True):
        stock.stock_ship(
            warehouse=world.chicago,
            product=world.widget,
            quantity=1,
            actor=None,
            from_reserved=False,
        )
    assert sent == []


def test_a_delivery_exception_flags_the_order_and_tells_the_customer_once(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    shipment = order.shipments.get()
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=500)
    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-0005")

    services.shipment_exception(shipment=shipment, reason="Damaged in transit", by=manager)
    services.orders_flag_at_risk()

    order.refresh_from_db()
    assert order.at_risk
    assert "Damaged in transit" in order.at_risk_reason
    assert order.emails.filter(kind=CustomerEmail.Kind.DELAYED).count() == 1
    services.shipment_deliver(shipment=shipment)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_the_sweep_flags_an_order_past_its_promised_ship_date_once(manager, world):
    order = place(manager, lines=[line("WIDGET", 1)])  # backordered
    Order.objects.filter(pk=order.pk).update(promised_ship_date=dt.date(2020, 1, 1))

    assert services.orders_flag_at_risk() == 1
    assert services.orders_flag_at_risk() == 0

    order.refresh_from_db()
    assert order.at_risk
    assert kinds(order).count(OrderEvent.Kind.AT_RISK) == 1
    assert order.emails.filter(kind=CustomerEmail.Kind.DELAYED).count() == 1
    from orders.selectors import orders_at_risk

    assert list(orders_at_risk()) == [order]


def test_a_manager_overrides_the_carrier_with_a_reason(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    shipment = order.shipments.get()
    assert shipment.carrier_service == world.ground

    services.shipment_override_carrier(
        shipment=shipment, service=world.overnight, reason="VIP customer", by=manager
    )
    shipment.refresh_from_db()
    assert shipment.carrier_service == world.overnight
    assert shipment.override_reason == "VIP customer"
    chosen = [q for q in shipment.quotes if q["chosen"]]
    assert [q["service"] for q in chosen] == ["NXT"]
    assert chosen[0]["overridden"] is True
    # Packing keeps the manager's choice.
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=500)
    shipment.refresh_from_db()
    assert shipment.carrier_service == world.overnight


def test_the_cheapest_service_that_meets_the_promise_is_chosen_else_the_fastest(manager, world):
    world.receive(world.newyork, world.widget, 5)
    body_la = {"postal_code": "90012", "city": "Los Angeles", "region": "CA"}
    economy = place(manager, "ECO", lines=[line("WIDGET", 1)])
    Order.objects.filter(pk=economy.pk)  # to Chicago: ground meets standard
    assert economy.shipments.get().carrier_service == world.ground

    result = services.order_intake(
        data=parse_order(
            order_body(
                "FAST",
                lines=[line("WIDGET", 1)],
                service_level="overnight",
                ship_to={**order_body()["ship_to"], **body_la},
            )
        ),
        by=manager,
    )
    shipment = result.order.shipments.get()
    # NYC → LA is zone 8: ground takes 5 days; only next-day meets an overnight promise.
    assert shipment.carrier_service == world.overnight
    assert all("meets_promise" in q for q in shipment.quotes)


def test_shipping_needs_a_tracking_number_once(manager, world):
    world.receive(world.chicago, world.widget, 5)
    first = place(manager, "A", lines=[line("WIDGET", 1)])
    second = place(manager, "B", lines=[line("WIDGET", 1)])
    for order in (first, second):
        services.shipment_pack(shipment=order.shipments.get(), by=manager, weight_grams=500)
    with pytest.raises(ValidationError) as caught:
        services.shipment_ship(shipment=first.shipments.get(), by=manager, tracking_number="")
    assert "tracking_number" in caught.value.message_dict
    services.shipment_ship(shipment=first.shipments.get(), by=manager, tracking_number="T-12345")
    with pytest.raises(ValidationError) as caught:
        services.shipment_ship(
            shipment=second.shipments.get(), by=manager, tracking_number="T-12345"
        )
    assert "already on shipment" in caught.value.message_dict["tracking_number"][0]
    assert level(world.chicago, world.widget).reserved == 1  # the second kept its reservation


def test_packing_more_than_planned_is_refused(manager, world):
    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    shipment = order.shipments.get()
    with pytest.raises(ValidationError) as caught:
        services.shipment_pack(
            shipment=shipment,
            by=manager,
            weight_grams=500,
            quantities={order.lines.get().pk: 2},
        )
    assert "only 1 on the shipment" in caught.value.message_dict["quantities"][0]
    with pytest.raises(ValidationError):
        services.shipment_pack(shipment=shipment, by=manager, weight_grams=0)


def test_packing_sends_shipment_packed_inside_the_transaction(manager, world):
    from orders.signals import shipment_packed

    world.receive(world.chicago, world.widget, 5)
    order = place(manager, lines=[line("WIDGET", 1)])
    heard = []

    def listener(sender, shipment, **kwargs):
        heard.append((shipment.pk, shipment.status, shipment.weight_grams))

    shipment_packed.connect(listener)
    try:
        services.shipment_pack(shipment=order.shipments.get(), by=manager, weight_grams=640)
    finally:
        shipment_packed.disconnect(listener)
    assert heard == [(order.shipments.get().pk, Shipment.Status.PACKED, 640)]


def test_a_warehouse_past_its_cut_off_ships_tomorrow_and_may_lose_the_order(manager, world):
    """Monday 16:00 in Chicago, an overnight order to Chicago: WH-CHI (cut-off 15:00) would
    ship Tuesday and deliver Wednesday; WH-NYC (cut-off 23:59) ships Monday and its next-day
    service delivers Tuesday, the promise. The nearer, cheaper warehouse loses on the promise."""
    world.chicago.cutoff_time = dt.time(15, 0)
    world.chicago.save()
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.widget, 5)
    monday_4pm_chicago = dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC)
    body = order_body("CUT-1", lines=[line("WIDGET", 1)], service_level="overnight")

    order = services.order_intake(data=parse_order(body), by=manager, now=monday_4pm_chicago).order

    candidates = {c["warehouse"]: c for c in order.routing["candidates"]}
    assert candidates["WH-CHI"]["ships"] == "2026-11-24"
    assert candidates["WH-CHI"]["meets_promise"] is False
    assert candidates["WH-NYC"]["ships"] == "2026-11-23"
    assert order.routing["chosen"] == ["WH-NYC"]
    assert candidates["WH-CHI"]["why"] == "Misses the promised delivery date"
    assert order.promised_ship_date == dt.date(2026, 11, 23)
    assert order.promised_delivery_date == dt.date(2026, 11, 24)
    assert order.shipments.get().carrier_service == world.overnight


def test_before_the_cut_off_the_nearer_warehouse_wins(manager, world):
    world.chicago.cutoff_time = dt.time(15, 0)
    world.chicago.save()
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.newyork, world.widget, 5)
    monday_2pm_chicago = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    body = order_body("CUT-2", lines=[line("WIDGET", 1)], service_level="overnight")
    order = services.order_intake(data=parse_order(body), by=manager, now=monday_2pm_chicago).order
    assert order.routing["chosen"] == ["WH-CHI"]
