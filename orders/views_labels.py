"""Label printing: choose packed shipments, get one PDF (or ZPL) made in the background."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsportal import roles
from orders import labels, selectors
from orders.models import Shipment

LIST_LIMIT = labels.MAX_BATCH


@roles.allow(roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
@require_http_methods(["GET", "POST"])
def label_batch(request: HttpRequest) -> HttpResponse:
    """GET: the shipments ready for a label in the user's warehouses. POST: print a batch."""
    errors: list[str] = []
    if request.method == "POST":
        try:
            job = labels.labels_request(
                shipment_ids=request.POST.getlist("shipment"),
                by=request.user,
                fmt=request.POST.get("format", "pdf"),
            )
        except ValidationError as error:
            errors = [message for messages_ in error.message_dict.values() for message in messages_]
        else:
            messages.success(request, f"{job.total} label(s) are being made.")
            return redirect("document_detail", job.pk)

    warehouses = selectors.pick_warehouses_for(request.user)
    chosen = request.GET.get("warehouse", "")
    warehouse = warehouses.filter(pk=chosen).first() if chosen.isdigit() else None
    show = request.GET.get("show", "packed")
    statuses = labels.PRINTABLE if show == "all" else (Shipment.Status.PACKED,)
    shipments = selectors.shipments_for(request.user).filter(status__in=statuses)
    if warehouse is not None:
        shipments = shipments.filter(warehouse=warehouse)
    rows = list(shipments.order_by("warehouse_id", "created_at", "id")[:LIST_LIMIT])
    chosen = set(request.POST.getlist("shipment"))
    for row in rows:
        row.chosen = str(row.pk) in chosen
    context = {
        "rows": rows,
        "limit": LIST_LIMIT,
        "warehouses": warehouses,
        "warehouse": warehouse,
        "show": show,
        "formats": labels.FORMATS.items(),
        "format": request.POST.get("format", "pdf"),
        "errors": errors,
    }
    return render(request, "orders/label_batch.html", context, status=400 if errors else 200)
