"""Vendor pages: vendors, contracts, carriers with rate cards, purchase orders (read-only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from opsportal import roles
from opsportal.listing import csv_response, list_context, list_template, wants_csv
from vendors import selectors
from vendors.filters import CarrierFilter, ContractFilter, PurchaseOrderFilter, VendorFilter
from vendors.models import Carrier, PurchaseOrder, Vendor, VendorContract

# Warehouse staff never see vendors, contracts, carriers or prices; they receive POs only.
VENDOR_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN)
PO_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN, roles.WAREHOUSE_STAFF)


def _get_vendor_for_user(request: HttpRequest, pk: int) -> Vendor:
    return get_object_or_404(selectors.vendor_detail(pk))


def _get_contract_for_user(request: HttpRequest, pk: int) -> VendorContract:
    return get_object_or_404(selectors.contracts_with_prices(), pk=pk)


def _get_carrier_for_user(request: HttpRequest, code: str) -> Carrier:
    return get_object_or_404(selectors.carriers_with_rates(), code=code)


def _get_purchaseorder_for_user(request: HttpRequest, number: str) -> PurchaseOrder:
    """A PO of one of the user's warehouses; 404 for any other, so its existence stays private."""
    orders = selectors.purchase_orders_for(
        request.user, today=timezone.localdate(), with_lines=True
    )
    try:
        return orders.get(number=number)
    except PurchaseOrder.DoesNotExist:
        raise Http404("No such purchase order.") from None


def _list_page(
    request: HttpRequest,
    filterset: django_filters.FilterSet,
    *,
    template: str,
    csv_name: str,
    csv_header: Sequence[str],
    csv_row: Callable[[Any], Sequence],
    context: dict | None = None,
) -> HttpResponse:
    """A filtered list: CSV of every match with ?format=csv, else one page (HTMX: the results)."""
    rows: QuerySet = filterset.qs
    if wants_csv(request):
        return csv_response(csv_name, csv_header, _csv_rows(rows, csv_row))
    page_context = list_context(request, filterset, rows, **(context or {}))
    return render(request, list_template(request, template), page_context)


def _csv_rows(rows: QuerySet, csv_row: Callable[[Any], Sequence]) -> Iterable[Sequence]:
    # Prefetches run per chunk, so the export's query count stays flat however long it is.
    for obj in rows.iterator(chunk_size=500):
        yield csv_row(obj)


# --- vendors ----------------------------------------------------------------------------------


@roles.allow(*VENDOR_READERS)
@require_GET
@vary_on_headers("HX-Request")
def vendor_list(request: HttpRequest) -> HttpResponse:
    filterset = VendorFilter(request.GET or None, queryset=selectors.vendors(), request=request)
    return _list_page(
        request,
        filterset,
        template="vendors/vendor_list.html",
        csv_name="vendors.csv",
        csv_header=("Name", "Kind", "Status", "Active contracts", "Open POs", "Country", "Email"),
        csv_row=lambda v: (
            v.name,
            v.get_kind_display(),
            v.get_status_display(),
            v.active_contracts,
            v.open_purchase_orders,
            v.country,
            v.email,
        ),
    )


@roles.allow(*VENDOR_READERS)
@require_GET
def vendor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _get_vendor_for_user(request, pk)
    today = timezone.localdate()
    open_orders = selectors.purchase_orders_for(request.user, today=today).filter(
        vendor=vendor, status__in=selectors.OPEN_PO_STATUSES
    )
    carrier = selectors.carrier_of(vendor) if vendor.kind == Vendor.Kind.CARRIER else None
    context = {
        "vendor": vendor,
        "open_orders": open_orders,
        "carrier": carrier,
        "can_see_prices": selectors.can_see_prices(request.user),
    }
    return render(request, "vendors/vendor_detail.html", context)


# --- contracts --------------------------------------------------------------------------------


@roles.allow(*VENDOR_READERS)
@require_GET
@vary_on_headers("HX-Request")
def contract_list(request: HttpRequest) -> HttpResponse:
    filterset = ContractFilter(request.GET or None, queryset=selectors.contracts(), request=request)
    return _list_page(
        request,
        filterset,
        template="vendors/contract_list.html",
        csv_name="contracts.csv",
        csv_header=(
            "Number",
            "Vendor",
            "Title",
            "Status",
            "Start",
            "End",
            "Value",
            "Currency",
            "Owner",
        ),
        csv_row=lambda c: (
            c.number,
            c.vendor.name,
            c.title,
            c.get_status_display(),
            c.start_date.isoformat(),
            c.end_date.isoformat(),
            c.value,
            c.currency,
            c.owner.display_name if c.owner else "",
        ),
    )


@roles.allow(*VENDOR_READERS)
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk)
    context = {
        "contract": contract,
        "history": selectors.contract_history(contract),
        "history_limit": selectors.HISTORY_LIMIT,
    }
    return render(request, "vendors/contract_detail.html", context)


# --- carriers ---------------------------------------------------------------------------------


@roles.allow(*VENDOR_READERS)
@require_GET
@vary_on_headers("HX-Request")
def carrier_list(request: HttpRequest) -> HttpResponse:
    filterset = CarrierFilter(request.GET or None, queryset=selectors.carriers(), request=request)
    return _list_page(
        request,
        filterset,
        template="vendors/carrier_list.html",
        csv_name="carriers.csv",
        csv_header=("Code", "Vendor", "Services", "Rate cells", "Active"),
        csv_row=lambda c: (
            c.code,
            c.vendor.name,
            "; ".join(f"{s.code} ({s.name})" for s in c.services.all()),
            c.rate_cells,
            "yes" if c.is_active else "no",
        ),
    )


@roles.allow(*VENDOR_READERS)
@require_GET
def carrier_detail(request: HttpRequest, code: str) -> HttpResponse:
    carrier = _get_carrier_for_user(request, code)
    services = [
        (service, selectors.rate_card(list(service.rates.all())))
        for service in carrier.services.all()
    ]
    return render(
        request, "vendors/carrier_detail.html", {"carrier": carrier, "services": services}
    )


# --- purchase orders --------------------------------------------------------------------------


@roles.allow(*PO_READERS)
@require_GET
@vary_on_headers("HX-Request")
def purchaseorder_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    orders = selectors.purchase_orders_for(user, today=timezone.localdate())
    filterset = PurchaseOrderFilter(request.GET or None, queryset=orders, request=request)
    with_prices = selectors.can_see_prices(user)
    header = ["Number", "Vendor", "Warehouse", "Status", "Expected", "Late", "Lines"]
    if with_prices:
        header += ["Total", "Currency"]

    def row(po: PurchaseOrder) -> list:
        cells = [
            po.number,
            po.vendor.name,
            po.warehouse.code,
            po.get_status_display(),
            po.expected_date.isoformat() if po.expected_date else "",
            "yes" if po.is_late else "no",
            po.lines_count,
        ]
        # Sums of products come back with the database's own scale: show cents.
        return [*cells, f"{po.total:.2f}", po.currency] if with_prices else cells

    return _list_page(
        request,
        filterset,
        template="vendors/purchaseorder_list.html",
        csv_name="purchase-orders.csv",
        csv_header=header,
        csv_row=row,
        context={
            "can_see_prices": with_prices,
            "can_see_vendors": roles.has_role(user, *VENDOR_READERS),
        },
    )


@roles.allow(*PO_READERS)
@require_GET
def purchaseorder_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _get_purchaseorder_for_user(request, number)
    context = {
        "po": order,
        "lines": order.lines.all(),
        "can_see_prices": selectors.can_see_prices(request.user),
        # Staff open POs to receive them; vendor pages are not theirs to follow.
        "can_see_vendors": roles.has_role(request.user, *VENDOR_READERS),
    }
    return render(request, "vendors/purchaseorder_detail.html", context)
