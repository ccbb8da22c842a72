"""Inventory API: warehouses, products (+ availability), stock levels, the ledger (read; receipts
and adjustments written through the services), transfers and counts.

Scoped like the pages (warehouse staff see and act in their warehouses only); unit costs only
for managers; a blind count's expected quantity and variance never leave the server for anyone
else. Writes call inventory.services: a refused change is a 400 naming the field, or a 409 when
the stock or the status does not allow it right now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import selectors, services
from inventory.filters import (
    InventoryCheckFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    TransferFilter,
    WarehouseFilter,
)
from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    Warehouse,
)
from opsportal import roles

STOCK_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
CATALOGUE_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF, roles.CONTRACT_ADMIN)
# Codes and SKUs may hold dots; the router's default pattern would stop at the first one.
NATURAL_KEY_PATTERN = r"[^/]+"


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = [
            "code",
            "name",
            "address",
            "city",
            "region",
            "country",
            "postal_code",
            "latitude",
            "longitude",
            "cutoff_time",
            "timezone",
            "is_active",
        ]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "barcode",
            "unit",
            "weight_grams",
            "length_mm",
            "width_mm",
            "height_mm",
            "abc_class",
            "is_active",
        ]
        read_only_fields = fields


class ProductWithCostSerializer(ProductSerializer):
    """For managers: the product with its unit cost."""

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "unit_cost"]
        read_only_fields = fields


class StockLevelSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    available = serializers.IntegerField(read_only=True)
    is_low = serializers.BooleanField(read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "warehouse",
            "product",
            "product_name",
            "bin",
            "on_hand",
            "reserved",
            "quarantined",
            "in_transit",
            "available",
            "reorder_point",
            "safety_stock",
            "is_low",
            "updated_at",
        ]
        read_only_fields = fields


class StockMovementSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reference_type = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "warehouse",
            "product",
            "kind",
            "delta",
            "on_hand_after",
            "reason_code",
            "reason",
            "reference_type",
            "reference_id",
            "actor",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reference_type(self, movement: StockMovement) -> str | None:
        """`app_label.model` of the document behind the movement (order, PO, count…)."""
        if movement.reference_type is None:
            return None
        return f"{movement.reference_type.app_label}.{movement.reference_type.model}"


class InventoryCheckLineSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    counted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InventoryCheckLine
        fields = [
            "id",
            "product",
            "product_name",
            "bin",
            "expected",
            "counted",
            "variance",
            "counted_by",
            "counted_at",
            "recount",
        ]
        read_only_fields = fields


class InventoryCheckSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    counted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = InventoryCheck
        fields = [
            "id",
            "warehouse",
            "kind",
            "scheduled_for",
            "status",
            "blind",
            "location",
            "assigned_to",
            "line_count",
            "counted_count",
            "started_at",
            "submitted_at",
            "posted_at",
            "created_at",
        ]
        read_only_fields = fields


class InventoryCheckDetailSerializer(InventoryCheckSerializer):
    """A check with its lines; `expected` and `variance` are null where the viewer is blind."""

    lines = InventoryCheckLineSerializer(many=True, read_only=True)

    class Meta(InventoryCheckSerializer.Meta):
        fields = [*InventoryCheckSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    def to_representation(self, check: InventoryCheck) -> dict:
        data = super().to_representation(check)
        if not selectors.sees_expected(check, self.context["request"].user):
            for line in data["lines"]:
                line["expected"] = None
                line["variance"] = None
        return data


# --- writes: errors of the services, availability, movements, transfers ----------------------


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The stock or the status does not allow this right now."
    default_code = "conflict"


# Codes of a refusal caused by the current state (not by the request itself): 409.
CONFLICT_CODES = {services.INSUFFICIENT_STOCK, services.INVALID_STATUS}


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


def _require_work_in(user: Any, warehouse: Warehouse, what: str) -> None:
    if not selectors.can_work_in(user, warehouse):
        raise PermissionDenied(f"You may not {what} in {warehouse.code}.")


class AvailabilityRowSerializer(serializers.Serializer):
    warehouse = serializers.CharField(source="warehouse.code")
    warehouse_name = serializers.CharField(source="warehouse.name")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    available = serializers.IntegerField(
        help_text="Available to promise: on hand − reserved − quarantined"
    )
    in_transit = serializers.IntegerField(help_text="Transferred in, not yet arrived")


class AvailabilityTotalSerializer(serializers.Serializer):
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    available = serializers.IntegerField()
    in_transit = serializers.IntegerField()


class ProductAvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    warehouses = AvailabilityRowSerializer(many=True)
    total = AvailabilityTotalSerializer(help_text="Over the warehouses listed")


class StockMovementCreateSerializer(serializers.Serializer):
    """A receipt (`quantity` ≥ 1) or an adjustment (`delta` ≠ 0 with a `reason_code`)."""

    WRITABLE_KINDS = (StockMovement.Kind.RECEIPT, StockMovement.Kind.ADJUSTMENT)

    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in WRITABLE_KINDS])
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    product = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    quantity = serializers.IntegerField(
        required=False, allow_null=True, help_text="Receipts: units received (1 or more)"
    )
    delta = serializers.IntegerField(
        required=False, allow_null=True, help_text="Adjustments: change of on hand (not 0)"
    )
    reason_code = serializers.ChoiceField(
        choices=StockMovement.Reason.choices, required=False, allow_blank=True
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Free text; required with reason_code other"
    )


class TransferLineSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.sku")
    product_name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    received = serializers.IntegerField()
    outstanding = serializers.IntegerField()


class TransferSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    destination = serializers.SlugRelatedField(slug_field="code", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    units = serializers.IntegerField(read_only=True)
    received_units = serializers.IntegerField(read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "number",
            "source",
            "destination",
            "status",
            "note",
            "line_count",
            "units",
            "received_units",
            "created_by",
            "created_at",
            "shipped_at",
            "received_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class TransferDetailSerializer(TransferSerializer):
    lines = TransferLineSerializer(many=True, read_only=True)

    class Meta(TransferSerializer.Meta):
        fields = [*TransferSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class TransferLineInputSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    quantity = serializers.IntegerField()


class TransferCreateSerializer(serializers.Serializer):
    source = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    destination = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    note = serializers.CharField(required=False, allow_blank=True)
    lines = TransferLineInputSerializer(many=True, allow_empty=True)


class TransferReceiveSerializer(serializers.Serializer):
    """Omit `lines` to receive everything outstanding."""

    lines = TransferLineInputSerializer(many=True, required=False)

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        skus = [line["product"].sku for line in lines]
        twice = sorted({sku for sku in skus if skus.count(sku) > 1})
        if twice:
            raise serializers.ValidationError(f"Each product once: {', '.join(twice)} repeated.")
        return lines


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
        _require_work_in(request.user, data["warehouse"], "record stock")
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
        created = self.get_queryset().get(pk=movement.pk)
        return Response(StockMovementSerializer(created).data, status=status.HTTP_201_CREATED)


class InventoryCheckViewSet(viewsets.ReadOnlyModelViewSet):
    """Inventory checks; the detail nests the lines (the list stays light for big counts)."""

    access_roles = STOCK_ROLES
    filterset_class = InventoryCheckFilter
    search_fields = ["warehouse__code", "location"]
    ordering_fields = ["scheduled_for", "created_at", "status"]

    def get_queryset(self) -> QuerySet[InventoryCheck]:
        checks = selectors.checks_for(self.request.user)
        if self.action == "retrieve":
            checks = checks.prefetch_related(
                Prefetch("lines", queryset=selectors.check_lines_queryset())
            )
        return checks

    def get_serializer_class(self) -> type[InventoryCheckSerializer]:
        if self.action == "retrieve":
            return InventoryCheckDetailSerializer
        return InventoryCheckSerializer


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
        _require_work_in(request.user, data["source"], "send stock")
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
        _require_work_in(request.user, transfer.source, "ship stock")
        return self._detail(
            call_service(services.transfer_ship, transfer=transfer, actor=request.user)
        )

    @extend_schema(request=TransferReceiveSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """Receive what arrived (all outstanding when no lines are given)."""
        transfer = self.get_object()
        _require_work_in(request.user, transfer.destination, "receive stock")
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
        _require_work_in(request.user, transfer.source, "cancel transfers")
        return self._detail(
            call_service(services.transfer_cancel, transfer=transfer, actor=request.user)
        )


ROUTES = [
    ("warehouses", WarehouseViewSet, "warehouse"),
    ("products", ProductViewSet, "product"),
    ("stock-levels", StockLevelViewSet, "stocklevel"),
    ("movements", StockMovementViewSet, "movement"),
    ("checks", InventoryCheckViewSet, "inventorycheck"),
    ("transfers", TransferViewSet, "transfer"),
]
