"""Quality API writes: each endpoint parses with a serializer and calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Product, Warehouse
from opsportal import roles
from opsportal.api import DocumentJobSerializer
from quality import selectors
from quality.api import read
from quality.models import (
    ComplianceRequirement,
    CorrectiveAction,
    InspectionPlan,
    Manual,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
)
from quality.services import compliance, inspections, manuals, nonconformance, safety, sops
from vendors.models import Vendor

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF
CONTRACTS = roles.CONTRACT_ADMIN
FLOOR = (MANAGER, STAFF)
READERS = (MANAGER, STAFF, CONTRACTS)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record's state does not allow this."
    default_code = "conflict"


# Refusals caused by the record's current state, not by the request: 409.
CONFLICT_CODES = {
    "invalid_status",
    "insufficient_stock",
    "already_sent",
    "has_inspections",
    "open_version",
}


def call_service(service: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service; its ValidationError becomes a 400 naming the field (409 for conflicts)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc
        codes = {error.code for errors in exc.error_dict.values() for error in errors}
        if codes & CONFLICT_CODES:
            raise Conflict(exc.message_dict) from exc
        raise serializers.ValidationError(exc.message_dict) from exc


def _users() -> QuerySet:
    return get_user_model().objects.filter(is_active=True)


def _user_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", queryset=_users(), **kwargs)


# --- inspection plans ------------------------------------------------------------------------


class CriterionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=["pass_fail", "measure"], default="pass_fail")
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    min = serializers.FloatField(required=False, allow_null=True)
    max = serializers.FloatField(required=False, allow_null=True)


class InspectionPlanSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True
    )
    vendor = serializers.SlugRelatedField(
        slug_field="name", queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False, allow_null=True
    )
    sop = serializers.SlugRelatedField(
        slug_field="code", queryset=SOPDocument.objects.all(), required=False, allow_null=True
    )
    criteria = CriterionSerializer(many=True)
    inspections_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [
            "id",
            "name",
            "trigger",
            "product",
            "vendor",
            "warehouse",
            "sampling",
            "sample_size",
            "every_nth",
            "period_days",
            "criteria",
            "sop",
            "is_active",
            "receipts_seen",
            "inspections_count",
        ]
        read_only_fields = ["id", "receipts_seen", "inspections_count"]


class InspectionPlanViewSet(viewsets.ModelViewSet):
    """Inspection plans (managers): trigger, scope, sampling and criteria, checked by the service."""

    access_roles = (MANAGER,)
    serializer_class = InspectionPlanSerializer
    filterset_fields = ["trigger", "sampling", "is_active"]
    search_fields = ["name"]
    ordering_fields = ["name", "trigger"]

    def get_queryset(self) -> QuerySet:
        return selectors.plans()

    def _save(self, serializer: InspectionPlanSerializer, plan: InspectionPlan | None) -> None:
        data = dict(serializer.validated_data)
        if "criteria" in data:
            data["criteria"] = [dict(c) for c in data["criteria"]]
        serializer.instance = call_service(
            inspections.plan_save, plan=plan, data=data, by=self.request.user
        )

    def perform_create(self, serializer: InspectionPlanSerializer) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: InspectionPlanSerializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: InspectionPlan) -> None:
        call_service(inspections.plan_delete, plan=instance, by=self.request.user)


# --- inspections -----------------------------------------------------------------------------


class ResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    value = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class InspectionRecordSerializer(serializers.Serializer):
    results = ResultSerializer(many=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    affected_quantity = serializers.IntegerField(required=False, min_value=0, allow_null=True)


class InspectionViewSet(read.InspectionViewSet):
    @extend_schema(
        request=InspectionRecordSerializer,
        responses={
            200: read.InspectionSerializer,
            409: OpenApiResponse(
                description="Recorded already, or the stock to quarantine is gone"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        """Record each criterion; a failure quarantines stock and opens a non-conformance."""
        inspection = self.get_object()
        incoming = InspectionRecordSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        results = [{k: v for k, v in r.items() if v is not None} for r in data["results"]]
        recorded = call_service(
            inspections.inspection_record,
            inspection=inspection,
            results=results,
            notes=data["notes"],
            affected_quantity=data.get("affected_quantity"),
            by=request.user,
        )
        return Response(read.InspectionSerializer(self.get_queryset().get(pk=recorded.pk)).data)


# --- non-conformances and CAPA ---------------------------------------------------------------


class NonConformanceCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    origin = serializers.ChoiceField(
        choices=NonConformance.Origin.choices, default=NonConformance.Origin.MANUAL
    )
    severity = serializers.ChoiceField(
        choices=NonConformance.Severity.choices, default=NonConformance.Severity.MINOR
    )
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True
    )
    vendor = serializers.SlugRelatedField(
        slug_field="name", queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False, allow_null=True
    )
    quantity = serializers.IntegerField(min_value=0, default=0)
    quarantine_now = serializers.BooleanField(default=False)
    owner = _user_field(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class NonConformanceUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=NonConformance.Severity.choices, required=False)
    status = serializers.ChoiceField(choices=NonConformance.Status.choices, required=False)
    owner = _user_field(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class DispositionSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(
        choices=[c for c in NonConformance.Disposition.choices if c[0]]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ScarSerializer(serializers.Serializer):
    request_text = serializers.CharField(required=False, allow_blank=True, default="")


class CorrectiveActionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CorrectiveAction.Kind.choices, default=CorrectiveAction.Kind.CORRECTIVE
    )
    whys = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    root_cause = serializers.CharField(required=False, allow_blank=True, default="")
    action = serializers.CharField()
    owner = _user_field()
    due_date = serializers.DateField()


class NonConformanceViewSet(mixins.CreateModelMixin, read.NonConformanceViewSet):
    """Contract admins read; managers open, update, disposition, close and add actions."""

    write_roles = (MANAGER,)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _detail(self, nc: NonConformance) -> Response:
        return Response(read.NonConformanceSerializer(self.rows().get(pk=nc.pk)).data)

    @extend_schema(
        request=NonConformanceCreateSerializer, responses={201: read.NonConformanceSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = NonConformanceCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        nc = call_service(nonconformance.nc_open, by=request.user, **incoming.validated_data)
        response = self._detail(nc)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=NonConformanceUpdateSerializer, responses=read.NonConformanceSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        nc = self.get_object()
        incoming = NonConformanceUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        nc = call_service(
            nonconformance.nc_update, nc=nc, data=dict(incoming.validated_data), by=request.user
        )
        return self._detail(nc)

    @extend_schema(request=DispositionSerializer, responses=read.NonConformanceSerializer)
    @action(detail=True, methods=["post"], access_roles=(MANAGER,))
    def dispose(self, request: Request, number: str | None = None) -> Response:
        """Decide the disposition; the quarantined units move through inventory.services."""
        nc = self.get_object()
        incoming = DispositionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._detail(
            call_service(
                nonconformance.nc_dispose, nc=nc, by=request.user, **incoming.validated_data
            )
        )

    @extend_schema(request=None, responses=read.NonConformanceSerializer)
    @action(detail=True, methods=["post"], access_roles=(MANAGER,))
    def close(self, request: Request, number: str | None = None) -> Response:
        return self._detail(
            call_service(nonconformance.nc_close, nc=self.get_object(), by=request.user)
        )

    @extend_schema(request=ScarSerializer, responses=read.NonConformanceSerializer)
    @action(detail=True, methods=["post"], access_roles=(MANAGER,))
    def scar(self, request: Request, number: str | None = None) -> Response:
        """Email a supplier corrective action request to the vendor's primary contact (once)."""
        incoming = ScarSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return self._detail(
            call_service(
                nonconformance.scar_send,
                nc=self.get_object(),
                by=request.user,
                **incoming.validated_data,
            )
        )

    @extend_schema(
        request=CorrectiveActionCreateSerializer,
        responses={201: read.CorrectiveActionSerializer},
    )
    @action(detail=True, methods=["post"], url_path="actions", access_roles=(MANAGER,))
    def add_action(self, request: Request, number: str | None = None) -> Response:
        """Add a corrective or preventive action (5 whys, root cause, owner, due date)."""
        incoming = CorrectiveActionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        capa = call_service(
            nonconformance.capa_add,
            nc=self.get_object(),
            by=request.user,
            **incoming.validated_data,
        )
        return Response(read.CorrectiveActionSerializer(capa).data, status=status.HTTP_201_CREATED)


class VerifySerializer(serializers.Serializer):
    effective = serializers.BooleanField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CorrectiveActionViewSet(viewsets.ReadOnlyModelViewSet):
    """Corrective actions (managers): report done, verify (never by their owner)."""

    access_roles = (MANAGER,)
    serializer_class = read.CorrectiveActionSerializer
    filterset_fields = ["status", "kind"]
    ordering_fields = ["due_date", "status"]

    def get_queryset(self) -> QuerySet:
        return CorrectiveAction.objects.select_related("owner", "verified_by").order_by(
            "due_date", "id"
        )

    @extend_schema(request=None, responses=read.CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        capa = call_service(nonconformance.capa_complete, capa=self.get_object(), by=request.user)
        return Response(read.CorrectiveActionSerializer(capa).data)

    @extend_schema(request=VerifySerializer, responses=read.CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        incoming = VerifySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        capa = call_service(
            nonconformance.capa_verify,
            capa=self.get_object(),
            by=request.user,
            **incoming.validated_data,
        )
        return Response(read.CorrectiveActionSerializer(capa).data)


# --- compliance ------------------------------------------------------------------------------


class RequirementWriteSerializer(serializers.ModelSerializer):
    owner = _user_field(required=False, allow_null=True)

    class Meta:
        model = ComplianceRequirement
        fields = [
            "standard",
            "clause",
            "title",
            "description",
            "owner",
            "review_cadence_days",
            "next_review",
            "evidence",
            "status",
        ]
        extra_kwargs = {"next_review": {"required": False}}
        validators = []  # the service checks standard + clause and names the field


class ReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ComplianceRequirement.Status.choices)
    evidence = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None
    )


class ComplianceRequirementViewSet(mixins.CreateModelMixin, read.ComplianceRequirementViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _detail(self, requirement: ComplianceRequirement) -> Response:
        return Response(
            read.ComplianceRequirementSerializer(self.rows().get(pk=requirement.pk)).data
        )

    @extend_schema(
        request=RequirementWriteSerializer, responses={201: read.ComplianceRequirementSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = RequirementWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        saved = call_service(
            compliance.requirement_save,
            requirement=None,
            data=dict(incoming.validated_data),
            by=request.user,
        )
        response = self._detail(saved)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request=RequirementWriteSerializer, responses=read.ComplianceRequirementSerializer
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        requirement = self.get_object()
        incoming = RequirementWriteSerializer(requirement, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        saved = call_service(
            compliance.requirement_save,
            requirement=requirement,
            data=dict(incoming.validated_data),
            by=request.user,
        )
        return self._detail(saved)

    @extend_schema(request=ReviewSerializer, responses=read.ComplianceRequirementSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Record a review: status found, next review one cadence from today."""
        incoming = ReviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        saved = call_service(
            compliance.requirement_review,
            requirement=self.get_object(),
            by=request.user,
            **incoming.validated_data,
        )
        return self._detail(saved)


# --- safety ----------------------------------------------------------------------------------


class IncidentCreateSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    occurred_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=SafetyIncident.Kind.choices)
    severity = serializers.ChoiceField(
        choices=SafetyIncident.Severity.choices, default=SafetyIncident.Severity.LOW
    )
    lost_days = serializers.IntegerField(min_value=0, default=0)
    description = serializers.CharField()
    actions = serializers.CharField(required=False, allow_blank=True, default="")


class SafetyIncidentViewSet(mixins.CreateModelMixin, read.SafetyIncidentViewSet):
    """Staff record incidents in their warehouses (another warehouse: 400 naming it)."""

    @extend_schema(request=IncidentCreateSerializer, responses={201: read.SafetyIncidentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = IncidentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        incident = call_service(safety.incident_record, by=request.user, **incoming.validated_data)
        return Response(
            read.SafetyIncidentSerializer(self.rows().get(pk=incident.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- SOPs and manuals ------------------------------------------------------------------------


class AcknowledgementSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField()


class SOPDocumentViewSet(read.SOPDocumentViewSet):
    @extend_schema(request=None, responses=AcknowledgementSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, code: str | None = None) -> Response:
        """The caller has read the effective version (idempotent)."""
        document = self.get_object()
        version = document.versions.filter(status=SOPVersion.Status.EFFECTIVE).first()
        if version is None:
            raise Conflict({"version": [f"{document.code} has no effective version."]})
        acknowledgement = call_service(sops.sop_acknowledge, version=version, user=request.user)
        return Response(
            AcknowledgementSerializer(
                {
                    "code": document.code,
                    "version": version.number,
                    "acknowledged_at": acknowledgement.acknowledged_at,
                }
            ).data
        )


class ManualSerializer(serializers.ModelSerializer):
    chapters = serializers.SerializerMethodField()

    class Meta:
        model = Manual
        fields = ["id", "title", "description", "chapters"]
        read_only_fields = fields

    def get_chapters(self, manual: Manual) -> list[str]:
        """SOP codes in print order."""
        return [entry.document.code for entry in manual.entries.all()]


class ManualViewSet(viewsets.ReadOnlyModelViewSet):
    """Manuals; anyone who reads SOPs may print one (the PDF is their own DocumentJob)."""

    access_roles = READERS
    serializer_class = ManualSerializer
    search_fields = ["title"]
    ordering_fields = ["title"]

    def get_queryset(self) -> QuerySet:
        from django.db.models import Prefetch

        from quality.models import ManualEntry

        entries = ManualEntry.objects.select_related("document").order_by("position")
        return Manual.objects.prefetch_related(Prefetch("entries", queryset=entries)).order_by(
            "title"
        )

    @extend_schema(request=None, responses={202: DocumentJobSerializer})
    @action(detail=True, methods=["post"], url_path="render", url_name="render")
    def render_pdf(self, request: Request, pk: str | None = None) -> Response:
        """Queue the PDF (documents queue); poll /api/v1/documents/{id}/ for its progress."""
        job = call_service(manuals.manual_render, manual=self.get_object(), by=request.user)
        return Response(DocumentJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
