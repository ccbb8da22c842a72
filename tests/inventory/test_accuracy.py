"""Inventory record accuracy per warehouse, per counter and per week (for pages and the KPI
dashboard): share of lines within tolerance and value accuracy, over posted counts."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from inventory import checks, selectors
from opsportal import roles
from tests.factories import ProductFactory, user_with_role
from tests.inventory.factories import counting_check, stocked


def _counted(warehouse, by, found: dict, *, manager=None):
    """A posted count: found maps product → quantity counted (recount the same)."""
    check = counting_check(warehouse, list(found), by=by)
    for product, quantity in found.items():
        checks.check_count(check=check, by=by, code=product.sku, quantity=quantity)
    result = checks.check_submit(check=check, by=by)
    if result.recount:
        for product, quantity in found.items():
            if check.lines.filter(product=product, recount=True).exists():
                checks.check_count(check=check, by=by, code=product.sku, quantity=quantity)
        result = checks.check_submit(check=check, by=by)
    if result.to_review:
        checks.check_decide(check=check, by=manager, approve=True)
        checks.check_post(check=check, by=manager)
    return check


def test_accuracy_per_warehouse_counter_and_week(
    warehouse, other_warehouse, warehouse_staff, manager
):
    bob = user_with_role(roles.WAREHOUSE_STAFF, username="bob")
    other_warehouse.staff.add(bob)
    # WH-A: 4 lines of 10 units at 10.00: three right, one 5 short (beyond the 2-unit tolerance).
    products = [stocked(warehouse, ProductFactory(unit_cost="10.00"), 10) for _ in range(4)]
    found = {products[0]: 10, products[1]: 10, products[2]: 9, products[3]: 5}
    _counted(warehouse, warehouse_staff, found, manager=manager)
    # WH-B: one line, exact.
    single = stocked(other_warehouse, ProductFactory(unit_cost="2.00"), 50)
    _counted(other_warehouse, bob, {single: 50}, manager=manager)

    by_warehouse = {row.key: row for row in selectors.record_accuracy()}
    a, b = by_warehouse["WH-A"], by_warehouse["WH-B"]
    assert (a.lines, a.within_tolerance, a.line_accuracy) == (4, 3, 75.0)
    # Book value 400.00, |variance| 1 + 5 units × 10.00 = 60.00 → 85 %.
    assert (a.book_value, a.variance_value, a.value_accuracy) == (
        Decimal("400.00"),
        Decimal("60.00"),
        85.0,
    )
    assert (b.lines, b.line_accuracy, b.value_accuracy) == (1, 100.0, 100.0)

    by_counter = {row.key: row for row in selectors.accuracy_by_counter()}
    assert by_counter["picker"].lines == 4
    assert by_counter["bob"].line_accuracy == 100.0

    total = selectors.record_accuracy_total()
    assert (total.lines, total.within_tolerance) == (5, 4)
    only_b = selectors.record_accuracy_total(warehouse_ids=[other_warehouse.pk])
    assert only_b.lines == 1

    weeks = selectors.accuracy_over_time(weeks=4)
    assert len(weeks) == 4
    assert weeks[-1].key == timezone.localdate() - datetime.timedelta(
        days=timezone.localdate().weekday()
    )
    assert weeks[-1].lines == 5
    assert [week.lines for week in weeks[:-1]] == [0, 0, 0]


def test_open_cancelled_and_rejected_lines_are_not_counted(warehouse, warehouse_staff, manager):
    product = stocked(warehouse, ProductFactory(), 10)
    open_check = counting_check(warehouse, [product], by=warehouse_staff)
    checks.check_count(check=open_check, by=warehouse_staff, code=product.sku, quantity=10)
    assert selectors.record_accuracy_total().lines == 0
    checks.check_cancel(check=open_check, by=manager)
    # A rejected line: counted 0 twice, the manager did not trust it.
    check = counting_check(warehouse, [product], by=warehouse_staff)
    for _ in range(2):
        checks.check_count(check=check, by=warehouse_staff, code=product.sku, quantity=0)
        checks.check_submit(check=check, by=warehouse_staff)
    checks.check_decide(check=check, by=manager, approve=False)
    checks.check_post(check=check, by=manager)
    assert selectors.record_accuracy_total().lines == 0


def test_a_date_range_limits_the_lines(warehouse, warehouse_staff, manager):
    product = stocked(warehouse, ProductFactory(), 10)
    _counted(warehouse, warehouse_staff, {product: 10}, manager=manager)
    today = timezone.localdate()
    assert selectors.record_accuracy_total(since=today).lines == 1
    assert selectors.record_accuracy_total(until=today - datetime.timedelta(days=1)).lines == 0


def test_the_check_pages_show_accuracy(manager_client, warehouse, warehouse_staff, manager):
    products = [stocked(warehouse, ProductFactory(unit_cost="10.00"), 10) for _ in range(2)]
    check = _counted(warehouse, warehouse_staff, {products[0]: 10, products[1]: 4}, manager=manager)
    body = manager_client.get(reverse("inventory:check_list")).content.decode()
    assert "<strong>50.0 %</strong> of 2 counted lines within tolerance" in body
    assert 'data-testid="accuracy-chart"' in body
    assert body.count("<rect ") == 12
    detail = manager_client.get(reverse("inventory:check_detail", kwargs={"pk": check.pk}))
    assert "1 of 2 (50.0 %)" in detail.content.decode()
