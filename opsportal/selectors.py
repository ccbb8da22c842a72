"""Reads for portal-wide pages: what is waiting for the signed-in user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opsportal import roles


@dataclass(frozen=True)
class WorkItem:
    label: str
    value: int
    url: str = ""


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def work_summary_for(user) -> list[WorkItem]:
    """A few counts of open work for the user's roles, each linking to the list behind it."""
    from inventory.models import InventoryCheck
    from orders.models import Order, Shipment
    from quality.models import NonConformance
    from vendors.models import PurchaseOrder, VendorContract
    from vendors.selectors import TO_RECEIVE_STATUSES

    items: list[WorkItem] = []
    today = timezone.localdate()
    open_checks = [InventoryCheck.Status.PLANNED, InventoryCheck.Status.COUNTING]
    if roles.has_role(user, roles.OPERATIONS_MANAGER):
        items += [
            WorkItem(
                "Orders on hold",
                Order.objects.exclude(hold_kind="").count(),
                _url("orders:order_list", "on_hold=true"),
            ),
            WorkItem(
                "Orders at risk",
                Order.objects.filter(at_risk=True)
                .exclude(
                    status__in=[
                        Order.Status.DELIVERED,
                        Order.Status.CANCELLED,
                        Order.Status.SHIPPED,
                    ]
                )
                .count(),
                _url("orders:order_list", "at_risk=true"),
            ),
            WorkItem(
                "Counts awaiting review",
                InventoryCheck.objects.filter(status=InventoryCheck.Status.REVIEW).count(),
                _url("inventory:check_list", "status=review"),
            ),
            WorkItem(
                "Open non-conformances",
                NonConformance.objects.exclude(status=NonConformance.Status.CLOSED).count(),
                _url("quality:nonconformance_list"),
            ),
        ]
    elif roles.WAREHOUSE_STAFF in roles.user_roles(user):
        mine = roles.warehouse_ids_for(user) or set()
        items += [
            WorkItem(
                "Counts assigned to you",
                InventoryCheck.objects.filter(
                    assigned_to=user, status__in=open_checks, scheduled_for__lte=today
                ).count(),
                _url("inventory:check_list", "mine=true"),
            ),
            WorkItem(
                "Shipments to pick",
                Shipment.objects.filter(
                    warehouse_id__in=mine,
                    status__in=[Shipment.Status.PENDING, Shipment.Status.PICKING],
                ).count(),
                _url("orders:pick_list"),
            ),
            WorkItem(
                "Purchase orders to receive",
                PurchaseOrder.objects.filter(
                    warehouse_id__in=mine, status__in=TO_RECEIVE_STATUSES
                ).count(),
                _url("vendors:purchaseorder_list", "to_receive=true"),
            ),
        ]
    if roles.has_role(user, roles.CONTRACT_ADMIN) and not user.is_superuser:
        horizon = today + datetime.timedelta(days=90)
        items += [
            WorkItem(
                "Contracts ending within 90 days",
                VendorContract.objects.filter(
                    status=VendorContract.Status.ACTIVE, end_date__lte=horizon
                ).count(),
                _url("vendors:contract_list", "ending_within=90"),
            ),
            WorkItem(
                "Draft contracts",
                VendorContract.objects.filter(status=VendorContract.Status.DRAFT).count(),
                _url("vendors:contract_list", "status=draft"),
            ),
        ]
    # Every role: new effective SOP versions the user's roles must read and acknowledge.
    from quality.selectors import sops_to_acknowledge

    to_read = sops_to_acknowledge(user).count()
    if to_read:
        items.append(WorkItem("SOPs to read and acknowledge", to_read, _url("quality:sop_todo")))
    return items
