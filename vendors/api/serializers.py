"""Serializers of the vendors API: the read shapes, then the inputs of the writes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Product, Warehouse
from vendors.models import (
    Carrier,
    CarrierService,
    ContractPrice,
    PurchaseOrder,
    PurchaseOrderLine,
    ShippingRate,
    Vendor,
    VendorContact,
    VendorContract,
)

# --- serializers ------------------------------------------------------------------------------


class VendorContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = VendorContact
        fields = ["id", "name", "role", "email", "phone", "is_primary"]
        read_only_fields = fields


class VendorSerializer(serializers.ModelSerializer):
    active_contracts = serializers.IntegerField(read_only=True)
    open_purchase_orders = serializers.IntegerField(read_only=True)
    contacts = VendorContactSerializer(many=True, read_only=True)

    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "status_reason",
            "status_changed_at",
            "email",
            "phone",
            "website",
            "country",
            "is_active",
            "active_contracts",
            "open_purchase_orders",
            "contacts",
            "created_at",
        ]
        read_only_fields = fields


class ContractPriceSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = ContractPrice
        fields = ["id", "product", "sku", "price", "min_qty", "lead_time_days"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_signed_document = serializers.BooleanField(read_only=True)

    class Meta:
        model = VendorContract
        fields = [
            "id",
            "number",
            "vendor",
            "vendor_name",
            "title",
            "status",
            "start_date",
            "end_date",
            "auto_renew",
            "notice_days",
            "currency",
            "value",
            "payment_terms",
            "sla_on_time_pct",
            "sla_lead_time_days",
            "sla_max_defect_rate",
            "has_signed_document",
            "owner",
            "previous",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContractDetailSerializer(ContractSerializer):
    prices = ContractPriceSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "prices"]
        read_only_fields = fields


class ShippingRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShippingRate
        fields = ["zone", "max_weight_grams", "price", "transit_days"]
        read_only_fields = fields


class CarrierServiceSerializer(serializers.ModelSerializer):
    rates = ShippingRateSerializer(many=True, read_only=True)

    class Meta:
        model = CarrierService
        fields = ["code", "name", "speed", "is_active", "rates"]
        read_only_fields = fields


class CarrierSerializer(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    rate_cells = serializers.IntegerField(read_only=True)
    services = CarrierServiceSerializer(many=True, read_only=True)

    class Meta:
        model = Carrier
        fields = [
            "code",
            "vendor",
            "vendor_name",
            "tracking_url_template",
            "is_active",
            "rate_cells",
            "services",
        ]
        read_only_fields = fields


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["id", "product", "sku", "product_name", "quantity", "received", "outstanding"]
        read_only_fields = fields


class PricedPurchaseOrderLineSerializer(PurchaseOrderLineSerializer):
    line_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta(PurchaseOrderLineSerializer.Meta):
        fields = [*PurchaseOrderLineSerializer.Meta.fields, "unit_price", "line_total"]
        read_only_fields = fields


class PurchaseOrderSerializer(serializers.ModelSerializer):
    """A purchase order as warehouse staff see it: what to receive, never what it costs."""

    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    is_late = serializers.BooleanField(read_only=True)
    lines_count = serializers.IntegerField(read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "number",
            "vendor",
            "vendor_name",
            "warehouse",
            "warehouse_code",
            "status",
            "expected_date",
            "is_late",
            "lines_count",
            "created_at",
            "sent_at",
            "received_at",
            "notes",
            "lines",
        ]
        read_only_fields = fields


class PricedPurchaseOrderSerializer(PurchaseOrderSerializer):
    """A purchase order with its contract, currency, total and line prices."""

    contract = serializers.SlugRelatedField(slug_field="number", read_only=True)
    total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    lines = PricedPurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta(PurchaseOrderSerializer.Meta):
        fields = [*PurchaseOrderSerializer.Meta.fields, "contract", "currency", "total"]
        read_only_fields = fields


# --- inputs of the writes ---------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class SkuField(serializers.Field):
    """A product by SKU (case-insensitive) or barcode."""

    default_error_messages = {"invalid": "Give a SKU or barcode as text."}

    def to_internal_value(self, data: object) -> Product:
        if not isinstance(data, str | int) or not str(data).strip() or len(str(data)) > 64:
            self.fail("invalid")
        code = str(data).strip()
        product = Product.objects.filter(Q(sku__iexact=code) | Q(barcode=code)).first()
        if product is None:
            raise serializers.ValidationError(f"No product with SKU or barcode {code!r}.")
        return product

    def to_representation(self, value: object) -> str:
        return value.sku if isinstance(value, Product) else str(value)


class ContactInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=120)
    role = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


class VendorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Vendor.Kind.choices, default=Vendor.Kind.SUPPLIER)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    # Only when creating; afterwards the status changes through the `status` action.
    status = serializers.ChoiceField(choices=Vendor.Status.choices, required=False)
    status_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    contacts = ContactInputSerializer(many=True, required=False)


class VendorStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Vendor.Status.choices)
    reason = serializers.CharField(max_length=300)


class PriceInputSerializer(serializers.Serializer):
    sku = SkuField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    min_qty = serializers.IntegerField(min_value=1, default=1)
    lead_time_days = serializers.IntegerField(min_value=0, default=7)


class ContractInputSerializer(serializers.Serializer):
    """Terms of a contract. An update names the `version` it was made from (409 if stale)."""

    version = serializers.IntegerField(required=False, min_value=1)
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False)
    number = serializers.CharField(max_length=40, required=False)
    title = serializers.CharField(max_length=200, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    auto_renew = serializers.BooleanField(required=False)
    notice_days = serializers.IntegerField(min_value=0, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    payment_terms = serializers.CharField(max_length=80, required=False, allow_blank=True)
    sla_on_time_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, min_value=0, max_value=100
    )
    sla_lead_time_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    sla_max_defect_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    prices = PriceInputSerializer(many=True, required=False)


class VersionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class TerminateInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=300)


class RenewInputSerializer(VersionInputSerializer):
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


class CarrierInputSerializer(serializers.Serializer):
    vendor_name = serializers.CharField(max_length=200, required=False)
    code = serializers.CharField(max_length=20, required=False)
    tracking_url_template = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class CarrierServiceInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=100)
    speed = serializers.ChoiceField(choices=CarrierService.Speed.choices)
    is_active = serializers.BooleanField(default=True)


class RateImportInputSerializer(serializers.Serializer):
    """A rate card as an uploaded `file` (multipart) or as `csv` text."""

    file = serializers.FileField(required=False)
    csv = serializers.CharField(required=False, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("file") and not attrs.get("csv"):
            raise serializers.ValidationError("Send the rate card as `file` or as `csv` text.")
        return attrs


class RateImportResultSerializer(serializers.Serializer):
    services = serializers.IntegerField()
    rates = serializers.IntegerField()
    replaced = serializers.IntegerField()


class OrderLineInputSerializer(serializers.Serializer):
    sku = SkuField()
    quantity = serializers.IntegerField(min_value=1)


class PurchaseOrderInputSerializer(serializers.Serializer):
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    expected_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    allow_off_contract = serializers.BooleanField(required=False, default=False)
    lines = OrderLineInputSerializer(many=True)


class ReceiptInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1)


class ReceiveInputSerializer(serializers.Serializer):
    lines = ReceiptInputSerializer(many=True, allow_empty=False)


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
