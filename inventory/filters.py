"""FilterSets shared by the inventory pages and the API (same parameter names in both)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from inventory import selectors
from inventory.models import (
    InventoryCheck,
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
SEARCH_INPUT = forms.TextInput(attrs={"type": "search", "placeholder": "SKU, name or barcode"})


def _warehouses(request) -> QuerySet[Warehouse]:
    # No request when the OpenAPI schema is generated: the field type is all it needs.
    if request is None:
        return Warehouse.objects.all()
    return selectors.warehouse_choices_for(request.user)


def _warehouse_filter() -> django_filters.ModelChoiceFilter:
    # By code, so a filtered URL reads ?warehouse=WH-A and survives a database reload.
    return django_filters.ModelChoiceFilter(
        queryset=_warehouses, to_field_name="code", label="Warehouse", empty_label="All"
    )


def _search(queryset: QuerySet, prefix: str, value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}sku__icontains": value})
        | Q(**{f"{prefix}name__icontains": value})
        | Q(**{f"{prefix}barcode": value})
    )


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting with the primary key last, so pages never repeat or skip rows on equal values."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search", widget=SEARCH_INPUT)
    abc_class = django_filters.ChoiceFilter(
        choices=Product.AbcClass.choices, label="ABC class", empty_label="Any"
    )
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Product
        fields = ["q", "abc_class", "is_active"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, "", value)


class BlindSafeOrderingFilter(StableOrderingFilter):
    """Sorting on on-hand or availability puts the rows a blind count hides last, so their
    place in the list says nothing about their quantity."""

    HIDDEN_FIELDS = {"on_hand", "available"}

    def filter(self, qs: QuerySet, value) -> QuerySet:
        qs = super().filter(qs, value)
        if value and {v.lstrip("-") for v in value} & self.HIDDEN_FIELDS:
            qs = qs.order_by("under_blind_count", *qs.query.order_by)
        return qs


class StockLevelFilter(django_filters.FilterSet):
    warehouse = _warehouse_filter()
    q = django_filters.CharFilter(method="filter_q", label="Product", widget=SEARCH_INPUT)
    low = django_filters.BooleanFilter(
        method="filter_low", label="Low stock only", widget=forms.CheckboxInput
    )
    abc_class = django_filters.ChoiceFilter(
        field_name="product__abc_class",
        choices=Product.AbcClass.choices,
        label="ABC class",
        empty_label="Any",
    )
    sort = BlindSafeOrderingFilter(
        fields=(
            ("warehouse__code", "warehouse"),
            ("product__sku", "sku"),
            ("bin", "bin"),
            ("on_hand", "on_hand"),
            ("available", "available"),
        ),
        label="Sort by",
        empty_label="Warehouse, SKU",
    )

    class Meta:
        model = StockLevel
        fields = ["warehouse", "q", "low", "abc_class"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, "product__", value)

    def filter_low(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        # The checkbox sends nothing when unticked: only a true value narrows the list.
        # Rows hidden by a blind count never match: "is it low?" would tell their quantity.
        if not value:
            return queryset
        return queryset.filter(selectors.LOW_STOCK, under_blind_count=False)


class LowStockFilter(django_filters.FilterSet):
    warehouse = _warehouse_filter()
    q = django_filters.CharFilter(method="filter_q", label="Product", widget=SEARCH_INPUT)
    abc_class = django_filters.ChoiceFilter(
        field_name="product__abc_class",
        choices=Product.AbcClass.choices,
        label="ABC class",
        empty_label="Any",
    )

    class Meta:
        model = StockLevel
        fields = ["warehouse", "q", "abc_class"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, "product__", value)


class StockMovementFilter(django_filters.FilterSet):
    warehouse = _warehouse_filter()
    product = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="iexact", label="SKU"
    )
    kind = django_filters.ChoiceFilter(
        choices=StockMovement.Kind.choices, label="Kind", empty_label="Any"
    )
    reason_code = django_filters.ChoiceFilter(
        choices=StockMovement.Reason.choices, label="Reason", empty_label="Any"
    )
    date_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="To", widget=DATE_INPUT
    )

    class Meta:
        model = StockMovement
        fields = ["warehouse", "product", "kind", "reason_code", "date_from", "date_to"]


class InventoryCheckFilter(django_filters.FilterSet):
    warehouse = _warehouse_filter()
    status = django_filters.ChoiceFilter(
        choices=InventoryCheck.Status.choices, label="Status", empty_label="Any"
    )
    date_from = django_filters.DateFilter(
        field_name="scheduled_for", lookup_expr="gte", label="From", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(
        field_name="scheduled_for", lookup_expr="lte", label="To", widget=DATE_INPUT
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Assigned to me", widget=forms.CheckboxInput
    )

    class Meta:
        model = InventoryCheck
        fields = ["warehouse", "status", "date_from", "date_to", "mine"]

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value or self.request is None:
            return queryset
        return queryset.filter(assigned_to=self.request.user)


class WarehouseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Code, name or city"}),
    )
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Warehouse
        fields = ["q", "is_active"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(city__icontains=value)
        )


OPEN_TRANSFER = Q(status__in=[Transfer.Status.IN_TRANSIT, Transfer.Status.PARTIALLY_RECEIVED])


class TransferFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_warehouses,
        to_field_name="code",
        label="Warehouse (from or to)",
        empty_label="All",
        method="filter_warehouse",
    )
    status = django_filters.ChoiceFilter(
        choices=Transfer.Status.choices, label="Status", empty_label="Any"
    )
    open = django_filters.BooleanFilter(
        method="filter_open", label="On the way only", widget=forms.CheckboxInput
    )
    product = django_filters.CharFilter(method="filter_product", label="SKU")

    class Meta:
        model = Transfer
        fields = ["warehouse", "status", "open", "product"]

    def filter_warehouse(self, queryset: QuerySet, name: str, value: Warehouse) -> QuerySet:
        return queryset.filter(Q(source=value) | Q(destination=value))

    def filter_open(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(OPEN_TRANSFER) if value else queryset

    def filter_product(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # EXISTS, not a join: a join would multiply the line totals the list annotates.
        lines = TransferLine.objects.filter(transfer=OuterRef("pk"), product__sku__iexact=value)
        return queryset.filter(Exists(lines))
