"""opsportal.jobs: claim, render, store, done-with-file, failure, redelivery and the sweeper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsportal import jobs
from opsportal.models import DocumentJob

pytestmark = pytest.mark.django_db

KIND = DocumentJob.Kind.EXPORT


@pytest.fixture
def registered(monkeypatch):
    """A renderer for the export kind, replaced for the test only."""
    calls = []
    monkeypatch.setitem(jobs._RENDERERS, KIND, None)

    def use(fn):
        def wrapped(job, progress):
            calls.append(job.pk)
            return fn(job, progress)

        monkeypatch.setitem(jobs._RENDERERS, KIND, wrapped)
        return calls

    return use


def test_enqueue_sends_the_task_only_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("opsportal.tasks.document_job_run_task.delay", sent.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.enqueue(KIND, params={"x": 1}, total=3)
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [job.pk]
    assert job.status == DocumentJob.Status.QUEUED


def test_a_run_stores_the_file_and_marks_done_with_progress(registered):
    seen_progress = []

    def render(job, progress):
        for done in range(1, job.total + 1):
            progress(done)
            seen_progress.append(DocumentJob.objects.get(pk=job.pk).progress)
        return "report.csv", b"a,b\n1,2\n"

    calls = registered(render)
    job = DocumentJob.objects.create(kind=KIND, total=3)

    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.DONE

    job.refresh_from_db()
    assert calls == [job.pk]
    assert seen_progress == [1, 2, 3]
    assert job.status == DocumentJob.Status.DONE
    assert job.progress == job.total == 3
    assert job.file.name.endswith("report.csv")
    with job.file.open("rb") as f:
        assert f.read() == b"a,b\n1,2\n"
    assert job.started_at
    assert job.finished_at
    assert job.attempts == 1


def test_a_renderer_error_fails_the_job_with_its_message(registered):
    def render(job, progress):
        raise RuntimeError("the template is broken")

    registered(render)
    job = DocumentJob.objects.create(kind=KIND)

    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.FAILED
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.FAILED
    assert "the template is broken" in job.error
    assert not job.file


def test_an_empty_document_is_a_failure_not_a_done_without_file(registered):
    registered(lambda job, progress: ("empty.pdf", b""))
    job = DocumentJob.objects.create(kind=KIND)

    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.FAILED
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.FAILED
    assert not job.file


def test_a_finished_job_is_not_rendered_again(registered):
    calls = registered(lambda job, progress: ("x.txt", b"x"))
    job = DocumentJob.objects.create(kind=KIND)
    jobs.run(job.pk, "task-1")

    assert jobs.run(job.pk, "task-2") == DocumentJob.Status.DONE
    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.DONE
    assert calls == [job.pk]


def test_a_running_job_is_left_to_its_run_but_redelivery_of_its_task_takes_over(registered):
    calls = registered(lambda job, progress: ("x.txt", b"x"))
    job = DocumentJob.objects.create(
        kind=KIND, status=DocumentJob.Status.RUNNING, task_id="task-1", started_at=timezone.now()
    )

    # Another message for the same job while task-1 runs: it does nothing.
    assert jobs.run(job.pk, "task-2") == DocumentJob.Status.RUNNING
    assert calls == []
    # task-1's own message delivered again (its worker died): it renders.
    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.DONE
    assert calls == [job.pk]


def test_a_job_stuck_running_past_the_time_limit_is_claimed_again(registered):
    calls = registered(lambda job, progress: ("x.txt", b"x"))
    long_ago = timezone.now() - timedelta(hours=1)
    job = DocumentJob.objects.create(
        kind=KIND, status=DocumentJob.Status.RUNNING, task_id="dead", started_at=long_ago
    )

    assert jobs.run(job.pk, "task-2") == DocumentJob.Status.DONE
    assert calls == [job.pk]


def test_a_job_that_kills_its_worker_every_time_ends_failed(registered):
    registered(lambda job, progress: ("x.txt", b"x"))
    job = DocumentJob.objects.create(
        kind=KIND,
        status=DocumentJob.Status.RUNNING,
        task_id="task-1",
        started_at=timezone.now(),
        attempts=jobs.MAX_ATTEMPTS,
    )

    assert jobs.run(job.pk, "task-1") == DocumentJob.Status.FAILED
    job.refresh_from_db()
    assert "Gave up" in job.error


def test_a_kind_without_renderer_fails_visibly(monkeypatch):
    monkeypatch.delitem(jobs._RENDERERS, KIND, raising=False)
    job = DocumentJob.objects.create(kind=KIND)

    assert jobs.run(job.pk, "t") == DocumentJob.Status.FAILED
    job.refresh_from_db()
    assert "No renderer" in job.error


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="Unknown document kind"):
        jobs.enqueue("spreadsheet")
    with pytest.raises(ValueError, match="Unknown document kind"):
        jobs.renderer("spreadsheet")


def test_the_sweeper_resends_jobs_nobody_works_on(monkeypatch):
    sent = []
    monkeypatch.setattr("opsportal.tasks.document_job_run_task.delay", sent.append)
    now = timezone.now()
    lost = DocumentJob.objects.create(kind=KIND)
    DocumentJob.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=30))
    fresh = DocumentJob.objects.create(kind=KIND)
    dead = DocumentJob.objects.create(
        kind=KIND, status=DocumentJob.Status.RUNNING, started_at=now - timedelta(hours=2)
    )
    busy = DocumentJob.objects.create(kind=KIND, status=DocumentJob.Status.RUNNING, started_at=now)

    assert jobs.sweep() == 2
    assert sorted(sent) == sorted([lost.pk, dead.pk])
    assert fresh.pk not in sent
    assert busy.pk not in sent
