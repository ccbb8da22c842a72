"""The navigation: each entry shows only to users the target view's access rule admits."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse

from opsportal.roles import can_access


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    section: str


# Order is the order on screen. An entry whose page is not built yet is simply not listed
# (NoReverseMatch); tests/opsportal/test_home.py holds every other listed name to a real URL.
NAV: tuple[NavItem, ...] = (
    NavItem("Home", "home", "Portal"),
    NavItem("Dashboard", "dashboard", "Portal"),
    NavItem("Orders", "orders:order_list", "Orders"),
    NavItem("Shipments", "orders:shipment_list", "Orders"),
    NavItem("Pick lists", "orders:pick_list", "Orders"),
    NavItem("Labels", "orders:label_batch", "Orders"),
    NavItem("Returns", "orders:return_list", "Orders"),
    NavItem("Email outbox", "orders:email_list", "Orders"),
    NavItem("Stock", "inventory:stock_list", "Inventory"),
    NavItem("Products", "inventory:product_list", "Inventory"),
    NavItem("Warehouses", "inventory:warehouse_list", "Inventory"),
    NavItem("Transfers", "inventory:transfer_list", "Inventory"),
    NavItem("Counts", "inventory:check_list", "Inventory"),
    NavItem("Stock ledger", "inventory:movement_list", "Inventory"),
    NavItem("Low stock", "inventory:low_stock_list", "Inventory"),
    NavItem("Replenishment", "inventory:replenishment_list", "Inventory"),
    NavItem("Vendors", "vendors:vendor_list", "Vendors"),
    NavItem("Contracts", "vendors:contract_list", "Vendors"),
    NavItem("Carriers", "vendors:carrier_list", "Vendors"),
    NavItem("Purchase orders", "vendors:purchaseorder_list", "Vendors"),
    NavItem("Inspections", "quality:inspection_list", "Quality"),
    NavItem("Inspection plans", "quality:plan_list", "Quality"),
    NavItem("Non-conformances", "quality:nonconformance_list", "Quality"),
    NavItem("Compliance", "quality:requirement_list", "Quality"),
    NavItem("Safety", "quality:incident_list", "Quality"),
    NavItem("SOPs", "quality:sop_list", "Quality"),
    NavItem("Manuals", "quality:manual_list", "Quality"),
    NavItem("Documents", "document_list", "Portal"),
    NavItem("API", "api-docs", "Portal"),
)


def nav_for(user) -> list[dict]:
    """Sections with the entries this user may open, in NAV order."""
    sections: dict[str, list[dict]] = {}
    for item in NAV:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if can_access(user, resolve(url).func):
            sections.setdefault(item.section, []).append(
                {"label": item.label, "url": url, "name": item.url_name}
            )
    return [{"name": name, "items": items} for name, items in sections.items()]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    return {"nav_sections": nav_for(user), "nav_current": current}
