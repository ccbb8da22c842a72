"""Order pages: orders, shipments, pick lists, returns and the email outbox (read-only for now)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from opsportal import roles
from opsportal.listing import (
    csv_response,
    csv_url,
    list_template,
    paginate,
    querystring_without,
    wants_csv,
)
from orders import selectors
from orders.filters import (
    CustomerEmailFilter,
    OrderFilter,
    PickListFilter,
    ReturnFilter,
    ShipmentFilter,
)
from orders.models import CustomerEmail, Order, ReturnRequest, Shipment

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF
CSV_CHUNK = 2000


def _get_order_for_user(request: HttpRequest, number: str) -> Order:
    """The order if it is the user's to see (staff: it touches their warehouses), else 404."""
    return get_object_or_404(selectors.orders_for(request.user), number=number)


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
    context = {
        "order": order,
        "detail": detail,
        "routing": selectors.routing_for(order, hide_money=not show_prices),
        "show_prices": show_prices,
        "show_emails": selectors.can_see_outbox(request.user),
    }
    return render(request, "orders/order_detail.html", context)


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
    context = {
        "filter": filterset,
        "warehouse": filterset.form.cleaned_data.get("warehouse"),
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
    }
    return render(request, list_template(request, "orders/pick_list.html"), context)


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
