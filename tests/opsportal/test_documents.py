import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.urls import reverse

from opsportal.models import DocumentJob
from tests.factories import DocumentJobFactory


def _done_job(user) -> DocumentJob:
    job = DocumentJobFactory(requested_by=user, total=2, progress=2)
    job.file.save("labels.pdf", ContentFile(b"%PDF-1.7 fake"), save=False)
    job.status = DocumentJob.Status.DONE
    job.save()
    return job


def test_a_job_can_never_be_done_without_its_file(db):
    job = DocumentJobFactory()
    job.status = DocumentJob.Status.DONE
    with pytest.raises(IntegrityError):
        job.save()


def test_the_requester_downloads_their_document(warehouse_client, warehouse_staff):
    job = _done_job(warehouse_staff)
    response = warehouse_client.get(reverse("document_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 fake"
    assert "attachment" in response["Content-Disposition"]


def test_another_users_document_is_not_found(contracts_client, warehouse_staff):
    job = _done_job(warehouse_staff)
    assert contracts_client.get(reverse("document_detail", args=[job.pk])).status_code == 404
    assert contracts_client.get(reverse("document_download", args=[job.pk])).status_code == 404


def test_a_document_not_ready_cannot_be_downloaded(manager_client, manager):
    job = DocumentJobFactory(requested_by=manager, status=DocumentJob.Status.RUNNING)
    assert manager_client.get(reverse("document_download", args=[job.pk])).status_code == 404


def test_the_progress_fragment_polls_while_running_and_stops_when_done(manager_client, manager):
    job = DocumentJobFactory(requested_by=manager, status=DocumentJob.Status.RUNNING, progress=3)
    url = reverse("document_detail", args=[job.pk])
    fragment = manager_client.get(url, HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in fragment.content
    assert b"<html" not in fragment.content
    assert "HX-Request" in fragment.get("Vary", "")
    job.file.save("x.pdf", ContentFile(b"%PDF"), save=False)
    job.status = DocumentJob.Status.DONE
    job.progress = job.total
    job.save()
    fragment = manager_client.get(url, HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in fragment.content
    assert b"Download" in fragment.content


def test_managers_list_every_document_others_only_their_own(
    manager_client, warehouse_client, warehouse_staff, manager
):
    _done_job(warehouse_staff)
    _done_job(manager)
    assert len(manager_client.get(reverse("document_list")).context["page_obj"]) == 2
    assert len(warehouse_client.get(reverse("document_list")).context["page_obj"]) == 1
    api = warehouse_client.get(reverse("api:documentjob-list")).json()
    assert api["count"] == 1


def test_the_document_list_uses_the_same_queries_for_1_and_20_rows(
    manager_client, manager, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(reverse("document_list")).status_code == 200
        return len(ctx.captured_queries)

    _done_job(manager)
    one = count()
    for _ in range(19):
        _done_job(manager)
    assert count() == one
