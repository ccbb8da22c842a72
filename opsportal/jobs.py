"""Background documents: every PDF (or other file) made off the request is one DocumentJob.

An app registers how to make its kind of document, then asks for one inside its transaction:

    @jobs.renderer(DocumentJob.Kind.MANUAL)
    def render_manual(job, progress):
        ...                          # progress(n) as the work advances (job.total is the end)
        return "manual.pdf", pdf_bytes

    job = jobs.enqueue(DocumentJob.Kind.MANUAL, requested_by=user, params={"manual": 3}, total=7)

The Celery task `document_job_run_task` (documents queue) is sent on commit. It claims the job
(queued → running, recording its task id), calls the renderer, stores the file and marks it done
in one UPDATE (the CHECK constraint holds "done ⇒ file"), or marks it failed with the error.
A worker that dies mid-job leaves the message unacknowledged; its redelivery has the same task
id and may re-run the job. A job stuck in queued (the broker was down at commit) or in running
past the hard time limit is picked up again by `sweep()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.text import get_valid_filename

from opsportal.models import DocumentJob

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
Renderer = Callable[[DocumentJob, Progress], tuple[str, bytes]]

_RENDERERS: dict[str, Renderer] = {}

Status = DocumentJob.Status
# A job queued this long without a worker picking it up is sent again.
QUEUED_GRACE = timedelta(minutes=5)
MAX_ATTEMPTS = 3


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Registers the function that makes documents of `kind` (one per kind)."""
    if kind not in DocumentJob.Kind.values:
        raise ValueError(f"Unknown document kind {kind!r}; add it to DocumentJob.Kind.")

    def register(fn: Renderer) -> Renderer:
        existing = _RENDERERS.get(kind)
        if existing is not None and existing.__qualname__ != fn.__qualname__:
            raise ValueError(f"A renderer for {kind!r} is already registered: {existing!r}.")
        _RENDERERS[kind] = fn
        return fn

    return register


def enqueue(
    kind: str,
    *,
    requested_by: AbstractBaseUser | None = None,
    params: dict | None = None,
    total: int = 0,
) -> DocumentJob:
    """Creates a queued job; sends the task that renders it when the transaction commits."""
    if kind not in DocumentJob.Kind.values:
        raise ValueError(f"Unknown document kind {kind!r}.")
    job = DocumentJob.objects.create(
        kind=kind, requested_by=requested_by, params=params or {}, total=max(total, 0)
    )
    send_on_commit(job.pk)
    return job


def send_on_commit(job_id: int) -> None:
    from opsportal.tasks import document_job_run_task

    transaction.on_commit(lambda: document_job_run_task.delay(job_id))


def report_progress(job_id: int, done: int) -> None:
    """Records how far a running job is (never past its total)."""
    DocumentJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        progress=Least(max(done, 0), F("total"))
    )


def _hard_time_limit() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def claim(job_id: int, task_id: str) -> DocumentJob | None:
    """Marks the job running for this task; None when another run owns it or it is finished."""
    now = timezone.now()
    stale = now - _hard_time_limit()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING) & (
        Q(task_id=task_id) | Q(started_at__lt=stale)
    )
    updated = (
        DocumentJob.objects.filter(claimable, pk=job_id)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(
            status=Status.RUNNING,
            task_id=task_id,
            started_at=now,
            attempts=F("attempts") + 1,
            progress=0,
            error="",
        )
    )
    if updated:
        return DocumentJob.objects.get(pk=job_id)
    # Out of attempts: a job that keeps killing its worker must end visibly, not loop forever.
    DocumentJob.objects.filter(claimable, pk=job_id, attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED,
        error=f"Gave up after {MAX_ATTEMPTS} attempts (the worker stopped each time).",
        finished_at=now,
    )
    return None


def complete(job: DocumentJob, filename: str, content: bytes) -> bool:
    """Stores the file and marks the job done in one UPDATE; False if the job is no longer ours."""
    if not content:
        raise ValueError("The document is empty.")
    safe_name = get_valid_filename(filename) or f"document-{job.pk}"
    stored = default_storage.save(
        f"documents/{timezone.now():%Y/%m}/{job.pk}-{safe_name}", ContentFile(content)
    )
    updated = DocumentJob.objects.filter(
        pk=job.pk, status=Status.RUNNING, task_id=job.task_id
    ).update(status=Status.DONE, file=stored, progress=F("total"), finished_at=timezone.now())
    if not updated:
        default_storage.delete(stored)
    return bool(updated)


def fail(job: DocumentJob, error: str) -> None:
    DocumentJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=Status.FAILED, error=error[:4000], finished_at=timezone.now()
    )


def run(job_id: int, task_id: str) -> str:
    """Renders one job (called by the task); returns the job's status afterwards."""
    job = claim(job_id, task_id)
    if job is None:
        return DocumentJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    render = _RENDERERS.get(job.kind)
    if render is None:
        fail(job, f"No renderer is registered for {job.get_kind_display()} documents.")
        return Status.FAILED
    try:
        filename, content = render(job, lambda done: report_progress(job.pk, done))
        if not complete(job, filename, content):
            return DocumentJob.objects.get(pk=job_id).status
    except Exception as exc:  # noqa: BLE001 — any renderer error ends the job visibly
        logger.exception("Document job %s (%s) failed", job.pk, job.kind)
        fail(job, f"{type(exc).__name__}: {exc}")
        return Status.FAILED
    return Status.DONE


def sweep() -> int:
    """Sends again the jobs nobody is working on: queued too long, or running past the limit."""
    now = timezone.now()
    stuck = DocumentJob.objects.filter(
        Q(status=Status.QUEUED, created_at__lt=now - QUEUED_GRACE)
        | Q(status=Status.RUNNING, started_at__lt=now - _hard_time_limit())
    ).values_list("pk", flat=True)[:500]
    ids = list(stuck)
    from opsportal.tasks import document_job_run_task

    for job_id in ids:
        document_job_run_task.delay(job_id)
    return len(ids)
