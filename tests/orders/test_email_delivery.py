"""Customer emails through a real Celery worker on Redis to a real SMTP server on loopback.

The fault cases are the point: exactly one email per event when the worker dies mid-send (its
pool process, or the whole worker), when the SMTP server refuses a few times, and when the
broker was unreachable at commit.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from orders import notifications
from orders.models import CustomerEmail, OrderEvent
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

Kind = CustomerEmail.Kind


def _notify(order, kind=Kind.ORDER_RECEIVED, **kwargs) -> CustomerEmail | None:
    """As a service does it: inside the transaction that changed the order."""
    with transaction.atomic():
        return notifications.notify(order=order, kind=kind, **kwargs)


def _wait_for_status(email: CustomerEmail, status: str, timeout: float = 30.0) -> CustomerEmail:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == status:
            return email
        time.sleep(0.1)
    pytest.fail(f"email {email.pk} is {email.status}, not {status}, after {timeout:g} s")


def _no_more_mail(smtp, count: int, settle: float = 2.0) -> None:
    """Nothing else arrives: a late duplicate would show up within the settle time."""
    time.sleep(settle)
    assert len(smtp.messages) == count, [m.subject for m in smtp.messages]


def test_each_event_sends_exactly_one_email(celery_worker, smtp_settings):
    order = OrderFactory(customer_email="ada@example.com")
    received = _notify(order)
    assert _notify(order) is None  # the same event again
    backordered = _notify(order, Kind.BACKORDERED)
    messages = smtp_settings.wait_for(2)
    _no_more_mail(smtp_settings, 2)
    assert sorted(m.subject for m in messages) == sorted(
        [
            f"We received your order {order.number}",
            f"Part of your order {order.number} is on backorder",
        ]
    )
    assert all(m.rcpt_tos == ("ada@example.com",) for m in messages)
    for email in (received, backordered):
        email = _wait_for_status(email, "sent")
        assert email.attempts == 1
    sent_events = OrderEvent.objects.filter(order=order, message__contains="email sent")
    assert sent_events.count() == 2


def test_a_pool_process_killed_mid_send_still_gives_exactly_one_email(celery_worker, smtp_settings):
    held = smtp_settings.hold_next()
    email = _notify(OrderFactory())
    assert held.arrived.wait(30), celery_worker.log_tail()
    email.refresh_from_db()
    assert email.status == "sending"
    claim = email.claimed_by
    assert claim
    # The worker is in the middle of the SMTP DATA exchange: kill the process running it.
    for pid in celery_worker.pool_pids():
        os.kill(pid, signal.SIGKILL)
    held.release()  # the server answers a dead connection and keeps nothing
    # The message was not acknowledged (acks_late): it comes back to a new pool process with
    # the same task id, which takes its own claim over and sends.
    (message,) = smtp_settings.wait_for(1, timeout=60)
    assert message.message["Message-ID"] == f"<customer-email-{email.pk}.0@example.com>"
    email = _wait_for_status(email, "sent")
    assert (email.attempts, email.claimed_by) == (2, "")
    _no_more_mail(smtp_settings, 1)
    assert celery_worker.is_alive()


def test_a_whole_worker_killed_mid_send_is_swept_after_restart_giving_one_email(
    celery_worker, smtp_settings
):
    held = smtp_settings.hold_next()
    email = _notify(OrderFactory())
    assert held.arrived.wait(30), celery_worker.log_tail()
    celery_worker.kill()  # the whole worker, as a crash or an OOM kill would
    held.release()
    celery_worker.start()
    email.refresh_from_db()
    assert email.status == "sending"  # claimed by a worker that no longer exists
    # Its message sits unacknowledged until the broker's visibility timeout (an hour); the beat
    # sweeper finds the claim stale (here: without waiting out the lease) and sends it again.
    assert notifications.customer_email_sweep(lease=timedelta(0)) == 1
    smtp_settings.wait_for(1, timeout=60)
    email = _wait_for_status(email, "sent")
    assert email.attempts == 2
    assert notifications.customer_email_sweep(lease=timedelta(0)) == 0
    _no_more_mail(smtp_settings, 1)


def test_three_refusals_then_acceptance_give_exactly_one_email(celery_worker, smtp_settings):
    smtp_settings.refuse_next(3, "451 4.3.0 Mailbox busy, try again later")
    email = _notify(OrderFactory())
    # Retries back off 1 s, 2 s, 4 s (EMAIL_RETRY_BASE_SECONDS=1 in the test worker).
    (message,) = smtp_settings.wait_for(1, timeout=45)
    assert smtp_settings.refused == 3
    email = _wait_for_status(email, "sent")
    assert (email.attempts, email.last_error) == (4, "")
    assert message.subject.startswith("We received your order")
    _no_more_mail(smtp_settings, 1)


def test_a_permanent_refusal_fails_with_the_reason_and_is_not_retried(celery_worker, smtp_settings):
    smtp_settings.refuse_next(1, "550 5.1.1 No such mailbox")
    email = _notify(OrderFactory())
    email = _wait_for_status(email, "failed")
    assert email.attempts == 1
    assert "550" in email.last_error
    assert "No such mailbox" in email.last_error
    _no_more_mail(smtp_settings, 0)
    assert smtp_settings.refused == 1
    assert OrderEvent.objects.filter(order=email.order, message__contains="failed").exists()


def test_an_email_queued_while_the_broker_was_down_is_sent_by_the_sweeper(
    celery_worker, smtp_settings
):
    order = OrderFactory()
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch(
        "orders.email_tasks.customer_email_drain_task.apply_async", side_effect=refused
    ) as publish:
        email = _notify(order)  # commits; the task cannot be sent (robust on-commit)
    assert publish.call_count == 1
    email.refresh_from_db()
    assert email.status == "pending"
    _no_more_mail(smtp_settings, 0, settle=1.0)
    # The order change committed all the same; the beat sweeper finds the row left behind.
    assert notifications.customer_email_sweep(pending_grace=timedelta(0)) == 1
    smtp_settings.wait_for(1)
    _wait_for_status(email, "sent")
    _no_more_mail(smtp_settings, 1)


def test_a_resend_on_purpose_sends_one_more_and_only_one(celery_worker, smtp_settings, manager):
    email = _notify(OrderFactory())
    smtp_settings.wait_for(1)
    email = _wait_for_status(email, "sent")
    notifications.customer_email_resend(email=email, by=manager)
    first, second = smtp_settings.wait_for(2)
    assert first.message["Message-ID"] != second.message["Message-ID"]
    email = _wait_for_status(email, "sent")
    assert email.resends == 1
    _no_more_mail(smtp_settings, 2)


def test_a_burst_of_orders_goes_out_in_a_few_drains_each_email_once(celery_worker, smtp_settings):
    from orders.email_tasks import customer_email_drain_task

    orders = [OrderFactory(customer_email=f"burst{n}@example.com") for n in range(20)]
    publish = customer_email_drain_task.apply_async
    with mock.patch.object(
        customer_email_drain_task, "apply_async", side_effect=publish
    ) as published:
        for order in orders:
            _notify(order)  # twenty commits, as twenty intakes make them
    messages = smtp_settings.wait_for(20)
    _no_more_mail(smtp_settings, 20)
    assert sorted(m.message["To"] for m in messages) == sorted(o.customer_email for o in orders)
    assert 1 <= published.call_count <= 5, published.call_count
    assert set(CustomerEmail.objects.values_list("status", flat=True)) == {"sent"}
