"""Returns (RMAs): asked for against shipped lines, approved or rejected, received, refunded.

requested → approved → received → closed (refunded), or requested → rejected. Receiving puts
each line's units where its disposition says: restock (a ledger return), scrap (nothing goes
back on hand) or quality (a ledger return, then quarantined for inspection); and sends the
customer the "return received" email. Stock moves only through inventory.services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from inventory import services as stock
from inventory.models import Warehouse
from inventory.services import INVALID_STATUS
from opsportal import roles
from orders import notifications
from orders.models import (
    CustomerEmail,
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    ShipmentLine,
)

Status = ReturnRequest.Status
Disposition = ReturnRequest.Disposition
RefundStatus = ReturnRequest.RefundStatus
LINE_DISPOSITIONS = (Disposition.RESTOCK, Disposition.SCRAP, Disposition.QUALITY)
LINE_DISPOSITION_CHOICES = [(d.value, d.label) for d in LINE_DISPOSITIONS]
# Returns whose lines count against what may still be returned.
OPEN_OR_DONE = (Status.REQUESTED, Status.APPROVED, Status.RECEIVED, Status.CLOSED)


def _status_error(rma: ReturnRequest, action: str) -> ValidationError:
    """A refusal caused by the return's state (the API answers 409 for its code)."""
    message = f"Return {rma.number} is {rma.get_status_display().lower()}: it cannot be {action}."
    return ValidationError({"status": ValidationError(message, code=INVALID_STATUS)})


def _whole(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: "Enter a whole number."})
    try:
        number = int(str(value).strip()) if value not in (None, "") else 0
    except ValueError:
        raise ValidationError({field: f"Enter a whole number, not {value!r}."}) from None
    if number < 0:
        raise ValidationError({field: f"Cannot be negative (got {number})."})
    return number


def _event(rma: ReturnRequest, message: str, by: AbstractBaseUser | None, **data) -> None:
    OrderEvent.objects.create(
        order_id=rma.order_id,
        kind=OrderEvent.Kind.RETURN,
        actor=by,
        message=message[:300],
        data={"return": rma.number, **data},
    )


def _lock(rma: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().select_related("order").get(pk=rma.pk)


# --- what may be returned ---------------------------------------------------------------------


@dataclass(frozen=True)
class Returnable:
    line: OrderLine
    shipped: int
    returned: int  # on other returns not rejected

    @property
    def left(self) -> int:
        return max(self.shipped - self.returned, 0)


def returnable_lines(order: Order) -> list[Returnable]:
    """Every line of the order with what shipped and what is already on a return (2 queries)."""
    returned = dict(
        ReturnLine.objects.filter(
            return_request__order=order, return_request__status__in=OPEN_OR_DONE
        )
        .values("order_line")
        .annotate(total=Sum("quantity"))
        .values_list("order_line", "total")
    )
    lines = order.lines.select_related("product").order_by("id")
    return [Returnable(line, line.shipped, returned.get(line.pk, 0)) for line in lines]


def _default_warehouse(order: Order) -> Warehouse | None:
    """Where the goods come back to: the warehouse that shipped the order's first shipment."""
    shipment_line = (
        ShipmentLine.objects.filter(order_line__order=order, shipment__shipped_at__isnull=False)
        .select_related("shipment__warehouse")
        .order_by("shipment__shipped_at", "shipment_id")
        .first()
    )
    return shipment_line.shipment.warehouse if shipment_line else None


# --- the workflow -----------------------------------------------------------------------------


@transaction.atomic
def return_create(
    *,
    order: Order,
    quantities: Mapping[int, object],
    reason: str,
    by: AbstractBaseUser,
    warehouse: Warehouse | None = None,
) -> ReturnRequest:
    """Opens an RMA for shipped units: each quantity ≤ shipped − already on other returns.

    `quantities` maps order line id → units (0 or blank lines are left out). The order row is
    locked, so two returns asked for at once cannot both take the same units. Side effects: a
    timeline event.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the customer returns it."})
    if len(reason) > ReturnRequest._meta.get_field("reason").max_length:
        raise ValidationError({"reason": "At most 300 characters."})
    order = Order.objects.select_for_update().get(pk=order.pk)
    by_line = {item.line.pk: item for item in returnable_lines(order)}
    wanted: list[tuple[Returnable, int]] = []
    for line_id, value in quantities.items():
        item = by_line.get(int(line_id))
        if item is None:
            raise ValidationError(
                {"lines": f"Line {line_id} is not a line of order {order.number}."}
            )
        field = f"line_{item.line.pk}"
        quantity = _whole(value, field)
        if quantity == 0:
            continue
        if quantity > item.left:
            raise ValidationError(
                {
                    field: f"{item.line.product.sku}: at most {item.left} can be returned "
                    f"({item.shipped} shipped, {item.returned} already on a return)."
                }
            )
        wanted.append((item, quantity))
    if not wanted:
        raise ValidationError({"lines": "Choose at least one shipped unit to return."})
    if warehouse is None:
        warehouse = _default_warehouse(order)
    if warehouse is None:
        raise ValidationError({"warehouse": "Choose the warehouse the goods come back to."})

    rma = ReturnRequest.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",
        order=order,
        reason=reason,
        warehouse=warehouse,
        created_by=by,
    )
    rma.number = f"RMA-{rma.pk:06d}"
    ReturnRequest.objects.filter(pk=rma.pk).update(number=rma.number)
    ReturnLine.objects.bulk_create(
        ReturnLine(return_request=rma, order_line=item.line, quantity=quantity)
        for item, quantity in wanted
    )
    units = sum(quantity for _, quantity in wanted)
    _event(rma, f"Return {rma.number} requested: {units} unit(s). {reason}", by)
    return rma


@transaction.atomic
def return_approve(*, rma: ReturnRequest, by: AbstractBaseUser, note: str = "") -> ReturnRequest:
    """requested → approved: the customer may send the goods. Side effects: a timeline event."""
    rma = _lock(rma)
    if rma.status != Status.REQUESTED:
        raise _status_error(rma, "approved")
    rma.status, rma.decided_by, rma.decided_at = Status.APPROVED, by, timezone.now()
    rma.decision_note = " ".join(note.split())[:300]
    rma.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(rma, f"Return {rma.number} approved. {rma.decision_note}".strip(), by)
    return rma


@transaction.atomic
def return_reject(*, rma: ReturnRequest, by: AbstractBaseUser, note: str) -> ReturnRequest:
    """requested → rejected, with the reason. Side effects: a timeline event."""
    note = " ".join((note or "").split())
    if not note:
        raise ValidationError({"note": "Say why the return is rejected."})
    rma = _lock(rma)
    if rma.status != Status.REQUESTED:
        raise _status_error(rma, "rejected")
    rma.status, rma.decided_by, rma.decided_at = Status.REJECTED, by, timezone.now()
    rma.decision_note = note[:300]
    rma.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(rma, f"Return {rma.number} rejected: {rma.decision_note}", by)
    return rma


def can_receive(user: AbstractBaseUser, rma: ReturnRequest) -> bool:
    """Managers anywhere; warehouse staff only at the warehouse the return comes back to."""
    warehouse_ids = roles.warehouse_ids_for(user)
    if roles.has_role(user, roles.OPERATIONS_MANAGER):
        return True
    return (
        roles.has_role(user, roles.WAREHOUSE_STAFF)
        and warehouse_ids is not None
        and rma.warehouse_id in warehouse_ids
    )


@dataclass(frozen=True)
class Receipt:
    received: int
    disposition: str


@transaction.atomic
def return_receive(
    *, rma: ReturnRequest, by: AbstractBaseUser, lines: Mapping[int, Receipt]
) -> ReturnRequest:
    """approved → received at the return's warehouse; each line's units go where it says.

    `lines` maps return line id → Receipt(received, disposition). Restock: stock_return.
    Quality: stock_return, then stock_quarantine (held for inspection). Scrap: nothing goes
    back on hand. The refund becomes pending when anything came back. Side effects: ledger
    rows, a timeline event and the customer's "return received" email (after commit).
    """
    if not can_receive(by, rma):
        raise PermissionDenied("Only staff of the return's warehouse may receive it.")
    rma = _lock(rma)
    if rma.status != Status.APPROVED:
        raise _status_error(rma, "received")
    return_lines = list(rma.lines.select_related("order_line__product").order_by("id"))
    unknown = set(map(int, lines)) - {line.pk for line in return_lines}
    if unknown:
        raise ValidationError({"lines": f"Line {min(unknown)} is not a line of {rma.number}."})

    plan: list[tuple[ReturnLine, int, str]] = []
    for line in return_lines:
        receipt = lines.get(line.pk) or Receipt(0, "")
        field = f"line_{line.pk}"
        received = _whole(receipt.received, f"{field}_received")
        sku = line.order_line.product.sku
        if received > line.quantity:
            raise ValidationError(
                {f"{field}_received": f"{sku}: at most {line.quantity} were to come back."}
            )
        disposition = receipt.disposition or ""
        if received and disposition not in LINE_DISPOSITIONS:
            raise ValidationError(
                {f"{field}_disposition": f"{sku}: choose restock, scrap or to quality."}
            )
        plan.append((line, received, disposition if received else ""))
    if not any(received for _, received, _ in plan):
        raise ValidationError({"lines": "Nothing was received: enter the units that came back."})

    warehouse = rma.warehouse
    for line, received, disposition in plan:
        product = line.order_line.product
        if disposition in (Disposition.RESTOCK, Disposition.QUALITY):
            stock.stock_return(
                warehouse=warehouse,
                product=product,
                quantity=received,
                actor=by,
                reference=rma,
                reason=f"Return {rma.number}",
            )
        if disposition == Disposition.QUALITY:
            stock.stock_quarantine(
                warehouse=warehouse,
                product=product,
                quantity=received,
                actor=by,
                reference=rma,
                reason=f"Return {rma.number}: to quality",
            )
        line.received_quantity, line.disposition = received, disposition
    ReturnLine.objects.bulk_update(
        [line for line, _, _ in plan], ["received_quantity", "disposition"]
    )

    used = {disposition for _, received, disposition in plan if received}
    rma.disposition = used.pop() if len(used) == 1 else Disposition.MIXED
    rma.status, rma.received_by, rma.received_at = Status.RECEIVED, by, timezone.now()
    rma.refund_status, rma.refund_updated_at = RefundStatus.PENDING, rma.received_at
    rma.save(
        update_fields=[
            "disposition",
            "status",
            "received_by",
            "received_at",
            "refund_status",
            "refund_updated_at",
        ]
    )
    units = sum(received for _, received, _ in plan)
    _event(
        rma,
        f"Return {rma.number} received at {warehouse.code}: {units} unit(s), "
        f"{rma.get_disposition_display().lower()}.",
        by,
        units=units,
    )
    notifications.notify(
        order=rma.order, kind=CustomerEmail.Kind.RETURN_RECEIVED, return_request=rma, actor=by
    )
    return rma


@transaction.atomic
def return_refund(*, rma: ReturnRequest, by: AbstractBaseUser) -> ReturnRequest:
    """Records the refund as paid: received → closed. Side effects: a timeline event."""
    rma = _lock(rma)
    if rma.status != Status.RECEIVED or rma.refund_status != RefundStatus.PENDING:
        raise _status_error(rma, "refunded")
    rma.refund_status, rma.refund_updated_at = RefundStatus.REFUNDED, timezone.now()
    rma.status = Status.CLOSED
    rma.save(update_fields=["refund_status", "refund_updated_at", "status"])
    _event(rma, f"Return {rma.number} refunded and closed.", by)
    return rma


def parse_quantities(data: Mapping[str, object], prefix: str = "line_") -> dict[int, object]:
    """`line_<id>` form fields → {id: value}."""
    out: dict[int, object] = {}
    for key, value in data.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            out[int(key[len(prefix) :])] = value
    return out


def parse_receipts(data: Mapping[str, object], line_ids: Iterable[int]) -> dict[int, Receipt]:
    """`line_<id>_received` and `line_<id>_disposition` form fields → {id: Receipt}."""
    return {
        line_id: Receipt(
            data.get(f"line_{line_id}_received") or 0,
            str(data.get(f"line_{line_id}_disposition") or ""),
        )
        for line_id in line_ids
    }
