"""Admin for the inventory app. Stock counters and the ledger are read-only here: only
inventory.services changes stock, so every change leaves its movement in the ledger."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from inventory import selectors, services
from inventory.models import (
    InventoryCheck,
    InventoryCheckLine,
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)

STOCK_COUNTERS = ("on_hand", "reserved", "quarantined", "in_transit")
STOCK_COUNTERS_HELP = (
    "On hand, reserved, quarantined and in transit change only through the inventory services "
    "(receipts, shipments, adjustments, counts, transfers), each of which writes the stock "
    "ledger. They cannot be edited here: adjust stock on the product's page in the portal."
)


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "country", "cutoff_time", "timezone", "is_active")
    list_filter = ("is_active", "country")
    search_fields = ("code", "name", "city", "postal_code")
    filter_horizontal = ("staff",)
    fieldsets = (
        (None, {"fields": ("code", "name", "is_active")}),
        (
            "Location",
            {
                "fields": (
                    "address",
                    ("postal_code", "city"),
                    ("region", "country"),
                    ("latitude", "longitude"),
                    "timezone",
                )
            },
        ),
        (
            "Operations",
            {"fields": ("cutoff_time", "count_tolerance_units", "count_tolerance_value")},
        ),
        ("Staff", {"fields": ("staff",)}),
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "barcode", "unit", "abc_class", "unit_cost", "is_active")
    list_filter = ("abc_class", "abc_class_locked", "unit", "is_active")
    search_fields = ("sku", "name", "barcode")
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("sku", "name", "barcode", "unit", "is_active")}),
        ("Size", {"fields": ("weight_grams", ("length_mm", "width_mm", "height_mm"))}),
        ("Value and counting", {"fields": ("unit_cost", "abc_class", "abc_class_locked")}),
        (None, {"fields": ("created_at",)}),
    )


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = (
        "warehouse",
        "product",
        "bin",
        "on_hand",
        "reserved",
        "quarantined",
        "in_transit",
        "available",
        "reorder_point",
        "is_low",
    )
    list_filter = ("warehouse", "product__abc_class")
    list_select_related = ("warehouse", "product")
    search_fields = ("product__sku", "product__name", "product__barcode", "bin")
    autocomplete_fields = ("warehouse", "product")
    readonly_fields = (*STOCK_COUNTERS, "updated_at")
    fieldsets = (
        (None, {"fields": ("warehouse", "product", "bin")}),
        ("Replenishment", {"fields": ("reorder_point", "safety_stock")}),
        ("Stock", {"fields": (*STOCK_COUNTERS, "updated_at"), "description": STOCK_COUNTERS_HELP}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockLevel]:
        return super().get_queryset(request).alias(available=selectors.AVAILABLE)

    def get_readonly_fields(self, request: HttpRequest, obj: StockLevel | None = None) -> tuple:
        # Moving a level to another warehouse or product would orphan its ledger.
        if obj is not None:
            return ("warehouse", "product", *self.readonly_fields)
        return self.readonly_fields

    # Deleting a level would leave ledger rows whose sum no longer matches any on-hand.
    def has_delete_permission(self, request: HttpRequest, obj: StockLevel | None = None) -> bool:
        return False

    @admin.display(description="Available", ordering="available")
    def available(self, level: StockLevel) -> int:
        return level.available

    @admin.display(description="Low", boolean=True)
    def is_low(self, level: StockLevel) -> bool:
        return level.is_low


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger: view only. Corrections are new movements written by inventory.services."""

    list_display = (
        "created_at",
        "warehouse",
        "product",
        "kind",
        "delta",
        "on_hand_after",
        "reason_code",
        "reason",
        "reference_label",
        "actor",
    )
    list_filter = ("kind", "reason_code", "warehouse")
    list_select_related = ("warehouse", "product", "actor", "reference_type")
    search_fields = ("product__sku", "product__name", "reason", "reference_id")
    date_hierarchy = "created_at"
    # Counting a long ledger on every page costs more than the number is worth.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False

    @admin.display(description="Reference")
    def reference_label(self, movement: StockMovement) -> str:
        if movement.reference_type is None:
            return ""
        return f"{movement.reference_type.model} {movement.reference_id}"


class InventoryCheckLineInline(admin.TabularInline):
    model = InventoryCheckLine
    fields = (
        "product",
        "bin",
        "expected",
        "counted",
        "variance",
        "first_count",
        "recount",
        "counted_by",
        "counted_at",
    )
    # Snapshot and results of the count workflow, not numbers to type in.
    readonly_fields = ("expected", "variance", "first_count", "counted_by", "counted_at")
    autocomplete_fields = ("product",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[InventoryCheckLine]:
        return super().get_queryset(request).select_related("product", "counted_by")


@admin.register(InventoryCheck)
class InventoryCheckAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "warehouse",
        "kind",
        "scheduled_for",
        "status",
        "blind",
        "location",
        "assigned_to",
    )
    list_filter = ("status", "kind", "blind", "warehouse")
    list_select_related = ("warehouse", "assigned_to")
    search_fields = ("=id", "warehouse__code", "location", "assigned_to__username")
    date_hierarchy = "scheduled_for"
    autocomplete_fields = ("warehouse",)
    raw_id_fields = ("assigned_to",)
    # The workflow (start, submit, approve, post) moves these; the admin only plans checks.
    readonly_fields = (
        "status",
        "created_by",
        "started_at",
        "submitted_at",
        "approved_by",
        "posted_at",
        "created_at",
    )
    inlines = (InventoryCheckLineInline,)


@admin.register(InventoryCheckLine)
class InventoryCheckLineAdmin(admin.ModelAdmin):
    """Lines across checks (e.g. every recount in a warehouse); usually edited inside a check."""

    list_display = (
        "inventory_check",
        "product",
        "bin",
        "expected",
        "counted",
        "variance",
        "recount",
        "counted_by",
        "counted_at",
    )
    list_filter = ("recount", "inventory_check__status", "inventory_check__warehouse")
    list_select_related = ("inventory_check", "product", "counted_by")
    search_fields = ("product__sku", "product__name", "bin", "=inventory_check__id")
    raw_id_fields = ("inventory_check",)
    autocomplete_fields = ("product",)
    readonly_fields = InventoryCheckLineInline.readonly_fields


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    fields = ("product", "quantity", "received")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Transfer | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TransferLine]:
        return super().get_queryset(request).select_related("product")


def _run_on_each(
    modeladmin: admin.ModelAdmin, request: HttpRequest, transfers, service, done: str
) -> None:
    """Call a transfer service per selected transfer; report what worked and what was refused."""
    succeeded = 0
    for transfer in transfers:
        try:
            service(transfer=transfer, actor=request.user)
        except ValidationError as exc:
            modeladmin.message_user(
                request, f"{transfer.number}: {' '.join(exc.messages)}", messages.ERROR
            )
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} transfer(s) {done}.", messages.SUCCESS)


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    """Transfers are created in the portal or the API (inventory.services.transfer_create);
    here they are read, and shipped, received or cancelled through the same services."""

    list_display = (
        "number",
        "source",
        "destination",
        "status",
        "created_by",
        "created_at",
        "shipped_at",
        "received_at",
    )
    list_filter = ("status", "source", "destination")
    list_select_related = ("source", "destination", "created_by")
    search_fields = ("=id", "source__code", "destination__code", "note")
    date_hierarchy = "created_at"
    fields = (
        ("source", "destination"),
        "status",
        "note",
        ("created_by", "created_at"),
        ("shipped_by", "shipped_at"),
        ("received_by", "received_at"),
        ("cancelled_by", "cancelled_at"),
    )
    readonly_fields = tuple(
        name for group in fields for name in (group if isinstance(group, tuple) else (group,))
    )
    inlines = (TransferLineInline,)
    actions = ("ship", "receive_everything", "cancel")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Transfer | None = None) -> bool:
        return False  # shipped transfers are referenced by the ledger; drafts are cancelled

    @admin.action(description="Ship the selected draft transfers")
    def ship(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_on_each(self, request, queryset, services.transfer_ship, "shipped")

    @admin.action(description="Receive everything outstanding on the selected transfers")
    def receive_everything(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_on_each(self, request, queryset, services.transfer_receive, "received")

    @admin.action(description="Cancel the selected draft transfers")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_on_each(self, request, queryset, services.transfer_cancel, "cancelled")


@admin.register(TransferLine)
class TransferLineAdmin(admin.ModelAdmin):
    """Lines across transfers (e.g. everything on the way to one warehouse); read only."""

    list_display = ("transfer", "product", "quantity", "received")
    list_filter = ("transfer__status", "transfer__destination")
    list_select_related = ("transfer", "product")
    search_fields = ("product__sku", "product__name", "=transfer__id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TransferLine | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TransferLine | None = None) -> bool:
        return False
