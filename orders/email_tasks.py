"""Thin tasks for the customer email outbox (emails queue): ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from opsportal.emails import Outcome
from orders import notifications


# A send takes seconds (EMAIL_TIMEOUT per SMTP step); the hard limit stays far below the claim
# lease, so a claim older than the lease can only belong to a dead worker.
@shared_task(
    bind=True, queue="emails", acks_late=True, max_retries=None, soft_time_limit=90, time_limit=120
)
def customer_email_send_task(self, email_id: int) -> str:
    result = notifications.customer_email_send(email_id=email_id, claim=self.request.id or "")
    if result.outcome in (Outcome.RETRY, Outcome.BUSY):
        raise self.retry(countdown=result.retry_in)
    return result.outcome.value


@shared_task(bind=True, queue="emails", acks_late=True, soft_time_limit=90, time_limit=120)
def customer_email_drain_task(self) -> int:
    """Sends every due pending row (orders.notifications.drain): what the commits kicked."""
    return notifications.drain(claim=self.request.id or "")


@shared_task(queue="default")
def customer_email_sweep_task() -> int:
    return notifications.customer_email_sweep()
