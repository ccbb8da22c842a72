"""Order pages: orders (list, detail, the portal form, CSV import, manager actions), shipments
(pick, pack, ship on a phone), pick lists, returns, the email outbox and the carrier tracking
webhook. Writes go through orders.services; forms show their errors per field."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory.forms import CsvUploadForm
from inventory.imports import MAX_BYTES, problems_of
from opsportal import roles
from opsportal.listing import (
    csv_response,
    csv_url,
    list_template,
    paginate,
    querystring_without,
    wants_csv,
)
from orders import imports, labels, selectors, services
from orders.filters import (
    CustomerEmailFilter,
    OrderFilter,
    PickListFilter,
    ReturnFilter,
    ShipmentFilter,
)
from orders.forms import (
    CarrierForm,
    HoldForm,
    NoteForm,
    OrderForm,
    PackForm,
    PaymentForm,
    PickStartForm,
    ReasonForm,
    RerouteForm,
    ShipForm,
    add_service_errors,
)
from orders.intake import parse_order
from orders.models import CustomerEmail, Order, ReturnRequest, Shipment

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF
CSV_CHUNK = 2000


def _get_order_for_user(request: HttpRequest, number: str) -> Order:
    """The order if it is the user's to see (staff: it touches their warehouses), else 404."""
    return get_object_or_404(selectors.orders_for(request.user), number=number)


def _get_shipment_for_user(request: HttpRequest, pk: int) -> Shipment:
    """A shipment of one of the user's warehouses (all for managers), else 404."""
    return get_object_or_404(selectors.shipments_for(request.user), pk=pk)


# Badge colour per status: the template stays free of status strings.
_ORDER_BADGES = {
    Order.Status.BACKORDERED: "badge-warn",
    Order.Status.PARTIALLY_ALLOCATED: "badge-warn",
    Order.Status.PARTIALLY_SHIPPED: "badge-warn",
    Order.Status.SHIPPED: "badge-ok",
    Order.Status.DELIVERED: "badge-ok",
    Order.Status.CANCELLED: "badge-bad",
}
_SHIPMENT_BADGES = {
    Shipment.Status.SHIPPED: "badge-ok",
    Shipment.Status.DELIVERED: "badge-ok",
    Shipment.Status.EXCEPTION: "badge-bad",
    Shipment.Status.CANCELLED: "badge-bad",
}
_EMAIL_BADGES = {
    CustomerEmail.Status.SENT: "badge-ok",
    CustomerEmail.Status.SENDING: "badge-warn",
    CustomerEmail.Status.FAILED: "badge-bad",
}
_RETURN_BADGES = {
    ReturnRequest.Status.APPROVED: "badge-warn",
    ReturnRequest.Status.RECEIVED: "badge-ok",
    ReturnRequest.Status.CLOSED: "badge-ok",
    ReturnRequest.Status.REJECTED: "badge-bad",
}


def _badge(rows, badges: dict) -> None:
    for row in rows:
        row.badge = badges.get(row.status, "")


def _iso(value) -> str:
    return value.isoformat() if value else ""


# --- orders -----------------------------------------------------------------------------------


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def order_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    filterset = OrderFilter(
        request.GET, queryset=selectors.orders_for(request.user), request=request
    )
    show_prices = selectors.can_see_prices(request.user)
    if wants_csv(request):
        return _order_csv(filterset.qs, show_prices=show_prices)
    page_obj = selectors.cheap_page(
        filterset.qs, page=request.GET.get("page"), size=request.GET.get("size")
    )
    _badge(page_obj, _ORDER_BADGES)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        "csv_url": csv_url(request),
        "show_prices": show_prices,
        "can_create": roles.has_role(request.user, MANAGER),
    }
    return render(request, list_template(request, "orders/order_list.html"), context)


def _order_csv(orders: QuerySet[Order], *, show_prices: bool) -> StreamingHttpResponse:
    header = [
        "number",
        "placed_at",
        "channel",
        "customer_name",
        "customer_email",
        "status",
        "payment_status",
        "hold",
        "hold_reason",
        "at_risk",
        "promised_delivery_date",
    ]
    if show_prices:
        header += ["total_amount", "currency"]

    def rows() -> Iterator[list]:
        for order in orders.iterator(chunk_size=CSV_CHUNK):
            row = [
                order.number,
                _iso(order.placed_at),
                order.channel,
                order.customer_name,
                order.customer_email,
                order.status,
                order.payment_status,
                order.hold_kind,
                order.hold_reason,
                "yes" if order.at_risk else "no",
                _iso(order.promised_delivery_date),
            ]
            if show_prices:
                row += [order.total_amount, order.currency]
            yield row

    return csv_response("orders.csv", header, rows())


# Shipments a label can be printed (or reprinted) for, as orders.labels allows.
PRINTABLE_STATUSES = tuple(str(status) for status in labels.PRINTABLE)


@roles.allow(MANAGER, STAFF)
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _get_order_for_user(request, number)
    show_prices = selectors.can_see_prices(request.user)
    detail = selectors.order_detail(order, request.user)
    for shipment in detail.shipments:
        shipment.badge = _SHIPMENT_BADGES.get(shipment.status, "")
        shipment.quote_table = selectors.json_table(shipment.quotes, hide_money=not show_prices)
    order.badge = _ORDER_BADGES.get(order.status, "")
    is_manager = roles.has_role(request.user, MANAGER)
    context = {
        "order": order,
        "detail": detail,
        "routing": selectors.routing_for(order, hide_money=not show_prices),
        "show_prices": show_prices,
        "show_emails": selectors.can_see_outbox(request.user),
        "is_manager": is_manager,
        "show_actions": is_manager and order.status != Order.Status.CANCELLED,
        # Returns are asked for against shipped lines (orders.returns checks the quantities).
        "can_start_return": is_manager and any(line.shipped for line in detail.lines),
        "printable_statuses": PRINTABLE_STATUSES,
    }
    if is_manager:
        context.update(
            hold_form=HoldForm(),
            release_form=NoteForm(),
            cancel_form=ReasonForm(),
            reroute_form=RerouteForm(),
            payment_form=PaymentForm(initial={"payment_status": order.payment_status}),
        )
    return render(request, "orders/order_detail.html", context)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    """An order typed in the portal: validated like the API, routed and reserved at once."""
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = parse_order(form.body(), external_ref_required=False)
        except ValidationError as exc:
            form.add_intake_errors(exc)
        else:
            try:
                result = services.order_intake(data=data, by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                order = result.order
                if result.created:
                    messages.success(
                        request, f"{order.number} placed: {order.get_status_display().lower()}."
                    )
                else:
                    messages.info(request, f"{order.number} already has this reference.")
                return redirect("orders:order_detail", number=order.number)
    return render(
        request, "orders/order_form.html", {"form": form}, status=400 if form.is_bound else 200
    )


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def order_import(request: HttpRequest) -> HttpResponse:
    """Orders from a CSV file, one row per line: all orders or none."""
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(MAX_BYTES + 1)
        try:
            summary = imports.orders_import_csv(data=data, by=request.user)
        except ValidationError as exc:
            problems = problems_of(exc)
        else:
            messages.success(
                request,
                f"Import orders: {summary.created} new"
                + (f", {summary.unchanged} already received." if summary.unchanged else "."),
            )
            return redirect("orders:order_list")
    context = {
        "form": form,
        "title": "Import orders",
        "columns": imports.COLUMNS,
        "problems": problems,
    }
    return render(
        request, "inventory/csv_import.html", context, status=400 if form.is_bound else 200
    )


def _order_action(request: HttpRequest, number: str, form_class, run, done: str) -> HttpResponse:
    """POST a small form → a service → back to the order with what happened."""
    order = _get_order_for_user(request, number)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label or field if field in form.fields else ""
            messages.error(request, f"{label.capitalize()}: {' '.join(errors)}")
    else:
        try:
            run(order, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{order.number}: {done}.")
    return redirect("orders:order_detail", number=order.number)


@roles.allow(MANAGER)
@require_POST
def order_hold(request: HttpRequest, number: str) -> HttpResponse:
    return _order_action(
        request,
        number,
        HoldForm,
        lambda order, data: services.order_hold(
            order=order, kind=data["kind"], reason=data["reason"], by=request.user
        ),
        "put on hold",
    )


@roles.allow(MANAGER)
@require_POST
def order_release(request: HttpRequest, number: str) -> HttpResponse:
    return _order_action(
        request,
        number,
        NoteForm,
        lambda order, data: services.order_release_hold(
            order=order, by=request.user, note=data["note"]
        ),
        "hold released",
    )


@roles.allow(MANAGER)
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    return _order_action(
        request,
        number,
        ReasonForm,
        lambda order, data: services.order_cancel(
            order=order, by=request.user, reason=data["reason"]
        ),
        "cancelled; its reservations are released",
    )


@roles.allow(MANAGER)
@require_POST
def order_reroute(request: HttpRequest, number: str) -> HttpResponse:
    return _order_action(
        request,
        number,
        RerouteForm,
        lambda order, data: services.order_reroute(
            order=order, by=request.user, reason=data["reason"], warehouse=data["warehouse"]
        ),
        "routed again",
    )


@roles.allow(MANAGER)
@require_POST
def order_payment(request: HttpRequest, number: str) -> HttpResponse:
    return _order_action(
        request,
        number,
        PaymentForm,
        lambda order, data: services.order_set_payment_status(
            order=order, payment_status=data["payment_status"], note=data["note"], by=request.user
        ),
        "payment recorded",
    )


# --- shipments and picking --------------------------------------------------------------------


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def shipment_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    filterset = ShipmentFilter(
        request.GET, queryset=selectors.shipments_for(request.user), request=request
    )
    if wants_csv(request):
        return _shipment_csv(filterset.qs)
    page_obj = selectors.cheap_page(
        filterset.qs, page=request.GET.get("page"), size=request.GET.get("size")
    )
    selectors.with_tracking_links(page_obj)
    _badge(page_obj, _SHIPMENT_BADGES)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        "csv_url": csv_url(request),
    }
    return render(request, list_template(request, "orders/shipment_list.html"), context)


def _shipment_csv(shipments: QuerySet[Shipment]) -> StreamingHttpResponse:
    header = [
        "shipment",
        "order",
        "warehouse",
        "carrier",
        "service",
        "status",
        "tracking_number",
        "weight_grams",
        "created_at",
        "shipped_at",
    ]

    def rows() -> Iterator[list]:
        for shipment in shipments.iterator(chunk_size=CSV_CHUNK):
            service = shipment.carrier_service
            yield [
                shipment.pk,
                shipment.order.number,
                shipment.warehouse.code,
                service.carrier.code if service else "",
                service.name if service else "",
                shipment.status,
                shipment.tracking_number,
                shipment.weight_grams,
                _iso(shipment.created_at),
                _iso(shipment.shipped_at),
            ]

    return csv_response("shipments.csv", header, rows())


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def pick_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data.get("warehouse"):
        default = selectors.default_pick_warehouse(request.user)
        if default is not None:
            data["warehouse"] = str(default.pk)
    filterset = PickListFilter(
        data, queryset=selectors.pick_lines_for(request.user), request=request
    )
    lines = filterset.qs
    page_obj = paginate(request, lines, default_size=100)
    warehouse = filterset.form.cleaned_data.get("warehouse")
    context = {
        "filter": filterset,
        "warehouse": warehouse,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        "start_form": PickStartForm(
            initial={"warehouse": warehouse.code if warehouse else None},
            warehouses=selectors.pick_warehouses_for(request.user),
        ),
    }
    return render(request, list_template(request, "orders/pick_list.html"), context)


@roles.allow(MANAGER, STAFF)
@require_POST
def pick_start(request: HttpRequest) -> HttpResponse:
    """Start a pick batch in one of the user's warehouses: the oldest pending shipments."""
    form = PickStartForm(request.POST, warehouses=selectors.pick_warehouses_for(request.user))
    if not form.is_valid():
        messages.error(request, "Choose one of your warehouses and how many shipments to pick.")
        return redirect("orders:pick_list")
    warehouse = form.cleaned_data["warehouse"]
    batch = services.shipments_start_picking(
        warehouse=warehouse, by=request.user, limit=form.cleaned_data["limit"]
    )
    if batch:
        messages.success(
            request,
            f"Picking {len(batch)} shipment(s) in {warehouse.code}: walk the bins in order.",
        )
    else:
        messages.info(request, f"Nothing pending to pick in {warehouse.code}.")
    return redirect(f"{reverse('orders:pick_list')}?warehouse={warehouse.pk}")


def _shipment_context(request: HttpRequest, shipment: Shipment, **forms) -> dict:
    show_prices = selectors.can_see_prices(request.user)
    lines = selectors.shipment_work_lines(shipment)
    shipment.badge = _SHIPMENT_BADGES.get(shipment.status, "")
    shipment.tracking_link = selectors.tracking_link(shipment)
    shipment.quote_table = selectors.json_table(shipment.quotes, hide_money=not show_prices)
    is_manager = roles.has_role(request.user, MANAGER)
    held = bool(shipment.order.hold_kind)
    unpacked = shipment.status in Shipment.UNPACKED_STATUSES and not held
    packed = shipment.status in (Shipment.Status.PACKED, Shipment.Status.LABELLED) and not held
    in_transit = shipment.status in (Shipment.Status.SHIPPED, Shipment.Status.EXCEPTION)
    carrier_form = None
    if is_manager and shipment.status in Shipment.OPEN_STATUSES:
        carrier_form = forms.get("carrier_form") or CarrierForm()
    return {
        "shipment": shipment,
        "order": shipment.order,
        "lines": lines,
        "show_prices": show_prices,
        "is_manager": is_manager,
        "pack_form": forms.get("pack_form") or (PackForm(lines=lines) if unpacked else None),
        "ship_form": forms.get("ship_form") or (ShipForm() if packed else None),
        "carrier_form": carrier_form,
        "exception_form": ReasonForm() if is_manager and in_transit else None,
    }


@roles.allow(MANAGER, STAFF)
@require_GET
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One shipment to work on a phone: lines by bin, pack, ship; managers override the carrier."""
    shipment = _get_shipment_for_user(request, pk)
    return render(request, "orders/shipment_detail.html", _shipment_context(request, shipment))


def _shipment_done(request: HttpRequest, shipment: Shipment, text: str) -> HttpResponse:
    messages.success(request, f"Shipment #{shipment.pk} ({shipment.order.number}): {text}.")
    return redirect("orders:shipment_detail", pk=shipment.pk)


@roles.allow(MANAGER, STAFF)
@require_POST
def shipment_pack(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_user(request, pk)
    form = PackForm(request.POST, lines=selectors.shipment_work_lines(shipment))
    if form.is_valid():
        try:
            services.shipment_pack(
                shipment=shipment,
                by=request.user,
                weight_grams=form.cleaned_data["weight_grams"],
                quantities=form.quantities(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _shipment_done(request, shipment, "packed")
    context = _shipment_context(request, shipment, pack_form=form)
    return render(request, "orders/shipment_detail.html", context, status=400)


@roles.allow(MANAGER, STAFF)
@require_POST
def shipment_ship(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_user(request, pk)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            services.shipment_ship(
                shipment=shipment,
                by=request.user,
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _shipment_done(request, shipment, "shipped")
    context = _shipment_context(request, shipment, ship_form=form)
    return render(request, "orders/shipment_detail.html", context, status=400)


@roles.allow(MANAGER)
@require_POST
def shipment_carrier(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_user(request, pk)
    form = CarrierForm(request.POST)
    if form.is_valid():
        try:
            services.shipment_override_carrier(
                shipment=shipment,
                service=form.cleaned_data["service"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _shipment_done(request, shipment, "carrier changed")
    context = _shipment_context(request, shipment, carrier_form=form)
    return render(request, "orders/shipment_detail.html", context, status=400)


@roles.allow(MANAGER)
@require_POST
def shipment_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_user(request, pk)
    try:
        services.shipment_deliver(shipment=shipment, by=request.user, source="portal")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orders:shipment_detail", pk=shipment.pk)
    return _shipment_done(request, shipment, "delivered")


@roles.allow(MANAGER)
@require_POST
def shipment_exception(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_user(request, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": "Give the reason the carrier reported."})
        services.shipment_exception(
            shipment=shipment, reason=form.cleaned_data["reason"], by=request.user, source="portal"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orders:shipment_detail", pk=shipment.pk)
    return _shipment_done(request, shipment, "delivery exception recorded")


# --- carrier tracking webhook -----------------------------------------------------------------

SIGNATURE_HEADER = "X-Opsportal-Signature"
TIMESTAMP_HEADER = "X-Opsportal-Timestamp"
WEBHOOK_MAX_AGE_SECONDS = 300


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a carrier sends in X-Opsportal-Signature: sha256=HMAC(secret, "<timestamp>.<body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _webhook_secret(carrier: str) -> str:
    secrets = getattr(settings, "CARRIER_WEBHOOK_SECRETS", {}) or {}
    return secrets.get(carrier) or getattr(settings, "CARRIER_WEBHOOK_SECRET", "")


@csrf_exempt
@roles.allow(roles.PUBLIC)  # authenticated by the HMAC signature below, not by a session
@require_POST
def carrier_webhook(request: HttpRequest, carrier: str) -> JsonResponse:
    """A carrier's tracking event, signed with its secret (X-Opsportal-Timestamp: Unix seconds,
    X-Opsportal-Signature: sha256=HMAC). Body: {"tracking_number", "status": delivered |
    exception | in_transit, "occurred_at" (ISO 8601, optional), "reason" (exceptions)}."""
    secret = _webhook_secret(carrier)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not secret or not timestamp.isdigit():
        return JsonResponse({"detail": "Not signed."}, status=403)
    if abs(time.time() - int(timestamp)) > WEBHOOK_MAX_AGE_SECONDS:
        return JsonResponse({"detail": "The signature has expired."}, status=403)
    if not hmac.compare_digest(given, webhook_signature(secret, timestamp, request.body)):
        return JsonResponse({"detail": "Bad signature."}, status=403)
    try:
        event = json.loads(request.body)
        if not isinstance(event, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"detail": "The body must be a JSON object."}, status=400)
    at = None
    if event.get("occurred_at"):
        at = parse_datetime(str(event["occurred_at"]))
        if at is None:
            return JsonResponse({"occurred_at": ["Use ISO 8601."]}, status=400)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
    try:
        shipment = services.shipment_tracking_update(
            carrier_code=carrier,
            tracking_number=str(event.get("tracking_number") or ""),
            status=str(event.get("status") or ""),
            reason=str(event.get("reason") or "")[:300],
            at=at,
        )
    except ValidationError as exc:
        codes = {e.code for errors in exc.error_dict.values() for e in errors}
        return JsonResponse(exc.message_dict, status=404 if "not_found" in codes else 400)
    return JsonResponse({"shipment": shipment.pk, "status": shipment.status})


# --- returns and emails -----------------------------------------------------------------------


@roles.allow(MANAGER, STAFF)
@require_GET
@vary_on_headers("HX-Request")
def return_list(request: HttpRequest) -> HttpResponse:
    filterset = ReturnFilter(
        request.GET, queryset=selectors.returns_for(request.user), request=request
    )
    page_obj = paginate(request, filterset.qs)
    _badge(page_obj, _RETURN_BADGES)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
    }
    return render(request, list_template(request, "orders/return_list.html"), context)


@roles.allow(MANAGER)
@require_GET
@vary_on_headers("HX-Request")
def email_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    filterset = CustomerEmailFilter(
        request.GET, queryset=selectors.customer_emails(), request=request
    )
    if wants_csv(request):
        return _email_csv(filterset.qs)
    page_obj = selectors.cheap_page(
        filterset.qs, page=request.GET.get("page"), size=request.GET.get("size")
    )
    _badge(page_obj, _EMAIL_BADGES)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        "csv_url": csv_url(request),
    }
    return render(request, list_template(request, "orders/email_list.html"), context)


def _email_csv(emails: QuerySet[CustomerEmail]) -> StreamingHttpResponse:
    header = [
        "order",
        "kind",
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def rows() -> Iterator[list]:
        for email in emails.iterator(chunk_size=CSV_CHUNK):
            yield [
                email.order.number,
                email.kind,
                email.to,
                email.subject,
                email.status,
                email.attempts,
                email.last_error,
                _iso(email.created_at),
                _iso(email.sent_at),
            ]

    return csv_response("customer-emails.csv", header, rows())
