"""SOP documents and their versions: draft → in review → effective (approved by someone other
than the author; the previous effective version is superseded) → read and acknowledged."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from quality.models import Acknowledgement, SOPDocument, SOPVersion
from quality.services.common import choice, error, text

Status = SOPVersion.Status
CODE = re.compile(r"^SOP-[A-Z]{2,5}-\d{3}$")
MAX_BODY = 200_000


@transaction.atomic
def sop_save(
    *,
    document: SOPDocument | None,
    code: str,
    title: str,
    area: str,
    owner: Any,
    roles: list[Group] | None,
    by: Any,
) -> SOPDocument:
    """Create or update an SOP document (code like SOP-WH-001, unique; never renamed)."""
    creating = document is None
    document = document or SOPDocument()
    code = text(code, "code", max_length=30, required=True).upper()
    if creating:
        if not CODE.match(code):
            raise error("code", "Use the form SOP-AREA-NNN, e.g. SOP-WH-004.")
        if SOPDocument.objects.filter(code=code).exists():
            raise error("code", f"{code} already exists.")
        document.code = code
    elif code != document.code:
        raise error("code", "The code of an SOP never changes (links and printed manuals use it).")
    document.title = text(title, "title", max_length=200, required=True)
    document.area = choice(area, "area", SOPDocument.Area)
    document.owner = owner
    document._history_user = by
    document.save()
    if roles is not None:
        document.roles.set(roles)
    return document


def _locked_version(version: SOPVersion) -> SOPVersion:
    return (
        SOPVersion.objects.select_for_update(of=("self",))
        .select_related("document")
        .get(pk=version.pk)
    )


def _body(body: Any) -> str:
    body = "" if body is None else str(body)
    if not body.strip():
        raise error("body", "Write the procedure.")
    if len(body) > MAX_BODY:
        raise error("body", f"At most {MAX_BODY:,} characters.")
    # Stored as typed; rendered as sanitised Markdown, never as a template.
    return body.replace("\r\n", "\n")


@transaction.atomic
def version_draft(
    *, document: SOPDocument, by: Any, body: str | None = None, change_summary: str = ""
) -> SOPVersion:
    """Start the next version as a draft (from the effective text unless a body is given)."""
    SOPDocument.objects.select_for_update().get(pk=document.pk)
    open_version = document.versions.filter(status__in=[Status.DRAFT, Status.IN_REVIEW]).first()
    if open_version is not None:
        raise error(
            "document",
            f"v{open_version.number} is still {open_version.get_status_display().lower()}: "
            "finish or withdraw it first.",
            code="open_version",
        )
    if body is None:
        effective = document.versions.filter(status=Status.EFFECTIVE).first()
        body = effective.body if effective else f"# {document.title}\n\n## Purpose\n\n"
    number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = SOPVersion(
        document=document,
        number=number,
        body=_body(body),
        author=by,
        change_summary=text(change_summary, "change_summary", max_length=300),
    )
    version._history_user = by
    version.save()
    return version


@transaction.atomic
def version_edit(*, version: SOPVersion, body: str, change_summary: str, by: Any) -> SOPVersion:
    """The author changes a draft."""
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise error("status", "Only a draft can be edited.", code="invalid_status")
    if version.author_id != by.pk:
        raise error("author", "Only the author edits a draft; start your own next version later.")
    version.body = _body(body)
    version.change_summary = text(change_summary, "change_summary", max_length=300)
    version._history_user = by
    version.save(update_fields=["body", "change_summary"])
    return version


@transaction.atomic
def version_submit(*, version: SOPVersion, by: Any) -> SOPVersion:
    """The author sends a draft for review."""
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise error("status", "Only a draft can be sent for review.", code="invalid_status")
    if version.author_id != by.pk:
        raise error("author", "Only the author sends a draft for review.")
    if not version.change_summary:
        raise error("change_summary", "Say what changed before sending it for review.")
    version.status = Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.review_note = ""
    version._history_user = by
    version.save(update_fields=["status", "submitted_at", "review_note"])
    return version


@transaction.atomic
def version_reject(*, version: SOPVersion, by: Any, note: str) -> SOPVersion:
    """A reviewer sends the version back to its author as a draft, saying why."""
    version = _locked_version(version)
    if version.status != Status.IN_REVIEW:
        raise error("status", "Only a version in review can be sent back.", code="invalid_status")
    version.review_note = text(note, "review_note", max_length=300, required=True)
    version.status = Status.DRAFT
    version.submitted_at = None
    version._history_user = by
    version.save(update_fields=["status", "submitted_at", "review_note"])
    return version


@transaction.atomic
def version_approve(*, version: SOPVersion, by: Any) -> SOPVersion:
    """Another user than the author approves: the version becomes effective, the previous
    effective one is superseded, and the SOP's roles are asked to acknowledge it."""
    SOPDocument.objects.select_for_update().get(pk=version.document_id)
    version = _locked_version(version)
    if version.status != Status.IN_REVIEW:
        raise error("status", "Only a version in review can be approved.", code="invalid_status")
    if version.author_id == by.pk:
        raise error(
            "approver",
            "The author cannot approve their own version; another user must approve it.",
            code="approver_is_author",
        )
    now = timezone.now()
    for previous in SOPVersion.objects.filter(
        document_id=version.document_id, status=Status.EFFECTIVE
    ):
        previous.status = Status.SUPERSEDED
        previous._history_user = by
        previous.save(update_fields=["status"])
    version.status = Status.EFFECTIVE
    version.approver = by
    version.effective_at = now
    version._history_user = by
    try:
        with transaction.atomic():
            version.save(update_fields=["status", "approver", "effective_at"])
    except IntegrityError as exc:  # the CHECK and the one-effective constraint hold the line
        raise error("approver", "The version could not become effective.") from exc
    return version


@transaction.atomic
def version_withdraw(*, version: SOPVersion, by: Any) -> None:
    """The author throws away a draft that never went anywhere."""
    version = _locked_version(version)
    if version.status != Status.DRAFT:
        raise error("status", "Only a draft can be withdrawn.", code="invalid_status")
    if version.author_id != by.pk:
        raise error("author", "Only the author withdraws a draft.")
    version.delete()


@transaction.atomic
def sop_acknowledge(*, version: SOPVersion, user: Any) -> Acknowledgement:
    """The user has read the effective version (idempotent)."""
    if version.status != Status.EFFECTIVE:
        raise error(
            "version",
            f"v{version.number} is not the effective version; read the current one.",
            code="invalid_status",
        )
    acknowledgement, _ = Acknowledgement.objects.get_or_create(user=user, version=version)
    return acknowledgement
