"""Emails through an outbox: written in the transaction, sent after commit, never twice.

Two outboxes share the sending core here: `OutboundEmail` (staff and vendors: reminders,
purchase orders, supplier corrective action requests) and `orders.CustomerEmail` (order status).
Both have the fields status (pending → sending → sent | failed), attempts, last_error,
claimed_at, sent_at (and optionally next_attempt_at).

`send_row` claims a row with a conditional UPDATE (pending → sending) before it talks to the SMTP
server, so two workers holding the same task never both send. A row found in `sending` belongs to
a run in progress, or to a worker that died mid-send; after `CLAIM_LEASE` the claim is stale and
the row may be claimed again (the server never confirmed that message, so sending it is right).
Transient SMTP errors (4xx, refused or dropped connections, timeouts) put the row back to pending
with a backoff; permanent ones (5xx, bad addresses) mark it failed with the reason.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from opsportal.models import DocumentJob, OutboundEmail

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 3600
# A pending row this old with no attempt due is sent again by the sweeper (its task was lost).
PENDING_GRACE = timedelta(minutes=2)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # transient failure or not ready yet: try again after `retry_in`
    BUSY = "busy"  # another run holds a fresh claim
    FAILED = "failed"  # permanent failure, recorded on the row
    DONE = "done"  # nothing to do: already sent or failed


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_in: int = 0  # seconds
    error: str = ""


class NotReady(Exception):
    """The message cannot be built yet (an attachment still rendering); try again soon."""


class PermanentError(Exception):
    """The message can never be sent as it is (no recipient, attachment failed)."""


def backoff_seconds(attempts: int) -> int:
    """EMAIL_RETRY_BASE_SECONDS (30 s), then doubling: 60 s, 2 min, 4 min … capped at an hour."""
    return min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: 4xx replies, dropped or refused connections, timeouts."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    # Every other SMTPException is an OSError too, but not a network one (e.g. no STARTTLS).
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def send_row(
    model: type[models.Model],
    pk: int,
    build_message: Callable[[models.Model], EmailMultiAlternatives],
) -> Result:
    """Claims one outbox row, sends it, records the outcome. Safe to call any number of times."""
    Status = model.Status
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(
        status=Status.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )
    claimed = (
        model.objects.filter(claimable, pk=pk)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        row = model.objects.filter(pk=pk).values("status", "attempts", "claimed_at").first()
        if row is None:
            return Result(Outcome.DONE, error="no such email")
        if row["status"] in (Status.PENDING, Status.SENDING) and row["attempts"] >= MAX_ATTEMPTS:
            error = f"Gave up after {row['attempts']} attempts."
            model.objects.filter(pk=pk, status=row["status"]).update(
                status=Status.FAILED, last_error=error
            )
            return Result(Outcome.FAILED, error=error)
        if row["status"] == Status.SENDING:
            left = (row["claimed_at"] + CLAIM_LEASE - now).total_seconds()
            return Result(Outcome.BUSY, retry_in=max(int(left) + 1, 1))
        return Result(Outcome.DONE)

    row = model.objects.get(pk=pk)
    mine = model.objects.filter(pk=pk, status=Status.SENDING, claimed_at=now)
    try:
        message = build_message(row)
        message.send(fail_silently=False)
    except NotReady as exc:
        return _back_to_pending(model, mine, row, str(exc), retry_in=10, count_attempt=False)
    except Exception as exc:  # noqa: BLE001 — every error is recorded on the row
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if not isinstance(exc, PermanentError) and is_transient(exc):
            logger.warning(
                "Email %s #%s: transient error, will retry: %s", model.__name__, pk, error
            )
            return _back_to_pending(model, mine, row, error, retry_in=backoff_seconds(row.attempts))
        logger.error("Email %s #%s failed permanently: %s", model.__name__, pk, error)
        mine.update(status=Status.FAILED, last_error=error)
        return Result(Outcome.FAILED, error=error)
    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    return Result(Outcome.SENT)


def _back_to_pending(model, mine, row, error: str, *, retry_in: int, count_attempt: bool = True):
    fields = {"status": model.Status.PENDING, "last_error": error, "claimed_at": None}
    if not count_attempt:
        fields["attempts"] = F("attempts") - 1
    if _has_field(model, "next_attempt_at"):
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=retry_in)
    mine.update(**fields)
    return Result(Outcome.RETRY, retry_in=retry_in, error=error)


def due_for_sweep(model: type[models.Model], *, limit: int = 500) -> list[int]:
    """Rows a lost task left behind: pending past their due time, or sending past the lease."""
    Status = model.Status
    now = timezone.now()
    pending = Q(status=Status.PENDING)
    if _has_field(model, "next_attempt_at"):
        pending &= Q(next_attempt_at__lt=now - PENDING_GRACE) | Q(
            next_attempt_at__isnull=True, created_at__lt=now - PENDING_GRACE
        )
    else:
        pending &= Q(created_at__lt=now - PENDING_GRACE)
    stale = Q(status=Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    return list(
        model.objects.filter(pending | stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- the staff/vendor outbox -------------------------------------------------------------------


def render_email(template_base: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML from templates/emails/<base>.subject.txt, .txt and .html."""
    subject = " ".join(render_to_string(f"emails/{template_base}.subject.txt", context).split())
    text = render_to_string(f"emails/{template_base}.txt", context)
    try:
        html = render_to_string(f"emails/{template_base}.html", context)
    except Exception as exc:  # noqa: BLE001 — an HTML part is optional
        if type(exc).__name__ != "TemplateDoesNotExist":
            raise
        html = ""
    return subject[:200], text, html


def queue_email(
    *,
    key: str,
    to: list[str] | str,
    subject: str,
    text: str,
    html: str = "",
    attachment_job: DocumentJob | None = None,
    related: models.Model | None = None,
) -> OutboundEmail | None:
    """Adds one email to the outbox (sent after commit); None if `key` was queued before."""
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [address.strip() for address in recipients if address and address.strip()]
    if not recipients:
        raise ValueError(f"The email {key!r} has no recipient.")
    fields = {
        "to": recipients,
        "subject": " ".join(subject.split())[:200],
        "text": text,
        "html": html,
        "attachment_job": attachment_job,
    }
    if related is not None:
        fields["related_type"] = ContentType.objects.get_for_model(related)
        fields["related_id"] = str(related.pk)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(key=key, **fields)
    except IntegrityError:
        if OutboundEmail.objects.filter(key=key).exists():
            return None
        raise
    from opsportal.tasks import outbound_email_send_task

    transaction.on_commit(lambda: outbound_email_send_task.delay(email.pk))
    return email


def build_outbound_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        headers={"X-Opsportal-Email": email.key[:200]},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    job = email.attachment_job
    if job is not None:
        if job.status == DocumentJob.Status.FAILED:
            raise PermanentError(f"The attached document #{job.pk} failed: {job.error}")
        if job.status != DocumentJob.Status.DONE:
            raise NotReady(f"Waiting for document #{job.pk} ({job.status}).")
        with job.file.open("rb") as f:
            content = f.read()
        name = job.file.name.rsplit("/", 1)[-1]
        mimetype = "application/pdf" if name.lower().endswith(".pdf") else None
        message.attach(name, content, mimetype)
    return message


def send_outbound(email_id: int) -> Result:
    return send_row(OutboundEmail, email_id, build_outbound_message)
