"""Return pages: an RMA's detail, asking for one, approving or rejecting it, receiving it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from inventory.models import Warehouse
from opsportal import roles
from orders import returns, selectors
from orders.models import ReturnRequest

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF


def _get_return_for_user(request: HttpRequest, number: str) -> ReturnRequest:
    """The return if it comes back to one of the user's warehouses (managers: any), else 404."""
    return get_object_or_404(selectors.returns_for(request.user), number=number)


def _errors(error: ValidationError) -> dict[str, list[str]]:
    """Messages by field; errors about no field under "general" (templates cannot read __all__)."""
    found = error.message_dict if hasattr(error, "error_dict") else {"general": error.messages}
    return {("general" if key == "__all__" else key): value for key, value in found.items()}


@roles.allow(MANAGER, STAFF)
@require_http_methods(["GET"])
def return_detail(request: HttpRequest, number: str) -> HttpResponse:
    rma = _get_return_for_user(request, number)
    is_manager = roles.has_role(request.user, MANAGER)
    context = {
        "rma": rma,
        "lines": rma.lines.select_related("order_line__product").order_by("id"),
        "can_decide": is_manager and rma.status == ReturnRequest.Status.REQUESTED,
        "can_receive": rma.status == ReturnRequest.Status.APPROVED
        and returns.can_receive(request.user, rma),
        "can_refund": is_manager
        and rma.status == ReturnRequest.Status.RECEIVED
        and rma.refund_status == ReturnRequest.RefundStatus.PENDING,
        "decision": "Rejected" if rma.status == ReturnRequest.Status.REJECTED else "Approved",
    }
    return render(request, "orders/return_detail.html", context)


@roles.allow(MANAGER)
@require_http_methods(["GET", "POST"])
def return_create(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(selectors.orders_for(request.user), number=number)
    items = returns.returnable_lines(order)
    warehouses = Warehouse.objects.filter(is_active=True).order_by("code")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        warehouse = None
        chosen = request.POST.get("warehouse", "")
        if chosen:
            warehouse = warehouses.filter(pk=chosen).first() if chosen.isdigit() else None
            if warehouse is None:
                errors = {"warehouse": ["Choose an active warehouse."]}
        if not errors:
            try:
                rma = returns.return_create(
                    order=order,
                    quantities=returns.parse_quantities(request.POST),
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                    warehouse=warehouse,
                )
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(request, f"Return {rma.number} opened.")
                return redirect("orders:return_detail", rma.number)
    context = {
        "order": order,
        "rows": [
            {"item": item, "value": request.POST.get(f"line_{item.line.pk}", "")} for item in items
        ],
        "warehouses": warehouses,
        "errors": errors,
        "posted": request.POST,
        "returnable": any(item.left for item in items),
    }
    return render(request, "orders/return_form.html", context, status=400 if errors else 200)


@roles.allow(MANAGER)
@require_POST
def return_decide(request: HttpRequest, number: str) -> HttpResponse:
    rma = _get_return_for_user(request, number)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            returns.return_approve(rma=rma, by=request.user, note=note)
            messages.success(request, f"Return {rma.number} approved.")
        elif request.POST.get("decision") == "reject":
            returns.return_reject(rma=rma, by=request.user, note=note)
            messages.success(request, f"Return {rma.number} rejected.")
        else:
            messages.error(request, "Choose approve or reject.")
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in _errors(error).values() for m in ms))
    return redirect("orders:return_detail", rma.number)


@roles.allow(MANAGER, STAFF)
@require_http_methods(["GET", "POST"])
def return_receive(request: HttpRequest, number: str) -> HttpResponse:
    rma = _get_return_for_user(request, number)
    if not returns.can_receive(request.user, rma):
        raise PermissionDenied("Only staff of the return's warehouse may receive it.")
    lines = list(rma.lines.select_related("order_line__product").order_by("id"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            returns.return_receive(
                rma=rma,
                by=request.user,
                lines=returns.parse_receipts(request.POST, [line.pk for line in lines]),
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, f"Return {rma.number} received.")
            return redirect("orders:return_detail", rma.number)
    for line in lines:
        line.received_value = request.POST.get(f"line_{line.pk}_received", line.quantity)
        line.disposition_value = request.POST.get(f"line_{line.pk}_disposition", "")
        line.errors = errors.get(f"line_{line.pk}_received", []) + errors.get(
            f"line_{line.pk}_disposition", []
        )
    context = {
        "rma": rma,
        "lines": lines,
        "dispositions": [(d.value, d.label) for d in returns.LINE_DISPOSITIONS],
        "errors": errors,
        "receivable": rma.status == ReturnRequest.Status.APPROVED,
    }
    return render(request, "orders/return_receive.html", context, status=400 if errors else 200)


@roles.allow(MANAGER)
@require_POST
def return_refund(request: HttpRequest, number: str) -> HttpResponse:
    rma = _get_return_for_user(request, number)
    try:
        returns.return_refund(rma=rma, by=request.user)
        messages.success(request, f"Return {rma.number} refunded and closed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("orders:return_detail", rma.number)
