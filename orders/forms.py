"""Forms of the order pages. They parse what a person typed; the intake rules
(orders.intake) and the services decide, and their errors come back onto these forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from inventory.models import Warehouse
from orders.intake import MAX_LINES
from orders.models import Order
from vendors.models import CarrierService

_LINE = re.compile(
    r"^(?P<sku>[^\s,;]+)[\s,;]+(?P<quantity>[^\s,;]+)(?:[\s,;]+(?P<price>[^\s,;]+))?$"
)

# Where an intake error path lands on the order form.
_FIELD_OF_PATH = {
    "channel": "channel",
    "external_ref": "external_ref",
    "customer.name": "customer_name",
    "customer.email": "customer_email",
    "ship_to.name": "ship_to_name",
    "ship_to.line1": "line1",
    "ship_to.line2": "line2",
    "ship_to.city": "city",
    "ship_to.region": "region",
    "ship_to.postal_code": "postal_code",
    "ship_to.country": "country",
    "service_level": "service_level",
    "payment_status": "payment_status",
    "currency": "currency",
}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form: on the field they name, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _text(label: str, max_length: int, *, required: bool = True, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


class OrderForm(forms.Form):
    """An order typed in the portal (phone orders, replacements): the same rules as the API."""

    channel = forms.ChoiceField(choices=Order.Channel.choices, initial=Order.Channel.PORTAL)
    external_ref = _text("External reference", 100, required=False)
    customer_name = _text("Customer name", 200, autocomplete="name")
    customer_email = forms.EmailField(label="Customer email", max_length=254)
    ship_to_name = _text("Ship to (name)", 200, required=False)
    line1 = _text("Address line 1", 200, autocomplete="address-line1")
    line2 = _text("Address line 2", 200, required=False, autocomplete="address-line2")
    city = _text("City", 100, autocomplete="address-level2")
    region = _text("Region / state", 100, required=False, autocomplete="address-level1")
    postal_code = _text("Postal code", 20, autocomplete="postal-code")
    country = _text("Country (ISO code)", 2, autocomplete="country")
    service_level = forms.ChoiceField(
        choices=Order.ServiceLevel.choices, initial=Order.ServiceLevel.STANDARD
    )
    payment_status = forms.ChoiceField(
        choices=Order.PaymentStatus.choices, initial=Order.PaymentStatus.PENDING
    )
    currency = _text("Currency", 3)
    lines = forms.CharField(
        label="Lines",
        widget=forms.Textarea(attrs={"rows": 5, "autocapitalize": "off", "spellcheck": "false"}),
        help_text="One per line: SKU, quantity, unit price — e.g. “SKU-1 2 19.99”.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("currency", "USD")
        kwargs["initial"].setdefault("country", "US")
        super().__init__(*args, **kwargs)

    def clean_lines(self) -> list[dict]:
        rows = [row.strip() for row in self.cleaned_data["lines"].splitlines() if row.strip()]
        if len(rows) > MAX_LINES:
            raise ValidationError(f"At most {MAX_LINES} lines per order.")
        lines, errors = [], []
        for number, row in enumerate(rows, start=1):
            match = _LINE.match(row)
            if match is None or match["price"] is None:
                errors.append(f"Line {number}: give the SKU, the quantity and the unit price.")
                continue
            lines.append(
                {"sku": match["sku"], "quantity": match["quantity"], "unit_price": match["price"]}
            )
        if errors:
            raise ValidationError(errors)
        return lines

    def body(self) -> dict:
        """The intake body (orders.intake) of the cleaned form."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "external_ref": data["external_ref"],
            "customer": {"name": data["customer_name"], "email": data["customer_email"]},
            "ship_to": {
                "name": data["ship_to_name"] or data["customer_name"],
                "line1": data["line1"],
                "line2": data["line2"],
                "city": data["city"],
                "region": data["region"],
                "postal_code": data["postal_code"],
                "country": data["country"],
            },
            "service_level": data["service_level"],
            "payment_status": data["payment_status"],
            "currency": data["currency"],
            "lines": data["lines"],
        }

    def add_intake_errors(self, error: ValidationError) -> None:
        """Errors keyed by intake path ("lines[1].sku") onto the fields of this form."""
        for path, messages in error.message_dict.items():
            line = re.match(r"lines\[(\d+)\]\.?(.*)", path)
            if line:
                what = line[2].replace("_", " ") or "line"
                for message in messages:
                    self.add_error("lines", f"Line {int(line[1]) + 1}: {what}: {message}")
            else:
                self.add_error(_FIELD_OF_PATH.get(path), messages)


class HoldForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in Order.HoldKind if k.value], label="Hold"
    )
    reason = forms.CharField(max_length=300)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class RerouteForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="Automatic (route again)",
    )
    reason = forms.CharField(max_length=300)


class PaymentForm(forms.Form):
    payment_status = forms.ChoiceField(choices=Order.PaymentStatus.choices, label="Payment")
    note = forms.CharField(max_length=300, required=False)


class PackForm(forms.Form):
    """One quantity per shipment line (filled with what is planned) and the weight."""

    weight_grams = forms.IntegerField(
        label="Weight (g)",
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args: Any, lines: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.order_line_id}"] = forms.IntegerField(
                label=f"{line.order_line.product.sku} (of {line.quantity})",
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def quantities(self) -> dict[int, int]:
        return {
            line.order_line_id: self.cleaned_data[f"line_{line.order_line_id}"]
            for line in self.lines
        }


class ShipForm(forms.Form):
    tracking_number = forms.CharField(
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="Scan or type the number on the label.",
    )


class CarrierForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=CarrierService.objects.filter(is_active=True)
        .select_related("carrier")
        .order_by("carrier__code", "code"),
        label="Carrier service",
    )
    reason = forms.CharField(max_length=300)


class PickStartForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), to_field_name="code")
    limit = forms.IntegerField(min_value=1, max_value=200, initial=20, label="Shipments")

    def __init__(self, *args: Any, warehouses, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
