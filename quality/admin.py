"""Admin for every quality model. Cross-app links are raw ids so changelists stay cheap."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from quality.models import (
    Acknowledgement,
    Certification,
    ClauseTag,
    ComplianceEvidence,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    InspectionPlan,
    Manual,
    ManualEntry,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
    SOPWorkLink,
)


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "product", "vendor", "warehouse", "sampling", "is_active"]
    list_filter = ["trigger", "sampling", "is_active"]
    search_fields = ["name", "product__sku", "vendor__name", "warehouse__code"]
    list_select_related = ["product", "vendor", "warehouse"]
    raw_id_fields = ["product", "vendor", "warehouse"]
    autocomplete_fields = ["sop"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "plan",
        "warehouse",
        "product",
        "vendor",
        "status",
        "inspector",
        "created_at",
        "inspected_at",
    ]
    list_filter = ["status", "plan__trigger", "warehouse"]
    search_fields = ["=id", "plan__name", "product__sku", "vendor__name", "notes"]
    list_select_related = ["plan", "warehouse", "product", "vendor", "inspector"]
    raw_id_fields = ["product", "vendor", "warehouse", "inspector"]
    autocomplete_fields = ["plan"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


class CorrectiveActionInline(admin.StackedInline):
    model = CorrectiveAction
    extra = 0
    raw_id_fields = ["owner", "verified_by"]
    show_change_link = True


@admin.register(NonConformance)
class NonConformanceAdmin(SimpleHistoryAdmin):
    list_display = [
        "number",
        "title",
        "origin",
        "severity",
        "vendor",
        "product",
        "status",
        "owner",
        "due_date",
    ]
    list_filter = ["status", "severity", "origin", "disposition"]
    search_fields = ["number", "title", "description", "vendor__name", "product__sku"]
    list_select_related = ["vendor", "product", "owner"]
    raw_id_fields = ["product", "vendor", "warehouse", "owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]
    inlines = [CorrectiveActionInline]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(SimpleHistoryAdmin):
    list_display = ["id", "non_conformance", "kind", "owner", "due_date", "status", "verified_by"]
    list_filter = ["status", "kind"]
    search_fields = ["non_conformance__number", "root_cause", "action"]
    list_select_related = ["non_conformance", "owner", "verified_by"]
    raw_id_fields = ["owner", "verified_by"]
    autocomplete_fields = ["non_conformance"]
    date_hierarchy = "due_date"


class ComplianceEvidenceInline(admin.TabularInline):
    model = ComplianceEvidence
    extra = 0
    raw_id_fields = ["uploaded_by"]
    readonly_fields = ["uploaded_at"]


@admin.register(ComplianceRequirement)
class ComplianceRequirementAdmin(SimpleHistoryAdmin):
    list_display = ["standard", "clause", "title", "owner", "status", "next_review"]
    list_filter = ["status", "standard"]
    search_fields = ["standard", "clause", "title", "description", "evidence"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "next_review"
    inlines = [ComplianceEvidenceInline]


@admin.register(ClauseTag)
class ClauseTagAdmin(admin.ModelAdmin):
    list_display = ["requirement", "record_type", "record_id", "tagged_by", "tagged_at"]
    list_filter = ["record_type"]
    list_select_related = ["requirement", "record_type", "tagged_by"]
    raw_id_fields = ["requirement", "tagged_by"]
    readonly_fields = ["tagged_at"]


@admin.register(ComplianceEvidence)
class ComplianceEvidenceAdmin(admin.ModelAdmin):
    list_display = ["title", "requirement", "uploaded_by", "uploaded_at"]
    search_fields = ["title", "requirement__standard", "requirement__clause"]
    list_select_related = ["requirement", "uploaded_by"]
    autocomplete_fields = ["requirement"]
    raw_id_fields = ["uploaded_by"]
    readonly_fields = ["uploaded_at"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "warehouse", "valid_from", "valid_until"]
    list_filter = ["warehouse"]
    search_fields = ["name", "issuer"]
    list_select_related = ["warehouse"]
    raw_id_fields = ["warehouse"]
    date_hierarchy = "valid_until"


@admin.register(SafetyIncident)
class SafetyIncidentAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "warehouse", "kind", "severity", "lost_days", "reported_by"]
    list_filter = ["kind", "severity", "warehouse"]
    search_fields = ["description", "actions"]
    list_select_related = ["warehouse", "reported_by"]
    raw_id_fields = ["warehouse", "reported_by"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["created_at"]


class SOPVersionInline(admin.StackedInline):
    model = SOPVersion
    extra = 0
    raw_id_fields = ["author", "approver"]
    readonly_fields = ["created_at"]
    show_change_link = True


@admin.register(SOPDocument)
class SOPDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "area", "owner"]
    list_filter = ["area"]
    search_fields = ["code", "title"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["roles"]
    inlines = [SOPVersionInline]


@admin.register(SOPWorkLink)
class SOPWorkLinkAdmin(admin.ModelAdmin):
    list_display = ["key", "document"]
    list_select_related = ["document"]
    autocomplete_fields = ["document"]


@admin.register(SOPVersion)
class SOPVersionAdmin(SimpleHistoryAdmin):
    list_display = ["document", "number", "status", "author", "approver", "effective_at"]
    list_filter = ["status", "document__area"]
    search_fields = ["document__code", "document__title", "change_summary"]
    list_select_related = ["document", "author", "approver"]
    raw_id_fields = ["author", "approver"]
    autocomplete_fields = ["document"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    """Read-only: an acknowledgement is evidence that someone read a version."""

    list_display = ["user", "version", "acknowledged_at"]
    list_filter = ["version__document__area"]
    search_fields = ["user__username", "version__document__code"]
    list_select_related = ["user", "version__document"]
    date_hierarchy = "acknowledged_at"
    readonly_fields = ["user", "version", "acknowledged_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ManualEntryInline(admin.TabularInline):
    model = ManualEntry
    extra = 0
    autocomplete_fields = ["document"]


@admin.register(Manual)
class ManualAdmin(admin.ModelAdmin):
    list_display = ["title", "last_job"]
    search_fields = ["title", "description"]
    list_select_related = ["last_job"]
    raw_id_fields = ["last_job"]
    inlines = [ManualEntryInline]


@admin.register(ManualEntry)
class ManualEntryAdmin(admin.ModelAdmin):
    list_display = ["manual", "position", "document"]
    list_filter = ["manual"]
    search_fields = ["manual__title", "document__code", "document__title"]
    list_select_related = ["manual", "document"]
    autocomplete_fields = ["manual", "document"]
