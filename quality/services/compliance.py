"""The compliance register: requirements with a review cadence, reviews, evidence documents,
certifications per warehouse, clause tags for the audit pack, and reminders (once each)."""

from __future__ import annotations

import datetime
from pathlib import PurePath
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from opsportal import emails
from quality.models import (
    Certification,
    ClauseTag,
    ComplianceEvidence,
    ComplianceRequirement,
)
from quality.services.common import choice, error, managers_emails, text, whole_number
from quality.services.nonconformance import _absolute

# Reminders go this many days before a review is due and before a certification expires.
REVIEW_REMINDER_DAYS = 30
CERTIFICATION_REMINDER_DAYS = 60
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".docx", ".xlsx"}
# What a file of each extension starts with (a renamed executable is not evidence).
_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
}

REQUIREMENT_FIELDS = (
    "standard",
    "clause",
    "title",
    "description",
    "owner",
    "review_cadence_days",
    "next_review",
    "evidence",
    "status",
)


@transaction.atomic
def requirement_save(
    *, requirement: ComplianceRequirement | None, data: dict, by: Any
) -> ComplianceRequirement:
    """Create or update a requirement (standard + clause unique)."""
    requirement = requirement or ComplianceRequirement()
    values = {name: data.get(name, getattr(requirement, name, None)) for name in REQUIREMENT_FIELDS}
    values["standard"] = text(values["standard"], "standard", max_length=80, required=True)
    values["clause"] = text(values["clause"], "clause", max_length=40, required=True)
    values["title"] = text(values["title"], "title", max_length=200, required=True)
    values["description"] = text(values["description"], "description", max_length=5000)
    values["evidence"] = text(values["evidence"], "evidence", max_length=5000)
    values["status"] = choice(
        values["status"] or ComplianceRequirement.Status.NOT_ASSESSED,
        "status",
        ComplianceRequirement.Status,
    )
    cadence = whole_number(values["review_cadence_days"] or 0, "review_cadence_days", minimum=1)
    if cadence > 3 * 365:
        raise error("review_cadence_days", "Review at least every three years (1095 days).")
    values["review_cadence_days"] = cadence
    if values["next_review"] is None:
        values["next_review"] = timezone.localdate() + datetime.timedelta(days=cadence)
    clash = ComplianceRequirement.objects.filter(
        standard__iexact=values["standard"], clause__iexact=values["clause"]
    ).exclude(pk=requirement.pk)
    if clash.exists():
        raise error(
            "clause", f"{values['standard']} {values['clause']} is already in the register."
        )
    for name, value in values.items():
        setattr(requirement, name, value)
    requirement._history_user = by
    requirement.save()
    return requirement


@transaction.atomic
def requirement_review(
    *, requirement: ComplianceRequirement, status: str, by: Any, evidence: str | None = None
) -> ComplianceRequirement:
    """Record a review: the status found, today's date, and the next review one cadence on."""
    requirement = ComplianceRequirement.objects.select_for_update().get(pk=requirement.pk)
    requirement.status = choice(status, "status", ComplianceRequirement.Status)
    if requirement.status == ComplianceRequirement.Status.NOT_ASSESSED:
        raise error("status", "A review decides the status: compliant, partial or non-compliant.")
    if evidence is not None:
        requirement.evidence = text(evidence, "evidence", max_length=5000)
    today = timezone.localdate()
    requirement.last_reviewed_at = today
    requirement.last_reviewed_by = by
    requirement.next_review = today + datetime.timedelta(days=requirement.review_cadence_days)
    requirement._history_user = by
    requirement.save()
    return requirement


def check_upload(upload: UploadedFile | None, field: str) -> UploadedFile:
    """An evidence file: a known document type, not empty, at most 10 MB, content matching."""
    if upload is None:
        raise error(field, "Choose a file.")
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_EXTENSIONS:
        allowed = ", ".join(sorted(EVIDENCE_EXTENSIONS))
        raise error(field, f"“{name}” is not an accepted document type ({allowed}).")
    if not upload.size:
        raise error(field, f"“{name}” is empty.")
    if upload.size > EVIDENCE_MAX_BYTES:
        raise error(field, f"“{name}” is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    magic = _MAGIC.get(extension)
    if magic and not head.startswith(magic):
        raise error(field, f"“{name}” is not really a {extension[1:].upper()} file.")
    if extension in (".txt", ".csv") and b"\x00" in head:
        raise error(field, f"“{name}” is not a text file.")
    return upload


@transaction.atomic
def evidence_add(
    *, requirement: ComplianceRequirement, title: str, document: UploadedFile, by: Any
) -> ComplianceEvidence:
    """Attach an evidence document to a requirement (served only through a permission check)."""
    title = text(title, "title", max_length=200, required=True)
    check_upload(document, "document")
    return ComplianceEvidence.objects.create(
        requirement=requirement, title=title, document=document, uploaded_by=by
    )


@transaction.atomic
def evidence_delete(*, evidence: ComplianceEvidence, by: Any) -> None:
    name = evidence.document.name
    storage = evidence.document.storage
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


CERTIFICATION_FIELDS = ("name", "issuer", "warehouse", "valid_from", "valid_until")


@transaction.atomic
def certification_save(
    *,
    certification: Certification | None,
    data: dict,
    by: Any,
    document: UploadedFile | None = None,
) -> Certification:
    certification = certification or Certification()
    values = {
        name: data.get(name, getattr(certification, name, None)) for name in CERTIFICATION_FIELDS
    }
    values["name"] = text(values["name"], "name", max_length=200, required=True)
    values["issuer"] = text(values["issuer"], "issuer", max_length=200)
    if values["valid_until"] is None:
        raise error("valid_until", "Give the date the certification expires.")
    if values["valid_from"] and values["valid_from"] > values["valid_until"]:
        raise error("valid_until", "It cannot expire before it starts.")
    for name, value in values.items():
        setattr(certification, name, value)
    if document is not None:
        certification.document = check_upload(document, "document")
    certification.save()
    return certification


# --- clause tags and the audit pack ----------------------------------------------------------


def taggable_models() -> dict[str, type[models.Model]]:
    """What can be filed under a clause, by the name people use for it."""
    from quality.models import InspectionPlan, NonConformance, SafetyIncident, SOPDocument

    return {
        "sop": SOPDocument,
        "nonconformance": NonConformance,
        "inspectionplan": InspectionPlan,
        "certification": Certification,
        "incident": SafetyIncident,
    }


TAG_LOOKUPS = {
    "sop": ("code", "SOP code, e.g. SOP-WH-001"),
    "nonconformance": ("number", "NCR number, e.g. NC-0012"),
    "inspectionplan": ("pk", "inspection plan number"),
    "certification": ("pk", "certification number"),
    "incident": ("pk", "incident number"),
}


@transaction.atomic
def clause_tag(
    *, requirement: ComplianceRequirement, kind: str, reference: str, by: Any
) -> ClauseTag:
    """File a record under a requirement's clause (SOP by code, NCR by number, others by id)."""
    model = taggable_models().get(kind)
    if model is None:
        raise error("kind", f"{kind!r} cannot be tagged.")
    field, described = TAG_LOOKUPS[kind]
    reference = text(reference, "reference", max_length=40, required=True)
    lookup = {f"{field}__iexact" if field != "pk" else "pk": reference}
    if field == "pk" and not reference.isdigit():
        raise error("reference", f"Give the {described}.")
    record = model.objects.filter(**lookup).first()
    if record is None:
        raise error("reference", f"No {described} “{reference}”.")
    try:
        with transaction.atomic():
            return ClauseTag.objects.create(
                requirement=requirement,
                record_type=ContentType.objects.get_for_model(model),
                record_id=str(record.pk),
                tagged_by=by,
            )
    except IntegrityError:
        raise error(
            "reference",
            f"{record} is already filed under {requirement.standard} {requirement.clause}.",
        ) from None


@transaction.atomic
def clause_untag(*, tag: ClauseTag, by: Any) -> None:
    tag.delete()


# --- reminders -------------------------------------------------------------------------------


def compliance_reminders(*, today: datetime.date) -> int:
    """Reviews due within 30 days (their owner, else the managers) and certifications expiring
    within 60 days (the managers): one email per review date and per expiry date."""
    queued = 0
    horizon = today + datetime.timedelta(days=REVIEW_REMINDER_DAYS)
    managers = managers_emails()
    due = ComplianceRequirement.objects.filter(next_review__lte=horizon).select_related("owner")
    for requirement in due.order_by("next_review", "pk"):
        recipients = (
            [requirement.owner.email] if requirement.owner and requirement.owner.email else managers
        )
        if not recipients:
            continue
        with transaction.atomic():
            subject, body, html = emails.render_email(
                "quality_review_due",
                {
                    "requirement": requirement,
                    "days": (requirement.next_review - today).days,
                    "url": _absolute(reverse("quality:requirement_detail", args=[requirement.pk])),
                },
            )
            if emails.queue_email(
                key=f"requirement:{requirement.pk}:review:{requirement.next_review.isoformat()}",
                to=recipients,
                subject=subject,
                text=body,
                html=html,
                related=requirement,
            ):
                queued += 1
    if not managers:
        return queued
    expiring = Certification.objects.filter(
        valid_until__lte=today + datetime.timedelta(days=CERTIFICATION_REMINDER_DAYS)
    ).select_related("warehouse")
    for certification in expiring.order_by("valid_until", "pk"):
        with transaction.atomic():
            subject, body, html = emails.render_email(
                "quality_certification_expiry",
                {
                    "certification": certification,
                    "days": (certification.valid_until - today).days,
                    "url": _absolute(reverse("quality:requirement_list")),
                },
            )
            if emails.queue_email(
                key=f"certification:{certification.pk}:expiry:{certification.valid_until.isoformat()}",
                to=managers,
                subject=subject,
                text=body,
                html=html,
                related=certification,
            ):
                queued += 1
    return queued
