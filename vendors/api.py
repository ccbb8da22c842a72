"""Read-only API for vendors, contracts, carriers with rate cards and purchase orders."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers, viewsets

from vendors import selectors
from vendors.filters import CarrierFilter, ContractFilter, PurchaseOrderFilter, VendorFilter
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
from vendors.views import PO_READERS, VENDOR_READERS

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


# --- viewsets ---------------------------------------------------------------------------------


class VendorViewSet(viewsets.ReadOnlyModelViewSet):
    """Vendors with contacts and counts of active contracts and open purchase orders."""

    access_roles = VENDOR_READERS
    queryset = selectors.vendors_with_contacts()
    serializer_class = VendorSerializer
    filterset_class = VendorFilter
    search_fields = ["name", "email"]
    ordering_fields = ["name", "kind", "status", "active_contracts", "open_purchase_orders"]


class ContractViewSet(viewsets.ReadOnlyModelViewSet):
    """Vendor contracts; the detail carries the price lines. Never for warehouse staff."""

    access_roles = VENDOR_READERS
    queryset = selectors.contracts()
    filterset_class = ContractFilter
    search_fields = ["number", "title", "vendor__name"]
    ordering_fields = ["number", "start_date", "end_date", "value", "status"]

    def get_queryset(self) -> QuerySet[VendorContract]:
        if self.action == "retrieve":
            return selectors.contracts_with_prices()
        return selectors.contracts()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ContractDetailSerializer if self.action == "retrieve" else ContractSerializer


class CarrierViewSet(viewsets.ReadOnlyModelViewSet):
    """Carriers by code, each with its services and their rate cards."""

    access_roles = VENDOR_READERS
    queryset = selectors.carriers_with_rates()
    serializer_class = CarrierSerializer
    filterset_class = CarrierFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    search_fields = ["code", "vendor__name"]
    ordering_fields = ["code"]


class PurchaseOrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Purchase orders by number. Warehouse staff: their warehouses only, and no prices."""

    access_roles = PO_READERS
    queryset = PurchaseOrder.objects.none()
    filterset_class = PurchaseOrderFilter
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    search_fields = ["number", "vendor__name"]
    ordering_fields = ["number", "created_at", "expected_date", "status"]

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        if getattr(self, "swagger_fake_view", False):
            return PurchaseOrder.objects.none()
        return selectors.purchase_orders_for(
            self.request.user, today=timezone.localdate(), with_lines=True
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The schema documents the full (priced) shape; staff get the same minus the prices.
        if getattr(self, "swagger_fake_view", False) or selectors.can_see_prices(self.request.user):
            return PricedPurchaseOrderSerializer
        return PurchaseOrderSerializer


ROUTES = [
    ("vendors", VendorViewSet, "vendor"),
    ("contracts", ContractViewSet, "contract"),
    ("carriers", CarrierViewSet, "carrier"),
    ("purchase-orders", PurchaseOrderViewSet, "purchaseorder"),
]
