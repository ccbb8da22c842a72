"""notify(): the outbox row, its timeline event and its task on commit; sending in-process."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsportal.emails import Outcome
from orders import notifications
from orders.models import CustomerEmail, OrderEvent, Shipment
from tests.factories import CarrierServiceFactory, OrderFactory, ShipmentFactory
from tests.orders.factories import ReturnRequestFactory, order_in

pytestmark = pytest.mark.django_db

Kind = CustomerEmail.Kind


def test_it_queues_one_row_with_a_timeline_event_and_kicks_the_drain_on_commit(
    django_capture_on_commit_callbacks,
):
    order = OrderFactory(customer_email="ada@example.com")
    with (
        mock.patch("orders.notifications.kick") as kick,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        email = notifications.notify(order=order, kind=Kind.ORDER_RECEIVED)
    assert len(callbacks) == 1
    kick.assert_called_once_with()
    row = CustomerEmail.objects.get()
    assert (row.pk, row.to, row.status, row.kind) == (
        email.pk,
        "ada@example.com",
        CustomerEmail.Status.PENDING,
        Kind.ORDER_RECEIVED,
    )
    assert row.subject == f"We received your order {order.number}"
    event = OrderEvent.objects.get(order=order)
    assert event.kind == OrderEvent.Kind.EMAIL
    assert event.data == {"email": email.pk, "kind": "order_received"}
    assert "queued" in event.message


def test_the_same_event_twice_gives_one_row_and_no_second_task(django_capture_on_commit_callbacks):
    order = OrderFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        first = notifications.notify(order=order, kind=Kind.BACKORDERED)
        second = notifications.notify(order=order, kind=Kind.BACKORDERED)
    assert first is not None
    assert second is None
    assert CustomerEmail.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order).count() == 1
    assert len(callbacks) == 1


def test_it_is_unique_per_shipment_and_per_return_not_per_order():
    placed = order_in(ShipmentFactory().warehouse)
    order = placed.order
    second_shipment = ShipmentFactory(order=order, warehouse=placed.shipment.warehouse)
    assert notifications.notify(order=order, kind=Kind.SHIPPED, shipment=placed.shipment)
    assert notifications.notify(order=order, kind=Kind.SHIPPED, shipment=second_shipment)
    assert notifications.notify(order=order, kind=Kind.SHIPPED, shipment=second_shipment) is None
    rma1, rma2 = ReturnRequestFactory(order=order), ReturnRequestFactory(order=order)
    assert notifications.notify(order=order, kind=Kind.RETURN_RECEIVED, return_request=rma1)
    assert notifications.notify(order=order, kind=Kind.RETURN_RECEIVED, return_request=rma2)
    assert notifications.notify(order=order, kind=Kind.RETURN_RECEIVED, return_request=rma1) is None
    assert CustomerEmail.objects.filter(order=order).count() == 4


def test_it_costs_two_queries_inside_the_callers_transaction():
    order = OrderFactory()
    notifications.render_subject(Kind.ORDER_RECEIVED, {"order": order})  # templates loaded
    with CaptureQueriesContext(connection) as ctx:
        notifications.notify(order=order, kind=Kind.ORDER_RECEIVED)
    assert len(ctx.captured_queries) == 2  # the outbox row (ON CONFLICT DO NOTHING), the event


@pytest.mark.parametrize(
    ("kind", "field"), [(Kind.SHIPPED, "shipment"), (Kind.RETURN_RECEIVED, "return_request")]
)
def test_it_refuses_a_shipment_or_return_kind_without_one(kind, field):
    with pytest.raises(ValidationError) as caught:
        notifications.notify(order=OrderFactory(), kind=kind)
    assert field in caught.value.message_dict
    assert not CustomerEmail.objects.exists()


def test_it_refuses_an_unknown_kind_and_a_shipment_of_another_order():
    order = OrderFactory()
    with pytest.raises(ValidationError, match="Unknown customer email kind"):
        notifications.notify(order=order, kind="spam")
    with pytest.raises(ValidationError, match="another order"):
        notifications.notify(order=order, kind=Kind.SHIPPED, shipment=ShipmentFactory())


# --- sending in-process (the worker tests are in test_email_delivery.py) -----------------------


def _shipped_email(**shipment_fields):
    service = CarrierServiceFactory(name="Ground", carrier__code="ACME")
    placed = order_in(
        ShipmentFactory().warehouse,
        customer_name="Zoë O'Brien & Co",
        customer_email="zoe@example.com",
    )
    Shipment.objects.filter(pk=placed.shipment.pk).update(
        carrier_service=service, tracking_number="1Z999AA10123456784", **shipment_fields
    )
    placed.shipment.refresh_from_db()
    return notifications.notify(order=placed.order, kind=Kind.SHIPPED, shipment=placed.shipment)


def test_send_delivers_html_and_text_with_the_tracking_link(smtp_settings):
    email = _shipped_email()
    result = notifications.customer_email_send(email_id=email.pk, claim="task-1")
    assert result.outcome is Outcome.SENT
    (received,) = smtp_settings.wait_for(1)
    assert received.rcpt_tos == ("zoe@example.com",)
    assert received.subject == f"Your order {email.order.number} has shipped"
    assert "Zoë O'Brien & Co" in received.text  # text is not HTML-escaped
    assert "https://track.example.com/1Z999AA10123456784" in received.text
    assert 'href="https://track.example.com/1Z999AA10123456784"' in received.html
    assert "Zoë O&#x27;Brien &amp; Co" in received.html  # HTML is
    assert received.message["Message-ID"] == f"<customer-email-{email.pk}.0@example.com>"
    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_by) == ("sent", 1, "")
    assert email.sent_at is not None
    assert OrderEvent.objects.filter(order=email.order, message__contains="email sent").count() == 1


def test_a_second_run_of_a_sent_email_sends_nothing(smtp_settings):
    email = _shipped_email()
    notifications.customer_email_send(email_id=email.pk, claim="task-1")
    again = notifications.customer_email_send(email_id=email.pk, claim="task-1")
    other = notifications.customer_email_send(email_id=email.pk, claim="task-2")
    assert (again.outcome, other.outcome) == (Outcome.DONE, Outcome.DONE)
    assert len(smtp_settings.messages) == 1


def test_a_fresh_claim_of_another_task_is_busy_but_the_same_task_takes_it_over(smtp_settings):
    email = _shipped_email()
    # A worker died mid-send: the row is left claimed by its task.
    CustomerEmail.objects.filter(pk=email.pk).update(
        status="sending", claimed_by="task-dead", claimed_at=timezone.now(), attempts=1
    )
    busy = notifications.customer_email_send(email_id=email.pk, claim="task-other")
    assert busy.outcome is Outcome.BUSY
    assert 0 < busy.retry_in <= notifications.CLAIM_LEASE.total_seconds() + 1
    assert smtp_settings.messages == []
    redelivered = notifications.customer_email_send(email_id=email.pk, claim="task-dead")
    assert redelivered.outcome is Outcome.SENT
    assert len(smtp_settings.wait_for(1)) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)


def test_a_stale_claim_of_a_dead_worker_may_be_taken_by_another_task(smtp_settings):
    email = _shipped_email()
    CustomerEmail.objects.filter(pk=email.pk).update(
        status="sending",
        claimed_by="task-dead",
        claimed_at=timezone.now() - notifications.CLAIM_LEASE - timedelta(seconds=1),
    )
    result = notifications.customer_email_send(email_id=email.pk, claim="task-sweeper")
    assert result.outcome is Outcome.SENT
    assert len(smtp_settings.wait_for(1)) == 1


def test_a_4xx_reply_puts_it_back_to_pending_with_a_backoff(smtp_settings, settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    smtp_settings.refuse_next(1, "451 4.3.0 Mailbox busy, try later")
    email = _shipped_email()
    result = notifications.customer_email_send(email_id=email.pk, claim="task-1")
    assert result.outcome is Outcome.RETRY
    assert result.retry_in == 30
    email.refresh_from_db()
    assert email.status == "pending"
    assert "451" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert smtp_settings.messages == []
    assert notifications.backoff_seconds(2) == 60
    assert notifications.backoff_seconds(20) == notifications.MAX_BACKOFF_SECONDS


def test_a_5xx_reply_fails_it_with_the_reason_on_the_row_and_the_timeline(smtp_settings):
    smtp_settings.refuse_next(1, "550 5.1.1 No such user here")
    email = _shipped_email()
    result = notifications.customer_email_send(email_id=email.pk, claim="task-1")
    assert result.outcome is Outcome.FAILED
    email.refresh_from_db()
    assert email.status == "failed"
    assert "550" in email.last_error
    assert "No such user here" in email.last_error
    assert OrderEvent.objects.filter(order=email.order, message__contains="failed").exists()


def test_transient_errors_give_up_after_the_last_attempt(smtp_settings):
    smtp_settings.refuse_next(1, "421 4.7.0 Too many connections")
    email = _shipped_email()
    CustomerEmail.objects.filter(pk=email.pk).update(attempts=notifications.MAX_ATTEMPTS - 1)
    result = notifications.customer_email_send(email_id=email.pk, claim="task-1")
    assert result.outcome is Outcome.FAILED
    email.refresh_from_db()
    assert email.status == "failed"
    assert email.last_error.startswith(f"Gave up after {notifications.MAX_ATTEMPTS} attempts")


def test_a_manager_resends_on_purpose_counted_and_on_the_timeline(smtp_settings, manager):
    email = _shipped_email()
    notifications.customer_email_send(email_id=email.pk, claim="task-1")
    CustomerEmail.objects.filter(pk=email.pk).update(status="pending")
    with pytest.raises(ValidationError, match="only a sent or failed email"):
        notifications.customer_email_resend(email=email, by=manager)
    CustomerEmail.objects.filter(pk=email.pk).update(status="sent")
    resent = notifications.customer_email_resend(email=email, by=manager)
    assert (resent.status, resent.resends, resent.attempts) == ("pending", 1, 0)
    event = OrderEvent.objects.filter(order=email.order, data__resend=1).get()
    assert event.actor == manager
    notifications.customer_email_send(email_id=email.pk, claim="task-2")
    first, second = smtp_settings.wait_for(2)
    assert first.message["Message-ID"] != second.message["Message-ID"]


def test_the_sweeper_picks_rows_left_pending_or_claimed_by_a_dead_worker():
    now = timezone.now()
    old = now - timedelta(minutes=10)
    fresh = OrderFactory()
    lost = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    stale = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    busy = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    backing_off = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    notifications.notify(order=fresh, kind=Kind.ORDER_RECEIVED)
    CustomerEmail.objects.filter(pk__in=[lost.pk, stale.pk, busy.pk, backing_off.pk]).update(
        created_at=old
    )
    CustomerEmail.objects.filter(pk=stale.pk).update(
        status="sending", claimed_by="dead", claimed_at=old
    )
    CustomerEmail.objects.filter(pk=busy.pk).update(
        status="sending", claimed_by="alive", claimed_at=now
    )
    CustomerEmail.objects.filter(pk=backing_off.pk).update(
        next_attempt_at=now + timedelta(minutes=1)
    )
    with mock.patch("orders.email_tasks.customer_email_send_task.delay") as delay:
        assert notifications.customer_email_sweep(now=now) == 2
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted([lost.pk, stale.pk])
    stale.refresh_from_db()
    assert (stale.status, stale.claimed_by) == ("pending", "")


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_a_subject_text_and_html(kind):
    placed = order_in(
        ShipmentFactory().warehouse, customer_name="Zoë <b>Bold</b>", customer_email="z@example.com"
    )
    order = placed.order
    rma = ReturnRequestFactory(order=order) if kind == Kind.RETURN_RECEIVED else None
    shipment = placed.shipment if kind in notifications.SHIPMENT_KINDS else None
    email = notifications.notify(order=order, kind=kind, shipment=shipment, return_request=rma)
    subject, text, html = notifications.render_customer_email(email)
    assert order.number in subject or (rma and rma.number in subject)
    assert subject == email.subject
    assert "Zoë <b>Bold</b>" in text  # plain text, as typed
    assert "Zoë &lt;b&gt;Bold&lt;/b&gt;" in html  # escaped in HTML
    assert order.number in text
    assert order.number in html


# --- the drain: one task for many commits ------------------------------------------------------


def test_kicks_within_a_window_publish_one_drain_per_process():
    with (
        mock.patch("orders.email_tasks.customer_email_drain_task.apply_async") as publish,
        mock.patch("orders.notifications.time.time", return_value=1000.0) as clock,
    ):
        for _ in range(5):
            notifications.kick()  # the first publishes, 0.25 s ahead
        assert publish.call_count == 1
        assert publish.call_args.kwargs == {"countdown": 0.25}
        clock.return_value = 1000.14
        notifications.kick()  # its drain surely has not started (ETA less the 0.1 s margin)
        assert publish.call_count == 1
        clock.return_value = 1000.16
        notifications.kick()  # it may have: this commit gets a drain of its own
        assert publish.call_count == 2
        assert notifications._due["until"] == pytest.approx(1000.31)

        notifications._due.clear()  # another process knows of no drain: it publishes its own
        notifications.kick()
        assert publish.call_count == 3


def test_a_failed_publish_is_not_remembered():
    from kombu.exceptions import OperationalError

    refused = OperationalError("broker down")
    with mock.patch(
        "orders.email_tasks.customer_email_drain_task.apply_async", side_effect=refused
    ) as publish:
        for _ in range(2):
            with pytest.raises(OperationalError):
                notifications.kick()
    assert publish.call_count == 2  # the next commit tries again
    assert "until" not in notifications._due


@pytest.mark.services
def test_the_drain_sends_what_is_due_and_leaves_the_rest(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    now = timezone.now()
    due = [notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED) for _ in range(3)]
    later = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    held = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    CustomerEmail.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=5))
    CustomerEmail.objects.filter(pk=held.pk).update(
        status="sending", claimed_by="another-task", claimed_at=now
    )
    assert notifications.drain(claim="drain-1", now=now) == 3
    statuses = dict(CustomerEmail.objects.values_list("pk", "status"))
    assert [statuses[e.pk] for e in due] == ["sent"] * 3
    assert (statuses[later.pk], statuses[held.pk]) == ("pending", "sending")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.to for e in due)
    assert notifications.drain(claim="drain-2", now=now) == 0  # nothing twice
    assert len(mail.outbox) == 3


@pytest.mark.services
def test_a_transient_error_in_the_drain_hands_the_row_to_its_own_retry(settings):
    import smtplib

    email = notifications.notify(order=OrderFactory(), kind=Kind.ORDER_RECEIVED)
    busy = smtplib.SMTPResponseException(451, b"try later")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=busy),
        mock.patch("orders.email_tasks.customer_email_send_task.apply_async") as retry,
    ):
        assert notifications.drain(claim="drain-1") == 0
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.next_attempt_at is not None
    retry.assert_called_once()
    assert retry.call_args.args == ((email.pk,),)
    assert retry.call_args.kwargs["countdown"] >= 1
