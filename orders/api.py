"""Read-only API of orders, shipments, returns and the customer email outbox."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from opsportal import roles
from orders import selectors
from orders.filters import CustomerEmailFilter, OrderFilter, ReturnFilter, ShipmentFilter
from orders.models import (
    Allocation,
    CustomerEmail,
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pages for the big tables: no COUNT(*), stable under inserts; order from the view."""

    page_size = 50
    page_size_query_param = "size"
    max_page_size = 200


# --- serializers ------------------------------------------------------------------------------


class ManagerOnlyFieldsMixin:
    """Leaves out `manager_only_fields` (prices, costs) unless the context has show_prices."""

    manager_only_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("show_prices", False):
            for name in self.manager_only_fields:
                fields.pop(name, None)
        return fields


class AllocationSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Allocation
        fields = ["warehouse", "quantity"]
        read_only_fields = fields


class OrderLineSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("unit_price",)
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    backordered = serializers.IntegerField(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_name",
            "quantity",
            "unit_price",
            "allocated",
            "shipped",
            "backordered",
            "allocations",
        ]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["order_line", "sku", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("cost", "quotes")
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier = serializers.CharField(
        source="carrier_service.carrier.code", read_only=True, allow_null=True
    )
    service = serializers.CharField(source="carrier_service.code", read_only=True, allow_null=True)
    service_name = serializers.CharField(
        source="carrier_service.name", read_only=True, allow_null=True
    )
    tracking_url = serializers.SerializerMethodField()
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "warehouse",
            "carrier",
            "service",
            "service_name",
            "status",
            "tracking_number",
            "tracking_url",
            "weight_grams",
            "cost",
            "quotes",
            "override_reason",
            "estimated_delivery_date",
            "exception_reason",
            "created_at",
            "shipped_at",
            "delivered_at",
            "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_tracking_url(self, shipment: Shipment) -> str:
        return selectors.tracking_link(shipment)


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["kind", "message", "actor", "data", "created_at"]
        read_only_fields = fields


class OrderSerializer(ManagerOnlyFieldsMixin, serializers.ModelSerializer):
    manager_only_fields = ("total_amount", "currency", "routing")
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "external_ref",
            "customer_name",
            "customer_email",
            "ship_to_name",
            "ship_to_line1",
            "ship_to_line2",
            "ship_to_city",
            "ship_to_region",
            "ship_to_postal_code",
            "ship_to_country",
            "service_level",
            "status",
            "payment_status",
            "hold_kind",
            "hold_reason",
            "promised_ship_date",
            "promised_delivery_date",
            "at_risk",
            "total_amount",
            "currency",
            "routing",
            "placed_at",
            "created_at",
            "updated_at",
            "lines",
            "shipments",
            "events",
        ]
        read_only_fields = fields


class ReturnLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ReturnLine
        fields = ["order_line", "sku", "quantity", "received_quantity"]
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
            "received_at",
            "lines",
        ]
        read_only_fields = fields


class CustomerEmailSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = CustomerEmail
        fields = [
            "id",
            "order",
            "kind",
            "shipment",
            "to",
            "subject",
            "status",
            "attempts",
            "last_error",
            "claimed_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


# --- views ------------------------------------------------------------------------------------


class PricesInContextMixin:
    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        # The schema documents every field; a real request shows prices to managers only.
        context["show_prices"] = getattr(self, "swagger_fake_view", False) or (
            selectors.can_see_prices(self.request.user)
        )
        return context


class OrderViewSet(PricesInContextMixin, viewsets.ReadOnlyModelViewSet):
    """Orders with lines, allocations, shipments and the timeline; staff: their warehouses only."""

    access_roles = (MANAGER, STAFF)
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    pagination_class = NewestFirstCursorPagination
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    search_fields = ("=number", "customer_name", "customer_email", "=external_ref")
    ordering_fields = ("placed_at", "number")
    ordering = selectors.ORDER_LIST_ORDERING
    queryset = Order.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.order_api_queryset(self.request.user)


class ShipmentViewSet(PricesInContextMixin, viewsets.ReadOnlyModelViewSet):
    """Shipments of the user's warehouses (all for managers)."""

    access_roles = (MANAGER, STAFF)
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    pagination_class = NewestFirstCursorPagination
    search_fields = ("=tracking_number", "=order__number")
    # Cursor pages need a non-null, indexed ordering: the id (creation order) only.
    ordering_fields = ("id",)
    ordering = selectors.NEWEST_FIRST
    queryset = Shipment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        return selectors.shipment_api_queryset(self.request.user)


class ReturnRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Returns (RMAs); staff see those coming back to their warehouses."""

    access_roles = (MANAGER, STAFF)
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


class CustomerEmailViewSet(viewsets.ReadOnlyModelViewSet):
    """The customer email outbox (managers)."""

    access_roles = (MANAGER,)
    serializer_class = CustomerEmailSerializer
    filterset_class = CustomerEmailFilter
    pagination_class = NewestFirstCursorPagination
    search_fields = ("=order__number", "to")
    ordering_fields = ("id",)
    ordering = selectors.NEWEST_FIRST
    queryset = CustomerEmail.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerEmail.objects.none()
        return selectors.customer_emails()


ROUTES = [
    ("orders", OrderViewSet, "order"),
    ("shipments", ShipmentViewSet, "shipment"),
    ("returns", ReturnRequestViewSet, "return"),
    ("emails", CustomerEmailViewSet, "customeremail"),
]
