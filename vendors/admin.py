"""Admin for vendors, contracts with price lines, carriers with rate cards, purchase orders.

Foreign keys into other apps (products, warehouses, users) are raw id fields: autocomplete
would tie these pages to how the other app's admin is searched.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from vendors import services
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


class VendorContractAdminForm(forms.ModelForm):
    """Carries the version the page was opened at: a save from a stale page is refused, the
    same optimistic lock as the portal pages and the API. A signed document must be a PDF."""

    edit_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = VendorContract
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_version"].initial = self.instance.version

    def clean_signed_document(self):
        document = self.cleaned_data.get("signed_document")
        if isinstance(document, UploadedFile):
            data = document.read(services.document_max_bytes() + 1)
            document.seek(0)
            try:
                services.validate_pdf(data)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["signed_document"]) from None
        return document

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk:
            current = (
                VendorContract.objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if data.get("edit_version") != current:
                raise ValidationError(
                    "Someone else saved this contract after you opened it (it is now at "
                    f"version {current}). Reload the page, then make your change again.",
                    code=services.CONFLICT,
                )
        return data


@admin.register(VendorContract)
class VendorContractAdmin(SimpleHistoryAdmin):
    form = VendorContractAdminForm
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

    def save_model(self, request, obj: VendorContract, form, change: bool) -> None:
        if change:
            # Claim the next version under the row lock: of two saves, one wins.
            locked = VendorContract.objects.select_for_update().get(pk=obj.pk)
            if locked.version != form.cleaned_data.get("edit_version"):
                raise ValidationError("This contract was saved by someone else meanwhile.")
            obj.version = locked.version + 1
        super().save_model(request, obj, form, change)


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
