"""Permission matrix rows for the portal-wide URLs."""

from django.core.files.base import ContentFile

from opsportal.models import DocumentJob
from tests.access import CONTRACTS, EVERYONE, MANAGER, SIGNED_IN, WAREHOUSE, rule
from tests.factories import DocumentJobFactory


def add_objects(world: dict) -> None:
    job = DocumentJobFactory(requested_by=world["warehouse_user"], total=1, progress=1)
    job.file.save("labels.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    job.status = DocumentJob.Status.DONE
    job.save()
    world["job"] = job


_job = {"kwargs": lambda w: {"pk": w["job"].pk}}

MATRIX = {
    "home": rule(*SIGNED_IN),
    "login": rule(*EVERYONE),
    "logout": rule(*EVERYONE),
    "healthz": rule(*EVERYONE),
    "document_list": rule(MANAGER, WAREHOUSE, CONTRACTS),
    # The job was requested by the warehouse user: they and managers may see it, nobody else.
    "document_detail": rule(MANAGER, WAREHOUSE, **_job),
    "document_download": rule(MANAGER, WAREHOUSE, **_job),
    "api:api-root": rule(*SIGNED_IN),
    "api:documentjob-list": rule(MANAGER, WAREHOUSE, CONTRACTS),
    "api:documentjob-detail": rule(MANAGER, WAREHOUSE, **_job),
    "api-token": rule(*EVERYONE),
    "schema": rule(*SIGNED_IN),
    "api-docs": rule(*SIGNED_IN),
    "api-redoc": rule(*SIGNED_IN),
}
