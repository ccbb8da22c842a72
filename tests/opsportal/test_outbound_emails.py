"""The staff/vendor outbox (opsportal.emails): once per key, sent after commit, retried honestly."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from opsportal import emails
from opsportal.models import DocumentJob, OutboundEmail
from tests import factories

Status = OutboundEmail.Status


def _queue(key="contract:1:end:90d", **kwargs):
    fields = {"to": ["owner@example.com"], "subject": "Contract ends in 90 days", "text": "Body"}
    fields.update(kwargs)
    return emails.queue_email(key=key, **fields)


@pytest.mark.django_db
def test_the_same_key_is_queued_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = _queue()
        second = _queue()
    assert first is not None
    assert second is None
    assert OutboundEmail.objects.count() == 1
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_duplicate_key_does_not_break_the_callers_transaction():
    _queue()
    with transaction.atomic():
        assert _queue() is None
        user = factories.UserFactory()  # the transaction is still usable
    assert user.pk


@pytest.mark.django_db
def test_an_email_without_recipient_is_refused():
    with pytest.raises(ValueError, match="no recipient"):
        _queue(to=["", "  "])


@pytest.mark.django_db
def test_it_sends_over_smtp_and_marks_sent(smtp_settings):
    email = _queue(html="<p>Body</p>")

    result = emails.send_outbound(email.pk)

    assert result.outcome is emails.Outcome.SENT
    (received,) = smtp_settings.wait_for(1)
    assert received.subject == "Contract ends in 90 days"
    assert received.text.strip() == "Body"
    assert "<p>Body</p>" in received.html
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at
    assert email.attempts == 1
    # Asking again sends nothing.
    assert emails.send_outbound(email.pk).outcome is emails.Outcome.DONE
    assert len(smtp_settings.messages) == 1


@pytest.mark.django_db
def test_a_4xx_reply_is_transient_and_a_5xx_reply_permanent(smtp_settings):
    email = _queue()
    smtp_settings.refuse_next(1, "451 4.3.0 Try again later")

    result = emails.send_outbound(email.pk)
    assert result.outcome is emails.Outcome.RETRY
    assert result.retry_in > 0
    email.refresh_from_db()
    assert email.status == Status.PENDING
    assert "451" in email.last_error
    assert email.next_attempt_at > timezone.now()

    smtp_settings.refuse_next(1, "550 5.1.1 No such user")
    result = emails.send_outbound(email.pk)
    assert result.outcome is emails.Outcome.FAILED
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert "550" in email.last_error
    assert smtp_settings.messages == []


@pytest.mark.django_db
def test_a_refused_connection_is_transient(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    email = _queue()

    assert emails.send_outbound(email.pk).outcome is emails.Outcome.RETRY


@pytest.mark.django_db
def test_a_fresh_claim_is_busy_and_a_stale_one_is_taken_over(smtp_settings):
    email = _queue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), attempts=1
    )
    busy = emails.send_outbound(email.pk)
    assert busy.outcome is emails.Outcome.BUSY
    assert busy.retry_in > 0
    assert smtp_settings.messages == []

    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_at=timezone.now() - emails.CLAIM_LEASE - timedelta(seconds=1)
    )
    assert emails.send_outbound(email.pk).outcome is emails.Outcome.SENT
    assert len(smtp_settings.wait_for(1)) == 1


@pytest.mark.django_db
def test_it_waits_for_its_attachment_then_attaches_the_pdf(smtp_settings):
    job = DocumentJob.objects.create(kind=DocumentJob.Kind.PURCHASE_ORDER)
    email = _queue(key="po:1:sent", attachment_job=job)

    waiting = emails.send_outbound(email.pk)
    assert waiting.outcome is emails.Outcome.RETRY
    email.refresh_from_db()
    assert email.status == Status.PENDING
    assert email.attempts == 0

    job.file.save("PO-1.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    job.status = DocumentJob.Status.DONE
    job.save()
    assert emails.send_outbound(email.pk).outcome is emails.Outcome.SENT
    (received,) = smtp_settings.wait_for(1)
    (attachment,) = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


@pytest.mark.django_db
def test_a_failed_attachment_fails_the_email(smtp_settings):
    job = DocumentJob.objects.create(kind=DocumentJob.Kind.PURCHASE_ORDER, status="failed")
    email = _queue(key="po:2:sent", attachment_job=job)

    assert emails.send_outbound(email.pk).outcome is emails.Outcome.FAILED
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert "failed" in email.last_error


@pytest.mark.django_db
def test_the_sweeper_finds_lost_pending_rows_and_stale_claims():
    now = timezone.now()
    lost = _queue(key="a")
    OutboundEmail.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=10))
    _queue(key="fresh")
    waiting = _queue(key="backoff")
    OutboundEmail.objects.filter(pk=waiting.pk).update(
        created_at=now - timedelta(hours=1), next_attempt_at=now + timedelta(minutes=30)
    )
    stale = _queue(key="stale")
    OutboundEmail.objects.filter(pk=stale.pk).update(
        status=Status.SENDING, claimed_at=now - timedelta(hours=1)
    )

    assert sorted(emails.due_for_sweep(OutboundEmail)) == sorted([lost.pk, stale.pk])


def test_transient_errors_are_told_apart_from_permanent_ones():
    assert emails.is_transient(smtplib.SMTPServerDisconnected("gone"))
    assert emails.is_transient(ConnectionRefusedError())
    assert emails.is_transient(TimeoutError())
    assert emails.is_transient(smtplib.SMTPDataError(421, b"busy"))
    assert not emails.is_transient(smtplib.SMTPDataError(554, b"rejected"))
    assert emails.is_transient(smtplib.SMTPRecipientsRefused({"a@x": (450, b"later")}))
    assert not emails.is_transient(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}))
    assert not emails.is_transient(smtplib.SMTPNotSupportedError("no STARTTLS"))
    assert not emails.is_transient(ValueError("bad header"))


def _wait_until_settled(email: OutboundEmail, timeout: float = 10) -> OutboundEmail:
    """The worker marks the row just after the server accepted the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status in (Status.SENT, Status.FAILED):
            break
        time.sleep(0.1)
    return email


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_once_after_three_refusals(celery_worker, smtp_server):
    smtp_server.clear()
    smtp_server.refuse_next(3, "451 4.3.0 Try again later")
    with transaction.atomic():
        email = _queue(key="real:refused-three-times")

    (received,) = smtp_server.wait_for(1, timeout=60)
    assert received.subject == "Contract ends in 90 days"
    assert smtp_server.refused == 3
    email = _wait_until_settled(email)
    assert email.status == Status.SENT
    assert email.attempts == 4
    # Nothing else is on its way.
    time.sleep(3)
    assert len(smtp_server.messages) == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(celery_worker, smtp_server):
    smtp_server.clear()

    def failing_change():
        with transaction.atomic():
            _queue(key="real:rolled-back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with transaction.atomic():
        _queue(key="real:committed", subject="Committed")

    (received,) = smtp_server.wait_for(1, timeout=30)
    assert received.subject == "Committed"
    assert not OutboundEmail.objects.filter(key="real:rolled-back").exists()
