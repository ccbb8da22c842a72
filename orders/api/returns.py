"""Returns (RMAs) API: read, open (managers), approve/reject/refund (managers), receive (staff
of the return's warehouse or managers). Workflow verbs are actions; each calls orders.returns."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Warehouse
from opsportal import roles
from orders import returns, selectors
from orders.api.common import MANAGER, STAFF, call_service
from orders.filters import ReturnFilter
from orders.models import ReturnLine, ReturnRequest


class ReturnLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ReturnLine
        fields = ["id", "order_line", "sku", "quantity", "received_quantity", "disposition"]
        read_only_fields = fields


class ReturnRequestSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "number",
            "order",
            "reason",
            "status",
            "disposition",
            "refund_status",
            "warehouse",
            "created_at",
            "decided_at",
            "decision_note",
            "received_at",
            "refund_updated_at",
            "lines",
        ]
        read_only_fields = fields


class ReturnCreateLineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class ReturnCreateSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=20, help_text="The order number")
    reason = serializers.CharField(max_length=300)
    warehouse = serializers.CharField(
        max_length=20, required=False, help_text="Warehouse code; default: where it shipped from"
    )
    lines = ReturnCreateLineSerializer(many=True, allow_empty=False)


class ReturnNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReturnReceiptLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text="Return line id")
    received = serializers.IntegerField(min_value=0, max_value=1_000_000)
    disposition = serializers.ChoiceField(
        choices=returns.LINE_DISPOSITION_CHOICES, required=False, allow_blank=True
    )


class ReturnReceiveSerializer(serializers.Serializer):
    lines = ReturnReceiptLineSerializer(many=True, allow_empty=False)


def _valid(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_STATE = {
    400: OpenApiResponse(description="Bad input, naming the field"),
    409: OpenApiResponse(description="The return's state does not allow it"),
}


class ReturnRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Returns (RMAs); staff see (and receive) those coming back to their warehouses."""

    access_roles = (MANAGER, STAFF)
    write_roles = (MANAGER, STAFF)  # receive; the other verbs check for managers below
    serializer_class = ReturnRequestSerializer
    filterset_class = ReturnFilter
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    search_fields = ("=number", "=order__number")
    ordering_fields = ("id", "number")
    ordering = selectors.NEWEST_FIRST
    queryset = ReturnRequest.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReturnRequest.objects.none()
        return selectors.return_api_queryset(self.request.user)

    def _managers_only(self) -> None:
        if not roles.has_role(self.request.user, MANAGER):
            raise PermissionDenied("Only operations managers may do this.")

    def _answer(self, rma: ReturnRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.return_api_queryset(self.request.user).get(pk=rma.pk)
        return Response(ReturnRequestSerializer(fresh).data, status=code)

    @extend_schema(
        request=ReturnCreateSerializer, responses={201: ReturnRequestSerializer, **_STATE}
    )
    def create(self, request: Request) -> Response:
        self._managers_only()
        data = _valid(ReturnCreateSerializer, request)
        order = get_object_or_404(selectors.orders_for(request.user), number=data["order"])
        warehouse = None
        if data.get("warehouse"):
            warehouse = Warehouse.objects.filter(code=data["warehouse"], is_active=True).first()
            if warehouse is None:
                raise serializers.ValidationError(
                    {"warehouse": ["No active warehouse has that code."]}
                )
        quantities: dict[int, int] = {}
        for line in data["lines"]:
            quantities[line["order_line"]] = (
                quantities.get(line["order_line"], 0) + line["quantity"]
            )
        rma = call_service(
            returns.return_create,
            order=order,
            quantities=quantities,
            reason=data["reason"],
            by=request.user,
            warehouse=warehouse,
        )
        return self._answer(rma, status.HTTP_201_CREATED)

    @extend_schema(request=ReturnNoteSerializer, responses={200: ReturnRequestSerializer, **_STATE})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, number: str) -> Response:
        self._managers_only()
        note = _valid(ReturnNoteSerializer, request)["note"]
        rma = call_service(
            returns.return_approve, rma=self.get_object(), by=request.user, note=note
        )
        return self._answer(rma)

    @extend_schema(request=ReturnNoteSerializer, responses={200: ReturnRequestSerializer, **_STATE})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, number: str) -> Response:
        self._managers_only()
        note = _valid(ReturnNoteSerializer, request)["note"]
        rma = call_service(returns.return_reject, rma=self.get_object(), by=request.user, note=note)
        return self._answer(rma)

    @extend_schema(
        request=ReturnReceiveSerializer, responses={200: ReturnRequestSerializer, **_STATE}
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, number: str) -> Response:
        rma = self.get_object()
        if not returns.can_receive(request.user, rma):
            raise PermissionDenied("Only staff of the return's warehouse may receive it.")
        data = _valid(ReturnReceiveSerializer, request)
        receipts = {
            line["line"]: returns.Receipt(line["received"], line.get("disposition", ""))
            for line in data["lines"]
        }
        rma = call_service(returns.return_receive, rma=rma, by=request.user, lines=receipts)
        return self._answer(rma)

    @extend_schema(request=None, responses={200: ReturnRequestSerializer, **_STATE})
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, number: str) -> Response:
        self._managers_only()
        rma = call_service(returns.return_refund, rma=self.get_object(), by=request.user)
        return self._answer(rma)


ROUTES = [("returns", ReturnRequestViewSet, "return")]
