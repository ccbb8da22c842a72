"""FilterSets shared by the order pages and the API."""

from __future__ import annotations

import datetime

import django_filters as df
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_filters.widgets import BooleanWidget

from inventory.models import Warehouse
from orders.models import CustomerEmail, Order, ReturnRequest, Shipment, ShipmentLine
from orders.selectors import backordered_lines, orders_touching, pick_warehouses_for


class AnyYesNo(BooleanWidget):
    """`true` / `false` in the URL (as the API takes them), "Any" when blank."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]


def _search(placeholder: str) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "search", "placeholder": placeholder})


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _warehouses(request) -> QuerySet[Warehouse]:
    """The warehouse choices: a staff member's own warehouses only."""
    if request is None:
        return Warehouse.objects.order_by("code")
    return pick_warehouses_for(request.user)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    # A range on placed_at itself (not placed_at__date) keeps the placed_at index usable.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class OrderFilter(df.FilterSet):
    q = df.CharFilter(
        method="search", label="Search", widget=_search("Number, customer, email, tracking")
    )
    status = df.ChoiceFilter(choices=Order.Status.choices, empty_label="Any")
    warehouse = df.ModelChoiceFilter(
        queryset=_warehouses, method="in_warehouse", label="Warehouse", empty_label="Any"
    )
    channel = df.ChoiceFilter(choices=Order.Channel.choices, empty_label="Any")
    placed_from = df.DateFilter(method="placed_from_day", label="Placed from", widget=_date_input())
    placed_to = df.DateFilter(method="placed_to_day", label="Placed to", widget=_date_input())
    at_risk = df.BooleanFilter(label="At risk", widget=AnyYesNo)
    backordered = df.BooleanFilter(method="has_backorder", label="Backordered", widget=AnyYesNo)
    on_hold = df.BooleanFilter(method="held", label="On hold", widget=AnyYesNo)

    class Meta:
        model = Order
        fields = ["q", "status", "warehouse", "channel", "placed_from", "placed_to"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # An exact order or tracking number (what a customer reads out) is found through the
        # unique and tracking indexes in milliseconds; only otherwise are names and emails
        # scanned, which no plain index can serve (seconds over a million orders).
        exact = set(Order.objects.filter(number=value).values_list("pk", flat=True))
        exact |= set(
            Shipment.objects.filter(tracking_number=value).values_list("order_id", flat=True)
        )
        if exact:
            return queryset.filter(pk__in=exact)
        return queryset.filter(
            Q(number__istartswith=value)
            | Q(customer_name__icontains=value)
            | Q(customer_email__icontains=value)
        )

    def in_warehouse(self, queryset: QuerySet, name: str, value: Warehouse | None) -> QuerySet:
        return queryset if value is None else orders_touching(queryset, [value.pk])

    def placed_from_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(placed_at__gte=_start_of_day(value))

    def placed_to_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(placed_at__lt=_start_of_day(value + datetime.timedelta(days=1)))

    def has_backorder(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        waiting = Exists(backordered_lines().filter(order=OuterRef("pk")))
        return queryset.filter(waiting if value else ~waiting)

    def held(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        not_held = Q(hold_kind=Order.HoldKind.NONE)
        return queryset.exclude(not_held) if value else queryset.filter(not_held)


class ShipmentFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="Search", widget=_search("Order, tracking, shipment"))
    status = df.ChoiceFilter(choices=Shipment.Status.choices, empty_label="Any")
    warehouse = df.ModelChoiceFilter(queryset=_warehouses, label="Warehouse", empty_label="Any")

    class Meta:
        model = Shipment
        fields = ["q", "status", "warehouse"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        found = Q(tracking_number=value) | Q(order__number__istartswith=value)
        if value.isdigit():
            found |= Q(pk=int(value))
        return queryset.filter(found)


class PickListFilter(df.FilterSet):
    warehouse = df.ModelChoiceFilter(
        field_name="shipment__warehouse", queryset=_warehouses, label="Warehouse", empty_label=None
    )

    class Meta:
        model = ShipmentLine
        fields = ["warehouse"]


# "Not decided" is the empty string in the model, which a form reads as "no filter": give it a name.
_UNDECIDED = "undecided"
_DISPOSITION_CHOICES = [
    *((value, label) for value, label in ReturnRequest.Disposition.choices if value),
    (_UNDECIDED, ReturnRequest.Disposition.PENDING.label),
]


class ReturnFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="Search", widget=_search("RMA or order number"))
    status = df.ChoiceFilter(choices=ReturnRequest.Status.choices, empty_label="Any")
    disposition = df.ChoiceFilter(
        choices=_DISPOSITION_CHOICES, method="by_disposition", empty_label="Any"
    )
    refund_status = df.ChoiceFilter(choices=ReturnRequest.RefundStatus.choices, empty_label="Any")
    warehouse = df.ModelChoiceFilter(queryset=_warehouses, label="Warehouse", empty_label="Any")

    class Meta:
        model = ReturnRequest
        fields = ["q", "status", "disposition", "refund_status", "warehouse"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__istartswith=value) | Q(order__number__istartswith=value))

    def by_disposition(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == _UNDECIDED:
            return queryset.filter(disposition=ReturnRequest.Disposition.PENDING)
        return queryset.filter(disposition=value)


class CustomerEmailFilter(df.FilterSet):
    q = df.CharFilter(method="search", label="Search", widget=_search("Order number or address"))
    status = df.ChoiceFilter(choices=CustomerEmail.Status.choices, empty_label="Any")
    kind = df.ChoiceFilter(choices=CustomerEmail.Kind.choices, empty_label="Any")

    class Meta:
        model = CustomerEmail
        fields = ["q", "status", "kind"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order__number__istartswith=value) | Q(to__icontains=value))
