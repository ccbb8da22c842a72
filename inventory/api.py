"""Read-only inventory API: warehouses, products, stock levels, the ledger and counts.

Scoped like the pages (warehouse staff see their warehouses only); unit costs only for managers;
a blind count's expected quantity and variance never leave the server for anyone else.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from inventory import selectors
from inventory.filters import (
    InventoryCheckFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    WarehouseFilter,
)
from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
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


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock per warehouse and product, `available` computed in SQL (filter ?low=true)."""

    access_roles = STOCK_ROLES
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    search_fields = ["product__sku", "product__name", "product__barcode", "bin"]
    ordering_fields = ["on_hand", "available", "reorder_point", "bin", "updated_at"]

    def get_queryset(self) -> QuerySet[StockLevel]:
        return selectors.stock_levels_for(self.request.user)


class StockMovementViewSet(viewsets.ReadOnlyModelViewSet):
    """The stock ledger, newest first (append-only: there is nothing to write here)."""

    access_roles = STOCK_ROLES
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    search_fields = ["product__sku", "product__name", "reason", "reference_id"]
    ordering_fields = ["created_at", "delta"]

    def get_queryset(self) -> QuerySet[StockMovement]:
        return selectors.movements_for(self.request.user)


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


ROUTES = [
    ("warehouses", WarehouseViewSet, "warehouse"),
    ("products", ProductViewSet, "product"),
    ("stock-levels", StockLevelViewSet, "stocklevel"),
    ("movements", StockMovementViewSet, "movement"),
    ("checks", InventoryCheckViewSet, "inventorycheck"),
]
