"""Forms of the quality pages: they parse what a person typed; the services hold the rules and
their ValidationErrors come back onto these forms field by field (`add_service_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.models import Product, Warehouse
from opsportal import roles
from quality.models import (
    Certification,
    ComplianceRequirement,
    CorrectiveAction,
    Inspection,
    InspectionPlan,
    NonConformance,
    SafetyIncident,
    SOPDocument,
)
from quality.services.compliance import TAG_LOOKUPS
from quality.services.inspections import MEASURE, requirement_of
from vendors.models import Vendor


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form: on the field they name, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def staff_users():
    """People who can own quality work: active users with a role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles.ROLES)
        .distinct()
        .order_by("username")
    )


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class _ProductChoice(forms.ModelChoiceField):
    """A product typed or scanned as its SKU (keyboard and scanner friendly)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Product.objects.all(),
            to_field_name="sku",
            widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
            error_messages={"invalid_choice": "No product with this SKU."},
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        """The SKU as typed or scanned; letter case does not matter."""
        value = (value or "").strip()
        if value in self.empty_values:
            return None
        product = Product.objects.filter(sku__iexact=value).order_by("pk").first()
        if product is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return product


# --- inspection plans ------------------------------------------------------------------------


class InspectionPlanForm(forms.ModelForm):
    product = _ProductChoice(required=False, help_text="SKU; empty for every product.")

    class Meta:
        model = InspectionPlan
        fields = [
            "name",
            "trigger",
            "product",
            "vendor",
            "warehouse",
            "sampling",
            "sample_size",
            "every_nth",
            "period_days",
            "sop",
            "is_active",
        ]
        help_texts = {
            "vendor": "Receipt plans only; empty for every vendor.",
            "warehouse": "Empty for every warehouse.",
            "sample_size": "Units to inspect (fixed sample size and every-Nth sampling).",
            "every_nth": "Every Nth receipt sampling: 3 inspects the 3rd, 6th, 9th… receipt.",
            "period_days": "Periodic plans: one inspection per warehouse every so many days.",
            "sop": "The SOP inspectors follow (shown on the inspection).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.order_by("name")
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True).order_by(
            "code"
        )
        self.fields["sop"].queryset = SOPDocument.objects.order_by("code")
        for name in ("vendor", "warehouse", "sop"):
            self.fields[name].required = False


class CriterionForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    kind = forms.ChoiceField(
        choices=[("pass_fail", "Pass / fail"), ("measure", "Measurement")], required=False
    )
    unit = forms.CharField(max_length=20, required=False)
    min = forms.DecimalField(required=False, label="Minimum")
    max = forms.DecimalField(required=False, label="Maximum")


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, max_num=30, can_delete=True)


def criteria_from(formset: forms.BaseFormSet) -> list[dict]:
    """The criteria rows a person filled in (empty and deleted rows left out), in order."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if not data or data.get("DELETE") or not (data.get("name") or "").strip():
            continue
        row = {"name": data["name"], "kind": data.get("kind") or "pass_fail"}
        if row["kind"] == MEASURE:
            row.update(
                unit=data.get("unit") or "",
                min=None if data.get("min") is None else float(data["min"]),
                max=None if data.get("max") is None else float(data["max"]),
            )
        rows.append(row)
    return rows


# --- recording an inspection (phone) ---------------------------------------------------------


class InspectionRecordForm(forms.Form):
    """One field (pass/fail or a value) and a note per criterion of the plan."""

    notes = forms.CharField(widget=_textarea(2), required=False, max_length=2000)
    affected_quantity = forms.IntegerField(
        min_value=0,
        required=False,
        label="Quantity to quarantine if it fails",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        self.criteria = [c for c in inspection.plan.criteria or [] if isinstance(c, dict)]
        fields = {}
        for index, criterion in enumerate(self.criteria):
            if criterion.get("kind") == MEASURE:
                fields[f"c{index}_value"] = forms.CharField(
                    label=f"{criterion['name']} ({requirement_of(criterion)})",
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                )
            else:
                fields[f"c{index}_passed"] = forms.ChoiceField(
                    label=criterion["name"],
                    choices=[("pass", "Pass"), ("fail", "Fail")],
                    widget=forms.RadioSelect,
                    required=False,
                )
            fields[f"c{index}_note"] = forms.CharField(label="Note", required=False, max_length=300)
        # Criteria first, then the notes and the quarantine quantity.
        self.fields = {**fields, **self.fields}
        if inspection.product_id:
            self.fields["affected_quantity"].initial = inspection.quantity
            self.fields[
                "affected_quantity"
            ].help_text = (
                f"Of the {inspection.quantity} units covered; they can no longer be allocated."
            )
        else:
            del self.fields["affected_quantity"]

    def criterion_rows(self) -> list[dict]:
        rows = []
        for index, criterion in enumerate(self.criteria):
            key = f"c{index}_value" if criterion.get("kind") == MEASURE else f"c{index}_passed"
            rows.append(
                {"criterion": criterion, "field": self[key], "note": self[f"c{index}_note"]}
            )
        return rows

    def results(self) -> list[dict]:
        data = self.cleaned_data
        results = []
        for index, criterion in enumerate(self.criteria):
            result = {"name": criterion["name"], "note": data.get(f"c{index}_note", "")}
            if criterion.get("kind") == MEASURE:
                result["value"] = data.get(f"c{index}_value", "")
            else:
                result["passed"] = data.get(f"c{index}_passed") or None
            results.append(result)
        return results


# --- non-conformances and CAPA ---------------------------------------------------------------


class NonConformanceForm(forms.Form):
    title = forms.CharField(max_length=200)
    origin = forms.ChoiceField(choices=NonConformance.Origin.choices)
    severity = forms.ChoiceField(choices=NonConformance.Severity.choices)
    description = forms.CharField(widget=_textarea(4), required=False)
    product = _ProductChoice(required=False)
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.order_by("name"), required=False)
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True).order_by("code"), required=False
    )
    quantity = forms.IntegerField(min_value=0, initial=0)
    quarantine_now = forms.BooleanField(
        required=False,
        label="Quarantine this quantity now",
        help_text="Moves available units of the product in the warehouse into quarantine.",
    )
    owner = _UserChoice(queryset=staff_users(), required=False)
    due_date = forms.DateField(widget=_date(), required=False, help_text="Empty: by severity.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class NonConformanceEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=NonConformance.Severity.choices)
    status = forms.ChoiceField(
        choices=[c for c in NonConformance.Status.choices if c[0] != NonConformance.Status.CLOSED]
    )
    description = forms.CharField(widget=_textarea(4), required=False)
    owner = _UserChoice(queryset=staff_users(), required=False)
    due_date = forms.DateField(widget=_date(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(
        choices=[("", "Choose…"), *[c for c in NonConformance.Disposition.choices if c[0]]],
        required=False,
    )
    note = forms.CharField(max_length=200, required=False)


class CorrectiveActionForm(forms.Form):
    kind = forms.ChoiceField(choices=CorrectiveAction.Kind.choices)
    why1 = forms.CharField(label="Why 1", max_length=500, required=False)
    why2 = forms.CharField(label="Why 2", max_length=500, required=False)
    why3 = forms.CharField(label="Why 3", max_length=500, required=False)
    why4 = forms.CharField(label="Why 4", max_length=500, required=False)
    why5 = forms.CharField(label="Why 5", max_length=500, required=False)
    root_cause = forms.CharField(widget=_textarea(2), required=False)
    action = forms.CharField(widget=_textarea(3), required=False)
    owner = _UserChoice(queryset=staff_users(), required=False)
    due_date = forms.DateField(widget=_date(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()

    def whys(self) -> list[str]:
        return [self.cleaned_data.get(f"why{n}", "") for n in range(1, 6)]


class VerifyForm(forms.Form):
    effective = forms.TypedChoiceField(
        choices=[("yes", "Effective"), ("no", "Not effective")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(widget=_textarea(2), required=False, label="What you checked")


class ScarForm(forms.Form):
    request_text = forms.CharField(
        widget=_textarea(3), required=False, label="Message to the vendor (optional)"
    )


# --- compliance ------------------------------------------------------------------------------


class RequirementForm(forms.ModelForm):
    owner = _UserChoice(queryset=staff_users(), required=False)

    class Meta:
        model = ComplianceRequirement
        fields = [
            "standard",
            "clause",
            "title",
            "description",
            "owner",
            "review_cadence_days",
            "next_review",
            "evidence",
            "status",
        ]
        widgets = {
            "next_review": _date(),
            "description": _textarea(3),
            "evidence": _textarea(3),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["next_review"].required = False
        self.fields["next_review"].help_text = "Empty: one cadence from today."
        # The service checks standard + clause (case-insensitively) and names the clause field.
        self.instance.validate_constraints = lambda exclude=None: None

    def validate_unique(self) -> None:
        """The service checks standard + clause and names the field."""


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in ComplianceRequirement.Status.choices if c[0] != "not_assessed"]
    )
    evidence = forms.CharField(widget=_textarea(3), required=False)


class EvidenceForm(forms.Form):
    title = forms.CharField(max_length=200)
    document = forms.FileField(
        help_text="PDF, image, text, CSV, Word or Excel; at most 10 MB.", required=False
    )


class TagForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(kind, described) for kind, (_field, described) in TAG_LOOKUPS.items()],
        label="Record",
    )
    reference = forms.CharField(max_length=40)


class CertificationForm(forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["name", "issuer", "warehouse", "valid_from", "valid_until"]
        widgets = {"valid_from": _date(), "valid_until": _date()}

    document = forms.FileField(required=False, help_text="The certificate (PDF or image).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.order_by("code")
        self.fields["valid_until"].required = False


# --- safety ----------------------------------------------------------------------------------


class IncidentForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), to_field_name="code")
    kind = forms.ChoiceField(choices=SafetyIncident.Kind.choices, widget=forms.RadioSelect)
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    severity = forms.ChoiceField(choices=SafetyIncident.Severity.choices)
    description = forms.CharField(widget=_textarea(4), label="What happened")
    lost_days = forms.IntegerField(
        min_value=0,
        initial=0,
        required=False,
        label="Working days lost",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    actions = forms.CharField(widget=_textarea(2), required=False, label="Actions taken")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = roles.warehouse_ids_for(user)
        warehouses = Warehouse.objects.filter(is_active=True).order_by("code")
        if ids is not None:
            warehouses = warehouses.filter(pk__in=ids)
        self.fields["warehouse"].queryset = warehouses
        if warehouses.count() == 1:
            self.fields["warehouse"].initial = warehouses.first().code
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class IncidentFollowUpForm(forms.Form):
    severity = forms.ChoiceField(choices=SafetyIncident.Severity.choices)
    lost_days = forms.IntegerField(min_value=0, required=False)
    actions = forms.CharField(widget=_textarea(3), required=False)


# --- SOPs and manuals ------------------------------------------------------------------------


class SOPForm(forms.Form):
    code = forms.CharField(max_length=30, help_text="SOP-AREA-NNN, e.g. SOP-WH-004; never changes.")
    title = forms.CharField(max_length=200)
    area = forms.ChoiceField(choices=SOPDocument.Area.choices)
    owner = _UserChoice(queryset=staff_users(), required=False)
    roles = forms.ModelMultipleChoiceField(
        queryset=Group.objects.filter(name__in=roles.ROLES).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Who must read and acknowledge it",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class SOPVersionForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        required=False,
        help_text="Markdown. Shown sanitised; never run as a template.",
    )
    change_summary = forms.CharField(max_length=300, required=False, label="What changed")


class RejectForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Why it goes back")


class ManualForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=_textarea(3), required=False)
    codes = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 8, "autocapitalize": "characters", "spellcheck": "false"}
        ),
        label="SOPs, in order",
        help_text="One SOP code per line, e.g. SOP-ORD-001; the manual prints them in this order.",
        required=False,
    )
