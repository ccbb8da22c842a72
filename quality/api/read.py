"""Quality API serializers and the read side of its viewsets (selectors scope what each user sees)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from opsportal import roles
from quality import selectors
from quality.filters import (
    ComplianceRequirementFilter,
    InspectionFilter,
    NonConformanceFilter,
    SafetyIncidentFilter,
    SOPDocumentFilter,
)
from quality.markdown import render_markdown
from quality.models import (
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
)


def _username() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


class _SourceFields(serializers.Serializer):
    """A generic source as "app_label.model" plus its id (both empty when there is none)."""

    source_type = serializers.SerializerMethodField()

    def get_source_type(self, obj: Any) -> str:
        if not obj.source_type_id:
            return ""
        return f"{obj.source_type.app_label}.{obj.source_type.model}"


class InspectionSerializer(_SourceFields, serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    vendor = serializers.SlugRelatedField(slug_field="name", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    inspector = _username()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "plan",
            "plan_name",
            "source_type",
            "source_id",
            "product",
            "vendor",
            "warehouse",
            "quantity",
            "sample_size",
            "results",
            "status",
            "inspector",
            "notes",
            "created_at",
            "inspected_at",
        ]
        read_only_fields = fields


class CorrectiveActionSerializer(serializers.ModelSerializer):
    owner = _username()
    verified_by = _username()

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "kind",
            "whys",
            "root_cause",
            "action",
            "owner",
            "due_date",
            "status",
            "completed_at",
            "verified_by",
            "verified_at",
            "verification_notes",
        ]
        read_only_fields = fields


class NonConformanceSerializer(_SourceFields, serializers.ModelSerializer):
    vendor = serializers.SlugRelatedField(slug_field="name", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = _username()
    is_overdue = serializers.BooleanField(read_only=True)
    actions = CorrectiveActionSerializer(many=True, read_only=True)

    class Meta:
        model = NonConformance
        fields = [
            "number",
            "title",
            "description",
            "origin",
            "source_type",
            "source_id",
            "vendor",
            "product",
            "warehouse",
            "quantity",
            "severity",
            "disposition",
            "status",
            "owner",
            "due_date",
            "is_overdue",
            "created_at",
            "closed_at",
            "actions",
        ]
        read_only_fields = fields


class ComplianceRequirementSerializer(serializers.ModelSerializer):
    owner = _username()
    is_overdue = serializers.BooleanField(read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ComplianceRequirement
        fields = [
            "id",
            "standard",
            "clause",
            "title",
            "description",
            "owner",
            "status",
            "review_cadence_days",
            "next_review",
            "is_overdue",
            "evidence",
            "evidence_count",
        ]
        read_only_fields = fields


class SafetyIncidentSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reported_by = _username()

    class Meta:
        model = SafetyIncident
        fields = [
            "id",
            "warehouse",
            "occurred_at",
            "kind",
            "severity",
            "lost_days",
            "description",
            "actions",
            "reported_by",
            "created_at",
        ]
        read_only_fields = fields


class SOPVersionSerializer(serializers.ModelSerializer):
    author = _username()
    approver = _username()
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = SOPVersion
        fields = [
            "number",
            "status",
            "author",
            "approver",
            "change_summary",
            "effective_at",
            "body",
            "body_html",
        ]
        read_only_fields = fields

    def get_body_html(self, obj: SOPVersion) -> str:
        """The body as sanitised HTML (Markdown rendered, then cleaned with nh3)."""
        return str(render_markdown(obj.body))


class SOPDocumentSerializer(serializers.ModelSerializer):
    owner = _username()
    roles = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    versions_count = serializers.IntegerField(read_only=True)
    effective_version = serializers.SerializerMethodField()

    class Meta:
        model = SOPDocument
        fields = [
            "code",
            "title",
            "area",
            "owner",
            "roles",
            "versions_count",
            "effective_version",
        ]
        read_only_fields = fields

    @extend_schema_field(SOPVersionSerializer(allow_null=True))
    def get_effective_version(self, obj: SOPDocument) -> dict | None:
        # `effective_versions` is prefetched by sop_documents_with_effective_version().
        versions = obj.effective_versions
        return SOPVersionSerializer(versions[0]).data if versions else None


class _QualityViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only; the rows come from a selector (scoped to the user's warehouses where it applies)."""

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.serializer_class.Meta.model.objects.none()
        return self.rows()

    def rows(self) -> QuerySet:
        raise NotImplementedError


class InspectionViewSet(_QualityViewSet):
    access_roles = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    search_fields = ["plan__name", "product__sku", "product__name", "notes"]
    ordering_fields = ["created_at", "inspected_at", "status"]

    def rows(self) -> QuerySet:
        return selectors.inspections_for(self.request.user)


class NonConformanceViewSet(_QualityViewSet):
    # Contract admins read: a vendor's quality record matters to its contract.
    access_roles = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN)
    serializer_class = NonConformanceSerializer
    filterset_class = NonConformanceFilter
    lookup_field = "number"
    search_fields = ["number", "title", "description"]
    ordering_fields = ["created_at", "due_date", "severity", "status", "number"]

    def rows(self) -> QuerySet:
        return selectors.nonconformances_with_actions()


class ComplianceRequirementViewSet(_QualityViewSet):
    access_roles = (roles.OPERATIONS_MANAGER,)
    serializer_class = ComplianceRequirementSerializer
    filterset_class = ComplianceRequirementFilter
    search_fields = ["standard", "clause", "title"]
    ordering_fields = ["standard", "clause", "next_review", "status"]

    def rows(self) -> QuerySet:
        return selectors.requirements()


class SafetyIncidentViewSet(_QualityViewSet):
    access_roles = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
    serializer_class = SafetyIncidentSerializer
    filterset_class = SafetyIncidentFilter
    search_fields = ["description", "actions"]
    ordering_fields = ["occurred_at", "lost_days", "severity"]

    def rows(self) -> QuerySet:
        return selectors.incidents_for(self.request.user)


class SOPDocumentViewSet(_QualityViewSet):
    access_roles = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF, roles.CONTRACT_ADMIN)
    serializer_class = SOPDocumentSerializer
    filterset_class = SOPDocumentFilter
    lookup_field = "code"
    search_fields = ["code", "title"]
    ordering_fields = ["code", "title", "area"]

    def rows(self) -> QuerySet:
        return selectors.sop_documents_with_effective_version()
