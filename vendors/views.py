"""Vendor pages: vendors, contracts, carriers with rate cards, purchase orders (read-only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from opsportal import roles
from opsportal.listing import csv_response, list_context, list_template, wants_csv
from vendors import forms, imports, rating, selectors, services
from vendors.filters import CarrierFilter, ContractFilter, PurchaseOrderFilter, VendorFilter
from vendors.models import Carrier, CarrierService, PurchaseOrder, Vendor, VendorContract

# Warehouse staff never see vendors, contracts, carriers or prices; they receive POs only.
VENDOR_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN)
PO_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN, roles.WAREHOUSE_STAFF)
# Only contract admins (and superusers) write vendors, contracts, carriers, rates and POs.
VENDOR_WRITERS = (roles.CONTRACT_ADMIN,)
# Receiving is stock work: warehouse staff of the PO's warehouse (and superusers).
PO_RECEIVERS = (roles.WAREHOUSE_STAFF,)


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
        context={"can_edit": roles.has_role(request.user, *VENDOR_WRITERS)},
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
        "can_edit": roles.has_role(request.user, *VENDOR_WRITERS),
        "contract": services.contract_in_force(vendor, today),
        "scorecard": selectors.vendor_scorecard(vendor, today=today),
        "carrier_scorecard": (
            selectors.carrier_scorecard(carrier, today=today) if carrier else None
        ),
        "issues": selectors.open_issues(vendor),
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
        context={"can_edit": roles.has_role(request.user, *VENDOR_WRITERS)},
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
        "renewal": VendorContract.objects.filter(previous=contract).only("pk", "number").first(),
        "history": selectors.contract_history(contract),
        "history_limit": selectors.HISTORY_LIMIT,
        "can_edit": roles.has_role(request.user, *VENDOR_WRITERS),
        "editable_statuses": services.EDITABLE_CONTRACT_STATUSES,
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
        context={"can_edit": roles.has_role(request.user, *VENDOR_WRITERS)},
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
    cards = [
        (service, selectors.rate_card(list(service.rates.all())))
        for service in carrier.services.all()
    ]
    context = {
        "carrier": carrier,
        "services": cards,
        "scorecard": selectors.carrier_scorecard(carrier, today=timezone.localdate()),
        "can_edit": roles.has_role(request.user, *VENDOR_WRITERS),
    }
    return render(request, "vendors/carrier_detail.html", context)


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
            "can_edit": roles.has_role(user, *VENDOR_WRITERS),
        },
    )


@roles.allow(*PO_READERS)
@require_GET
def purchaseorder_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _get_purchaseorder_for_user(request, number)
    user = request.user
    warehouse_ids = roles.warehouse_ids_for(user)
    context = {
        "po": order,
        "lines": order.lines.all(),
        "can_see_prices": selectors.can_see_prices(user),
        # Staff open POs to receive them; vendor pages are not theirs to follow.
        "can_see_vendors": roles.has_role(user, *VENDOR_READERS),
        "can_edit": roles.has_role(user, *VENDOR_WRITERS),
        "can_receive": order.status in selectors.TO_RECEIVE_STATUSES
        and (user.is_superuser or roles.WAREHOUSE_STAFF in roles.user_roles(user))
        and (warehouse_ids is None or order.warehouse_id in warehouse_ids),
        "today": timezone.localdate(),
    }
    return render(request, "vendors/purchaseorder_detail.html", context)


# --- writing: shared --------------------------------------------------------------------------


def _form_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: known fields there, the rest on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _is_conflict(exc: ValidationError) -> bool:
    return (
        any(e.code == services.CONFLICT for e in exc.error_list)
        if not hasattr(exc, "error_dict")
        else False
    )


# --- vendors: edit ----------------------------------------------------------------------------


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def vendor_create(request: HttpRequest) -> HttpResponse:
    return _vendor_form(request, None)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def vendor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _vendor_form(request, _get_vendor_for_user(request, pk))


def _vendor_form(request: HttpRequest, vendor: Vendor | None) -> HttpResponse:
    initial_contacts = (
        [
            {
                "id": c.pk,
                "name": c.name,
                "role": c.role,
                "email": c.email,
                "phone": c.phone,
                "is_primary": c.is_primary,
            }
            for c in vendor.contacts.all()
        ]
        if vendor
        else []
    )
    form = forms.VendorForm(request.POST or None, instance=vendor)
    contacts = forms.ContactFormSet(
        request.POST or None, initial=initial_contacts, prefix="contacts"
    )
    status_form = (
        forms.VendorStatusForm(request.POST or None, prefix="status") if not vendor else None
    )
    if request.method == "POST":
        valid = form.is_valid() & contacts.is_valid()
        if status_form is not None:
            valid &= status_form.is_valid()
        if valid:
            data = dict(form.cleaned_data)
            if status_form is not None:
                data["status"] = status_form.cleaned_data["status"]
                data["status_reason"] = status_form.cleaned_data["reason"]
            try:
                saved = services.vendor_save(
                    vendor=vendor,
                    data=data,
                    contacts=forms.contacts_from(contacts),
                    by=request.user,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"{saved.name} saved.")
                return redirect("vendors:vendor_detail", pk=saved.pk)
    context = {"form": form, "contacts": contacts, "status_form": status_form, "vendor": vendor}
    status = 400 if request.method == "POST" else 200
    return render(request, "vendors/vendor_form.html", context, status=status)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def vendor_status(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _get_vendor_for_user(request, pk)
    form = forms.VendorStatusForm(request.POST or None, initial={"status": vendor.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.vendor_set_status(
                vendor=vendor,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{vendor.name}: status saved.")
            return redirect("vendors:vendor_detail", pk=vendor.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "vendors/vendor_status.html", {"form": form, "vendor": vendor}, status=status
    )


# --- contracts: edit, lifecycle, document -----------------------------------------------------


def _editable_contract(request: HttpRequest, pk: int) -> VendorContract:
    return get_object_or_404(
        VendorContract.objects.select_related("vendor", "owner").prefetch_related(
            "prices__product"
        ),
        pk=pk,
    )


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk}
    if request.GET.get("vendor", "").isdigit():
        initial["vendor"] = int(request.GET["vendor"])
    return _contract_form(request, None, initial)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_form(request, _editable_contract(request, pk), {})


def _contract_form(
    request: HttpRequest, contract: VendorContract | None, initial: dict
) -> HttpResponse:
    form = forms.ContractForm(request.POST or None, instance=contract, initial=initial)
    prices = forms.PriceLineFormSet(
        request.POST or None,
        initial=forms.price_initial(contract) if contract else [],
        prefix="prices",
    )
    conflict = False
    if request.method == "POST" and (form.is_valid() & prices.is_valid()):
        data = form.data_for_service()
        lines = forms.price_lines_from(prices)
        try:
            if contract is None:
                saved = services.contract_create(data=data, prices=lines, by=request.user)
            else:
                saved = services.contract_update(
                    contract=contract,
                    version=form.cleaned_data.get("version") or 0,
                    data=data,
                    prices=lines,
                    by=request.user,
                )
        except ValidationError as exc:
            conflict = _is_conflict(exc)
            _form_errors(form, exc)
        else:
            messages.success(request, f"Contract {saved.number} saved (version {saved.version}).")
            return redirect("vendors:contract_detail", pk=saved.pk)
    context = {"form": form, "prices": prices, "contract": contract, "conflict": conflict}
    status = (409 if conflict else 400) if request.method == "POST" else 200
    return render(request, "vendors/contract_form.html", context, status=status)


@roles.allow(*VENDOR_READERS)
@require_GET
def contract_history(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk)
    context = {
        "contract": contract,
        "history": selectors.contract_history(contract, limit=200),
        "prices": selectors.price_history(contract, limit=200),
        "history_limit": 200,
    }
    return render(request, "vendors/contract_history.html", context)


def _contract_action(request: HttpRequest, pk: int, form_class, run, done: str) -> HttpResponse:
    contract = _editable_contract(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("vendors:contract_detail", pk=contract.pk)
    try:
        result = run(contract, form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("vendors:contract_detail", pk=contract.pk)
    messages.success(request, done.format(contract=contract, result=result))
    return redirect("vendors:contract_detail", pk=result.pk)


@roles.allow(*VENDOR_WRITERS)
@require_POST
def contract_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_action(
        request,
        pk,
        forms.VersionForm,
        lambda c, d: services.contract_activate(contract=c, version=d["version"], by=request.user),
        "Contract {contract.number} is active.",
    )


@roles.allow(*VENDOR_WRITERS)
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_action(
        request,
        pk,
        forms.TerminateForm,
        lambda c, d: services.contract_terminate(
            contract=c, version=d["version"], reason=d["reason"], by=request.user
        ),
        "Contract {contract.number} is terminated.",
    )


@roles.allow(*VENDOR_WRITERS)
@require_POST
def contract_renew(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_action(
        request,
        pk,
        forms.RenewForm,
        lambda c, d: services.contract_renew(
            contract=c,
            version=d["version"],
            by=request.user,
            start_date=d.get("start_date"),
            end_date=d.get("end_date"),
        ),
        "Contract {contract.number} renewed: the next term is {result.number}.",
    )


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def contract_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _editable_contract(request, pk)
    form = forms.DocumentForm(
        request.POST or None, request.FILES or None, initial={"version": contract.version}
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(services.document_max_bytes() + 1)
        try:
            services.contract_attach_document(
                contract=contract,
                version=form.cleaned_data["version"],
                data=data,
                by=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "signed_document" in exc.error_dict:
                form.add_error("file", exc.error_dict["signed_document"])
            else:
                _form_errors(form, exc)
        else:
            messages.success(request, f"Signed document of {contract.number} saved.")
            return redirect("vendors:contract_detail", pk=contract.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "contract": contract, "max_mb": services.document_max_bytes() // 2**20}
    return render(request, "vendors/contract_document.html", context, status=status)


@roles.allow(*VENDOR_READERS)
@require_GET
def contract_document(request: HttpRequest, pk: int) -> FileResponse:
    """The signed contract, only through this view (never a public media URL)."""
    contract = get_object_or_404(VendorContract, pk=pk)
    if not contract.signed_document:
        raise Http404("No signed document on file.")
    try:
        handle = contract.signed_document.open("rb")
    except FileNotFoundError:
        raise Http404("The signed document is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{contract.number}-signed.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- carriers: edit, rate cards, quote --------------------------------------------------------


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def carrier_create(request: HttpRequest) -> HttpResponse:
    return _carrier_form(request, None)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def carrier_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _carrier_form(
        request, get_object_or_404(Carrier.objects.select_related("vendor"), code=code)
    )


def _carrier_form(request: HttpRequest, carrier: Carrier | None) -> HttpResponse:
    initial = (
        {
            "vendor_name": carrier.vendor.name,
            "code": carrier.code,
            "tracking_url_template": carrier.tracking_url_template,
            "is_active": carrier.is_active,
        }
        if carrier
        else {"is_active": True}
    )
    form = forms.CarrierForm(request.POST or None, initial=initial, editing=carrier is not None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.carrier_save(carrier=carrier, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Carrier {saved.code} saved.")
            return redirect("vendors:carrier_detail", code=saved.code)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "vendors/carrier_form.html", {"form": form, "carrier": carrier}, status=status
    )


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest, code: str) -> HttpResponse:
    carrier = get_object_or_404(Carrier, code=code)
    return _service_form(request, carrier, None)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    carrier = get_object_or_404(Carrier, code=code)
    service = get_object_or_404(CarrierService, carrier=carrier, pk=pk)
    return _service_form(request, carrier, service)


def _service_form(
    request: HttpRequest, carrier: Carrier, service: CarrierService | None
) -> HttpResponse:
    initial = (
        {
            "code": service.code,
            "name": service.name,
            "speed": service.speed,
            "is_active": service.is_active,
        }
        if service
        else {"is_active": True}
    )
    form = forms.ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.carrier_service_save(
                carrier=carrier, service=service, data=form.cleaned_data, by=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Service {form.cleaned_data['code']} saved.")
            return redirect("vendors:carrier_detail", code=carrier.code)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "carrier": carrier, "service": service}
    return render(request, "vendors/service_form.html", context, status=status)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def rate_import(request: HttpRequest, code: str) -> HttpResponse:
    """Replace the rate cards of the services named in a CSV file (all rows or none)."""
    carrier = get_object_or_404(Carrier, code=code)
    form = forms.CsvUploadForm(request.POST or None, request.FILES or None)
    problems: list[imports.Problem] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(imports.MAX_BYTES + 1)
        try:
            summary = imports.rate_card_import_csv(carrier=carrier, data=data)
        except ValidationError as exc:
            problems = imports.problems_of(exc)
        else:
            messages.success(
                request,
                f"Rate card of {carrier.code}: {summary.rates} rates for "
                f"{summary.services} service{'s' if summary.services != 1 else ''} "
                f"(replacing {summary.replaced}).",
            )
            return redirect("vendors:carrier_detail", code=carrier.code)
    context = {
        "form": form,
        "carrier": carrier,
        "columns": imports.RATE_COLUMNS,
        "problems": problems,
    }
    status = 400 if form.is_bound else 200
    return render(request, "vendors/rate_import.html", context, status=status)


@roles.allow(*VENDOR_READERS)
@require_GET
def quote(request: HttpRequest) -> HttpResponse:
    """Every applicable rate for a parcel from a warehouse to a destination."""
    form = forms.QuoteForm(request.GET or None)
    quotes, chosen = None, None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("destination"):
        data = form.cleaned_data
        quotes = rating.quote(
            origin=data["origin"],
            destination=data["destination"],
            weight_grams=data["weight_grams"],
            service_level=data.get("service_level") or None,
            ship_date=data.get("ship_date"),
        )
        if data.get("service_level"):
            chosen = rating.choose(quotes, data["service_level"])
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "quotes": quotes, "chosen": chosen}
    return render(request, "vendors/quote.html", context, status=status)


# --- purchase orders: draft, send, receive, cancel --------------------------------------------


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def purchaseorder_create(request: HttpRequest) -> HttpResponse:
    form = forms.PurchaseOrderForm(request.POST or None)
    lines = forms.OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and (form.is_valid() & lines.is_valid()):
        data = form.cleaned_data
        try:
            po = services.purchase_order_create(
                vendor=data["vendor"],
                warehouse=data["warehouse"],
                lines=forms.order_lines_from(lines),
                expected_date=data.get("expected_date"),
                notes=data.get("notes", ""),
                allow_off_contract=data.get("allow_off_contract", False),
                by=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Draft {po.number} created.")
            return redirect("vendors:purchaseorder_detail", number=po.number)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "vendors/purchaseorder_form.html", {"form": form, "lines": lines}, status=status
    )


@roles.allow(*VENDOR_WRITERS)
@require_POST
def purchaseorder_send(request: HttpRequest, number: str) -> HttpResponse:
    po = _get_purchaseorder_for_user(request, number)
    try:
        services.purchase_order_send(purchase_order=po, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{po.number} is sent: the PDF is being made and emailed.")
    return redirect("vendors:purchaseorder_detail", number=po.number)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def purchaseorder_cancel(request: HttpRequest, number: str) -> HttpResponse:
    po = _get_purchaseorder_for_user(request, number)
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.purchase_order_cancel(
                purchase_order=po, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{po.number} cancelled.")
            return redirect("vendors:purchaseorder_detail", number=po.number)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "vendors/purchaseorder_cancel.html", {"form": form, "po": po}, status=status
    )


@roles.allow(*PO_RECEIVERS)
@require_http_methods(["GET", "POST"])
def purchaseorder_receive(request: HttpRequest, number: str) -> HttpResponse:
    """Phone-friendly receiving: scan or type a SKU, the quantity, Enter. No prices."""
    po = _get_purchaseorder_for_user(request, number)
    warehouse_ids = roles.warehouse_ids_for(request.user)
    if warehouse_ids is not None and po.warehouse_id not in warehouse_ids:
        raise PermissionDenied("You do not work in this warehouse.")
    form = forms.ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        receipt = services.Receipt(form.cleaned_data["sku"], form.cleaned_data["quantity"])
        try:
            result = services.purchase_order_receive(
                purchase_order=po, receipts=[receipt], by=request.user
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            line, quantity = result.received[0]
            note = " Late against the expected date." if result.late else ""
            messages.success(
                request,
                f"Received {quantity} × {line.product.sku} "
                f"({line.received} of {line.quantity}).{note}",
            )
            return redirect("vendors:purchaseorder_receive", number=po.number)
    po = _get_purchaseorder_for_user(request, number)
    context = {
        "po": po,
        "lines": po.lines.all(),
        "form": form,
        "can_receive": po.status in selectors.TO_RECEIVE_STATUSES,
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "vendors/purchaseorder_receive.html", context, status=status)


@roles.allow(*VENDOR_WRITERS)
@require_http_methods(["GET", "POST"])
def purchaseorder_suggestions(request: HttpRequest) -> HttpResponse:
    """Replenishment suggestions with their cheapest contract supplier → draft POs."""
    from inventory import selectors as inventory_selectors

    if request.method == "POST":
        keys = []
        for raw in request.POST.getlist("pick"):
            warehouse_id, _, product_id = raw.partition(":")
            if warehouse_id.isdigit() and product_id.isdigit():
                keys.append((int(warehouse_id), int(product_id)))
        try:
            result = services.purchase_orders_from_suggestions(keys=keys, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("vendors:purchaseorder_suggestions")
        if result.created:
            numbers = ", ".join(po.number for po in result.created)
            messages.success(request, f"Drafts created: {numbers}.")
        if result.unsupplied:
            messages.warning(
                request, "No contract in force prices: " + ", ".join(result.unsupplied) + "."
            )
        return redirect("vendors:purchaseorder_list")
    today = timezone.localdate()
    suggestions = inventory_selectors.replenishment_suggestions(today=today)[:500]
    options = services.supply_options({s.product.pk for s in suggestions}, today)
    rows = [
        (s, services.best_supply(options.get(s.product.pk, []), s.suggested_qty))
        for s in suggestions
    ]
    return render(request, "vendors/purchaseorder_suggestions.html", {"rows": rows})
