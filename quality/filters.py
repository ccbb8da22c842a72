"""FilterSets shared by the quality pages and the API (`q` searches the obvious text fields)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from inventory.models import Warehouse
from opsportal import roles
from quality.models import (
    ComplianceRequirement,
    Inspection,
    NonConformance,
    SafetyIncident,
    SOPDocument,
)
from vendors.models import Vendor


def _warehouses_for(request: Any) -> QuerySet[Warehouse]:
    """The warehouse choices: staff only ever see (and may only pick) their own."""
    warehouses = Warehouse.objects.order_by("code")
    user = getattr(request, "user", None)
    if user is None:
        return warehouses
    ids = roles.warehouse_ids_for(user)
    return warehouses if ids is None else warehouses.filter(pk__in=ids)


# "Any / Yes / No" rather than NullBooleanSelect's "Unknown"; the values are what the API takes.
def _yes_no() -> forms.Select:
    return forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def _search_box() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "search"})


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _search(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value})
    return queryset.filter(condition)


class InspectionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", widget=_search_box())
    status = django_filters.ChoiceFilter(choices=Inspection.Status.choices, empty_label="Any")
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses_for, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )

    class Meta:
        model = Inspection
        fields = ["q", "status", "warehouse", "vendor"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("plan__name", "product__sku", "product__name", "notes"), value)


class NonConformanceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", widget=_search_box())
    status = django_filters.ChoiceFilter(choices=NonConformance.Status.choices, empty_label="Any")
    severity = django_filters.ChoiceFilter(
        choices=NonConformance.Severity.choices, empty_label="Any"
    )
    origin = django_filters.ChoiceFilter(choices=NonConformance.Origin.choices, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue", widget=_yes_no()
    )

    class Meta:
        model = NonConformance
        fields = ["q", "status", "severity", "origin", "vendor", "overdue"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("number", "title", "description", "product__sku"), value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # `is_overdue` is annotated by quality.selectors.nonconformances().
        return queryset if value is None else queryset.filter(is_overdue=value)


class ComplianceRequirementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", widget=_search_box())
    standard = django_filters.CharFilter(lookup_expr="iexact", label="Standard")
    status = django_filters.ChoiceFilter(
        choices=ComplianceRequirement.Status.choices, empty_label="Any"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Review overdue", widget=_yes_no()
    )

    class Meta:
        model = ComplianceRequirement
        fields = ["q", "standard", "status", "overdue"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("standard", "clause", "title", "description", "evidence"), value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # `is_overdue` is annotated by quality.selectors.requirements().
        return queryset if value is None else queryset.filter(is_overdue=value)


class SafetyIncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", widget=_search_box())
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses_for, empty_label="Any")
    kind = django_filters.ChoiceFilter(choices=SafetyIncident.Kind.choices, empty_label="Any")
    severity = django_filters.ChoiceFilter(
        choices=SafetyIncident.Severity.choices, empty_label="Any"
    )
    lost_time = django_filters.BooleanFilter(
        method="filter_lost_time", label="Lost time", widget=_yes_no()
    )
    occurred_after = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label="From", widget=_date()
    )
    occurred_before = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label="To", widget=_date()
    )

    class Meta:
        model = SafetyIncident
        fields = [
            "q",
            "warehouse",
            "kind",
            "severity",
            "lost_time",
            "occurred_after",
            "occurred_before",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("description", "actions"), value)

    def filter_lost_time(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(lost_days__gt=0) if value else queryset.filter(lost_days=0)


class SOPDocumentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", widget=_search_box())
    area = django_filters.ChoiceFilter(choices=SOPDocument.Area.choices, empty_label="Any")

    class Meta:
        model = SOPDocument
        fields = ["q", "area"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("code", "title"), value)
