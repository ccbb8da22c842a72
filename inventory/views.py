"""Inventory pages: stock, products, warehouses, counts, the stock ledger, transfers and
stock adjustments. Writes go through inventory.services; forms show their errors per field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import imports, selectors, services
from inventory.filters import (
    InventoryCheckFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    TransferFilter,
    WarehouseFilter,
)
from inventory.forms import (
    CsvUploadForm,
    StockAdjustmentForm,
    TransferForm,
    TransferReceiveForm,
    add_service_errors,
)
from inventory.models import InventoryCheck, Product, Transfer, Warehouse
from opsportal import roles
from opsportal.listing import (
    csv_response,
    list_context,
    list_template,
    paginate,
    querystring_without,
    wants_csv,
)

STOCK_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
# Contract admins read the catalogue and the warehouses for purchase orders, never stock.
CATALOGUE_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF, roles.CONTRACT_ADMIN)


def _get_warehouse_for_user(request: HttpRequest, code: str) -> Warehouse:
    """A warehouse the user may see; 404 for staff asking for another warehouse."""
    return get_object_or_404(selectors.warehouses_for(request.user), code=code)


def _get_check_for_user(request: HttpRequest, pk: int) -> InventoryCheck:
    """A check in one of the user's warehouses; 404 otherwise."""
    return get_object_or_404(selectors.checks_for(request.user), pk=pk)


def _get_transfer_for_user(request: HttpRequest, pk: int) -> Transfer:
    """A transfer from or to one of the user's warehouses; 404 otherwise."""
    return get_object_or_404(selectors.transfers_for(request.user), pk=pk)


def _require_work_in(request: HttpRequest, warehouse: Warehouse, what: str) -> None:
    if not selectors.can_work_in(request.user, warehouse):
        raise PermissionDenied(f"You may not {what} in {warehouse.code}.")


def _get_product(sku: str) -> Product:
    return get_object_or_404(selectors.products(), sku=sku)


def _filtered(filterset) -> QuerySet:
    # A parameter the form refuses (another warehouse's code, a malformed date) narrows the
    # list to nothing rather than being dropped: the rows never contradict the URL.
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def _list_context(request: HttpRequest, filterset, **extra) -> dict:
    return list_context(request, filterset, _filtered(filterset), **extra)


def _render_list(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    # HTMX (filters, polling) swaps only the results; the same URL renders the whole page.
    return render(request, list_template(request, template), context)


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def stock_list(request: HttpRequest) -> HttpResponse:
    filterset = StockLevelFilter(
        request.GET, queryset=selectors.stock_levels_for(request.user), request=request
    )
    if wants_csv(request):
        return csv_response(
            "stock.csv",
            [
                "warehouse",
                "sku",
                "product",
                "bin",
                "on_hand",
                "reserved",
                "quarantined",
                "available",
                "reorder_point",
                "low_stock",
            ],
            (
                [
                    level.warehouse.code,
                    level.product.sku,
                    level.product.name,
                    level.bin,
                    level.on_hand,
                    level.reserved,
                    level.quarantined,
                    level.available,
                    level.reorder_point,
                    "yes" if level.is_low else "no",
                ]
                for level in _filtered(filterset).iterator(chunk_size=2000)
            ),
        )
    return _render_list(request, "inventory/stock_list.html", _list_context(request, filterset))


@roles.allow(*CATALOGUE_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def product_list(request: HttpRequest) -> HttpResponse:
    filterset = ProductFilter(request.GET, queryset=selectors.products(), request=request)
    show_cost = selectors.sees_unit_cost(request.user)
    if wants_csv(request):
        header = ["sku", "name", "barcode", "unit", "abc_class", "weight_grams", "active"]
        return csv_response(
            "products.csv",
            header + (["unit_cost"] if show_cost else []),
            (
                [
                    product.sku,
                    product.name,
                    product.barcode,
                    product.unit,
                    product.abc_class,
                    product.weight_grams,
                    "yes" if product.is_active else "no",
                ]
                + ([product.unit_cost] if show_cost else [])
                for product in _filtered(filterset).iterator(chunk_size=2000)
            ),
        )
    context = _list_context(
        request,
        filterset,
        show_cost=show_cost,
        can_import=roles.has_role(request.user, roles.OPERATIONS_MANAGER),
    )
    return _render_list(request, "inventory/product_list.html", context)


@roles.allow(*CATALOGUE_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def product_detail(request: HttpRequest, sku: str) -> HttpResponse:
    product = _get_product(sku)
    context: dict = {
        "product": product,
        "show_cost": selectors.sees_unit_cost(request.user),
        "show_stock": selectors.sees_stock(request.user),
    }
    template = "inventory/product_detail.html"
    if context["show_stock"]:
        levels = selectors.product_levels_for(product, request.user)
        context["levels"] = levels
        context["totals"] = selectors.stock_totals(levels)
        if request.htmx:  # the levels table polls itself: stock changes show without a reload
            return render(request, f"{template}#levels", context)
        context["movements"] = selectors.recent_movements_for(product, request.user)
        adjust_form = StockAdjustmentForm(user=request.user)
        if adjust_form.fields["warehouse"].queryset:
            context["adjust_form"] = adjust_form
    return render(request, template, context)


@roles.allow(*STOCK_ROLES)
@require_http_methods(["GET", "POST"])
def stock_adjust(request: HttpRequest, sku: str) -> HttpResponse:
    """Adjust on-hand of one product in one of the user's warehouses, with a reason code."""
    product = _get_product(sku)
    form = StockAdjustmentForm(
        request.POST or None,
        user=request.user,
        initial={"warehouse": request.GET.get("warehouse")},
    )
    if request.method == "POST" and form.is_valid():
        warehouse = form.cleaned_data["warehouse"]
        try:
            movement = services.stock_adjust(
                warehouse=warehouse,
                product=product,
                delta=form.cleaned_data["delta"],
                reason_code=form.cleaned_data["reason_code"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{product.sku} in {warehouse.code}: {movement.delta:+d} "
                f"({movement.get_reason_code_display().lower()}), "
                f"on hand now {movement.on_hand_after}.",
            )
            return redirect("inventory:product_detail", sku=product.sku)
    levels = selectors.product_levels_for(product, request.user)
    return render(
        request,
        "inventory/stock_adjust.html",
        {"product": product, "form": form, "levels": levels},
        status=400 if form.is_bound else 200,
    )


@roles.allow(*CATALOGUE_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def warehouse_list(request: HttpRequest) -> HttpResponse:
    filterset = WarehouseFilter(
        request.GET, queryset=selectors.warehouses_for(request.user), request=request
    )
    return _render_list(
        request, "inventory/warehouse_list.html", _list_context(request, filterset, csv_url="")
    )


@roles.allow(*CATALOGUE_ROLES)
@require_GET
def warehouse_detail(request: HttpRequest, code: str) -> HttpResponse:
    warehouse = _get_warehouse_for_user(request, code)
    show_stock = selectors.sees_stock(request.user)
    context = {
        "warehouse": warehouse,
        "staff": list(selectors.warehouse_staff(warehouse)),
        "show_stock": show_stock,
        "summary": selectors.warehouse_stock_summary(warehouse) if show_stock else None,
    }
    return render(request, "inventory/warehouse_detail.html", context)


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def check_list(request: HttpRequest) -> HttpResponse:
    filterset = InventoryCheckFilter(
        request.GET, queryset=selectors.checks_for(request.user), request=request
    )
    return _render_list(
        request, "inventory/check_list.html", _list_context(request, filterset, csv_url="")
    )


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    page_obj = paginate(request, selectors.check_lines(check), default_size=200)
    context = {
        "check": check,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        # Decided here, not in the template: a blind count's expected quantity and variance
        # must never reach a counter's browser.
        "show_expected": selectors.sees_expected(check, request.user),
    }
    template = "inventory/check_detail.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def movement_list(request: HttpRequest) -> HttpResponse:
    filterset = StockMovementFilter(
        request.GET, queryset=selectors.movements_for(request.user), request=request
    )
    if wants_csv(request):
        return csv_response(
            "stock-ledger.csv",
            [
                "created_at",
                "warehouse",
                "sku",
                "kind",
                "delta",
                "on_hand_after",
                "reason",
                "reference",
                "actor",
            ],
            (
                [
                    movement.created_at.isoformat(),
                    movement.warehouse.code,
                    movement.product.sku,
                    movement.kind,
                    movement.delta,
                    movement.on_hand_after,
                    movement.reason,
                    _reference_label(movement),
                    movement.actor.username if movement.actor else "",
                ]
                for movement in _filtered(filterset).iterator(chunk_size=2000)
            ),
        )
    return _render_list(request, "inventory/movement_list.html", _list_context(request, filterset))


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def transfer_list(request: HttpRequest) -> HttpResponse:
    filterset = TransferFilter(
        request.GET, queryset=selectors.transfers_for(request.user), request=request
    )
    context = _list_context(
        request,
        filterset,
        csv_url="",
        can_create=selectors.work_warehouses_for(request.user).exists(),
    )
    return _render_list(request, "inventory/transfer_list.html", context)


def _transfer_context(request: HttpRequest, transfer: Transfer, receive_form=None) -> dict:
    lines = list(selectors.transfer_lines_queryset().filter(transfer=transfer))
    can_receive = transfer.is_open and selectors.can_work_in(request.user, transfer.destination)
    if can_receive and receive_form is None:
        receive_form = TransferReceiveForm(lines=lines)
    movements = selectors.movements_for(request.user).filter(
        reference_type=ContentType.objects.get_for_model(Transfer),
        reference_id=str(transfer.pk),
    )
    return {
        "transfer": transfer,
        "lines": lines,
        "movements": list(movements.order_by("created_at", "id")),
        "can_ship": transfer.status == Transfer.Status.DRAFT
        and selectors.can_work_in(request.user, transfer.source),
        "receive_form": receive_form if can_receive else None,
    }


@roles.allow(*STOCK_ROLES)
@require_GET
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_transfer_for_user(request, pk)
    return render(request, "inventory/transfer_detail.html", _transfer_context(request, transfer))


@roles.allow(*STOCK_ROLES)
@require_http_methods(["GET", "POST"])
def transfer_create(request: HttpRequest) -> HttpResponse:
    """A draft transfer from one of the user's warehouses to any active warehouse."""
    form = TransferForm(
        request.POST or None, user=request.user, initial={"source": request.GET.get("from")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_create(
                source=form.cleaned_data["source"],
                destination=form.cleaned_data["destination"],
                lines=form.cleaned_data["lines"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{transfer.number} created as a draft: ship it when it leaves."
            )
            return redirect("inventory:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "inventory/transfer_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@roles.allow(*STOCK_ROLES)
@require_POST
def transfer_ship(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_transfer_for_user(request, pk)
    _require_work_in(request, transfer.source, "ship stock")
    try:
        services.transfer_ship(transfer=transfer, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{transfer.number} shipped: the stock is on its way.")
    return redirect("inventory:transfer_detail", pk=transfer.pk)


@roles.allow(*STOCK_ROLES)
@require_POST
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_transfer_for_user(request, pk)
    _require_work_in(request, transfer.destination, "receive stock")
    lines = list(selectors.transfer_lines_queryset().filter(transfer=transfer))
    form = TransferReceiveForm(request.POST, lines=lines)
    if form.is_valid():
        try:
            received = services.transfer_receive(
                transfer=transfer, actor=request.user, quantities=form.quantities()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{received.number}: {received.get_status_display().lower()}."
            )
            return redirect("inventory:transfer_detail", pk=transfer.pk)
    context = _transfer_context(request, transfer, receive_form=form)
    return render(request, "inventory/transfer_detail.html", context, status=400)


@roles.allow(*STOCK_ROLES)
@require_POST
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_transfer_for_user(request, pk)
    _require_work_in(request, transfer.source, "cancel transfers")
    try:
        services.transfer_cancel(transfer=transfer, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{transfer.number} cancelled.")
    return redirect("inventory:transfer_detail", pk=transfer.pk)


def _csv_import(request: HttpRequest, *, title: str, columns, run, done_url: str) -> HttpResponse:
    """Upload form → run(data) → redirect with a summary, or the problems by row and column."""
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    problems: list[imports.Problem] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(imports.MAX_BYTES + 1)
        try:
            summary = run(data)
        except ValidationError as exc:
            problems = imports.problems_of(exc)
        else:
            messages.success(
                request,
                f"{title}: {summary.created} new, {summary.updated} changed"
                + (f", {summary.unchanged} unchanged." if summary.unchanged else "."),
            )
            return redirect(done_url)
    context = {"form": form, "title": title, "columns": columns, "problems": problems}
    status = 400 if form.is_bound else 200
    return render(request, "inventory/csv_import.html", context, status=status)


@roles.allow(roles.OPERATIONS_MANAGER)
@require_http_methods(["GET", "POST"])
def product_import(request: HttpRequest) -> HttpResponse:
    """Create or update products from a CSV file (all rows or none)."""
    return _csv_import(
        request,
        title="Import products",
        columns=imports.PRODUCT_COLUMNS,
        run=lambda data: imports.product_import_csv(data=data),
        done_url="inventory:product_list",
    )


@roles.allow(*STOCK_ROLES)
@require_http_methods(["GET", "POST"])
def stock_import(request: HttpRequest) -> HttpResponse:
    """Opening stock from a CSV file (all rows or none); staff only for their warehouses."""
    return _csv_import(
        request,
        title="Import opening stock",
        columns=imports.STOCK_COLUMNS,
        run=lambda data: imports.stock_import_opening_csv(
            data=data, actor=request.user, warehouse_ids=roles.warehouse_ids_for(request.user)
        ),
        done_url="inventory:stock_list",
    )


def _reference_label(movement) -> str:
    if movement.reference_type is None:
        return ""
    return f"{movement.reference_type.app_label}.{movement.reference_type.model}:{movement.reference_id}"
