"""Quality pages: inspections, non-conformances, compliance, safety and SOPs (read-only for now)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_filters import FilterSet

from opsportal import roles
from opsportal.listing import csv_response, list_context, list_template, wants_csv
from quality import selectors
from quality.filters import (
    ComplianceRequirementFilter,
    InspectionFilter,
    NonConformanceFilter,
    SafetyIncidentFilter,
    SOPDocumentFilter,
)
from quality.markdown import render_markdown
from quality.models import Inspection, NonConformance, SOPDocument, SOPVersion

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF
CONTRACTS = roles.CONTRACT_ADMIN


def _get_inspection_for_user(request: HttpRequest, pk: int) -> Inspection:
    """An inspection in one of the user's warehouses; 404 for any other."""
    return get_object_or_404(selectors.inspections_for(request.user), pk=pk)


def _get_nonconformance_for_user(request: HttpRequest, pk: int) -> NonConformance:
    """Any non-conformance: only managers and contract admins reach the views that ask."""
    return get_object_or_404(selectors.nonconformances_with_actions(), pk=pk)


def _get_sop_for_user(request: HttpRequest, code: str) -> SOPDocument:
    """Any SOP: every role reads them all."""
    return get_object_or_404(selectors.sop_with_history(), code=code)


def _render_list(
    request: HttpRequest,
    template: str,
    filterset: FilterSet,
    *,
    csv_export: bool = False,
    **extra: object,
) -> HttpResponse:
    """One page of a filtered list; an HTMX request gets only the #results partial."""
    context = list_context(request, filterset, **extra)
    if not csv_export:
        del context["csv_url"]
    return render(request, list_template(request, template), context)


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def inspection_list(request: HttpRequest) -> HttpResponse:
    filterset = InspectionFilter(
        request.GET, queryset=selectors.inspections_for(request.user), request=request
    )
    return _render_list(request, "quality/inspection_list.html", filterset)


@roles.allow(MANAGER, STAFF)
@require_GET
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _get_inspection_for_user(request, pk)
    context = {
        "inspection": inspection,
        "criteria": selectors.inspection_criteria(inspection),
        "source": selectors.source_link(inspection, request.user),
    }
    return render(request, "quality/inspection_detail.html", context)


@roles.allow(MANAGER, CONTRACTS)
@require_GET
@vary_on_headers("HX-Request")
def nonconformance_list(request: HttpRequest) -> HttpResponse:
    filterset = NonConformanceFilter(
        request.GET, queryset=selectors.nonconformances(), request=request
    )
    if wants_csv(request):
        header = [
            "Number",
            "Title",
            "Origin",
            "Severity",
            "Vendor",
            "Product",
            "Quantity",
            "Status",
            "Disposition",
            "Owner",
            "Due",
            "Overdue",
            "Created",
        ]
        rows = (
            [
                nc.number,
                nc.title,
                nc.get_origin_display(),
                nc.get_severity_display(),
                nc.vendor.name if nc.vendor else "",
                nc.product.sku if nc.product else "",
                nc.quantity,
                nc.get_status_display(),
                nc.get_disposition_display(),
                nc.owner.display_name if nc.owner else "",
                nc.due_date or "",
                "yes" if nc.is_overdue else "no",
                nc.created_at.date(),
            ]
            for nc in filterset.qs.iterator(chunk_size=500)
        )
        return csv_response("nonconformances.csv", header, rows)
    return _render_list(request, "quality/nonconformance_list.html", filterset, csv_export=True)


@roles.allow(MANAGER, CONTRACTS)
@require_GET
def nonconformance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nonconformance = _get_nonconformance_for_user(request, pk)
    context = {
        "nc": nonconformance,
        "actions": nonconformance.actions.all(),
        "source": selectors.source_link(nonconformance, request.user),
    }
    return render(request, "quality/nonconformance_detail.html", context)


@roles.allow(MANAGER)
@require_GET
@vary_on_headers("HX-Request")
def requirement_list(request: HttpRequest) -> HttpResponse:
    filterset = ComplianceRequirementFilter(
        request.GET, queryset=selectors.requirements(), request=request
    )
    if wants_csv(request):
        header = [
            "Standard",
            "Clause",
            "Title",
            "Owner",
            "Status",
            "Next review",
            "Review overdue",
            "Review cadence (days)",
            "Evidence",
            "Evidence documents",
        ]
        rows = (
            [
                requirement.standard,
                requirement.clause,
                requirement.title,
                requirement.owner.display_name if requirement.owner else "",
                requirement.get_status_display(),
                requirement.next_review,
                "yes" if requirement.is_overdue else "no",
                requirement.review_cadence_days,
                requirement.evidence,
                requirement.evidence_count,
            ]
            for requirement in filterset.qs.iterator(chunk_size=500)
        )
        return csv_response("compliance-register.csv", header, rows)
    return _render_list(
        request,
        "quality/requirement_list.html",
        filterset,
        csv_export=True,
        certifications=selectors.certifications(),
        warning_days=selectors.CERTIFICATION_WARNING_DAYS,
    )


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def incident_list(request: HttpRequest) -> HttpResponse:
    filterset = SafetyIncidentFilter(
        request.GET, queryset=selectors.incidents_for(request.user), request=request
    )
    return _render_list(
        request,
        "quality/incident_list.html",
        filterset,
        lost_time=selectors.days_since_lost_time(roles.warehouse_ids_for(request.user)),
    )


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_GET
@vary_on_headers("HX-Request")
def sop_list(request: HttpRequest) -> HttpResponse:
    filterset = SOPDocumentFilter(request.GET, queryset=selectors.sop_documents(), request=request)
    return _render_list(request, "quality/sop_list.html", filterset)


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_GET
def sop_detail(request: HttpRequest, code: str) -> HttpResponse:
    document = _get_sop_for_user(request, code)
    versions = document.history_versions
    effective = next((v for v in versions if v.status == SOPVersion.Status.EFFECTIVE), None)
    acknowledgements = list(selectors.acknowledgements_of(effective)) if effective else []
    context = {
        "document": document,
        "versions": versions,
        "effective": effective,
        # The body is data: Markdown made HTML and sanitised, never compiled as a template.
        "body_html": render_markdown(effective.body) if effective else "",
        "acknowledgements": acknowledgements,
        "acknowledged_by_me": any(a.user_id == request.user.pk for a in acknowledgements),
    }
    return render(request, "quality/sop_detail.html", context)
