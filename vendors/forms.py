"""Forms of the vendor pages. They parse and check shapes; vendors.services holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from inventory.models import Product, Warehouse
from opsportal import geo, roles
from vendors import rating, services
from vendors.models import CarrierService, Vendor, VendorContract

DATE = forms.DateInput(attrs={"type": "date"})


def _product_by_code(code: str) -> Product:
    code = (code or "").strip()
    product = (
        Product.objects.filter(Q(sku__iexact=code) | Q(barcode=code)).first() if code else None
    )
    if product is None:
        raise forms.ValidationError(f"No product with SKU or barcode {code!r}.")
    return product


# --- vendors ----------------------------------------------------------------------------------


class VendorForm(forms.ModelForm):
    class Meta:
        model = Vendor
        fields = [
            "name",
            "kind",
            "email",
            "phone",
            "website",
            "address",
            "country",
            "notes",
            "is_active",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["website"].assume_scheme = "https"
        self.fields["country"].help_text = "ISO 3166-1 alpha-2, e.g. US"


class ContactForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=120)
    role = forms.CharField(max_length=80, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)
    is_primary = forms.BooleanField(required=False, label="Primary")


ContactFormSet = forms.formset_factory(ContactForm, extra=1, can_delete=True)


def contacts_from(formset: forms.BaseFormSet) -> list[services.ContactData]:
    return [
        services.ContactData(
            pk=f.cleaned_data.get("id"),
            name=f.cleaned_data["name"],
            role=f.cleaned_data.get("role", ""),
            email=f.cleaned_data.get("email", ""),
            phone=f.cleaned_data.get("phone", ""),
            is_primary=f.cleaned_data.get("is_primary", False),
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")
    ]


class VendorStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Vendor.Status.choices)
    reason = forms.CharField(max_length=300, help_text="Why: audit result, certificate, incident…")


# --- contracts --------------------------------------------------------------------------------


def _owners() -> QuerySet:
    user_model = get_user_model()
    return (
        user_model.objects.filter(
            Q(groups__name=roles.CONTRACT_ADMIN) | Q(is_superuser=True), is_active=True
        )
        .distinct()
        .order_by("username")
    )


class ContractForm(forms.ModelForm):
    # The version the form was opened at: a save from an older one is a conflict.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = VendorContract
        fields = [
            "vendor",
            "number",
            "title",
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
            "owner",
            "notes",
        ]
        widgets = {"start_date": DATE, "end_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "sla_on_time_pct": "SLA on time (%)",
            "sla_lead_time_days": "SLA lead time (days)",
            "sla_max_defect_rate": "SLA max. defect rate (%)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(is_active=True).order_by("name")
        self.fields["owner"].queryset = _owners()
        self.fields["owner"].label_from_instance = lambda u: u.display_name
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            # The number names the contract everywhere (reminders, POs): fixed once created.
            self.fields["number"].disabled = True

    def data_for_service(self) -> dict:
        data = {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data
        }
        if self.instance.pk:
            data.pop("number", None)
        return data

    def _post_clean(self) -> None:
        # The service validates the whole contract; keep ModelForm from touching the instance.
        pass


class PriceLineForm(forms.Form):
    sku = forms.CharField(max_length=64, label="SKU or barcode")
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    min_qty = forms.IntegerField(min_value=1, initial=1, label="Min. qty")
    lead_time_days = forms.IntegerField(min_value=0, initial=7, label="Lead time (days)")

    def clean_sku(self) -> Product:
        return _product_by_code(self.cleaned_data["sku"])


PriceLineFormSet = forms.formset_factory(PriceLineForm, extra=2, can_delete=True)


def price_lines_from(formset: forms.BaseFormSet) -> list[services.PriceLine]:
    return [
        services.PriceLine(
            product=f.cleaned_data["sku"],
            price=f.cleaned_data["price"],
            min_qty=f.cleaned_data["min_qty"],
            lead_time_days=f.cleaned_data["lead_time_days"],
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("sku")
    ]


def price_initial(contract: VendorContract) -> list[dict]:
    return [
        {
            "sku": p.product.sku,
            "price": p.price,
            "min_qty": p.min_qty,
            "lead_time_days": p.lead_time_days,
        }
        for p in contract.prices.all()
    ]


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TerminateForm(VersionForm):
    reason = forms.CharField(max_length=300)


class RenewForm(VersionForm):
    start_date = forms.DateField(
        required=False, widget=DATE, help_text="Default: the day after the end"
    )
    end_date = forms.DateField(
        required=False, widget=DATE, help_text="Default: a term as long as this one"
    )


class DocumentForm(VersionForm):
    file = forms.FileField(label="Signed contract (PDF)")


# --- carriers ---------------------------------------------------------------------------------


class CarrierForm(forms.Form):
    vendor_name = forms.CharField(
        max_length=200,
        label="Carrier name",
        help_text="The carrier's vendor record; created (kind carrier) when it does not exist.",
    )
    code = forms.CharField(max_length=20)
    tracking_url_template = forms.CharField(
        max_length=300,
        required=False,
        label="Tracking link",
        help_text="e.g. https://track.example.com/?n={tracking_number}",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["vendor_name"].disabled = True
            self.fields["vendor_name"].required = False


class ServiceForm(forms.Form):
    code = forms.CharField(max_length=30)
    name = forms.CharField(max_length=100)
    speed = forms.ChoiceField(choices=CarrierService.Speed.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class CsvUploadForm(forms.Form):
    file = forms.FileField(label="CSV file")


class QuoteForm(forms.Form):
    origin = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True, latitude__isnull=False).order_by("code"),
        label="From warehouse",
    )
    country = forms.CharField(max_length=2, initial="US", required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180)
    weight_grams = forms.IntegerField(min_value=1, max_value=1_000_000, label="Weight (g)")
    service_level = forms.ChoiceField(
        choices=[("", "Any")] + [(k, k.title()) for k in rating.SERVICE_LEVEL_TRANSIT_DAYS],
        required=False,
    )
    ship_date = forms.DateField(required=False, widget=DATE, help_text="Default: by the cut-off")

    def clean(self) -> dict:
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        postal = (data.get("postal_code") or "").strip()
        if lat is not None and lon is not None:
            data["destination"] = (lat, lon)
        elif postal:
            found = geo.coordinates_for(data.get("country") or "US", postal)
            if found is None:
                self.add_error(
                    "postal_code",
                    f"Postal code {postal} ({data.get('country') or 'US'}) is not in the bundled "
                    "data set: give latitude and longitude instead.",
                )
            data["destination"] = found
        elif lat is not None or lon is not None:
            self.add_error("longitude" if lon is None else "latitude", "Give both coordinates.")
        elif "latitude" not in self.errors and "longitude" not in self.errors:
            self.add_error(
                "postal_code", "Give a destination postal code, or latitude and longitude."
            )
        return data


# --- purchase orders --------------------------------------------------------------------------


class PurchaseOrderForm(forms.Form):
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none())
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True).order_by("code")
    )
    expected_date = forms.DateField(
        required=False, widget=DATE, help_text="Default: today + the longest contract lead time"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    allow_off_contract = forms.BooleanField(
        required=False,
        label="Order products that are not on the contract (at standard cost, flagged)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = (
            Vendor.objects.filter(is_active=True)
            .exclude(status=Vendor.Status.DISQUALIFIED)
            .exclude(kind=Vendor.Kind.CARRIER)
            .order_by("name")
        )


class OrderLineForm(forms.Form):
    sku = forms.CharField(max_length=64, label="SKU or barcode")
    quantity = forms.IntegerField(min_value=1)

    def clean_sku(self) -> Product:
        return _product_by_code(self.cleaned_data["sku"])


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, can_delete=True)


def order_lines_from(formset: forms.BaseFormSet) -> list[services.OrderLineData]:
    return [
        services.OrderLineData(product=f.cleaned_data["sku"], quantity=f.cleaned_data["quantity"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("sku")
    ]


class ReceiveForm(forms.Form):
    sku = forms.CharField(
        max_length=64,
        label="SKU or barcode",
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )
    quantity = forms.IntegerField(
        min_value=1,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300)
