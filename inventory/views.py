"""Inventory pages: stock, products, warehouses, counts, the stock ledger, transfers, stock
adjustments, low stock and replenishment. Writes go through inventory.services (stock),
inventory.checks (counts) and inventory.abc (classes); forms show their errors per field.

Blind counts: while a blind check is open, a counter never receives the expected quantity, and
the stock pages hide the on-hand of the products under count from warehouse staff
(`under_blind_count`, decided in inventory.selectors)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import abc, checks, imports, selectors, services
from inventory.filters import (
    InventoryCheckFilter,
    LowStockFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    TransferFilter,
    WarehouseFilter,
)
from inventory.forms import (
    AbcClassForm,
    CheckCountForm,
    CheckCreateForm,
    CsvUploadForm,
    ReplenishmentForm,
    StockAdjustmentForm,
    TransferForm,
    TransferReceiveForm,
    add_service_errors,
)
from inventory.models import InventoryCheck, InventoryCheckLine, Product, Transfer, Warehouse
from opsportal import roles
from opsportal.listing import (
    csv_response,
    csv_url,
    list_context,
    list_template,
    paginate,
    querystring_without,
    wants_csv,
)

STOCK_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
Status = InventoryCheck.Status
Decision = InventoryCheckLine.Decision
# What a CSV says where a blind count hides the number.
HIDDEN = "counting"
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
                    *(
                        [HIDDEN, level.reserved, level.quarantined, HIDDEN]
                        if level.under_blind_count
                        else [level.on_hand, level.reserved, level.quarantined, level.available]
                    ),
                    level.reorder_point,
                    HIDDEN if level.under_blind_count else ("yes" if level.is_low else "no"),
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
        "abc_form": AbcClassForm(
            initial={"abc_class": product.abc_class if product.abc_class_locked else ""}
        )
        if roles.has_role(request.user, roles.OPERATIONS_MANAGER)
        else None,
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
            now = (
                "counting in progress"
                if selectors.is_under_blind_count(request.user, warehouse, product)
                else f"on hand now {movement.on_hand_after}"
            )
            messages.success(
                request,
                f"{product.sku} in {warehouse.code}: {movement.delta:+d} "
                f"({movement.get_reason_code_display().lower()}), {now}.",
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
        "summary": selectors.warehouse_stock_summary(warehouse, request.user)
        if show_stock
        else None,
    }
    return render(request, "inventory/warehouse_detail.html", context)


def _accuracy_context(request: HttpRequest) -> dict:
    """Record accuracy of the user's warehouses: per warehouse, per counter, per week (chart)."""
    warehouse_ids = roles.warehouse_ids_for(request.user)
    weeks = selectors.accuracy_over_time(warehouse_ids, weeks=ACCURACY_WEEKS)
    return {
        "accuracy_total": selectors.record_accuracy_total(warehouse_ids, since=weeks[0].key),
        "accuracy_by_warehouse": selectors.record_accuracy(warehouse_ids, since=weeks[0].key),
        "accuracy_by_counter": selectors.accuracy_by_counter(warehouse_ids, since=weeks[0].key),
        "accuracy_chart": _accuracy_chart(weeks),
    }


ACCURACY_WEEKS = 12
CHART_WIDTH, CHART_HEIGHT, CHART_BAR = 360, 120, 24


def _accuracy_chart(weeks: list[selectors.Accuracy]) -> list[dict]:
    """Bars of an inline SVG: one a week, its height the share of lines within tolerance."""
    step = CHART_WIDTH / max(len(weeks), 1)
    bars = []
    for index, week in enumerate(weeks):
        share = week.line_accuracy
        height = 0 if share is None else round(CHART_HEIGHT * share / 100, 1)
        bars.append(
            {
                "x": round(index * step + (step - CHART_BAR) / 2, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "height": height,
                "week": week,
                "label_x": round(index * step + step / 2, 1),
            }
        )
    return bars


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def check_list(request: HttpRequest) -> HttpResponse:
    filterset = InventoryCheckFilter(
        request.GET, queryset=selectors.checks_for(request.user), request=request
    )
    context = _list_context(
        request,
        filterset,
        csv_url="",
        can_create=roles.has_role(request.user, roles.OPERATIONS_MANAGER),
    )
    if not request.htmx:
        context |= _accuracy_context(request)
        context["chart"] = {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bar": CHART_BAR}
    return _render_list(request, "inventory/check_list.html", context)


def _is_manager(request: HttpRequest) -> bool:
    return roles.has_role(request.user, roles.OPERATIONS_MANAGER)


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    page_obj = paginate(request, selectors.check_lines(check), default_size=200)
    can_count = selectors.can_work_in(request.user, check.warehouse)
    context = {
        "check": check,
        "page_obj": page_obj,
        "querystring": querystring_without(request, "page"),
        # Decided here, not in the template: a blind count's expected quantity and variance
        # must never reach a counter's browser.
        "show_expected": selectors.sees_expected(check, request.user),
        "can_count": can_count and check.status in (Status.PLANNED, Status.COUNTING),
        "can_review": _is_manager(request) and check.status == Status.REVIEW,
        "can_cancel": _is_manager(request) and check.is_open,
        "accuracy": selectors.check_accuracy(check) if check.status == Status.POSTED else None,
    }
    template = "inventory/check_detail.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@roles.allow(roles.OPERATIONS_MANAGER)
@require_http_methods(["GET", "POST"])
def check_create(request: HttpRequest) -> HttpResponse:
    """A count made by hand: a product list, a location or the whole warehouse."""
    form = CheckCreateForm(
        request.POST or None,
        user=request.user,
        initial={"warehouse": request.GET.get("warehouse"), "kind": "products", "blind": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = checks.check_create(
                warehouse=data["warehouse"],
                kind=data["kind"],
                created_by=request.user,
                products=data["products"],
                location=data["location"],
                scheduled_for=data["scheduled_for"],
                assigned_to=data["assigned_to"],
                blind=data["blind"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            check = created.check
            text = f"Count {check.pk} planned in {check.warehouse.code}"
            if check.assigned_to:
                text += f" for {check.assigned_to.display_name}"
            messages.success(request, text + ".")
            if created.left_out:
                messages.warning(
                    request,
                    "Left out, already in an open count: " + ", ".join(created.left_out[:20]),
                )
            return redirect("inventory:check_detail", pk=check.pk)
    return render(
        request,
        "inventory/check_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def _require_counter(request: HttpRequest, check: InventoryCheck) -> None:
    _require_work_in(request, check.warehouse, "count")


def _count_context(request: HttpRequest, check: InventoryCheck, form=None, **extra) -> dict:
    """What the count screen shows. Built from `check_lines_for_count`, which does not even
    load the expected quantity: nothing here can leak it."""
    counted, total = checks.check_progress(check)
    lines = list(selectors.check_lines_for_count(check))
    in_recount = any(line.recount for line in lines)
    if in_recount:
        lines = [line for line in lines if line.recount]
    code = request.GET.get("code", "")
    return {
        "check": check,
        "lines": lines,
        "in_recount": in_recount,
        "counted": counted,
        "total": total,
        "percent": round(100 * counted / total) if total else 0,
        "form": form or CheckCountForm(initial={"code": code}),
        "focus_quantity": bool(code) or bool(form and form.data.get("code") and form.errors),
        **extra,
    }


@roles.allow(*STOCK_ROLES)
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def check_count(request: HttpRequest, pk: int) -> HttpResponse:
    """The count screen (a phone): scan or type the code, Enter, the quantity, Enter."""
    check = _get_check_for_user(request, pk)
    _require_counter(request, check)
    template = "inventory/check_count.html"
    if request.method == "GET":
        context = _count_context(request, check)
        return render(request, f"{template}#screen" if request.htmx else template, context)
    form = CheckCountForm(request.POST)
    feedback = ""
    if form.is_valid():
        try:
            line = checks.check_count(
                check=check,
                by=request.user,
                code=form.cleaned_data["code"],
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            feedback = f"{line.product.sku}: {line.counted} counted."
            if not request.htmx:
                messages.success(request, feedback)
                return redirect("inventory:check_count", pk=check.pk)
            form = None  # a fresh form for the next scan
    check.refresh_from_db()
    context = _count_context(request, check, form, feedback=feedback)
    if request.htmx:
        # 200 so HTMX swaps the screen in, errors and all.
        return render(request, f"{template}#screen", context)
    return render(request, template, context, status=400)


@roles.allow(*STOCK_ROLES)
@require_POST
def check_start(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    _require_counter(request, check)
    try:
        checks.check_start(check=check, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("inventory:check_detail", pk=check.pk)
    messages.success(request, f"Count {check.pk} started: scan the first product.")
    return redirect("inventory:check_count", pk=check.pk)


@roles.allow(*STOCK_ROLES)
@require_POST
def check_submit(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    _require_counter(request, check)
    try:
        result = checks.check_submit(check=check, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("inventory:check_count", pk=check.pk)
    if result.recount:
        skus = checks.recount_skus(result.check)
        messages.warning(
            request,
            f"Please count {result.recount} line{'s' if result.recount != 1 else ''} again: "
            + ", ".join(skus[:20])
            + ".",
        )
        return redirect("inventory:check_count", pk=check.pk)
    if result.to_review:
        messages.success(
            request,
            f"Count {check.pk} submitted: {result.to_review} line"
            f"{'s' if result.to_review != 1 else ''} go to a manager for review.",
        )
    else:
        messages.success(request, f"Count {check.pk} done and posted. Thank you!")
    return redirect("inventory:check_detail", pk=check.pk)


@roles.allow(roles.OPERATIONS_MANAGER)
@require_http_methods(["GET", "POST"])
def check_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Variance review: approve or reject each line beyond tolerance, then post."""
    check = _get_check_for_user(request, pk)
    if request.method == "POST":
        decisions = {"approve": [], "reject": []}
        for key, value in request.POST.items():
            if key.startswith("line-") and value in decisions:
                try:
                    decisions[value].append(int(key.removeprefix("line-")))
                except ValueError:
                    continue
        if request.POST.get("all") in decisions:
            decisions = {request.POST["all"]: None}
        try:
            with transaction.atomic():
                for decision, line_ids in decisions.items():
                    if line_ids is None or line_ids:
                        checks.check_decide(
                            check=check,
                            by=request.user,
                            approve=decision == "approve",
                            line_ids=line_ids,
                        )
                if request.POST.get("action") == "post":
                    checks.check_post(check=check, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inventory:check_review", pk=check.pk)
        if request.POST.get("action") == "post":
            messages.success(request, f"Count {check.pk} posted: the ledger is corrected.")
            return redirect("inventory:check_detail", pk=check.pk)
        messages.success(request, "Decisions saved.")
        return redirect("inventory:check_review", pk=check.pk)
    lines = checks.review_lines(check) if check.status == Status.REVIEW else []
    decided = selectors.check_lines(check).exclude(decision__in=("", Decision.PENDING))
    return render(
        request,
        "inventory/check_review.html",
        {
            "check": check,
            "lines": lines,
            "decided": decided.aggregate(
                approved=Count("pk", filter=Q(decision=Decision.APPROVED)),
                rejected=Count("pk", filter=Q(decision=Decision.REJECTED)),
            ),
            "can_review": check.status == Status.REVIEW,
        },
    )


@roles.allow(roles.OPERATIONS_MANAGER)
@require_POST
def check_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    check = _get_check_for_user(request, pk)
    try:
        checks.check_cancel(check=check, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Count {check.pk} cancelled.")
    return redirect("inventory:check_detail", pk=check.pk)


@roles.allow(roles.OPERATIONS_MANAGER)
@require_POST
def product_abc(request: HttpRequest, sku: str) -> HttpResponse:
    """Set a product's ABC class by hand, or give it back to the nightly computation."""
    product = _get_product(sku)
    form = AbcClassForm(request.POST)
    if form.is_valid():
        try:
            product = abc.product_abc_override(
                product=product, abc_class=form.cleaned_data["abc_class"] or None
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            how = "set by hand" if product.abc_class_locked else "automatic"
            messages.success(request, f"{product.sku} is class {product.abc_class} ({how}).")
    else:
        messages.error(request, "Choose A, B, C or automatic.")
    return redirect("inventory:product_detail", sku=product.sku)


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def low_stock_list(request: HttpRequest) -> HttpResponse:
    """Levels at or under their reorder point, most short first (CSV too)."""
    filterset = LowStockFilter(
        request.GET, queryset=selectors.low_stock_for(request.user), request=request
    )
    if wants_csv(request):
        return csv_response(
            "low-stock.csv",
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
                "safety_stock",
                "short_by",
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
                    level.safety_stock,
                    level.reorder_point + level.safety_stock - level.available,
                ]
                for level in _filtered(filterset).iterator(chunk_size=2000)
            ),
        )
    context = _list_context(request, filterset, can_replenish=_is_manager(request))
    return _render_list(request, "inventory/low_stock_list.html", context)


@roles.allow(roles.OPERATIONS_MANAGER)
@require_GET
def replenishment_list(request: HttpRequest) -> HttpResponse:
    """What to order per warehouse and product, with the arithmetic (CSV too)."""
    form = ReplenishmentForm(request.GET or None, user=request.user)
    warehouse_ids = None
    demand_days = selectors.DEMAND_DAYS
    if form.is_bound and form.is_valid():
        if form.cleaned_data["warehouse"]:
            warehouse_ids = [form.cleaned_data["warehouse"].pk]
        demand_days = form.cleaned_data["demand_days"] or demand_days
    suggestions = (
        selectors.replenishment_suggestions(warehouse_ids, demand_days=demand_days)
        if not form.is_bound or form.is_valid()
        else []
    )
    if wants_csv(request):
        return csv_response(
            "replenishment.csv",
            [
                "warehouse",
                "sku",
                "product",
                "on_hand",
                "reserved",
                "quarantined",
                "inbound",
                "demand",
                "position",
                "reorder_point",
                "safety_stock",
                "suggested_qty",
                "formula",
            ],
            (
                [
                    s.warehouse.code,
                    s.product.sku,
                    s.product.name,
                    s.on_hand,
                    s.reserved,
                    s.quarantined,
                    s.inbound,
                    s.demand,
                    s.position,
                    s.reorder_point,
                    s.safety_stock,
                    s.suggested_qty,
                    s.formula,
                ]
                for s in suggestions
            ),
        )
    page_obj = paginate(request, suggestions)
    return render(
        request,
        "inventory/replenishment_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "querystring": querystring_without(request, "page"),
            "csv_url": csv_url(request),
            "demand_days": demand_days,
        },
    )


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
