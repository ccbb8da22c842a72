"""FilterSets shared by the vendor pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from inventory.models import Warehouse
from opsportal import roles
from vendors import selectors
from vendors.models import Carrier, PurchaseOrder, Vendor, VendorContract

_YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def _search(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": value})
    return queryset.filter(condition)


class VendorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=Vendor.Kind.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(choices=Vendor.Status.choices, empty_label="Any")

    class Meta:
        model = Vendor
        fields = ["q", "kind", "status"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("name", "email", "country"), value)


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=VendorContract.Status.choices, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )
    # A ten-year cap keeps `today + days` a valid date, whatever the query string says.
    ending_within = django_filters.NumberFilter(
        method="filter_ending_within",
        label="Active, ending within (days)",
        min_value=0,
        max_value=3650,
        decimal_places=0,
    )

    class Meta:
        model = VendorContract
        fields = ["q", "status", "vendor", "ending_within"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("number", "title", "vendor__name"), value)

    def filter_ending_within(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(selectors.ending_within_q(timezone.localdate(), int(value)))


class CarrierFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    is_active = django_filters.BooleanFilter(label="Active", widget=_YES_NO)

    class Meta:
        model = Carrier
        fields = ["q", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("code", "vendor__name"), value)


def _warehouses_for(request: Any) -> QuerySet[Warehouse]:
    """Only the warehouses the user works in are offered (and accepted) as a filter."""
    warehouses = Warehouse.objects.order_by("code")
    if request is None:
        return warehouses
    warehouse_ids = roles.warehouse_ids_for(request.user)
    return warehouses if warehouse_ids is None else warehouses.filter(pk__in=warehouse_ids)


class PurchaseOrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices, empty_label="Any")
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses_for, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )
    late = django_filters.BooleanFilter(method="filter_late", label="Late", widget=_YES_NO)
    to_receive = django_filters.BooleanFilter(
        method="filter_to_receive", label="To receive", widget=_YES_NO
    )

    class Meta:
        model = PurchaseOrder
        fields = ["q", "status", "warehouse", "vendor", "late", "to_receive"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("number", "vendor__name"), value)

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = selectors.late_q(timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_to_receive(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        to_receive = Q(status__in=selectors.TO_RECEIVE_STATUSES)
        return queryset.filter(to_receive) if value else queryset.exclude(to_receive)
