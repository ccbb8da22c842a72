"""Reads for the quality pages and API: joins in one place, warehouse staff scoped to their own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone

from inventory.models import Warehouse
from opsportal import roles
from quality.models import (
    Acknowledgement,
    Certification,
    ComplianceEvidence,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
)

# A certification this close to its end date is flagged on the compliance page.
CERTIFICATION_WARNING_DAYS = 60

# Pages a generic source (inspection or non-conformance origin) may link to: (app, model) →
# URL name taking the object's pk. A name not (yet) defined leaves the source as plain text.
_SOURCE_URL_NAMES = {
    ("vendors", "purchaseorder"): "vendors:purchaseorder_detail",
    ("orders", "shipment"): "orders:shipment_detail",
    ("orders", "returnrequest"): "orders:return_detail",
    ("orders", "order"): "orders:order_detail",
    ("quality", "inspection"): "quality:inspection_detail",
    ("quality", "nonconformance"): "quality:nonconformance_detail",
}


def _in_warehouses(queryset: QuerySet, user: Any, field: str = "warehouse_id") -> QuerySet:
    ids = roles.warehouse_ids_for(user)
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _count_of(queryset: QuerySet, outer_field: str) -> Coalesce:
    """A correlated COUNT(*) subquery: keeps annotated lists free of GROUP BY."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- inspections ------------------------------------------------------------------------------


def inspections_for(user: Any) -> QuerySet[Inspection]:
    """Inspections with plan, product, vendor, warehouse and inspector; staff see their own."""
    queryset = Inspection.objects.select_related(
        "plan", "product", "vendor", "warehouse", "inspector", "source_type"
    ).order_by("-created_at", "-id")
    return _in_warehouses(queryset, user)


@dataclass(frozen=True)
class CriterionResult:
    name: str
    requirement: str
    passed: bool | None
    value: Any
    note: str


def inspection_criteria(inspection: Inspection) -> list[CriterionResult]:
    """Each criterion of the plan beside the result recorded for it (results not in the plan last)."""
    recorded = {
        str(result.get("name", "")): result
        for result in inspection.results or []
        if isinstance(result, dict)
    }
    rows: list[CriterionResult] = []
    for criterion in inspection.plan.criteria or []:
        if not isinstance(criterion, dict):
            continue
        name = str(criterion.get("name", ""))
        result = recorded.pop(name, {})
        rows.append(
            CriterionResult(
                name=name,
                requirement=_requirement_text(criterion),
                passed=result.get("passed"),
                value=result.get("value"),
                note=str(result.get("note") or ""),
            )
        )
    for name, result in recorded.items():
        rows.append(
            CriterionResult(
                name=name,
                requirement="Not in the plan",
                passed=result.get("passed"),
                value=result.get("value"),
                note=str(result.get("note") or ""),
            )
        )
    return rows


def _requirement_text(criterion: dict) -> str:
    if criterion.get("kind") != "measure":
        return "Pass / fail"
    unit = criterion.get("unit") or ""
    low, high = criterion.get("min"), criterion.get("max")
    if low is not None and high is not None:
        return f"{low}–{high} {unit}".strip()
    if low is not None:
        return f"≥ {low} {unit}".strip()
    if high is not None:
        return f"≤ {high} {unit}".strip()
    return f"Measure {unit}".strip()


@dataclass(frozen=True)
class SourceLink:
    text: str
    url: str


def source_link(obj: Inspection | NonConformance, user: Any) -> SourceLink | None:
    """What a generic source is, and a link to it when that page exists and the user may open it."""
    if not obj.source_type_id:
        return None
    content_type = ContentType.objects.get_for_id(obj.source_type_id)
    model = content_type.model_class()
    label = str(model._meta.verbose_name).capitalize() if model else content_type.model
    try:
        source = obj.source
    except (ValueError, ValidationError):  # a source_id that is not a valid key of that model
        source = None
    if source is None:
        return SourceLink(text=f"{label} {obj.source_id} (no longer exists)", url="")
    url = ""
    name = _SOURCE_URL_NAMES.get((content_type.app_label, content_type.model))
    if name:
        try:
            candidate = reverse(name, kwargs={"pk": source.pk})
        except NoReverseMatch:
            candidate = ""
        if candidate and roles.can_access(user, resolve(candidate).func):
            url = candidate
    if content_type.app_label == "vendors" and content_type.model == "purchaseorderline":
        # A receipt's line: name its purchase order and product, link to the order.
        order = source.purchase_order
        url = ""
        try:
            candidate = reverse("vendors:purchaseorder_detail", kwargs={"pk": order.pk})
        except NoReverseMatch:
            candidate = ""
        if candidate and roles.can_access(user, resolve(candidate).func):
            url = candidate
        return SourceLink(text=f"Purchase order {order.number}, {source.product.sku}", url=url)
    text = str(source)
    # Some models already name their kind ("Inspection 4 (failed)"); others don't ("PO-0012").
    if not text.lower().startswith(label.lower()):
        text = f"{label}: {text}"
    return SourceLink(text=text, url=url)


# --- non-conformances -------------------------------------------------------------------------


def nonconformances() -> QuerySet[NonConformance]:
    """Non-conformances with vendor, product, warehouse and owner, flagged `is_overdue`."""
    today = timezone.localdate()
    return (
        NonConformance.objects.select_related(
            "vendor", "product", "warehouse", "owner", "source_type"
        )
        .annotate(is_overdue=_flag(Q(due_date__lt=today) & ~Q(status=NonConformance.Status.CLOSED)))
        .order_by("-created_at", "-id")
    )


def nonconformances_with_actions() -> QuerySet[NonConformance]:
    """Non-conformances with their corrective actions (owner and verifier) prefetched."""
    actions = CorrectiveAction.objects.select_related("owner", "verified_by").order_by(
        "due_date", "id"
    )
    return nonconformances().prefetch_related(Prefetch("actions", queryset=actions))


# --- compliance -------------------------------------------------------------------------------


def requirements() -> QuerySet[ComplianceRequirement]:
    """The compliance register: owner joined, `is_overdue` review, `evidence_count` documents."""
    today = timezone.localdate()
    return (
        ComplianceRequirement.objects.select_related("owner")
        .annotate(
            is_overdue=_flag(Q(next_review__lt=today)),
            evidence_count=_count_of(ComplianceEvidence.objects.all(), "requirement"),
        )
        .order_by("standard", "clause")
    )


def certifications() -> QuerySet[Certification]:
    """Certifications by end date, flagged `is_expired` and `is_expiring` (within 60 days)."""
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=CERTIFICATION_WARNING_DAYS)
    return (
        Certification.objects.select_related("warehouse")
        .annotate(
            is_expired=_flag(Q(valid_until__lt=today)),
            is_expiring=_flag(Q(valid_until__gte=today, valid_until__lte=horizon)),
        )
        .order_by("valid_until", "name", "id")
    )


# --- safety -----------------------------------------------------------------------------------


def incidents_for(user: Any) -> QuerySet[SafetyIncident]:
    """Safety incidents with warehouse and reporter; staff see their warehouses' only."""
    queryset = SafetyIncident.objects.select_related("warehouse", "reported_by").order_by(
        "-occurred_at", "-id"
    )
    return _in_warehouses(queryset, user)


@dataclass(frozen=True)
class LostTimeSummary:
    warehouse: Warehouse
    last_lost_time_at: datetime.datetime | None
    days: int | None  # None: no lost-time incident on record


def days_since_lost_time(warehouse_ids: set[int] | None) -> list[LostTimeSummary]:
    """Per active warehouse (all when None): days since its last incident with lost days."""
    last_lost_time = (
        SafetyIncident.objects.filter(warehouse=OuterRef("pk"), lost_days__gt=0)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    warehouses = Warehouse.objects.filter(is_active=True).annotate(
        last_lost_time_at=Subquery(last_lost_time)
    )
    if warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=warehouse_ids)
    today = timezone.localdate()
    summaries = []
    for warehouse in warehouses.order_by("code"):
        last = warehouse.last_lost_time_at
        days = (today - timezone.localdate(last)).days if last else None
        summaries.append(LostTimeSummary(warehouse=warehouse, last_lost_time_at=last, days=days))
    return summaries


# --- SOPs -------------------------------------------------------------------------------------


def sop_documents() -> QuerySet[SOPDocument]:
    """SOPs with the effective version's number and date and the number of versions."""
    effective = SOPVersion.objects.filter(
        document=OuterRef("pk"), status=SOPVersion.Status.EFFECTIVE
    )
    return SOPDocument.objects.annotate(
        effective_number=Subquery(effective.values("number")[:1]),
        effective_at=Subquery(effective.values("effective_at")[:1]),
        versions_count=_count_of(SOPVersion.objects.all(), "document"),
    ).order_by("code")


def sop_documents_with_effective_version() -> QuerySet[SOPDocument]:
    """SOPs as above, plus owner, roles and the effective version (in `effective_versions`)."""
    effective = SOPVersion.objects.filter(status=SOPVersion.Status.EFFECTIVE).select_related(
        "author", "approver"
    )
    return (
        sop_documents()
        .select_related("owner")
        .prefetch_related(
            "roles", Prefetch("versions", queryset=effective, to_attr="effective_versions")
        )
    )


def sop_with_history() -> QuerySet[SOPDocument]:
    """SOPs with owner, roles and every version (author, approver) newest first."""
    versions = SOPVersion.objects.select_related("author", "approver").order_by("-number")
    return SOPDocument.objects.select_related("owner").prefetch_related(
        "roles", Prefetch("versions", queryset=versions, to_attr="history_versions")
    )


def acknowledgements_of(version: SOPVersion) -> QuerySet[Acknowledgement]:
    """Who acknowledged a version, first to last."""
    return (
        Acknowledgement.objects.filter(version=version)
        .select_related("user")
        .order_by("acknowledged_at", "id")
    )


@dataclass(frozen=True)
class EffectiveSOP:
    code: str
    title: str
    number: int
    effective_at: datetime.datetime | None

    def __str__(self) -> str:
        return f"{self.code} {self.title} v{self.number}"


def effective_sop_for_work(key: str) -> EffectiveSOP | None:
    """The effective version of the SOP a place of work follows (SOPWorkLink), or None."""
    row = (
        SOPVersion.objects.filter(status=SOPVersion.Status.EFFECTIVE, document__work_links__key=key)
        .values_list("document__code", "document__title", "number", "effective_at")
        .first()
    )
    return EffectiveSOP(*row) if row else None


# --- inspection plans -------------------------------------------------------------------------


def plans() -> QuerySet:
    """Inspection plans with their scope and SOP joined and `inspections_count`."""
    from quality.models import InspectionPlan

    return (
        InspectionPlan.objects.select_related("product", "vendor", "warehouse", "sop")
        .annotate(inspections_count=_count_of(Inspection.objects.all(), "plan"))
        .order_by("-is_active", "name", "pk")
    )


# --- SOP acknowledgements ---------------------------------------------------------------------


def sops_to_acknowledge(user: Any) -> QuerySet[SOPVersion]:
    """Effective versions of the SOPs the user's roles must read that they have not acknowledged."""
    if not getattr(user, "is_authenticated", False):
        return SOPVersion.objects.none()
    return (
        SOPVersion.objects.filter(
            status=SOPVersion.Status.EFFECTIVE,
            document__roles__in=user.groups.all(),
        )
        .exclude(acknowledgements__user=user)
        .select_related("document")
        .distinct()
        .order_by("document__code")
    )


def readers_pending(version: SOPVersion) -> QuerySet:
    """Active users of the SOP's roles who have not acknowledged this version."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__sops=version.document_id)
        .exclude(sop_acknowledgements__version=version)
        .distinct()
        .order_by("username")
    )


# --- manuals ----------------------------------------------------------------------------------


def manuals() -> QuerySet:
    from quality.models import Manual, ManualEntry

    return (
        Manual.objects.select_related("last_job")
        .annotate(chapters_count=_count_of(ManualEntry.objects.all(), "manual"))
        .order_by("title")
    )


@dataclass
class Chapter:
    document: SOPDocument
    effective: SOPVersion
    revisions: list[SOPVersion]
    anchor: str
    body_html: str = ""


def manual_chapters(manual: Any) -> list[Chapter]:
    """The manual's SOPs in order, each with its effective version and the versions that were
    ever effective (the revision history), authors and approvers joined. SOPs with no effective
    version are left out."""
    versions = (
        SOPVersion.objects.filter(
            status__in=[SOPVersion.Status.EFFECTIVE, SOPVersion.Status.SUPERSEDED]
        )
        .select_related("author", "approver")
        .order_by("number")
    )
    entries = manual.entries.select_related("document").prefetch_related(
        Prefetch("document__versions", queryset=versions, to_attr="issued_versions")
    )
    chapters = []
    for entry in entries.order_by("position"):
        issued = entry.document.issued_versions
        effective = next((v for v in issued if v.status == SOPVersion.Status.EFFECTIVE), None)
        if effective is None:
            continue
        chapters.append(
            Chapter(
                document=entry.document,
                effective=effective,
                revisions=issued,
                anchor=f"sop-{entry.document.code.lower()}",
            )
        )
    return chapters


# --- safety figures for the dashboard ---------------------------------------------------------


def days_since_last_lost_time_incident(warehouse_ids: set[int] | None = None) -> int | None:
    """Days since the most recent incident with lost days (None: none on record)."""
    incidents = SafetyIncident.objects.filter(lost_days__gt=0)
    if warehouse_ids is not None:
        incidents = incidents.filter(warehouse_id__in=warehouse_ids)
    last = incidents.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    if last is None:
        return None
    return (timezone.localdate() - timezone.localdate(last)).days


@dataclass(frozen=True)
class IncidentRate:
    days: int
    incidents: int  # injuries and property damage
    near_misses: int
    lost_time_incidents: int
    lost_days: int
    per_30_days: float  # incidents (not near misses) per 30 days
    # OSHA-style rate per 200,000 hours worked (100 full-time workers a year), when hours known.
    per_200k_hours: float | None


def incident_rate(
    warehouse_ids: set[int] | None = None,
    *,
    days: int = 365,
    hours_worked: float | None = None,
    today: datetime.date | None = None,
) -> IncidentRate:
    """Incidents over the last `days` days (one query), as a rate per 30 days and, given the
    hours worked in that period, per 200,000 hours."""
    from django.db.models import Sum

    today = today or timezone.localdate()
    since = datetime.datetime.combine(
        today - datetime.timedelta(days=days - 1),
        datetime.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    incidents = SafetyIncident.objects.filter(occurred_at__gte=since)
    if warehouse_ids is not None:
        incidents = incidents.filter(warehouse_id__in=warehouse_ids)
    near_miss = SafetyIncident.Kind.NEAR_MISS
    figures = incidents.aggregate(
        incidents=Count("pk", filter=~Q(kind=near_miss)),
        near_misses=Count("pk", filter=Q(kind=near_miss)),
        lost_time=Count("pk", filter=Q(lost_days__gt=0)),
        lost_days=Coalesce(Sum("lost_days"), 0),
    )
    count = figures["incidents"]
    return IncidentRate(
        days=days,
        incidents=count,
        near_misses=figures["near_misses"],
        lost_time_incidents=figures["lost_time"],
        lost_days=figures["lost_days"],
        per_30_days=round(count * 30 / days, 2) if days else 0.0,
        per_200k_hours=round(count * 200_000 / hours_worked, 2) if hours_worked else None,
    )


# --- the audit pack ---------------------------------------------------------------------------


def requirement_detail(pk: int) -> ComplianceRequirement:
    from quality.models import ClauseTag

    evidence = ComplianceEvidence.objects.select_related("uploaded_by").order_by("-uploaded_at")
    tags = ClauseTag.objects.select_related("record_type", "tagged_by").order_by(
        "record_type_id", "record_id"
    )
    return (
        ComplianceRequirement.objects.select_related("owner", "last_reviewed_by")
        .prefetch_related(
            Prefetch("evidence_documents", queryset=evidence, to_attr="evidence_list"),
            Prefetch("tags", queryset=tags, to_attr="tag_list"),
        )
        .get(pk=pk)
    )


def tagged_records(tags: list) -> list[tuple[Any, Any]]:
    """(tag, record) pairs: one query per kind of record, however many tags."""
    by_type: dict[int, list] = {}
    for tag in tags:
        by_type.setdefault(tag.record_type_id, []).append(tag)
    pairs = []
    for type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        records = model._default_manager.in_bulk([t.record_id for t in group]) if model else {}
        for tag in group:
            key = int(tag.record_id) if tag.record_id.isdigit() else tag.record_id
            pairs.append((tag, records.get(key)))
    return pairs


def audit_pack_rows(standard: str = "") -> Any:
    """Rows of the audit pack: per requirement (by standard and clause) the requirement itself,
    its evidence documents, the records tagged with its clause and the certifications."""
    from quality.models import ClauseTag

    register = requirements()
    if standard:
        register = register.filter(standard__icontains=standard)
    listed = list(register)
    evidence = (
        ComplianceEvidence.objects.filter(requirement__in=listed)
        .select_related("uploaded_by")
        .order_by("requirement_id", "uploaded_at")
    )
    tags = ClauseTag.objects.filter(requirement__in=listed).select_related("tagged_by")
    evidence_by: dict[int, list] = {}
    for item in evidence:
        evidence_by.setdefault(item.requirement_id, []).append(item)
    tags_by: dict[int, list] = {}
    for tag, record in tagged_records(list(tags)):
        tags_by.setdefault(tag.requirement_id, []).append((tag, record))
    for requirement in listed:
        clause = f"{requirement.standard} {requirement.clause}"
        yield [
            clause,
            "Requirement",
            requirement.title,
            requirement.get_status_display(),
            requirement.last_reviewed_at or "",
            f"next review {requirement.next_review}",
            requirement.owner.display_name if requirement.owner else "",
        ]
        for item in evidence_by.get(requirement.pk, []):
            yield [
                clause,
                "Evidence document",
                item.title,
                item.document.name.rsplit("/", 1)[-1],
                timezone.localdate(item.uploaded_at),
                "",
                item.uploaded_by.display_name if item.uploaded_by else "",
            ]
        for tag, record in sorted(tags_by.get(requirement.pk, []), key=lambda pair: str(pair[1])):
            yield [
                clause,
                str(record._meta.verbose_name).capitalize() if record else "Record",
                str(record) if record else f"{tag.record_id} (no longer exists)",
                _record_status(record),
                timezone.localdate(tag.tagged_at),
                "",
                tag.tagged_by.display_name if tag.tagged_by else "",
            ]


def _record_status(record: Any) -> str:
    if record is None:
        return "deleted"
    for name in ("get_status_display",):
        if hasattr(record, name):
            return getattr(record, name)()
    if hasattr(record, "valid_until"):
        return f"valid until {record.valid_until}"
    if hasattr(record, "is_active"):
        return "active" if record.is_active else "inactive"
    return ""
