"""Inventory API views: warehouses, products (+ availability), stock levels, the ledger
(read; receipts and adjustments through the services) and transfers."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import selectors, services
from inventory.api.common import (
    CATALOGUE_ROLES,
    NATURAL_KEY_PATTERN,
    STOCK_ROLES,
    call_service,
    require_work_in,
)
from inventory.api.serializers import (
    ProductAvailabilitySerializer,
    ProductSerializer,
    ProductWithCostSerializer,
    StockLevelSerializer,
    StockMovementCreateSerializer,
    StockMovementSerializer,
    TransferCreateSerializer,
    TransferDetailSerializer,
    TransferReceiveSerializer,
    TransferSerializer,
    WarehouseSerializer,
)
from inventory.filters import (
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    TransferFilter,
    WarehouseFilter,
)
from inventory.models import Product, StockLevel, StockMovement, Transfer, Warehouse


class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    """Warehouses; warehouse staff see only theirs, contract admins all (for purchase orders)."""

    access_roles = CATALOGUE_ROLES
    serializer_class = WarehouseSerializer
    filterset_class = WarehouseFilter
    lookup_field = "code"
    lookup_value_regex = NATURAL_KEY_PATTERN
    search_fields = ["code", "name", "city"]
    ordering_fields = ["code", "name", "cutoff_time"]

    def get_queryset(self) -> QuerySet[Warehouse]:
        return selectors.warehouses_for(self.request.user)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The product catalogue; `unit_cost` appears for managers only."""

    access_roles = CATALOGUE_ROLES
    filterset_class = ProductFilter
    lookup_field = "sku"
    lookup_value_regex = NATURAL_KEY_PATTERN
    search_fields = ["sku", "name", "barcode"]
    ordering_fields = ["sku", "name", "abc_class"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products()

    def get_serializer_class(self) -> type[ProductSerializer]:
        # Schema generation has no real user: document the fuller shape.
        if getattr(self, "swagger_fake_view", False):
            return ProductWithCostSerializer
        if selectors.sees_unit_cost(self.request.user):
            return ProductWithCostSerializer
        return ProductSerializer

    @extend_schema(responses=ProductAvailabilitySerializer)
    @action(detail=True, methods=["get"], access_roles=STOCK_ROLES)
    def availability(self, request: Request, sku: str | None = None) -> Response:
        """Available to promise per warehouse the caller may see, and in total over them."""
        product = self.get_object()
        levels = selectors.product_levels_for(product, request.user)
        data = {"product": product, "warehouses": levels, "total": selectors.stock_totals(levels)}
        return Response(ProductAvailabilitySerializer(data).data)


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock per warehouse and product, `available` computed in SQL (filter ?low=true)."""

    access_roles = STOCK_ROLES
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    search_fields = ["product__sku", "product__name", "product__barcode", "bin"]
    ordering_fields = ["on_hand", "available", "reorder_point", "bin", "updated_at"]

    def get_queryset(self) -> QuerySet[StockLevel]:
        return selectors.stock_levels_for(self.request.user)

    def filter_queryset(self, queryset: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
        queryset = super().filter_queryset(queryset)
        # Sorted on on-hand or availability, rows hidden by a blind count go last: their
        # place in the list would tell their quantity.
        ordering = [str(term).lstrip("-") for term in queryset.query.order_by]
        if {"on_hand", "available"} & set(ordering):
            queryset = queryset.order_by("under_blind_count", *queryset.query.order_by)
        return queryset


class StockMovementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The stock ledger, newest first. POST records a receipt or an adjustment (append-only:
    nothing is ever edited or deleted; a correction is a new movement)."""

    access_roles = STOCK_ROLES
    filterset_class = StockMovementFilter
    search_fields = ["product__sku", "product__name", "reason", "reference_id"]
    ordering_fields = ["created_at", "delta"]

    def get_queryset(self) -> QuerySet[StockMovement]:
        return selectors.movements_for(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "create":
            return StockMovementCreateSerializer
        return StockMovementSerializer

    @extend_schema(
        request=StockMovementCreateSerializer,
        responses={
            201: StockMovementSerializer,
            400: OpenApiResponse(description="A field is missing or wrong (named)"),
            403: OpenApiResponse(description="Not your warehouse"),
            409: OpenApiResponse(description="Not enough stock for this adjustment"),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = StockMovementCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        require_work_in(request.user, data["warehouse"], "record stock")
        common = {
            "warehouse": data["warehouse"],
            "product": data["product"],
            "actor": request.user,
            "reason": data.get("reason", ""),
        }
        if data["kind"] == StockMovement.Kind.RECEIPT:
            movement = call_service(services.stock_receive, **common, quantity=data.get("quantity"))
        else:
            movement = call_service(
                services.stock_adjust,
                **common,
                delta=data.get("delta"),
                reason_code=data.get("reason_code", ""),
            )
        data = StockMovementSerializer(movement).data
        if selectors.is_under_blind_count(request.user, movement.warehouse, movement.product):
            data["on_hand_after"] = None  # a blind count is open: the counter stays blind
        return Response(data, status=status.HTTP_201_CREATED)


class TransferViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Transfers between warehouses. Create a draft, then `ship` (staff of the source) and
    `receive` (staff of the destination, in parts if need be); `cancel` a draft."""

    access_roles = STOCK_ROLES
    filterset_class = TransferFilter
    ordering_fields = ["created_at", "shipped_at", "received_at"]

    def get_queryset(self) -> QuerySet[Transfer]:
        transfers = selectors.transfers_for(self.request.user)
        if self.action != "list":
            transfers = transfers.prefetch_related(
                Prefetch("lines", queryset=selectors.transfer_lines_queryset())
            )
        return transfers

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "list":
            return TransferSerializer
        if self.action == "create":
            return TransferCreateSerializer
        if self.action == "receive":
            return TransferReceiveSerializer
        return TransferDetailSerializer

    def _detail(self, transfer: Transfer, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=transfer.pk)
        return Response(TransferDetailSerializer(fresh).data, status=code)

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = TransferCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        require_work_in(request.user, data["source"], "send stock")
        transfer = call_service(
            services.transfer_create,
            source=data["source"],
            destination=data["destination"],
            lines=[(line["product"], line["quantity"]) for line in data["lines"]],
            actor=request.user,
            note=data.get("note", ""),
        )
        return self._detail(transfer, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """Ship a draft: stock leaves the source and is in transit to the destination."""
        transfer = self.get_object()
        require_work_in(request.user, transfer.source, "ship stock")
        return self._detail(
            call_service(services.transfer_ship, transfer=transfer, actor=request.user)
        )

    @extend_schema(request=TransferReceiveSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """Receive what arrived (all outstanding when no lines are given)."""
        transfer = self.get_object()
        require_work_in(request.user, transfer.destination, "receive stock")
        incoming = TransferReceiveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        lines = incoming.validated_data.get("lines")
        quantities = (
            None if lines is None else {line["product"].pk: line["quantity"] for line in lines}
        )
        received = call_service(
            services.transfer_receive, transfer=transfer, actor=request.user, quantities=quantities
        )
        return self._detail(received)

    @extend_schema(request=None, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a draft (nothing has moved yet)."""
        transfer = self.get_object()
        require_work_in(request.user, transfer.source, "cancel transfers")
        return self._detail(
            call_service(services.transfer_cancel, transfer=transfer, actor=request.user)
        )
