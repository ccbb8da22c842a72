"""Admin for vendors, contracts with price lines, carriers with rate cards, purchase orders.

Foreign keys into other apps (products, warehouses, users) are raw id fields: autocomplete
would tie these pages to how the other app's admin is searched.
"""

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

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


class VendorContactInline(admin.TabularInline):
    model = VendorContact
    extra = 0
    fields = ["name", "role", "email", "phone", "is_primary"]


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "status", "country", "email", "is_active", "created_at"]
    list_filter = ["kind", "status", "is_active", "country"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at"]
    inlines = [VendorContactInline]
    # Django 6 makes https the default for scheme-less URLs; vendors' sites are https anyway.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(VendorContact)
class VendorContactAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "role", "email", "phone", "is_primary"]
    list_filter = ["is_primary", "vendor__kind"]
    list_select_related = ["vendor"]
    search_fields = ["name", "email", "vendor__name"]
    autocomplete_fields = ["vendor"]


class ContractPriceInline(admin.TabularInline):
    model = ContractPrice
    extra = 0
    fields = ["product", "price", "min_qty", "lead_time_days"]
    raw_id_fields = ["product"]


@admin.register(VendorContract)
class VendorContractAdmin(SimpleHistoryAdmin):
    list_display = [
        "number",
        "title",
        "vendor",
        "status",
        "start_date",
        "end_date",
        "value",
        "currency",
        "owner",
    ]
    list_filter = ["status", "auto_renew", "currency"]
    list_select_related = ["vendor", "owner"]
    search_fields = ["number", "title", "vendor__name"]
    date_hierarchy = "end_date"
    autocomplete_fields = ["vendor", "previous"]
    raw_id_fields = ["owner"]
    # The optimistic lock belongs to the code that saves; a person never sets it.
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [ContractPriceInline]


@admin.register(ContractPrice)
class ContractPriceAdmin(SimpleHistoryAdmin):
    list_display = ["contract", "product", "price", "min_qty", "lead_time_days"]
    list_filter = ["contract__status"]
    list_select_related = ["contract", "product"]
    search_fields = ["contract__number", "product__sku", "product__name"]
    autocomplete_fields = ["contract"]
    raw_id_fields = ["product"]


class CarrierServiceInline(admin.TabularInline):
    model = CarrierService
    extra = 0
    fields = ["code", "name", "speed", "is_active"]
    show_change_link = True


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "vendor", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["vendor"]
    search_fields = ["code", "vendor__name"]
    autocomplete_fields = ["vendor"]
    inlines = [CarrierServiceInline]


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 0
    fields = ["zone", "max_weight_grams", "price", "transit_days"]


@admin.register(CarrierService)
class CarrierServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "carrier", "speed", "is_active"]
    list_filter = ["speed", "is_active", "carrier"]
    list_select_related = ["carrier"]
    search_fields = ["code", "name", "carrier__code"]
    autocomplete_fields = ["carrier"]
    inlines = [ShippingRateInline]


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ["service", "zone", "max_weight_grams", "price", "transit_days"]
    list_filter = ["service__carrier", "zone"]
    list_select_related = ["service"]
    search_fields = ["service__code", "service__carrier__code"]
    autocomplete_fields = ["service"]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    fields = ["product", "quantity", "unit_price", "received"]
    raw_id_fields = ["product"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "vendor", "warehouse", "status", "expected_date", "created_at"]
    list_filter = ["status", "warehouse"]
    list_select_related = ["vendor", "warehouse"]
    search_fields = ["number", "vendor__name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["vendor", "contract"]
    raw_id_fields = ["warehouse", "created_by"]
    readonly_fields = ["created_at", "sent_at", "received_at"]
    inlines = [PurchaseOrderLineInline]


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(admin.ModelAdmin):
    list_display = ["purchase_order", "product", "quantity", "received", "unit_price"]
    list_filter = ["purchase_order__status"]
    list_select_related = ["purchase_order", "product"]
    search_fields = ["purchase_order__number", "product__sku"]
    autocomplete_fields = ["purchase_order"]
    raw_id_fields = ["product"]
