"""Returns: asked for against shipped lines, decided, received with dispositions, refunded."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from orders import returns
from orders.models import CustomerEmail, OrderEvent, OrderLine, ReturnRequest, Shipment
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
    StockLevelFactory,
)
from tests.orders.factories import ShipmentLineFactory

pytestmark = pytest.mark.django_db

Status = ReturnRequest.Status


def shipped_order(warehouse, *, quantities=(3, 2), **order_fields):
    """An order whose lines shipped in full from `warehouse` (one shipped shipment)."""
    order = OrderFactory(**order_fields)
    shipment = ShipmentFactory(
        order=order, warehouse=warehouse, status=Shipment.Status.SHIPPED, shipped_at=timezone.now()
    )
    lines = []
    for quantity in quantities:
        line = OrderLineFactory(order=order, product=ProductFactory(), quantity=quantity)
        OrderLine.objects.filter(pk=line.pk).update(shipped=quantity)
        line.refresh_from_db()
        ShipmentLineFactory(shipment=shipment, order_line=line, quantity=quantity)
        StockLevelFactory(warehouse=warehouse, product=line.product, on_hand=10)
        lines.append(line)
    return order, lines


def _approved(order, lines, manager, quantities=None):
    rma = returns.return_create(
        order=order,
        quantities=quantities or {lines[0].pk: 2, lines[1].pk: 1},
        reason="Arrived damaged",
        by=manager,
    )
    return returns.return_approve(rma=rma, by=manager)


def _on_hand(warehouse, product):
    level = StockLevel.objects.get(warehouse=warehouse, product=product)
    return level.on_hand, level.quarantined


# --- services ---------------------------------------------------------------------------------


def test_a_return_is_opened_for_shipped_units_to_the_shipping_warehouse(manager, warehouse):
    order, (first, second) = shipped_order(warehouse)
    rma = returns.return_create(
        order=order, quantities={first.pk: 2, second.pk: ""}, reason=" Too  small ", by=manager
    )
    assert rma.number == f"RMA-{rma.pk:06d}"
    assert (rma.status, rma.warehouse, rma.reason, rma.created_by) == (
        Status.REQUESTED,
        warehouse,
        "Too small",
        manager,
    )
    assert [(line.order_line_id, line.quantity) for line in rma.lines.all()] == [(first.pk, 2)]
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.RETURN).count() == 1


def test_it_never_returns_more_than_shipped_minus_already_returned(manager, warehouse):
    order, (first, _) = shipped_order(warehouse)
    returns.return_create(order=order, quantities={first.pk: 2}, reason="x", by=manager)
    with pytest.raises(ValidationError) as caught:
        returns.return_create(order=order, quantities={first.pk: 2}, reason="x", by=manager)
    assert caught.value.message_dict[f"line_{first.pk}"] == [
        f"{first.product.sku}: at most 1 can be returned (3 shipped, 2 already on a return)."
    ]
    assert ReturnRequest.objects.count() == 1


def test_a_rejected_return_gives_its_units_back(manager, warehouse):
    order, (first, _) = shipped_order(warehouse)
    rma = returns.return_create(order=order, quantities={first.pk: 3}, reason="x", by=manager)
    returns.return_reject(rma=rma, by=manager, note="Outside the 30 days")
    again = returns.return_create(order=order, quantities={first.pk: 3}, reason="y", by=manager)
    assert again.lines.get().quantity == 3


def test_units_not_shipped_cannot_be_returned(manager, warehouse):
    order, (first, _) = shipped_order(warehouse)
    unshipped = OrderLineFactory(order=order, quantity=4)
    with pytest.raises(ValidationError) as caught:
        returns.return_create(order=order, quantities={unshipped.pk: 1}, reason="x", by=manager)
    assert "at most 0 can be returned" in caught.value.message_dict[f"line_{unshipped.pk}"][0]


@pytest.mark.parametrize(
    ("quantities", "field", "message"),
    [
        ({}, "lines", "at least one shipped unit"),
        ({"LINE": "-1"}, "line_LINE", "Cannot be negative"),
        ({"LINE": "1.5"}, "line_LINE", "whole number"),
        ({999999: 1}, "lines", "not a line of order"),
    ],
)
def test_bad_quantities_are_named(manager, warehouse, quantities, field, message):
    order, (first, _) = shipped_order(warehouse)
    quantities = {(first.pk if k == "LINE" else k): v for k, v in quantities.items()}
    with pytest.raises(ValidationError) as caught:
        returns.return_create(order=order, quantities=quantities, reason="x", by=manager)
    field = field.replace("LINE", str(first.pk))
    assert message in " ".join(caught.value.message_dict[field])
    assert not ReturnRequest.objects.exists()


def test_a_reason_is_required_and_a_rejection_says_why(manager, warehouse):
    order, (first, _) = shipped_order(warehouse)
    with pytest.raises(ValidationError, match="Say why the customer"):
        returns.return_create(order=order, quantities={first.pk: 1}, reason=" ", by=manager)
    rma = returns.return_create(order=order, quantities={first.pk: 1}, reason="x", by=manager)
    with pytest.raises(ValidationError, match="Say why the return is rejected"):
        returns.return_reject(rma=rma, by=manager, note="")
    returns.return_approve(rma=rma, by=manager)
    with pytest.raises(ValidationError, match="approved: it cannot be rejected"):
        returns.return_reject(rma=rma, by=manager, note="late")


def test_receiving_restocks_scraps_and_quarantines_per_line_and_emails_once(
    manager, warehouse, django_capture_on_commit_callbacks
):
    order, (first, second, third) = shipped_order(warehouse, quantities=(3, 2, 4))
    rma = _approved(order, [first, second], manager, {first.pk: 2, second.pk: 2, third.pk: 1})
    ids = {line.order_line_id: line.pk for line in rma.lines.all()}
    with django_capture_on_commit_callbacks() as callbacks:
        rma = returns.return_receive(
            rma=rma,
            by=manager,
            lines={
                ids[first.pk]: returns.Receipt(2, "restock"),
                ids[second.pk]: returns.Receipt("1", "quality"),
                ids[third.pk]: returns.Receipt(1, "scrap"),
            },
        )
    assert (rma.status, rma.disposition, rma.refund_status) == (
        Status.RECEIVED,
        ReturnRequest.Disposition.MIXED,
        ReturnRequest.RefundStatus.PENDING,
    )
    assert _on_hand(warehouse, first.product) == (12, 0)
    assert _on_hand(warehouse, second.product) == (11, 1)  # back on hand, held for quality
    assert _on_hand(warehouse, third.product) == (10, 0)  # scrapped: nothing back
    kinds = list(
        StockMovement.objects.filter(reference_id=str(rma.pk))
        .order_by("id")
        .values_list("product_id", "kind", "delta")
    )
    assert kinds == [
        (first.product_id, "return", 2),
        (second.product_id, "return", 1),
        (second.product_id, "quarantine", 0),
    ]
    email = CustomerEmail.objects.get(order=order)
    assert (email.kind, email.return_request) == (CustomerEmail.Kind.RETURN_RECEIVED, rma)
    email_tasks = [c.email_id for c in callbacks if hasattr(c, "email_id")]
    assert email_tasks == [email.pk]
    lines = {line.order_line_id: line for line in rma.lines.all()}
    assert (lines[second.pk].received_quantity, lines[second.pk].disposition) == (1, "quality")


def test_receiving_checks_every_line_before_moving_any_stock(manager, warehouse):
    order, (first, second) = shipped_order(warehouse)
    rma = _approved(order, [first, second], manager)
    ids = {line.order_line_id: line.pk for line in rma.lines.all()}
    with pytest.raises(ValidationError) as caught:
        returns.return_receive(
            rma=rma,
            by=manager,
            lines={
                ids[first.pk]: returns.Receipt(2, "restock"),
                ids[second.pk]: returns.Receipt(1, ""),
            },
        )
    assert "choose restock, scrap or to quality" in str(caught.value)
    with pytest.raises(ValidationError, match="at most 2 were to come back"):
        returns.return_receive(
            rma=rma, by=manager, lines={ids[first.pk]: returns.Receipt(3, "restock")}
        )
    assert not StockMovement.objects.filter(kind="return").exists()
    rma.refresh_from_db()
    assert rma.status == Status.APPROVED
    assert not CustomerEmail.objects.exists()


def test_only_staff_of_the_returns_warehouse_receive_it(
    manager, warehouse_staff, warehouse, other_warehouse
):
    order, lines = shipped_order(other_warehouse)
    rma = _approved(order, lines, manager)
    with pytest.raises(PermissionDenied):
        returns.return_receive(rma=rma, by=warehouse_staff, lines={})
    mine, my_lines = shipped_order(warehouse)
    rma = _approved(mine, my_lines, manager)
    line = rma.lines.first()
    rma = returns.return_receive(
        rma=rma, by=warehouse_staff, lines={line.pk: returns.Receipt(line.quantity, "restock")}
    )
    assert rma.received_by == warehouse_staff


def test_a_requested_return_cannot_be_received_and_a_refund_closes_it(manager, warehouse):
    order, lines = shipped_order(warehouse)
    rma = returns.return_create(order=order, quantities={lines[0].pk: 1}, reason="x", by=manager)
    with pytest.raises(ValidationError, match="requested: it cannot be received"):
        returns.return_receive(rma=rma, by=manager, lines={})
    with pytest.raises(ValidationError, match="cannot be refunded"):
        returns.return_refund(rma=rma, by=manager)
    returns.return_approve(rma=rma, by=manager)
    line = rma.lines.get()
    returns.return_receive(rma=rma, by=manager, lines={line.pk: returns.Receipt(1, "scrap")})
    rma = returns.return_refund(rma=rma, by=manager)
    assert (rma.status, rma.refund_status) == (Status.CLOSED, ReturnRequest.RefundStatus.REFUNDED)


# --- pages ------------------------------------------------------------------------------------


def test_a_manager_opens_approves_and_staff_receive_through_the_pages(
    manager_client, warehouse_client, warehouse
):
    order, (first, second) = shipped_order(warehouse)
    url = reverse("orders:return_create", args=[order.number])
    page = manager_client.get(url)
    assert page.status_code == 200
    assert f'name="line_{first.pk}"' in page.content.decode()
    response = manager_client.post(
        url, {f"line_{first.pk}": "2", f"line_{second.pk}": "", "reason": "Wrong size"}
    )
    rma = ReturnRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:return_detail", args=[rma.number])
    detail = manager_client.get(response["Location"])
    assert b"Approve" in detail.content
    manager_client.post(reverse("orders:return_decide", args=[rma.number]), {"decision": "approve"})
    rma.refresh_from_db()
    assert rma.status == Status.APPROVED
    receive_url = reverse("orders:return_receive", args=[rma.number])
    form = warehouse_client.get(receive_url)
    assert form.status_code == 200
    line = rma.lines.get()
    bad = warehouse_client.post(receive_url, {f"line_{line.pk}_received": "2"})
    assert bad.status_code == 400
    assert "choose restock, scrap or to quality" in bad.content.decode()
    done = warehouse_client.post(
        receive_url,
        {f"line_{line.pk}_received": "2", f"line_{line.pk}_disposition": "restock"},
    )
    assert done.status_code == 302
    assert _on_hand(warehouse, first.product) == (12, 0)
    detail = manager_client.get(reverse("orders:return_detail", args=[rma.number]))
    assert b"Refund paid" in detail.content


def test_a_bad_return_form_shows_the_error_and_saves_nothing(manager_client, warehouse):
    order, (first, _) = shipped_order(warehouse)
    response = manager_client.post(
        reverse("orders:return_create", args=[order.number]),
        {f"line_{first.pk}": "9", "reason": "x", "warehouse": "abc"},
    )
    assert response.status_code == 400
    assert "Choose an active warehouse" in response.content.decode()
    response = manager_client.post(
        reverse("orders:return_create", args=[order.number]),
        {f"line_{first.pk}": "9", "reason": "x"},
    )
    assert response.status_code == 400
    assert "at most 3 can be returned" in response.content.decode()
    assert 'value="9"' in response.content.decode()  # what was typed stays
    assert not ReturnRequest.objects.exists()


def test_staff_cannot_decide_or_open_returns(warehouse_client, manager, warehouse):
    order, lines = shipped_order(warehouse)
    rma = returns.return_create(order=order, quantities={lines[0].pk: 1}, reason="x", by=manager)
    decide = reverse("orders:return_decide", args=[rma.number])
    assert warehouse_client.post(decide, {"decision": "approve"}).status_code == 403
    create = reverse("orders:return_create", args=[order.number])
    assert warehouse_client.get(create).status_code == 403
    rma.refresh_from_db()
    assert rma.status == Status.REQUESTED


def test_the_decide_and_refund_pages_accept_only_post(manager_client, manager, warehouse):
    order, lines = shipped_order(warehouse)
    rma = returns.return_create(order=order, quantities={lines[0].pk: 1}, reason="x", by=manager)
    assert manager_client.get(reverse("orders:return_decide", args=[rma.number])).status_code == 405
    assert manager_client.get(reverse("orders:return_refund", args=[rma.number])).status_code == 405


def test_a_rejection_without_a_note_is_refused_with_a_message(manager_client, manager, warehouse):
    order, lines = shipped_order(warehouse)
    rma = returns.return_create(order=order, quantities={lines[0].pk: 1}, reason="x", by=manager)
    response = manager_client.post(
        reverse("orders:return_decide", args=[rma.number]), {"decision": "reject"}, follow=True
    )
    assert "Say why the return is rejected" in response.content.decode()
    rma.refresh_from_db()
    assert rma.status == Status.REQUESTED
