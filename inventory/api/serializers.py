"""Serializers of the inventory API. Unit costs only for managers; a blind count's expected
quantity (and whatever would give it away) is null for everyone else."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory import selectors
from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    Warehouse,
)


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
    available = serializers.IntegerField(read_only=True, allow_null=True)
    is_low = serializers.BooleanField(read_only=True, allow_null=True)
    on_hand = serializers.IntegerField(read_only=True, allow_null=True)
    being_counted = serializers.BooleanField(
        source="under_blind_count",
        read_only=True,
        default=False,
        help_text="A blind count is open: on_hand, available and is_low are null for counters",
    )

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
            "being_counted",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, level: StockLevel) -> dict:
        data = super().to_representation(level)
        return _blinded(data) if getattr(level, "under_blind_count", False) else data


# What a counter must not read while a blind count of the product is open in the warehouse.
BLIND_STOCK_FIELDS = ("on_hand", "available", "is_low", "on_hand_after")


def _blinded(data: dict) -> dict:
    for name in BLIND_STOCK_FIELDS:
        if name in data:
            data[name] = None
    return data


class StockMovementSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reference_type = serializers.SerializerMethodField()
    on_hand_after = serializers.IntegerField(read_only=True, allow_null=True)

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
    book_quantity = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="expected + moved_during_count"
    )
    decision = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Review: '' (not needed), pending, approved or rejected",
    )

    class Meta:
        model = InventoryCheckLine
        fields = [
            "id",
            "product",
            "product_name",
            "bin",
            "expected",
            "moved_during_count",
            "book_quantity",
            "counted",
            "first_count",
            "variance",
            "first_variance",
            "within_tolerance",
            "decision",
            "counted_by",
            "counted_at",
            "recount",
        ]
        read_only_fields = fields


# Everything that is the expected quantity or would give it away: null for a blind viewer.
BLIND_LINE_FIELDS = (
    "expected",
    "moved_during_count",
    "book_quantity",
    "variance",
    "first_variance",
    "within_tolerance",
    "decision",
)


def blind_line(data: dict) -> dict:
    for name in BLIND_LINE_FIELDS:
        data[name] = None
    return data


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
                blind_line(line)
        return data


class AvailabilityRowSerializer(serializers.Serializer):
    warehouse = serializers.CharField(source="warehouse.code")
    warehouse_name = serializers.CharField(source="warehouse.name")
    on_hand = serializers.IntegerField(allow_null=True)
    reserved = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    available = serializers.IntegerField(
        allow_null=True, help_text="Available to promise: on hand − reserved − quarantined"
    )
    in_transit = serializers.IntegerField(help_text="Transferred in, not yet arrived")
    being_counted = serializers.BooleanField(
        source="under_blind_count",
        default=False,
        help_text="A blind count is open: on_hand and available are null for counters",
    )

    def to_representation(self, level: StockLevel) -> dict:
        data = super().to_representation(level)
        return _blinded(data) if getattr(level, "under_blind_count", False) else data


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


# --- checks: writes ---------------------------------------------------------------------------


class CheckCreateSerializer(serializers.Serializer):
    """A count made by hand: `products` (SKUs) for a product list, `location` (a bin prefix)
    for a location, nothing more for the whole warehouse."""

    KINDS = [
        (InventoryCheck.Kind.PRODUCTS.value, InventoryCheck.Kind.PRODUCTS.label),
        (InventoryCheck.Kind.LOCATION.value, InventoryCheck.Kind.LOCATION.label),
        (InventoryCheck.Kind.FULL.value, InventoryCheck.Kind.FULL.label),
    ]

    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    kind = serializers.ChoiceField(choices=KINDS)
    products = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), many=True, required=False
    )
    location = serializers.CharField(required=False, allow_blank=True, max_length=30)
    scheduled_for = serializers.DateField(required=False, allow_null=True)
    assigned_to = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Warehouse staff of the warehouse; the least busy one when left out",
    )
    blind = serializers.BooleanField(required=False, default=True)


class CheckCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="check.pk")
    left_out = serializers.ListField(
        child=serializers.CharField(), help_text="SKUs already in another open count"
    )


class CheckCountInputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A SKU (any case) or a barcode")
    quantity = serializers.IntegerField(min_value=0)


class CountedLineSerializer(serializers.ModelSerializer):
    """What a counter gets back: never the expected quantity nor the variance."""

    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    counted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InventoryCheckLine
        fields = ["id", "product", "bin", "counted", "counted_by", "counted_at", "recount"]
        read_only_fields = fields


class CheckProgressSerializer(serializers.Serializer):
    counted = serializers.IntegerField()
    to_count = serializers.IntegerField(
        help_text="Lines of this round (the recount round: only those)"
    )


class CheckCountResultSerializer(serializers.Serializer):
    line = CountedLineSerializer()
    progress = CheckProgressSerializer()


class CheckSubmitResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InventoryCheck.Status.choices)
    recount = serializers.ListField(
        child=serializers.CharField(), help_text="SKUs to count again (nothing about how far off)"
    )
    to_review = serializers.IntegerField(help_text="Lines waiting for a manager")


class CheckDecisionSerializer(serializers.Serializer):
    """Omit `lines` to decide every line waiting."""

    lines = serializers.ListField(child=serializers.IntegerField(), required=False)
