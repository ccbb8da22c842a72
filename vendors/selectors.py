"""Reads for the vendor pages and API: annotated, prefetched and scoped in one place."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from opsportal import roles
from vendors.models import (
    Carrier,
    CarrierService,
    ContractPrice,
    PurchaseOrder,
    PurchaseOrderLine,
    ShippingRate,
    Vendor,
    VendorContract,
)

# A purchase order is open until it is fully received or cancelled; a draft is open work too.
# Sent to the vendor and not yet fully in: what a warehouse expects to receive.
TO_RECEIVE_STATUSES = (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED)
OPEN_PO_STATUSES = (
    PurchaseOrder.Status.DRAFT,
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIALLY_RECEIVED,
)

HISTORY_LIMIT = 50
# Bumped on every save: listing them would make every change look alike.
_HISTORY_NOISE_FIELDS = ("updated_at", "version")

_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _count_of(queryset: QuerySet, outer_field: str) -> Coalesce:
    """A correlated COUNT subquery: no join fan-out, however many counts a list carries."""
    counted = queryset.order_by().values(outer_field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def can_see_prices(user: Any) -> bool:
    """Prices and contracts are for managers, contract admins and superusers, never staff."""
    return roles.has_role(user, roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN)


def late_q(today: datetime.date) -> Q:
    """Purchase orders past their expected date and not yet fully received."""
    return Q(expected_date__lt=today, status__in=OPEN_PO_STATUSES)


def ending_within_q(today: datetime.date, days: int) -> Q:
    """Active contracts ending within `days` (overdue active ones included: they need action)."""
    return Q(
        status=VendorContract.Status.ACTIVE, end_date__lte=today + datetime.timedelta(days=days)
    )


# --- vendors ----------------------------------------------------------------------------------


def vendors() -> QuerySet[Vendor]:
    """Vendors with their active contract and open purchase order counts."""
    return Vendor.objects.annotate(
        active_contracts=_count_of(
            VendorContract.objects.filter(
                vendor=OuterRef("pk"), status=VendorContract.Status.ACTIVE
            ),
            "vendor",
        ),
        open_purchase_orders=_count_of(
            PurchaseOrder.objects.filter(vendor=OuterRef("pk"), status__in=OPEN_PO_STATUSES),
            "vendor",
        ),
    ).order_by("name", "pk")


def vendors_with_contacts() -> QuerySet[Vendor]:
    """Vendors (annotated) with their contacts prefetched, for the API."""
    return vendors().prefetch_related("contacts")


def vendor_detail(pk: int) -> QuerySet[Vendor]:
    """One vendor with contacts, contracts and its carrier (if any) loaded."""
    return (
        vendors()
        .filter(pk=pk)
        .prefetch_related(
            "contacts",
            Prefetch("contracts", queryset=VendorContract.objects.order_by("-end_date", "number")),
        )
    )


def carrier_of(vendor: Vendor) -> Carrier | None:
    """The carrier record of a carrier vendor, with its services."""
    return (
        Carrier.objects.filter(vendor=vendor)
        .prefetch_related(Prefetch("services", queryset=CarrierService.objects.order_by("code")))
        .first()
    )


# --- contracts --------------------------------------------------------------------------------


def contracts() -> QuerySet[VendorContract]:
    """Contracts with vendor and owner, and whether a signed document is on file."""
    return (
        VendorContract.objects.select_related("vendor", "owner")
        .annotate(
            has_signed_document=ExpressionWrapper(
                ~Q(signed_document=""), output_field=BooleanField()
            )
        )
        .order_by("end_date", "number")
    )


def contracts_with_prices() -> QuerySet[VendorContract]:
    """Contracts with their price lines and products prefetched."""
    return (
        contracts()
        .select_related("previous")
        .prefetch_related(
            Prefetch(
                "prices",
                queryset=ContractPrice.objects.select_related("product").order_by(
                    "product__sku", "min_qty", "pk"
                ),
            )
        )
    )


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    who: str
    kind: str  # "Created", "Changed", "Deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


_HISTORY_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def contract_history(contract: VendorContract, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The last `limit` historical records of a contract, newest first, with changed fields."""
    # One record more than shown: the oldest shown one needs its predecessor to diff against.
    records = list(
        contract.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    deltas = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = (
            record.diff_against(previous, excluded_fields=_HISTORY_NOISE_FIELDS).changes
            if previous is not None and record.history_type == "~"
            else []
        )
        deltas.append((record, changes))
    display = _ValueDisplay(VendorContract, [c for _, changes in deltas for c in changes])
    return [
        HistoryEntry(
            when=record.history_date,
            who=record.history_user.display_name if record.history_user else "system",
            kind=_HISTORY_KINDS.get(record.history_type, record.history_type),
            reason=record.history_change_reason or "",
            changes=[
                FieldChange(
                    label=display.label(change.field),
                    old=display.value(change.field, change.old),
                    new=display.value(change.field, change.new),
                )
                for change in changes
            ],
        )
        for record, changes in deltas
    ]


class _ValueDisplay:
    """Shows history values as people read them: choice labels, related names, Yes/No."""

    def __init__(self, model: type[models.Model], changes: list) -> None:
        self.model = model
        self.related: dict[str, dict[Any, str]] = {}
        wanted: dict[str, set] = {}
        for change in changes:
            model_field = self._field(change.field)
            if model_field is not None and model_field.is_relation:
                wanted.setdefault(change.field, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
        # One query per related field that changed, never one per change.
        for name, ids in wanted.items():
            related_model = self._field(name).related_model
            objects = related_model._default_manager.filter(pk__in=ids)
            self.related[name] = {obj.pk: _object_label(obj) for obj in objects}

    def _field(self, name: str) -> models.Field | None:
        try:
            return self.model._meta.get_field(name)
        except FieldDoesNotExist:  # a field removed since the record was written
            return None

    def label(self, name: str) -> str:
        model_field = self._field(name)
        return str(model_field.verbose_name).capitalize() if model_field is not None else name

    def value(self, name: str, raw: Any) -> str:
        model_field = self._field(name)
        if raw is None or raw == "":
            return "—"
        if model_field is None:
            return str(raw)
        if model_field.is_relation:
            return self.related.get(name, {}).get(raw, f"#{raw}")
        if isinstance(model_field, models.FileField):
            return "on file"
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(raw, raw))
        if isinstance(raw, bool):
            return "Yes" if raw else "No"
        return str(raw)


def _object_label(obj: models.Model) -> str:
    if obj._meta.model is get_user_model():
        return obj.display_name
    if isinstance(obj, VendorContract):
        return obj.number
    return str(obj)


# --- carriers ---------------------------------------------------------------------------------


def carriers() -> QuerySet[Carrier]:
    """Carriers with vendor, services and the number of rate cells over all their services."""
    return (
        Carrier.objects.select_related("vendor")
        .prefetch_related(Prefetch("services", queryset=CarrierService.objects.order_by("code")))
        .annotate(
            rate_cells=_count_of(
                ShippingRate.objects.filter(service__carrier=OuterRef("pk")), "service__carrier"
            )
        )
        .order_by("code")
    )


def carriers_with_rates() -> QuerySet[Carrier]:
    """Carriers with every service's rate card prefetched."""
    services = CarrierService.objects.order_by("code").prefetch_related(
        Prefetch("rates", queryset=ShippingRate.objects.order_by("zone", "max_weight_grams"))
    )
    return (
        Carrier.objects.select_related("vendor")
        .prefetch_related(Prefetch("services", queryset=services))
        .annotate(
            rate_cells=_count_of(
                ShippingRate.objects.filter(service__carrier=OuterRef("pk")), "service__carrier"
            )
        )
        .order_by("code")
    )


@dataclass(frozen=True)
class RateCard:
    """A service's rates as a table: one row per zone, one column per weight break."""

    weight_breaks: list[int]
    rows: list[tuple[int, list[ShippingRate | None]]]


def rate_card(rates: list[ShippingRate]) -> RateCard:
    """Arrange rate cells (already loaded) into a zone × weight-break table; gaps are None."""
    weight_breaks = sorted({rate.max_weight_grams for rate in rates})
    by_cell = {(rate.zone, rate.max_weight_grams): rate for rate in rates}
    zones = sorted({rate.zone for rate in rates})
    rows = [(zone, [by_cell.get((zone, weight)) for weight in weight_breaks]) for zone in zones]
    return RateCard(weight_breaks=weight_breaks, rows=rows)


# --- purchase orders --------------------------------------------------------------------------


def purchase_orders_for(
    user: Any, *, today: datetime.date, with_lines: bool = False
) -> QuerySet[PurchaseOrder]:
    """Purchase orders the user may see (staff: their warehouses), late flag and line counts.

    For users who may see prices each order carries its total (and its lines, when loaded,
    their line totals); for warehouse staff no price is even selected.
    """
    with_prices = can_see_prices(user)
    if with_prices is None:
        with_prices = can_see_prices(user)
    orders = PurchaseOrder.objects.select_related("vendor", "warehouse").annotate(
        lines_count=_count_of(
            PurchaseOrderLine.objects.filter(purchase_order=OuterRef("pk")), "purchase_order"
        ),
        is_late=Case(
            When(late_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )
    lines = PurchaseOrderLine.objects.select_related("product").order_by("pk")
    if with_prices:
        line_total = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=_MONEY)
        orders = orders.select_related("contract").annotate(
            total=Coalesce(
                Subquery(
                    PurchaseOrderLine.objects.filter(purchase_order=OuterRef("pk"))
                    .order_by()
                    .values("purchase_order")
                    .annotate(total=Sum(line_total))
                    .values("total"),
                    output_field=_MONEY,
                ),
                Value(0),
                output_field=_MONEY,
            )
        )
        lines = lines.annotate(line_total=line_total)
    warehouse_ids = roles.warehouse_ids_for(user)
    if warehouse_ids is not None:
        orders = orders.filter(warehouse_id__in=warehouse_ids)
    if with_lines:
        orders = orders.prefetch_related(Prefetch("lines", queryset=lines))
    return orders.order_by("-created_at", "-pk")


# --- dashboard: contracts expiring --------------------------------------------------------------


def expiring_contracts(
    within_days: int = 90, *, today: datetime.date | None = None
) -> QuerySet[VendorContract]:
    """Active contracts ending within `within_days` (overdue active ones first), for the
    dashboard: vendor and owner loaded, soonest end first."""
    from django.utils import timezone

    today = today or timezone.localdate()
    return contracts().filter(ending_within_q(today, within_days)).order_by("end_date", "number")


# --- contract history with price lines --------------------------------------------------------


@dataclass(frozen=True)
class PriceChange:
    when: datetime.datetime
    who: str
    kind: str
    sku: str
    min_qty: int
    price: str
    lead_time_days: int


def price_history(contract: VendorContract, limit: int = HISTORY_LIMIT) -> list[PriceChange]:
    """The last `limit` changes of a contract's price lines, newest first (one query)."""
    records = (
        ContractPrice.history.filter(contract_id=contract.pk)
        .select_related("history_user", "product")
        .order_by("-history_date", "-history_id")[:limit]
    )
    return [
        PriceChange(
            when=r.history_date,
            who=r.history_user.display_name if r.history_user else "system",
            kind=_HISTORY_KINDS.get(r.history_type, r.history_type),
            sku=r.product.sku if r.product else f"#{r.product_id}",
            min_qty=r.min_qty,
            price=str(r.price),
            lead_time_days=r.lead_time_days,
        )
        for r in records
    ]


# --- scorecards -------------------------------------------------------------------------------

SCORECARD_DAYS = 365
# quality.NonConformance statuses are read through vendor.non_conformances (vendors never
# imports quality); "closed" is the only status that is not an open issue.
NC_CLOSED = "closed"


def _pct(part: float | Decimal | int, whole: float | Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class VendorScorecard:
    since: datetime.date
    lines_due: int  # lines fully received, or still open past their expected date
    on_time_pct: Decimal | None
    fill_rate_pct: Decimal | None  # units received / units ordered on POs that are due
    lead_time_days: Decimal | None  # sent → line fully received, average
    contract_lead_time_days: Decimal | None  # the contract's lead time for those lines
    price_variance_pct: Decimal | None  # paid vs contract price, weighted by quantity
    off_contract_lines: int
    received_units: int
    defect_units: int
    defect_rate_pct: Decimal | None  # non-conforming units / received units
    spend: Decimal  # received units × unit price
    open_issues: int
    sla_on_time_pct: Decimal | None
    sla_max_defect_rate: Decimal | None


def vendor_scorecard(
    vendor: Vendor, *, today: datetime.date, days: int = SCORECARD_DAYS
) -> VendorScorecard:
    """Delivery and quality figures of a vendor over the last `days` (a fixed handful of
    queries, whatever the number of orders)."""
    since = today - datetime.timedelta(days=days)
    lines = PurchaseOrderLine.objects.filter(
        purchase_order__vendor=vendor,
        purchase_order__sent_at__date__gte=since,
        purchase_order__status__in=[
            PurchaseOrder.Status.SENT,
            PurchaseOrder.Status.PARTIALLY_RECEIVED,
            PurchaseOrder.Status.RECEIVED,
        ],
    )
    complete = Q(received_at__isnull=False)
    overdue = Q(received_at__isnull=True, purchase_order__expected_date__lt=today)
    due = Q(complete | Q(purchase_order__expected_date__lt=today))
    figures = lines.aggregate(
        lines_due=Count("pk", filter=complete | overdue),
        on_time=Count(
            "pk", filter=complete & Q(received_at__date__lte=F("purchase_order__expected_date"))
        ),
        on_time_no_date=Count("pk", filter=complete & Q(purchase_order__expected_date=None)),
        ordered_due=Coalesce(Sum("quantity", filter=due), 0),
        received_due=Coalesce(Sum("received", filter=due), 0),
        received_units=Coalesce(Sum("received"), 0),
        spend=Coalesce(
            Sum(ExpressionWrapper(F("received") * F("unit_price"), output_field=_MONEY)),
            Value(0),
            output_field=_MONEY,
        ),
        off_contract=Count("pk", filter=Q(off_contract=True)),
    )
    # Per-line reads for lead time and price variance (bounded by the vendor's year of lines).
    rows = list(
        lines.filter(purchase_order__contract__isnull=False).values_list(
            "purchase_order__contract_id",
            "product_id",
            "quantity",
            "unit_price",
            "purchase_order__sent_at",
            "received_at",
            "off_contract",
        )
    )
    contract_prices: dict[tuple[int, int], list[ContractPrice]] = {}
    if rows:
        pairs = Q()
        for contract_id in {r[0] for r in rows}:
            pairs |= Q(
                contract_id=contract_id, product_id__in={r[1] for r in rows if r[0] == contract_id}
            )
        for price in ContractPrice.objects.filter(pairs):
            contract_prices.setdefault((price.contract_id, price.product_id), []).append(price)
    paid = agreed = Decimal(0)
    lead_actual: list[float] = []
    lead_agreed: list[int] = []
    for contract_id, product_id, quantity, unit_price, sent_at, received_at, off in rows:
        tiers = [
            p for p in contract_prices.get((contract_id, product_id), []) if p.min_qty <= quantity
        ]
        tier = max(tiers, key=lambda p: p.min_qty) if tiers else None
        if tier is None or off:
            continue
        paid += quantity * unit_price
        agreed += quantity * tier.price
        if received_at and sent_at:
            lead_actual.append((received_at - sent_at).total_seconds() / 86400)
            lead_agreed.append(tier.lead_time_days)
    issues = vendor.non_conformances.aggregate(
        defect_units=Coalesce(Sum("quantity", filter=Q(created_at__date__gte=since)), 0),
        open_issues=Count("pk", filter=~Q(status=NC_CLOSED)),
    )
    contract = (
        vendor.contracts.filter(status=VendorContract.Status.ACTIVE).order_by("-start_date").first()
    )
    on_time = figures["on_time"] + figures["on_time_no_date"]
    return VendorScorecard(
        since=since,
        lines_due=figures["lines_due"],
        on_time_pct=_pct(on_time, figures["lines_due"]),
        fill_rate_pct=_pct(figures["received_due"], figures["ordered_due"]),
        lead_time_days=(
            Decimal(sum(lead_actual) / len(lead_actual)).quantize(Decimal("0.1"))
            if lead_actual
            else None
        ),
        contract_lead_time_days=(
            Decimal(sum(lead_agreed) / len(lead_agreed)).quantize(Decimal("0.1"))
            if lead_agreed
            else None
        ),
        price_variance_pct=_pct(paid - agreed, agreed),
        off_contract_lines=figures["off_contract"],
        received_units=figures["received_units"],
        defect_units=issues["defect_units"],
        defect_rate_pct=_pct(issues["defect_units"], figures["received_units"]),
        spend=figures["spend"],
        open_issues=issues["open_issues"],
        sla_on_time_pct=contract.sla_on_time_pct if contract else None,
        sla_max_defect_rate=contract.sla_max_defect_rate if contract else None,
    )


def open_issues(vendor: Vendor, limit: int = 20) -> list:
    """The vendor's open non-conformances (quality), newest first."""
    return list(vendor.non_conformances.exclude(status=NC_CLOSED).order_by("-created_at")[:limit])


@dataclass(frozen=True)
class CarrierScorecard:
    since: datetime.date
    delivered: int
    on_time: int
    on_time_pct: Decimal | None


def carrier_scorecard(
    carrier: Carrier, *, today: datetime.date, days: int = SCORECARD_DAYS
) -> CarrierScorecard:
    """On-time delivery of a carrier's shipments (orders.Shipment, read through the reverse
    relation of its services): delivered on or before the estimated delivery date."""
    since = today - datetime.timedelta(days=days)
    shipment_model = CarrierService._meta.get_field("shipments").related_model
    figures = shipment_model._default_manager.filter(
        carrier_service__carrier=carrier,
        delivered_at__isnull=False,
        delivered_at__date__gte=since,
    ).aggregate(
        delivered=Count("pk"),
        on_time=Count(
            "pk",
            filter=Q(estimated_delivery_date__isnull=True)
            | Q(delivered_at__date__lte=F("estimated_delivery_date")),
        ),
    )
    return CarrierScorecard(
        since=since,
        delivered=figures["delivered"],
        on_time=figures["on_time"],
        on_time_pct=_pct(figures["on_time"], figures["delivered"]),
    )
