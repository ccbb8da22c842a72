"""Admin for orders: built for a million orders (raw ids, no full counts, selected relations)."""

from __future__ import annotations

from django.contrib import admin

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


class ReadOnlyAdminMixin:
    """Rows written only by services (ledgers, reservations): viewable, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)
    fields = ("product", "quantity", "unit_price", "allocated", "shipped")
    # Counters follow reservations and shipments; setting them by hand would desync the stock.
    readonly_fields = ("allocated", "shipped")


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0
    fields = (
        "warehouse",
        "carrier_service",
        "status",
        "tracking_number",
        "weight_grams",
        "shipped_at",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "placed_at",
        "channel",
        "customer_name",
        "status",
        "payment_status",
        "hold_kind",
        "at_risk",
        "promised_delivery_date",
        "total_amount",
    )
    list_filter = ("status", "channel", "payment_status", "at_risk")
    # Exact or prefix matches only: a contains-search scans a million rows.
    search_fields = ("=number", "^customer_email", "=external_ref")
    # No date_hierarchy: its year list is a DISTINCT over every order (slow at a million).
    ordering = ("-placed_at", "-id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ("status", "at_risk", "total_amount", "routing", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("number", "channel", "external_ref", "placed_at", "status")}),
        ("Customer", {"fields": ("customer_name", "customer_email")}),
        (
            "Ship to",
            {
                "fields": (
                    "ship_to_name",
                    "ship_to_line1",
                    "ship_to_line2",
                    "ship_to_city",
                    "ship_to_region",
                    "ship_to_postal_code",
                    "ship_to_country",
                    "ship_to_latitude",
                    "ship_to_longitude",
                )
            },
        ),
        (
            "Promise and payment",
            {
                "fields": (
                    "service_level",
                    "promised_ship_date",
                    "promised_delivery_date",
                    "at_risk",
                    "payment_status",
                    "hold_kind",
                    "hold_reason",
                    "total_amount",
                    "currency",
                )
            },
        ),
        ("Routing", {"fields": ("routing", "created_at", "updated_at")}),
    )
    inlines = (OrderLineInline, ShipmentInline)


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "product", "quantity", "unit_price", "allocated", "shipped")
    list_select_related = ("order", "product")
    search_fields = ("=order__number", "=product__sku")
    raw_id_fields = ("order", "product")
    readonly_fields = ("allocated", "shipped")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: an allocation mirrors reserved stock, which only inventory.services changes."""

    list_display = ("id", "order_number", "sku", "warehouse", "quantity", "created_at")
    list_select_related = ("order_line__order", "order_line__product", "warehouse")
    list_filter = ("warehouse",)
    search_fields = ("=order_line__order__number", "=order_line__product__sku")
    raw_id_fields = ("order_line",)
    readonly_fields = ("order_line", "warehouse", "quantity", "created_at")
    ordering = ("-id",)
    show_full_result_count = False

    @admin.display(description="Order", ordering="order_line__order__number")
    def order_number(self, allocation: Allocation) -> str:
        return allocation.order_line.order.number

    @admin.display(description="SKU", ordering="order_line__product__sku")
    def sku(self, allocation: Allocation) -> str:
        return allocation.order_line.product.sku


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ("order_line",)


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "order",
        "warehouse",
        "carrier_service",
        "status",
        "tracking_number",
        "weight_grams",
        "created_at",
        "shipped_at",
    )
    list_select_related = ("order", "warehouse", "carrier_service")
    list_filter = ("status", "warehouse", "carrier_service__carrier")
    search_fields = ("=tracking_number", "=order__number")
    raw_id_fields = ("order",)
    readonly_fields = ("quotes", "created_at")
    ordering = ("-id",)
    show_full_result_count = False
    inlines = (ShipmentLineInline,)


@admin.register(ShipmentLine)
class ShipmentLineAdmin(admin.ModelAdmin):
    list_display = ("id", "shipment", "order_line", "quantity")
    list_select_related = ("shipment", "order_line")
    search_fields = ("=shipment__order__number",)
    raw_id_fields = ("shipment", "order_line")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The timeline is a ledger: read-only."""

    list_display = ("order", "kind", "message", "actor", "created_at")
    list_select_related = ("order", "actor")
    list_filter = ("kind",)
    search_fields = ("=order__number",)
    readonly_fields = ("order", "kind", "actor", "message", "data", "created_at")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(CustomerEmail)
class CustomerEmailAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "kind", "to", "status", "attempts", "created_at", "sent_at")
    list_select_related = ("order",)
    list_filter = ("status", "kind")
    search_fields = ("=order__number", "to")
    raw_id_fields = ("order", "shipment")
    # The sending task owns these; editing them by hand could send twice or hide a failure.
    readonly_fields = ("status", "attempts", "last_error", "claimed_at", "sent_at", "created_at")
    ordering = ("-id",)
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # outbox rows are written in the order's transaction by a service


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    raw_id_fields = ("order_line",)


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "order",
        "status",
        "disposition",
        "refund_status",
        "warehouse",
        "created_at",
    )
    list_select_related = ("order", "warehouse")
    list_filter = ("status", "disposition", "refund_status", "warehouse")
    search_fields = ("=number", "=order__number")
    raw_id_fields = ("order", "created_by")
    readonly_fields = ("created_at",)
    ordering = ("-id",)
    show_full_result_count = False
    inlines = (ReturnLineInline,)


@admin.register(ReturnLine)
class ReturnLineAdmin(admin.ModelAdmin):
    list_display = ("id", "return_request", "order_line", "quantity", "received_quantity")
    list_select_related = ("return_request", "order_line")
    search_fields = ("=return_request__number",)
    raw_id_fields = ("return_request", "order_line")
    ordering = ("-id",)
    show_full_result_count = False
