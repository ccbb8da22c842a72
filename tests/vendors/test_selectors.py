"""Reads that pages and API share: rate cards, the late flag, contracts ending soon."""

import datetime
from decimal import Decimal

from django.utils import timezone

from tests import factories
from vendors import selectors
from vendors.models import PurchaseOrder, ShippingRate, VendorContract


def _rate(zone: int, weight: int) -> ShippingRate:
    return ShippingRate(zone=zone, max_weight_grams=weight, price=Decimal(zone), transit_days=2)


def test_rate_card_is_a_zone_by_weight_grid_with_gaps():
    rates = [_rate(2, 1000), _rate(1, 5000), _rate(1, 1000)]
    card = selectors.rate_card(rates)
    assert card.weight_breaks == [1000, 5000]
    assert [
        (zone, [(r.zone, r.max_weight_grams) if r else None for r in cells])
        for zone, cells in card.rows
    ] == [
        (1, [(1, 1000), (1, 5000)]),
        (2, [(2, 1000), None]),
    ]


def test_rate_card_of_no_rates_is_empty():
    card = selectors.rate_card([])
    assert (card.weight_breaks, card.rows) == ([], [])


def test_staff_purchase_orders_are_scoped_and_carry_no_totals(
    warehouse_staff, manager, warehouse, other_warehouse
):
    factories.PurchaseOrderFactory(number="PO-A", warehouse=warehouse)
    factories.PurchaseOrderFactory(number="PO-B", warehouse=other_warehouse)
    today = timezone.localdate()

    staff_orders = list(selectors.purchase_orders_for(warehouse_staff, today=today))
    assert [po.number for po in staff_orders] == ["PO-A"]
    assert not hasattr(staff_orders[0], "total")
    manager_orders = selectors.purchase_orders_for(manager, today=today)
    assert sorted(po.number for po in manager_orders) == ["PO-A", "PO-B"]


def test_a_received_order_is_never_late(manager, warehouse):
    past = timezone.localdate() - datetime.timedelta(days=10)
    factories.PurchaseOrderFactory(
        warehouse=warehouse, expected_date=past, status=PurchaseOrder.Status.RECEIVED
    )
    (order,) = selectors.purchase_orders_for(manager, today=timezone.localdate())
    assert order.is_late is False


def test_ending_within_counts_days_from_today(db):
    today = datetime.date(2026, 3, 1)
    factories.VendorContractFactory(
        number="C-IN", start_date=today, end_date=datetime.date(2026, 3, 31)
    )
    factories.VendorContractFactory(
        number="C-OUT", start_date=today, end_date=datetime.date(2026, 4, 1)
    )
    matching = VendorContract.objects.filter(selectors.ending_within_q(today, 30))
    assert [c.number for c in matching] == ["C-IN"]


def test_history_of_a_contract_never_changed_is_its_creation(db):
    contract = factories.VendorContractFactory()
    (entry,) = selectors.contract_history(contract)
    assert (entry.kind, entry.who, entry.changes) == ("Created", "system", [])
