"""Customer status emails: the CustomerEmail outbox, written in the order's transaction.

`notify()` is the one way an order event asks for an email: it inserts the outbox row (at most
one per order/kind/shipment, or per return), writes the timeline and, on commit, makes sure a
drain task is due (`kick()`; one task serves every commit of a short window, see "the drain"
below). `customer_email_send()` is what the drain (and a retry's own task) runs for a row: it
claims the row (pending → sending, a conditional UPDATE naming the Celery task id), renders and
sends it, and records the outcome.

Why not `opsportal.emails.send_row`: that claim can only be taken over after a 5-minute lease,
so when a worker dies mid-send the redelivered message (same task id) waits the whole lease.
Here the claim carries the task id, so the message's own redelivery takes it over at once, while
a different task (a sweeper's re-send) still has to wait for the lease. The transient/permanent
split (`emails.is_transient`) and the backoff setting are shared.

There is one window no outbox can close: the SMTP server accepted the message (250) but the
worker died before marking the row sent; the redelivery then sends it again. The stable
Message-ID header lets the receiving side drop such a duplicate.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from inventory.services import INVALID_STATUS
from opsportal.emails import MAX_BACKOFF_SECONDS as MAX_BACKOFF_SECONDS  # re-exported
from opsportal.emails import Outcome, Result, backoff_seconds, is_transient
from orders import fastsql
from orders.models import CustomerEmail, Order, OrderEvent, ReturnRequest, Shipment

logger = logging.getLogger(__name__)

Kind = CustomerEmail.Kind
Status = CustomerEmail.Status

# A `sending` claim older than this belongs to a dead worker (the task's hard limit is lower).
CLAIM_LEASE = timedelta(minutes=5)
# A pending row this long past its due time lost its task (the broker was down at commit).
PENDING_GRACE = timedelta(minutes=2)
MAX_ATTEMPTS = 12

# Templates: templates/emails/<base>.subject.txt, .txt and .html.
TEMPLATES = {
    Kind.ORDER_RECEIVED: "order_received",
    Kind.BACKORDERED: "order_backordered",
    Kind.SHIPPED: "order_shipped",
    Kind.DELAYED: "order_delayed",
    Kind.DELIVERED: "order_delivered",
    Kind.CANCELLED: "order_cancelled",
    Kind.RETURN_RECEIVED: "order_return_received",
}
# Kinds about one shipment, and the kind about one return: notify() insists on them.
SHIPMENT_KINDS = frozenset({Kind.SHIPPED, Kind.DELIVERED})
RETURN_KINDS = frozenset({Kind.RETURN_RECEIVED})
# Statuses from which a manager may send an email again, on purpose.
RESENDABLE = (Status.SENT, Status.FAILED)


# --- queueing ---------------------------------------------------------------------------------


def notify(
    *,
    order: Order,
    kind: str,
    shipment: Shipment | None = None,
    actor: AbstractBaseUser | None = None,
    return_request: ReturnRequest | None = None,
    events: list[OrderEvent] | None = None,
    rows: fastsql.Rows | None = None,
) -> CustomerEmail | None:
    """Queues one status email (outbox row + timeline event, task sent on commit).

    `events`: a list of unsaved timeline events the caller bulk-inserts later in the same
    transaction (intake): the email's event is appended to it instead of inserted on its own.

    `rows`: the `orders.fastsql.Rows` of a new order's intake, which takes the outbox row into
    its single insert (nothing can be queued yet for an order that did not exist before).

    Returns None when that email was already queued for this order/kind/shipment (or return):
    calling it twice for one event never sends twice. Call it inside the transaction that
    changed the order, so the email exists exactly when the change does.
    """
    kind = _kind(kind)
    if kind in SHIPMENT_KINDS and shipment is None:
        raise ValidationError({"shipment": f"A {kind.label} email is about one shipment."})
    if kind in RETURN_KINDS and return_request is None:
        raise ValidationError({"return_request": f"A {kind.label} email is about one return."})
    if shipment is not None and shipment.order_id != order.pk:
        raise ValidationError({"shipment": "The shipment belongs to another order."})
    if return_request is not None and return_request.order_id != order.pk:
        raise ValidationError({"return_request": "The return belongs to another order."})

    context = {"order": order, "shipment": shipment, "return_request": return_request}
    email = fastsql.new(
        CustomerEmail,
        order=order,
        kind=kind,
        shipment=shipment,
        return_request=return_request,
        to=order.customer_email,
        subject=render_subject(kind, context),
    )
    if rows is not None:
        rows.add(email)
    else:
        email.pk = _insert_unless_exists(email)
        if email.pk is None:
            return None
        email._state.adding = False
    _event(order, f"{kind.label} email queued to {email.to}.", email, actor=actor, into=events)
    enqueue_on_commit(email.pk, rows=rows)
    return email


def _kind(kind: str) -> CustomerEmail.Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise ValidationError({"kind": f"Unknown customer email kind {kind!r}."}) from None


def _insert_unless_exists(email: CustomerEmail) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: one query, and no savepoint needed.

    The conflict is any of the partial unique indexes (per order, per shipment, per return);
    a concurrent insert of the same email waits for the other transaction and then yields.
    """
    meta = CustomerEmail._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    values = [
        field.get_db_prep_save(field.pre_save(email, add=True), connection) for field in fields
    ]
    # Only quoted model metadata is formatted in; every value is a query parameter.
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING {pk}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return row[0] if row else None


def enqueue_on_commit(email_id: int, *, rows: fastsql.Rows | None = None) -> None:
    """Asks for a send once the transaction commits (`kick`); a broker error there is logged,
    not raised (the order change is committed by then): the row stays pending for the sweeper.
    With `rows` (the row is in that intake's single insert), once those rows are committed."""

    def kick_customer_email_drain() -> None:
        kick()

    # A named function, not a partial: Django's robust on-commit logs the callable's __qualname__.
    kick_customer_email_drain.email_id = email_id
    if rows is not None:
        rows.on_commit(kick_customer_email_drain)
    else:
        transaction.on_commit(kick_customer_email_drain, robust=True)


def enqueue(email_id: int) -> None:
    """Sends the task for one row. If the broker is down the row stays pending: the sweeper."""
    from orders.email_tasks import customer_email_send_task

    customer_email_send_task.delay(email_id)


# --- the drain: one task sends what many commits queued -----------------------------------------
#
# Publishing a Celery task costs ~1.5 ms of CPU, as much as the rest of an order's intake SQL.
# So a commit that queues an email only makes sure a drain task will start after it: `kick()`
# publishes the drain task `CUSTOMER_EMAIL_DRAIN_DELAY` seconds ahead and the process remembers
# until when that task has surely not started yet (its ETA, less a margin for clock skew between
# hosts). A commit before then needs nothing more: that drain's read will see its row. So a
# process publishes at most one drain per window (at 100 orders/s, 7 a second, not 100), and
# asks nobody: no round trip per commit. With several processes several drains may serve one
# window; each row is claimed before it is sent, so a row another drain holds is left to it and
# a drain that finds nothing costs one query. This rests on a task never starting before its
# ETA (Celery's countdown); if a worker's clock ran more than the margin ahead, a row could wait
# for the next drain or, at worst, the sweeper (which also resends what a lost task left).

DRAIN_BATCH = 50
DRAIN_SECONDS = 60  # then the drain hands over to a new task (the hard limit is 120 s)
KICK_SKEW_MARGIN = 0.1  # s: how much earlier than its ETA a drain might start on another host
_due: dict[str, float] = {}  # "until": epoch s before which this process's last drain waits


def kick() -> None:
    """Make sure a drain task starts after now (one publish per window and process)."""
    from orders.email_tasks import customer_email_drain_task

    now = time.time()
    if now < _due.get("until", 0.0):
        return  # the drain this process published last has not started: it will see this commit
    delay = settings.CUSTOMER_EMAIL_DRAIN_DELAY
    customer_email_drain_task.apply_async(countdown=delay)
    _due["until"] = now + delay - KICK_SKEW_MARGIN


def drain(*, claim: str, now: datetime | None = None) -> int:
    """Sends the pending rows that are due, oldest first; returns how many were sent.

    Rows in backoff wait for their own task; a retry gets one; a row another task holds is
    left to it. Hands over to a new task after DRAIN_SECONDS."""
    from orders.email_tasks import customer_email_send_task

    deadline = time.monotonic() + DRAIN_SECONDS
    sent = 0
    while True:
        now_ = now or timezone.now()
        # Pending and due, or claimed by this very task: its message delivered again after
        # the worker died mid-send takes its own claims over, as a per-email task does.
        due = Q(status=Status.PENDING, attempts__lt=MAX_ATTEMPTS) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now_)
        ) | Q(status=Status.SENDING, claimed_by=claim)
        ids = list(
            CustomerEmail.objects.filter(due)
            .order_by("pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        for email_id in ids:
            result = customer_email_send(email_id=email_id, claim=claim, now=now)
            if result.outcome is Outcome.SENT:
                sent += 1
            elif result.outcome is Outcome.RETRY:
                customer_email_send_task.apply_async((email_id,), countdown=result.retry_in)
            if time.monotonic() > deadline:
                kick()
                return sent
        if len(ids) < DRAIN_BATCH:
            return sent


def _event(
    order: Order | int,
    message: str,
    email: CustomerEmail,
    *,
    actor: AbstractBaseUser | None = None,
    into: list[OrderEvent] | None = None,
    **data: Any,
) -> None:
    order_id = order if isinstance(order, int) else order.pk
    event = fastsql.new(
        OrderEvent,
        order_id=order_id,
        kind=OrderEvent.Kind.EMAIL,
        actor=actor,
        message=message[:300],
        data={"email": email.pk, "kind": email.kind, **data},
    )
    if into is not None:
        into.append(event)
    else:
        event.save(force_insert=True)


@transaction.atomic
def customer_email_resend(*, email: CustomerEmail, by: AbstractBaseUser) -> CustomerEmail:
    """A manager sends a sent or failed email once more, on purpose: counted and on the timeline.

    Side effects: the row goes back to pending with `resends` + 1 and fresh attempts; the task
    is sent on commit. An email still pending or sending cannot be resent (it is on its way).
    """
    updated = CustomerEmail.objects.filter(pk=email.pk, status__in=RESENDABLE).update(
        status=Status.PENDING,
        resends=F("resends") + 1,
        attempts=0,
        last_error="",
        claimed_by="",
        claimed_at=None,
        next_attempt_at=None,
    )
    if not updated:
        email.refresh_from_db()
        message = (
            f"This email is {email.get_status_display().lower()}: only a sent or failed email "
            "can be sent again."
        )
        raise ValidationError({"status": ValidationError(message, code=INVALID_STATUS)})
    email.refresh_from_db()
    _event(
        email.order_id,
        f"{email.get_kind_display()} email resent to {email.to} (resend {email.resends}).",
        email,
        actor=by,
        resend=email.resends,
    )
    enqueue_on_commit(email.pk)
    return email


# --- rendering --------------------------------------------------------------------------------


def render_subject(kind: str, context: dict) -> str:
    subject = render_to_string(f"emails/{TEMPLATES[kind]}.subject.txt", context)
    return " ".join(subject.split())[:200]


def email_context(email: CustomerEmail) -> dict:
    """What the templates read: the order, its lines, the shipment and its tracking link."""
    order = email.order
    shipment = email.shipment
    tracking_url = ""
    carrier_name = service_name = ""
    if shipment is not None and shipment.carrier_service_id:
        service = shipment.carrier_service
        carrier = service.carrier
        tracking_url = carrier.tracking_url(shipment.tracking_number)
        carrier_name = carrier.vendor.name if carrier.vendor_id else carrier.code
        service_name = service.name
    lines = list(order.lines.select_related("product").order_by("id"))
    shipment_lines = (
        list(shipment.lines.select_related("order_line__product").order_by("id"))
        if shipment is not None
        else []
    )
    return_lines = (
        list(email.return_request.lines.select_related("order_line__product").order_by("id"))
        if email.return_request_id
        else []
    )
    return {
        "email": email,
        "order": order,
        "lines": lines,
        "backordered_lines": [line for line in lines if line.backordered > 0],
        "shipment": shipment,
        "shipment_lines": shipment_lines,
        "tracking_url": tracking_url,
        "carrier_name": carrier_name,
        "service_name": service_name,
        "return_request": email.return_request,
        "return_lines": return_lines,
        "payment_taken": order.payment_status
        in (Order.PaymentStatus.PAID, Order.PaymentStatus.AUTHORIZED),
    }


def render_customer_email(email: CustomerEmail) -> tuple[str, str, str]:
    """Subject, text and HTML of one outbox row, rendered from its templates now."""
    context = email_context(email)
    base = TEMPLATES[email.kind]
    subject = render_subject(email.kind, context)
    text = render_to_string(f"emails/{base}.txt", context)
    html = render_to_string(f"emails/{base}.html", context)
    return subject, text, html


def _message_id(email: CustomerEmail) -> str:
    """Stable per send: a redelivered duplicate carries the same Message-ID as the original."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "opsportal.invalid"
    return f"<customer-email-{email.pk}.{email.resends}@{domain}>"


def build_customer_message(email: CustomerEmail) -> EmailMultiAlternatives:
    subject, text, html = render_customer_email(email)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={
            "Message-ID": _message_id(email),
            "X-Opsportal-Email": f"customer:{email.pk}:{email.kind}",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- sending ----------------------------------------------------------------------------------


def customer_email_send(*, email_id: int, claim: str, now: datetime | None = None) -> Result:
    """Claims, renders and sends one outbox row; safe to call any number of times.

    `claim` is the Celery task id: the same task delivered again (its worker died mid-send)
    takes its own claim over; another task waits for CLAIM_LEASE. Records sent, failed (with
    the reason, on the timeline too) or back to pending with a backoff for a transient error.
    """
    if not claim:
        raise ValueError("A claim names the task that sends the email.")
    now = now or timezone.now()
    rows = CustomerEmail.objects.filter(pk=email_id)
    claimable = Q(status=Status.PENDING) | Q(status=Status.SENDING) & (
        Q(claimed_by=claim) | Q(claimed_at__lt=now - CLAIM_LEASE)
    )
    claimed = rows.filter(claimable, attempts__lt=MAX_ATTEMPTS).update(
        status=Status.SENDING,
        claimed_by=claim,
        claimed_at=now,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    if not claimed:
        return _not_claimed(email_id, now)

    email = (
        CustomerEmail.objects.select_related(
            "order", "shipment__carrier_service__carrier__vendor", "return_request"
        )
        .filter(pk=email_id)
        .get()
    )
    mine = rows.filter(status=Status.SENDING, claimed_by=claim)
    try:
        message = build_customer_message(email)
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every error is recorded on the row
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if is_transient(exc) and email.attempts < MAX_ATTEMPTS:
            retry_in = backoff_seconds(email.attempts)
            logger.warning(
                "Customer email %s: transient error, retry in %ss: %s", email_id, retry_in, error
            )
            mine.update(
                status=Status.PENDING,
                last_error=error,
                claimed_by="",
                claimed_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
            )
            return Result(Outcome.RETRY, retry_in=retry_in, error=error)
        if is_transient(exc):
            error = f"Gave up after {email.attempts} attempts. Last error: {error}"[:2000]
        logger.error("Customer email %s failed: %s", email_id, error)
        if mine.update(status=Status.FAILED, last_error=error, claimed_by=""):
            _event(email.order_id, f"{email.get_kind_display()} email failed: {error}", email)
        return Result(Outcome.FAILED, error=error)
    sent_at = timezone.now()
    if mine.update(status=Status.SENT, sent_at=sent_at, last_error="", claimed_by=""):
        _event(
            email.order_id,
            f"{email.get_kind_display()} email sent to {email.to}.",
            email,
            attempts=email.attempts,
        )
    return Result(Outcome.SENT)


def _not_claimed(email_id: int, now: datetime) -> Result:
    row = (
        CustomerEmail.objects.filter(pk=email_id).values("status", "attempts", "claimed_at").first()
    )
    if row is None:
        return Result(Outcome.DONE, error="no such email")
    if row["status"] == Status.SENDING and row["claimed_at"] is not None:
        left = (row["claimed_at"] + CLAIM_LEASE - now).total_seconds()
        return Result(Outcome.BUSY, retry_in=max(int(left) + 1, 1))
    if row["status"] == Status.PENDING and row["attempts"] >= MAX_ATTEMPTS:
        error = f"Gave up after {row['attempts']} attempts."
        CustomerEmail.objects.filter(pk=email_id, status=Status.PENDING).update(
            status=Status.FAILED, last_error=error
        )
        return Result(Outcome.FAILED, error=error)
    return Result(Outcome.DONE)


def due_for_sweep(
    *,
    now: datetime | None = None,
    pending_grace: timedelta = PENDING_GRACE,
    lease: timedelta = CLAIM_LEASE,
    limit: int = 500,
) -> list[int]:
    """Rows a lost task left behind: pending past their due time, or `sending` past the lease."""
    now = now or timezone.now()
    overdue = now - pending_grace
    pending = Q(status=Status.PENDING) & (
        Q(next_attempt_at__lt=overdue) | Q(next_attempt_at__isnull=True, created_at__lt=overdue)
    )
    stale = Q(status=Status.SENDING, claimed_at__lt=now - lease)
    return list(
        CustomerEmail.objects.filter(pending | stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def customer_email_sweep(
    *,
    now: datetime | None = None,
    pending_grace: timedelta = PENDING_GRACE,
    lease: timedelta = CLAIM_LEASE,
) -> int:
    """Sends the task again for every row left behind; stale claims go back to pending first.

    A stale `sending` row's claim belongs to a dead worker whose message may come back only
    after the broker's visibility timeout; putting it back to pending lets the new task claim it.
    """
    now = now or timezone.now()
    ids = due_for_sweep(now=now, pending_grace=pending_grace, lease=lease)
    if ids:
        CustomerEmail.objects.filter(
            pk__in=ids, status=Status.SENDING, claimed_at__lt=now - lease
        ).update(status=Status.PENDING, claimed_by="", claimed_at=None)
    for email_id in ids:
        enqueue(email_id)
    return len(ids)
