"""Inventory checks in the API: list and detail (blind-safe), and the workflow as actions.

    POST /api/v1/checks/                 create by hand (manager)
    POST /api/v1/checks/{id}/start/      snapshot and begin counting (staff of the warehouse)
    POST /api/v1/checks/{id}/count/      {"code": "SKU-1", "quantity": 12} (staff of the warehouse)
    POST /api/v1/checks/{id}/submit/     finish a round: recount, review or posted
    POST /api/v1/checks/{id}/approve/    {"lines": [ids]} or every line waiting (manager)
    POST /api/v1/checks/{id}/reject/     the same, rejecting (manager)
    POST /api/v1/checks/{id}/post/       count corrections to the ledger (manager)
    POST /api/v1/checks/{id}/cancel/     (manager)

Staff get 404 for another warehouse's check (it is not in their queryset) and 403 for actions
their role may not take. A counter's responses never hold the expected quantity.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import checks, selectors
from inventory.api.common import STOCK_ROLES, call_service, require_work_in
from inventory.api.serializers import (
    CheckCountInputSerializer,
    CheckCountResultSerializer,
    CheckCreatedSerializer,
    CheckCreateSerializer,
    CheckDecisionSerializer,
    CheckSubmitResultSerializer,
    InventoryCheckDetailSerializer,
    InventoryCheckSerializer,
)
from inventory.filters import InventoryCheckFilter
from inventory.models import InventoryCheck
from opsportal import roles

MANAGERS = (roles.OPERATIONS_MANAGER,)
_ERRORS = {
    400: OpenApiResponse(description="A field is missing or wrong (named)"),
    403: OpenApiResponse(description="Not your warehouse, or not your role"),
    409: OpenApiResponse(description="The count's status does not allow this now"),
}


class InventoryCheckViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inventory checks; the detail nests the lines (the list stays light for big counts)."""

    access_roles = STOCK_ROLES
    filterset_class = InventoryCheckFilter
    search_fields = ["warehouse__code", "location"]
    ordering_fields = ["scheduled_for", "created_at", "status"]

    def get_queryset(self) -> QuerySet[InventoryCheck]:
        found = selectors.checks_for(self.request.user)
        if self.action == "retrieve":
            found = found.prefetch_related(
                Prefetch("lines", queryset=selectors.check_lines_queryset())
            )
        return found

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "retrieve":
            return InventoryCheckDetailSerializer
        if self.action == "create":
            return CheckCreateSerializer
        return InventoryCheckSerializer

    def _detail(self, check: InventoryCheck, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            selectors.checks_for(self.request.user)
            .prefetch_related(Prefetch("lines", queryset=selectors.check_lines_queryset()))
            .get(pk=check.pk)
        )
        data = InventoryCheckDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _counter_check(self) -> InventoryCheck:
        check = self.get_object()
        require_work_in(self.request.user, check.warehouse, "count")
        return check

    @extend_schema(
        request=CheckCreateSerializer, responses={201: CheckCreatedSerializer, **_ERRORS}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plan a count by hand (operations managers)."""
        if not roles.has_role(request.user, roles.OPERATIONS_MANAGER):
            raise PermissionDenied("Only an operations manager plans counts by hand.")
        incoming = CheckCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        created = call_service(
            checks.check_create,
            warehouse=data["warehouse"],
            kind=data["kind"],
            created_by=request.user,
            products=data.get("products", []),
            location=data.get("location", ""),
            scheduled_for=data.get("scheduled_for"),
            assigned_to=data.get("assigned_to"),
            blind=data.get("blind", True),
        )
        return Response(CheckCreatedSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InventoryCheckSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Snapshot the expected quantities and begin counting (planned → counting)."""
        check = call_service(checks.check_start, check=self._counter_check(), by=request.user)
        fresh = selectors.checks_for(request.user).get(pk=check.pk)
        return Response(InventoryCheckSerializer(fresh).data)

    @extend_schema(
        request=CheckCountInputSerializer, responses={200: CheckCountResultSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def count(self, request: Request, pk: str | None = None) -> Response:
        """Record what was found of one product. Nothing about the expected quantity comes back."""
        check = self._counter_check()
        incoming = CheckCountInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        line = call_service(
            checks.check_count,
            check=check,
            by=request.user,
            code=incoming.validated_data["code"],
            quantity=incoming.validated_data["quantity"],
        )
        counted, to_count = checks.check_progress(check)
        result = {"line": line, "progress": {"counted": counted, "to_count": to_count}}
        return Response(CheckCountResultSerializer(result).data)

    @extend_schema(request=None, responses={200: CheckSubmitResultSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Finish a round: lines beyond tolerance are asked for a recount (first round) or go
        to a manager (after the recount); with nothing to review the count is posted."""
        result = call_service(checks.check_submit, check=self._counter_check(), by=request.user)
        data = {
            "status": result.check.status,
            "recount": checks.recount_skus(result.check) if result.recount else [],
            "to_review": result.to_review,
        }
        return Response(CheckSubmitResultSerializer(data).data)

    def _decide(self, request: Request, approve: bool) -> Response:
        check = self.get_object()
        incoming = CheckDecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        call_service(
            checks.check_decide,
            check=check,
            by=request.user,
            approve=approve,
            line_ids=incoming.validated_data.get("lines"),
        )
        return self._detail(check)

    @extend_schema(
        request=CheckDecisionSerializer, responses={200: InventoryCheckDetailSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"], access_roles=MANAGERS)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve lines waiting for a decision (all of them without `lines`)."""
        return self._decide(request, approve=True)

    @extend_schema(
        request=CheckDecisionSerializer, responses={200: InventoryCheckDetailSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"], access_roles=MANAGERS)
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject lines waiting for a decision: their stock stays as recorded."""
        return self._decide(request, approve=False)

    @extend_schema(request=None, responses={200: InventoryCheckDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], access_roles=MANAGERS)
    def post(self, request: Request, pk: str | None = None) -> Response:
        """Write the approved corrections to the ledger in one transaction (review → posted)."""
        return self._detail(
            call_service(checks.check_post, check=self.get_object(), by=request.user)
        )

    @extend_schema(request=None, responses={200: InventoryCheckDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], access_roles=MANAGERS)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an open count; nothing is posted."""
        return self._detail(
            call_service(checks.check_cancel, check=self.get_object(), by=request.user)
        )
