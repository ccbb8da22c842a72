"""Inventory pages: stock, products, warehouses, counts and the stock ledger (read only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from inventory import selectors
from inventory.filters import (
    InventoryCheckFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    WarehouseFilter,
)
from inventory.models import InventoryCheck, Product, Warehouse
from opsportal import roles
from opsportal.listing import csv_response, paginate, querystring_without

STOCK_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
# Contract admins read the catalogue and the warehouses for purchase orders, never stock.
CATALOGUE_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF, roles.CONTRACT_ADMIN)


def _get_warehouse_for_user(request: HttpRequest, code: str) -> Warehouse:
    """A warehouse the user may see; 404 for staff asking for another warehouse."""
    return get_object_or_404(selectors.warehouses_for(request.user), code=code)


def _get_check_for_user(request: HttpRequest, pk: int) -> InventoryCheck:
    """A check in one of the user's warehouses; 404 otherwise."""
    return get_object_or_404(selectors.checks_for(request.user), pk=pk)


def _get_product(sku: str) -> Product:
    return get_object_or_404(selectors.products(), sku=sku)


def _filtered(filterset) -> QuerySet:
    # A parameter the form refuses (another warehouse's code, a malformed date) narrows the
    # list to nothing rather than being dropped: the rows never contradict the URL.
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def _list_context(request: HttpRequest, filterset, **extra) -> dict:
    """What every list template reads: the filter form, one page, the query strings."""
    query = querystring_without(request, "page", "format")
    return {
        "filter": filterset,
        "page_obj": paginate(request, _filtered(filterset)),
        "querystring": querystring_without(request, "page"),
        "csv_url": f"?{query}&format=csv" if query else "?format=csv",
        **extra,
    }


def _render_list(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    # HTMX (filters, polling) swaps only the results; the same URL renders the whole page.
    return render(request, f"{template}#results" if request.htmx else template, context)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


@roles.allow(*STOCK_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def stock_list(request: HttpRequest) -> HttpResponse:
    filterset = StockLevelFilter(
        request.GET, queryset=selectors.stock_levels_for(request.user), request=request
    )
    if _wants_csv(request):
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
    if _wants_csv(request):
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
    context = _list_context(request, filterset, show_cost=show_cost)
    return _render_list(request, "inventory/product_list.html", context)


@roles.allow(*CATALOGUE_ROLES)
@require_GET
def product_detail(request: HttpRequest, sku: str) -> HttpResponse:
    product = _get_product(sku)
    context: dict = {
        "product": product,
        "show_cost": selectors.sees_unit_cost(request.user),
        "show_stock": selectors.sees_stock(request.user),
    }
    if context["show_stock"]:
        levels = selectors.product_levels_for(product, request.user)
        context["levels"] = levels
        context["totals"] = {
            "on_hand": sum(level.on_hand for level in levels),
            "reserved": sum(level.reserved for level in levels),
            "quarantined": sum(level.quarantined for level in levels),
            "available": sum(level.available for level in levels),
        }
        context["movements"] = selectors.recent_movements_for(product, request.user)
    return render(request, "inventory/product_detail.html", context)


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
    if _wants_csv(request):
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


def _reference_label(movement) -> str:
    if movement.reference_type is None:
        return ""
    return f"{movement.reference_type.app_label}.{movement.reference_type.model}:{movement.reference_id}"
