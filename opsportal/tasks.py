"""Thin tasks for the portal's own background work: documents and the staff/vendor outbox."""

from __future__ import annotations

from celery import shared_task

from opsportal import emails, jobs


@shared_task(bind=True, acks_late=True)
def document_job_run_task(self, job_id: int) -> str:
    return jobs.run(job_id, self.request.id or "")


@shared_task
def document_job_sweep_task() -> int:
    return jobs.sweep()


@shared_task(bind=True, acks_late=True, max_retries=None)
def outbound_email_send_task(self, email_id: int) -> str:
    result = emails.send_outbound(email_id)
    if result.outcome in (emails.Outcome.RETRY, emails.Outcome.BUSY):
        raise self.retry(countdown=result.retry_in)
    return result.outcome.value


@shared_task
def outbound_email_sweep_task() -> int:
    from opsportal.models import OutboundEmail

    ids = emails.due_for_sweep(OutboundEmail)
    for email_id in ids:
        outbound_email_send_task.delay(email_id)
    return len(ids)
