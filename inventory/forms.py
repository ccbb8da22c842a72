"""Forms of the inventory pages. They parse what a person typed; the services hold the rules,
and their ValidationErrors come back onto these forms field by field (`add_service_errors`)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from inventory import selectors
from inventory.models import Product, StockMovement, TransferLine, Warehouse

MAX_TRANSFER_LINES = 200


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form: on the field they name, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class StockAdjustmentForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), to_field_name="code", empty_label=None
    )
    delta = forms.IntegerField(
        label="Change of on hand",
        help_text="Negative takes units off (damaged, lost), positive adds them (found).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    # Not required here: the service's message ("Choose a reason code…") is the one shown.
    reason_code = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *StockMovement.Reason.choices],
        required=False,
    )
    reason = forms.CharField(
        label="Note",
        max_length=StockMovement._meta.get_field("reason").max_length,
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.work_warehouses_for(user)


_LINE = re.compile(r"^(?P<code>.+?)[\s,;]+(?P<quantity>[^\s,;]+)$")


class TransferForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), to_field_name="code", label="From"
    )
    destination = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), to_field_name="code", label="To"
    )
    lines = forms.CharField(
        label="Products",
        widget=forms.Textarea(attrs={"rows": 6, "autocapitalize": "off", "spellcheck": "false"}),
        help_text="One product per line: SKU or barcode, then the quantity — e.g. “SKU-1 12”.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = selectors.work_warehouses_for(user)
        self.fields["destination"].queryset = selectors.transfer_destinations()

    def clean_lines(self) -> list[tuple[Product, int]]:
        """Parse "SKU quantity" lines; unknown products and bad numbers named by line."""
        parsed: list[tuple[int, str, str]] = []
        errors: list[str] = []
        rows = [row.strip() for row in self.cleaned_data["lines"].splitlines()]
        rows = [row for row in rows if row]
        if len(rows) > MAX_TRANSFER_LINES:
            raise ValidationError(f"At most {MAX_TRANSFER_LINES} products per transfer.")
        for number, row in enumerate(rows, start=1):
            match = _LINE.match(row)
            if match is None:
                errors.append(f"Line {number}: give the SKU and the quantity (“{row}”).")
                continue
            parsed.append((number, match["code"].strip(), match["quantity"]))
        codes = {code for _, code, _ in parsed}
        found = Product.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes))
        by_code = {product.sku: product for product in found}
        by_code.update({product.barcode: product for product in found if product.barcode})
        lines: list[tuple[Product, int]] = []
        for number, code, quantity in parsed:
            product = by_code.get(code)
            if product is None:
                errors.append(f"Line {number}: no product with SKU or barcode “{code}”.")
            elif not quantity.isdigit() or int(quantity) < 1:
                errors.append(f"Line {number}: “{quantity}” is not a quantity of 1 or more.")
            else:
                lines.append((product, int(quantity)))
        if errors:
            raise ValidationError(errors)
        return lines


class TransferReceiveForm(forms.Form):
    """One quantity per line still on the way, filled in with what is outstanding."""

    def __init__(self, *args: Any, lines: list[TransferLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.outstanding]
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.sku} (of {line.outstanding} outstanding)",
                min_value=0,
                max_value=line.outstanding,
                initial=line.outstanding,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def quantities(self) -> dict[int, int]:
        """Product id → units arriving now (after is_valid())."""
        return {
            line.product_id: self.cleaned_data[f"line_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 (with or without BOM), comma- or semicolon-separated, a header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


# --- inventory checks ---------------------------------------------------------------------------


class CheckCountForm(forms.Form):
    """One line of a count: the scanned or typed code, then the quantity found."""

    code = forms.CharField(
        label="SKU or barcode",
        max_length=64,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "enterkeyhint": "next",
                "data-count-code": "",
            }
        ),
    )
    quantity = forms.IntegerField(
        label="Quantity counted",
        min_value=0,
        required=False,
        widget=forms.NumberInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autocomplete": "off",
                "enterkeyhint": "done",
                "data-count-quantity": "",
            }
        ),
    )

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("code") or "").strip() and "code" not in self.errors:
            self.add_error("code", "Scan or type a SKU or barcode.")
        elif data.get("quantity") is None and "quantity" not in self.errors:
            # Enter in the code field without JavaScript lands here: ask for the quantity.
            self.add_error("quantity", "Type the quantity you counted (0 if there is none).")
        return data


class CheckCreateForm(forms.Form):
    """A check made by hand: a product list, a location (bin prefix) or the whole warehouse."""

    KIND_CHOICES = [
        ("products", "Product list"),
        ("location", "Location (bin prefix)"),
        ("full", "Whole warehouse"),
    ]

    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), to_field_name="code", empty_label=None
    )
    kind = forms.ChoiceField(label="Count", choices=KIND_CHOICES, widget=forms.RadioSelect)
    products = forms.CharField(
        label="Products",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "SKU-1\nSKU-2"}),
        help_text="For a product list: SKUs or barcodes, one a line (or separated by commas).",
    )
    location = forms.CharField(
        label="Bin prefix",
        required=False,
        max_length=30,
        help_text="For a location: every bin that starts with it, e.g. A-01.",
    )
    scheduled_for = forms.DateField(
        label="Count on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_to = forms.ModelChoiceField(
        label="Counter",
        queryset=None,
        required=False,
        empty_label="The least busy warehouse staff member",
    )
    blind = forms.BooleanField(
        label="Blind count (counters do not see the expected quantity)",
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        from opsportal import roles

        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.work_warehouses_for(user)
        self.fields["assigned_to"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True, groups__name=roles.WAREHOUSE_STAFF, warehouses__isnull=False
            )
            .distinct()
            .order_by("username")
        )
        self.fields["assigned_to"].label_from_instance = lambda user: user.display_name

    def clean_products(self) -> list[Product]:
        text = self.cleaned_data.get("products") or ""
        codes = [code for code in re.split(r"[\s,;]+", text) if code]
        if not codes:
            return []
        found = Product.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes))
        by_code = {}
        for product in found:
            by_code[product.sku] = product
            if product.barcode:
                by_code[product.barcode] = product
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            raise ValidationError(f"Unknown SKU or barcode: {', '.join(unknown[:10])}.")
        products: list[Product] = []
        for code in codes:
            if by_code[code] not in products:
                products.append(by_code[code])
        return products


class AbcClassForm(forms.Form):
    abc_class = forms.ChoiceField(
        label="ABC class",
        required=False,
        choices=[("", "Automatic (from shipped value)"), *Product.AbcClass.choices],
    )


class ReplenishmentForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), to_field_name="code", required=False, empty_label="All"
    )
    demand_days = forms.IntegerField(
        label="Demand from the last (days)", min_value=1, max_value=365, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_choices_for(user).filter(
            is_active=True
        )
