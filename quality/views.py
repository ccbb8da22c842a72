"""Quality pages: inspections and plans, non-conformances and CAPA, compliance, safety, SOPs and
manuals. Each page parses, calls a service or selector, and renders; rules live in the services."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_filters import FilterSet

from opsportal import roles
from opsportal.listing import csv_response, list_context, list_template, paginate, wants_csv
from quality import forms, selectors
from quality.filters import (
    ComplianceRequirementFilter,
    InspectionFilter,
    NonConformanceFilter,
    SafetyIncidentFilter,
    SOPDocumentFilter,
)
from quality.markdown import render_markdown
from quality.models import (
    Certification,
    ClauseTag,
    ComplianceEvidence,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    InspectionPlan,
    Manual,
    NonConformance,
    SOPDocument,
    SOPVersion,
)
from quality.services import compliance, inspections, manuals, nonconformance, safety, sops

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
@require_http_methods(["GET", "POST"])
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The inspection; while pending, the phone form that records it (staff of its warehouse)."""
    inspection = _get_inspection_for_user(request, pk)
    form = None
    if inspection.status == Inspection.Status.PENDING:
        data = request.POST if request.method == "POST" else None
        form = forms.InspectionRecordForm(data, inspection=inspection)
        if request.method == "POST" and form.is_valid():
            try:
                recorded = inspections.inspection_record(
                    inspection=inspection,
                    results=form.results(),
                    by=request.user,
                    notes=form.cleaned_data["notes"],
                    affected_quantity=form.cleaned_data.get("affected_quantity"),
                )
            except ValidationError as exc:
                forms.add_service_errors(form, exc)
            else:
                if recorded.status == Inspection.Status.FAILED:
                    nc = recorded.non_conformance
                    messages.warning(
                        request,
                        f"Failed: {nc.quarantined} units quarantined, {nc.number} opened.",
                    )
                else:
                    messages.success(request, "Passed: recorded.")
                return redirect("quality:inspection_detail", pk=inspection.pk)
    elif request.method == "POST":
        messages.error(request, "This inspection is already recorded.")
        return redirect("quality:inspection_detail", pk=inspection.pk)
    context = {
        "inspection": inspection,
        "criteria": selectors.inspection_criteria(inspection),
        "source": selectors.source_link(inspection, request.user),
        "form": form,
        "non_conformances": NonConformance.objects.filter(
            source_type__model="inspection", source_type__app_label="quality", source_id=str(pk)
        ).only("pk", "number", "title")
        if roles.has_role(request.user, MANAGER)
        else [],
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "quality/inspection_detail.html", context, status=status)


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
        "can_edit": _is_manager(request),
        "disposition_form": forms.DispositionForm(),
        "verify_form": forms.VerifyForm(),
        "scar_form": forms.ScarForm(),
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
        # Who of the SOP's roles has not read the effective version yet (managers follow up).
        "pending_readers": list(selectors.readers_pending(effective))
        if effective and _is_manager(request)
        else [],
        "can_edit": _is_manager(request),
        "open_version": next(
            (
                v
                for v in versions
                if v.status in (SOPVersion.Status.DRAFT, SOPVersion.Status.IN_REVIEW)
            ),
            None,
        ),
    }
    return render(request, "quality/sop_detail.html", context)


# --- shared helpers ---------------------------------------------------------------------------


def _act(
    request: HttpRequest, action: Callable[[], object], success: str, target: str
) -> HttpResponse:
    """Run a POST action's service; its error or success as a message; back to `target`."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(target)


def _form_page(
    request: HttpRequest, form, *, title: str, submit: str, back: str, intro: str = "", **extra
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "back": back,
        "intro": intro,
        **extra,
    }
    status = 400 if form.is_bound else 200
    return render(request, "quality/form.html", context, status=status)


def _is_manager(request: HttpRequest) -> bool:
    return roles.has_role(request.user, MANAGER)


# --- inspection plans (managers) --------------------------------------------------------------


@roles.allow(MANAGER)
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    page_obj = paginate(request, selectors.plans())
    return render(request, "quality/plan_list.html", {"page_obj": page_obj})


def _plan_form(request: HttpRequest, plan: InspectionPlan | None) -> HttpResponse:
    form = forms.InspectionPlanForm(request.POST or None, instance=plan)
    initial = [
        {
            "name": c.get("name"),
            "kind": c.get("kind"),
            "unit": c.get("unit", ""),
            "min": c.get("min"),
            "max": c.get("max"),
        }
        for c in (plan.criteria if plan else [])
    ]
    criteria = forms.CriterionFormSet(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST" and form.is_valid() and criteria.is_valid():
        data = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
        data["criteria"] = forms.criteria_from(criteria)
        try:
            saved = inspections.plan_save(plan=plan, data=data, by=request.user)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Plan “{saved.name}” saved.")
            return redirect("quality:plan_list")
    context = {"form": form, "criteria": criteria, "plan": plan}
    return render(
        request,
        "quality/plan_form.html",
        context,
        status=400 if form.is_bound else 200,
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    return _plan_form(request, None)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_form(request, get_object_or_404(InspectionPlan, pk=pk))


@roles.allow(MANAGER)
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(InspectionPlan, pk=pk)
    try:
        inspections.plan_delete(plan=plan, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quality:plan_edit", pk=pk)
    messages.success(request, f"Plan “{plan.name}” deleted.")
    return redirect("quality:plan_list")


# --- non-conformances and CAPA (managers write) -----------------------------------------------


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def nonconformance_create(request: HttpRequest) -> HttpResponse:
    form = forms.NonConformanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            nc = nonconformance.nc_open(by=request.user, **data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{nc.number} opened.")
            return redirect("quality:nonconformance_detail", pk=nc.pk)
    return _form_page(
        request,
        form,
        title="New non-conformance",
        submit="Open NCR",
        back=reverse("quality:nonconformance_list"),
        intro="From a return, a complaint, an order error, an audit or anything seen on the floor.",
    )


def _manager_nc(request: HttpRequest, pk: int) -> NonConformance:
    return get_object_or_404(NonConformance, pk=pk)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def nonconformance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _manager_nc(request, pk)
    initial = {
        "title": nc.title,
        "severity": nc.severity,
        "status": nc.status,
        "description": nc.description,
        "owner": nc.owner_id,
        "due_date": nc.due_date,
    }
    form = forms.NonConformanceEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            nonconformance.nc_update(nc=nc, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{nc.number} saved.")
            return redirect("quality:nonconformance_detail", pk=nc.pk)
    return _form_page(
        request,
        form,
        title=f"Edit {nc.number}",
        submit="Save",
        back=reverse("quality:nonconformance_detail", args=[nc.pk]),
    )


@roles.allow(MANAGER)
@require_POST
def nonconformance_dispose(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _manager_nc(request, pk)
    form = forms.DispositionForm(request.POST)
    form.is_valid()
    return _act(
        request,
        lambda: nonconformance.nc_dispose(
            nc=nc,
            disposition=form.cleaned_data.get("disposition", ""),
            note=form.cleaned_data.get("note", ""),
            by=request.user,
        ),
        f"Disposition of {nc.number} recorded; the quarantined units moved.",
        reverse("quality:nonconformance_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_POST
def nonconformance_close(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _manager_nc(request, pk)
    return _act(
        request,
        lambda: nonconformance.nc_close(nc=nc, by=request.user),
        f"{nc.number} closed.",
        reverse("quality:nonconformance_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_POST
def nonconformance_scar(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _manager_nc(request, pk)
    form = forms.ScarForm(request.POST)
    form.is_valid()
    return _act(
        request,
        lambda: nonconformance.scar_send(
            nc=nc, by=request.user, request_text=form.cleaned_data.get("request_text", "")
        ),
        "Corrective action request queued to the vendor's contact.",
        reverse("quality:nonconformance_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def capa_create(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _manager_nc(request, pk)
    form = forms.CorrectiveActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            nonconformance.capa_add(
                nc=nc,
                kind=data["kind"],
                whys=form.whys(),
                root_cause=data["root_cause"],
                action=data["action"],
                owner=data["owner"],
                due_date=data["due_date"],
                by=request.user,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Action added to {nc.number}.")
            return redirect("quality:nonconformance_detail", pk=nc.pk)
    return _form_page(
        request,
        form,
        title=f"Corrective action for {nc.number}",
        submit="Add action",
        back=reverse("quality:nonconformance_detail", args=[nc.pk]),
        intro="Ask why until you reach the root cause (up to five times), then the action "
        "that removes it. Someone other than the owner verifies it worked.",
    )


@roles.allow(MANAGER)
@require_POST
def capa_complete(request: HttpRequest, pk: int) -> HttpResponse:
    capa = get_object_or_404(CorrectiveAction, pk=pk)
    return _act(
        request,
        lambda: nonconformance.capa_complete(capa=capa, by=request.user),
        "Action reported done: someone other than its owner verifies it now.",
        reverse("quality:nonconformance_detail", args=[capa.non_conformance_id]),
    )


@roles.allow(MANAGER)
@require_POST
def capa_verify(request: HttpRequest, pk: int) -> HttpResponse:
    capa = get_object_or_404(CorrectiveAction, pk=pk)
    form = forms.VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether the action was effective.")
        return redirect("quality:nonconformance_detail", pk=capa.non_conformance_id)
    return _act(
        request,
        lambda: nonconformance.capa_verify(
            capa=capa,
            by=request.user,
            effective=form.cleaned_data["effective"],
            notes=form.cleaned_data["notes"],
        ),
        "Verification recorded.",
        reverse("quality:nonconformance_detail", args=[capa.non_conformance_id]),
    )


# --- compliance (managers) --------------------------------------------------------------------


@roles.allow(MANAGER)
@require_GET
def requirement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        requirement = selectors.requirement_detail(pk)
    except ComplianceRequirement.DoesNotExist:
        raise Http404("No such requirement.") from None
    context = {
        "requirement": requirement,
        "tagged": selectors.tagged_records(requirement.tag_list),
        "review_form": forms.ReviewForm(
            initial={"status": requirement.status, "evidence": requirement.evidence}
        ),
        "evidence_form": forms.EvidenceForm(),
        "tag_form": forms.TagForm(),
    }
    return render(request, "quality/requirement_detail.html", context)


def _requirement_form(
    request: HttpRequest, requirement: ComplianceRequirement | None
) -> HttpResponse:
    form = forms.RequirementForm(request.POST or None, instance=requirement)
    if request.method == "POST" and form.is_valid():
        try:
            saved = compliance.requirement_save(
                requirement=requirement, data=form.cleaned_data, by=request.user
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{saved.standard} {saved.clause} saved.")
            return redirect("quality:requirement_detail", pk=saved.pk)
    back = (
        reverse("quality:requirement_detail", args=[requirement.pk])
        if requirement
        else reverse("quality:requirement_list")
    )
    title = (
        f"Edit {requirement.standard} {requirement.clause}" if requirement else "New requirement"
    )
    return _form_page(request, form, title=title, submit="Save", back=back)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest) -> HttpResponse:
    return _requirement_form(request, None)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _requirement_form(request, get_object_or_404(ComplianceRequirement, pk=pk))


@roles.allow(MANAGER)
@require_POST
def requirement_review(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_object_or_404(ComplianceRequirement, pk=pk)
    form = forms.ReviewForm(request.POST)
    form.is_valid()
    return _act(
        request,
        lambda: compliance.requirement_review(
            requirement=requirement,
            status=form.cleaned_data.get("status", ""),
            evidence=form.cleaned_data.get("evidence"),
            by=request.user,
        ),
        "Review recorded; the next review is one cadence from today.",
        reverse("quality:requirement_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_object_or_404(ComplianceRequirement, pk=pk)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [
            f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
        ]
        messages.error(request, " ".join(problems))
        return redirect("quality:requirement_detail", pk=pk)
    return _act(
        request,
        lambda: compliance.evidence_add(
            requirement=requirement,
            title=form.cleaned_data.get("title", ""),
            document=form.cleaned_data.get("document"),
            by=request.user,
        ),
        "Evidence attached.",
        reverse("quality:requirement_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence files are served only here, to those the register is for (never from /media/)."""
    evidence = get_object_or_404(ComplianceEvidence, pk=pk)
    return _file(evidence.document)


@roles.allow(MANAGER)
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(ComplianceEvidence, pk=pk)
    return _act(
        request,
        lambda: compliance.evidence_delete(evidence=evidence, by=request.user),
        f"“{evidence.title}” removed.",
        reverse("quality:requirement_detail", args=[evidence.requirement_id]),
    )


@roles.allow(MANAGER)
@require_POST
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_object_or_404(ComplianceRequirement, pk=pk)
    form = forms.TagForm(request.POST)
    form.is_valid()
    return _act(
        request,
        lambda: compliance.clause_tag(
            requirement=requirement,
            kind=form.cleaned_data.get("kind", ""),
            reference=form.cleaned_data.get("reference", ""),
            by=request.user,
        ),
        "Filed under this clause.",
        reverse("quality:requirement_detail", args=[pk]),
    )


@roles.allow(MANAGER)
@require_POST
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tag = get_object_or_404(ClauseTag, pk=pk)
    return _act(
        request,
        lambda: compliance.clause_untag(tag=tag, by=request.user),
        "Tag removed.",
        reverse("quality:requirement_detail", args=[tag.requirement_id]),
    )


@roles.allow(MANAGER)
@require_GET
def audit_pack(request: HttpRequest) -> HttpResponse:
    """The audit pack as CSV: every requirement, its evidence and tagged records, by clause."""
    standard = request.GET.get("standard", "").strip()
    header = ["Clause", "Record", "Title", "Status", "Date", "Note", "By"]
    name = f"audit-pack-{standard or 'all'}".replace(" ", "-").replace(":", "")
    return csv_response(f"{name}.csv", header, selectors.audit_pack_rows(standard))


def _certification_form(request: HttpRequest, certification: Certification | None) -> HttpResponse:
    form = forms.CertificationForm(
        request.POST or None, request.FILES or None, instance=certification
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
        try:
            compliance.certification_save(
                certification=certification,
                data=data,
                document=form.cleaned_data.get("document"),
                by=request.user,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, "Certification saved.")
            return redirect("quality:requirement_list")
    title = f"Edit {certification.name}" if certification else "New certification"
    return _form_page(
        request, form, title=title, submit="Save", back=reverse("quality:requirement_list")
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def certification_create(request: HttpRequest) -> HttpResponse:
    return _certification_form(request, None)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def certification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _certification_form(request, get_object_or_404(Certification, pk=pk))


@roles.allow(MANAGER)
@require_GET
def certification_download(request: HttpRequest, pk: int) -> FileResponse:
    certification = get_object_or_404(Certification, pk=pk)
    return _file(certification.document)


def _file(field) -> FileResponse:
    if not field or not field.storage.exists(field.name):
        raise Http404("No file.")
    response = FileResponse(
        field.open("rb"), as_attachment=True, filename=field.name.rsplit("/", 1)[-1]
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- safety -----------------------------------------------------------------------------------


@roles.allow(MANAGER, STAFF)
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Record an incident or near miss on a phone, in one of your warehouses."""
    form = forms.IncidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = safety.incident_record(by=request.user, **data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{incident.get_kind_display()} recorded. Thank you.")
            return redirect("quality:incident_detail", pk=incident.pk)
    return render(
        request,
        "quality/incident_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@roles.allow(MANAGER, STAFF)
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incidents_for(request.user), pk=pk)
    form = None
    if _is_manager(request):
        form = forms.IncidentFollowUpForm(
            request.POST or None,
            initial={
                "severity": incident.severity,
                "lost_days": incident.lost_days,
                "actions": incident.actions,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                safety.incident_update(incident=incident, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                forms.add_service_errors(form, exc)
            else:
                messages.success(request, "Follow-up saved.")
                return redirect("quality:incident_detail", pk=pk)
    elif request.method == "POST":
        raise PermissionDenied("Managers follow incidents up.")
    return render(
        request,
        "quality/incident_detail.html",
        {"incident": incident, "form": form},
        status=400 if form is not None and form.is_bound else 200,
    )


# --- SOPs: documents, versions, acknowledgements ----------------------------------------------


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def sop_create(request: HttpRequest) -> HttpResponse:
    form = forms.SOPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = sops.sop_save(document=None, by=request.user, **form.cleaned_data)
            version = sops.version_draft(document=document, by=request.user)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{document.code} created: write its first version.")
            return redirect("quality:version_edit", code=document.code, number=version.number)
    return _form_page(
        request, form, title="New SOP", submit="Create", back=reverse("quality:sop_list")
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def sop_edit(request: HttpRequest, code: str) -> HttpResponse:
    document = get_object_or_404(SOPDocument.objects.prefetch_related("roles"), code=code)
    initial = {
        "code": document.code,
        "title": document.title,
        "area": document.area,
        "owner": document.owner_id,
        "roles": list(document.roles.all()),
    }
    form = forms.SOPForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            sops.sop_save(document=document, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{document.code} saved.")
            return redirect("quality:sop_detail", code=document.code)
    return _form_page(
        request,
        form,
        title=f"Edit {document.code}",
        submit="Save",
        back=reverse("quality:sop_detail", args=[code]),
    )


def _get_version(code: str, number: int) -> SOPVersion:
    return get_object_or_404(
        SOPVersion.objects.select_related("document", "author", "approver"),
        document__code=code,
        number=number,
    )


@roles.allow(MANAGER)
@require_POST
def version_create(request: HttpRequest, code: str) -> HttpResponse:
    document = get_object_or_404(SOPDocument, code=code)
    try:
        version = sops.version_draft(document=document, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quality:sop_detail", code=code)
    messages.success(request, f"Draft v{version.number} started from the effective text.")
    return redirect("quality:version_edit", code=code, number=version.number)


@roles.allow(MANAGER)
@require_GET
def version_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Any version, drafts included (for review); the body sanitised, never a template."""
    version = _get_version(code, number)
    context = {
        "version": version,
        "document": version.document,
        "body_html": render_markdown(version.body),
        "reject_form": forms.RejectForm(),
        "is_author": version.author_id == request.user.pk,
    }
    return render(request, "quality/version_detail.html", context)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _get_version(code, number)
    form = forms.SOPVersionForm(
        request.POST or None,
        initial={"body": version.body, "change_summary": version.change_summary},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sops.version_edit(version=version, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Draft v{version.number} saved.")
            return redirect("quality:version_detail", code=code, number=number)
    return _form_page(
        request,
        form,
        title=f"{code} v{number} (draft)",
        submit="Save draft",
        back=reverse("quality:version_detail", args=[code, number]),
        intro="Write in Markdown: # headings, - lists, 1. steps, | tables |. "
        "Images and scripts are removed; links to internal addresses are dropped.",
    )


def _version_action(
    request: HttpRequest, code: str, number: int, action, success: str
) -> HttpResponse:
    version = _get_version(code, number)
    return _act(
        request,
        lambda: action(version),
        success,
        reverse("quality:version_detail", args=[code, number]),
    )


@roles.allow(MANAGER)
@require_POST
def version_submit(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _version_action(
        request,
        code,
        number,
        lambda v: sops.version_submit(version=v, by=request.user),
        "Sent for review: another manager approves it.",
    )


@roles.allow(MANAGER)
@require_POST
def version_approve(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _version_action(
        request,
        code,
        number,
        lambda v: sops.version_approve(version=v, by=request.user),
        f"v{number} is effective; the previous version is superseded and readers are asked "
        "to acknowledge it.",
    )


@roles.allow(MANAGER)
@require_POST
def version_reject(request: HttpRequest, code: str, number: int) -> HttpResponse:
    form = forms.RejectForm(request.POST)
    form.is_valid()
    return _version_action(
        request,
        code,
        number,
        lambda v: sops.version_reject(
            version=v, by=request.user, note=form.cleaned_data.get("note", "")
        ),
        "Sent back to the author as a draft.",
    )


@roles.allow(MANAGER)
@require_POST
def version_withdraw(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _get_version(code, number)
    try:
        sops.version_withdraw(version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quality:version_detail", code=code, number=number)
    messages.success(request, f"Draft v{number} withdrawn.")
    return redirect("quality:sop_detail", code=code)


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_POST
def sop_acknowledge(request: HttpRequest, code: str) -> HttpResponse:
    document = get_object_or_404(SOPDocument, code=code)
    version = document.versions.filter(status=SOPVersion.Status.EFFECTIVE).first()
    if version is None:
        messages.error(request, f"{code} has no effective version to acknowledge.")
        return redirect("quality:sop_detail", code=code)
    back_to_list = request.POST.get("next") == "todo"
    return _act(
        request,
        lambda: sops.sop_acknowledge(version=version, user=request.user),
        f"Thank you: you acknowledged {code} v{version.number}.",
        reverse("quality:sop_todo") if back_to_list else reverse("quality:sop_detail", args=[code]),
    )


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_GET
def sop_todo(request: HttpRequest) -> HttpResponse:
    """The effective SOP versions your roles must read that you have not acknowledged yet."""
    return render(
        request,
        "quality/sop_todo.html",
        {"versions": list(selectors.sops_to_acknowledge(request.user))},
    )


# --- manuals ----------------------------------------------------------------------------------


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_GET
def manual_list(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/manual_list.html", {"manuals": list(selectors.manuals())})


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_GET
def manual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    manual = get_object_or_404(selectors.manuals(), pk=pk)
    entries = manual.entries.select_related("document").order_by("position")
    effective = {
        v.document_id: v
        for v in SOPVersion.objects.filter(
            status=SOPVersion.Status.EFFECTIVE, document__manuals=manual
        )
    }
    job = manual.last_job
    # Only the requester and managers may open a job (opsportal's rule); others render their own.
    own_job = (
        job if job and (job.requested_by_id == request.user.pk or _is_manager(request)) else None
    )
    context = {
        "manual": manual,
        "rows": [(entry, effective.get(entry.document_id)) for entry in entries],
        "job": own_job,
    }
    return render(request, "quality/manual_detail.html", context)


def _manual_form(request: HttpRequest, manual: Manual | None) -> HttpResponse:
    initial = {}
    if manual:
        initial = {
            "title": manual.title,
            "description": manual.description,
            "codes": "\n".join(
                manual.entries.order_by("position").values_list("document__code", flat=True)
            ),
        }
    form = forms.ManualForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = manuals.manual_save(manual=manual, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"“{saved.title}” saved.")
            return redirect("quality:manual_detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        title=f"Edit {manual.title}" if manual else "New manual",
        submit="Save",
        back=reverse("quality:manual_detail", args=[manual.pk])
        if manual
        else reverse("quality:manual_list"),
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def manual_create(request: HttpRequest) -> HttpResponse:
    return _manual_form(request, None)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def manual_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _manual_form(request, get_object_or_404(Manual, pk=pk))


@roles.allow(MANAGER, STAFF, CONTRACTS)
@require_POST
def manual_render(request: HttpRequest, pk: int) -> HttpResponse:
    manual = get_object_or_404(Manual, pk=pk)
    try:
        job = manuals.manual_render(manual=manual, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quality:manual_detail", pk=pk)
    messages.success(request, "The PDF is being made; this page shows its progress.")
    return redirect("document_detail", pk=job.pk)
