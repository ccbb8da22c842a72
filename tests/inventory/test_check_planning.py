"""Planning daily checks (A daily, B weekly, C every four weeks) and checks made by hand."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from inventory import checks, tasks
from inventory.models import InventoryCheck, InventoryCheckLine, Product
from opsportal import roles
from tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory, user_with_role
from tests.inventory.factories import stocked

DAY = datetime.date(2026, 11, 23)
A, B, C = Product.AbcClass.A, Product.AbcClass.B, Product.AbcClass.C


def _catalogue(warehouse, abc_class: str, count: int) -> list[Product]:
    products = ProductFactory.create_batch(count, abc_class=abc_class)
    for product in products:
        StockLevelFactory(warehouse=warehouse, product=product)
    return products


def _planned(check) -> set[int]:
    return set(check.lines.values_list("product_id", flat=True))


def test_a_items_daily_b_weekly_c_every_four_weeks_spread_evenly(warehouse):
    a_items = _catalogue(warehouse, A, 3)
    b_items = _catalogue(warehouse, B, 14)
    c_items = _catalogue(warehouse, C, 56)
    per_day = []
    seen_b: dict[int, int] = {}
    seen_c: dict[int, int] = {}
    for offset in range(28):
        day = DAY + datetime.timedelta(days=offset)
        check = checks.check_plan_daily(warehouse=warehouse, day=day)
        planned = _planned(check)
        assert {p.pk for p in a_items} <= planned
        for product in b_items:
            seen_b[product.pk] = seen_b.get(product.pk, 0) + (product.pk in planned)
        for product in c_items:
            seen_c[product.pk] = seen_c.get(product.pk, 0) + (product.pk in planned)
        per_day.append(len(planned))
        # Close the day's count so tomorrow's plan is not held back by it.
        InventoryCheck.objects.filter(pk=check.pk).update(status=InventoryCheck.Status.POSTED)
    assert set(seen_b.values()) == {4}  # weekly: 4 times in 28 days
    assert set(seen_c.values()) == {1}  # once in the cycle
    # Even work: every day 3 A + 2 B + 2 C.
    assert per_day == [7] * 28


def test_planning_twice_the_same_day_creates_nothing_new(warehouse, warehouse_staff):
    _catalogue(warehouse, A, 2)
    first = checks.check_plan_daily(warehouse=warehouse, day=DAY)
    assert first is not None
    assert checks.check_plan_daily(warehouse=warehouse, day=DAY) is None
    assert InventoryCheck.objects.count() == 1
    assert first.planned_on == DAY
    assert first.scheduled_for == DAY
    assert first.kind == InventoryCheck.Kind.SCHEDULED
    assert first.blind is True
    assert first.assigned_to == warehouse_staff


def test_products_in_an_open_check_are_not_planned_again(warehouse, manager):
    busy, free = _catalogue(warehouse, A, 2)
    checks.check_create(warehouse=warehouse, kind="products", created_by=manager, products=[busy])
    check = checks.check_plan_daily(warehouse=warehouse, day=DAY)
    assert _planned(check) == {free.pk}


def test_nothing_due_or_an_inactive_warehouse_plans_nothing(warehouse):
    closed = WarehouseFactory(code="WH-Z", is_active=False)
    _catalogue(closed, A, 2)
    assert checks.check_plan_daily(warehouse=warehouse, day=DAY) is None
    assert checks.check_plan_daily(warehouse=closed, day=DAY) is None
    assert not InventoryCheck.objects.exists()


def test_inactive_products_are_not_planned(warehouse):
    (active,) = _catalogue(warehouse, A, 1)
    (retired,) = _catalogue(warehouse, A, 1)
    Product.objects.filter(pk=retired.pk).update(is_active=False)
    assert _planned(checks.check_plan_daily(warehouse=warehouse, day=DAY)) == {active.pk}


def test_lines_carry_the_bin_in_walking_order(warehouse):
    far = stocked(warehouse, ProductFactory(sku="FAR", abc_class=A), 5, bin="Z-09")
    near = stocked(warehouse, ProductFactory(sku="NEAR", abc_class=A), 5, bin="A-01")
    check = checks.check_plan_daily(warehouse=warehouse, day=DAY)
    lines = list(check.lines.order_by("bin").values_list("product_id", "bin"))
    assert lines == [(near.pk, "A-01"), (far.pk, "Z-09")]


def test_checks_go_to_the_least_loaded_counter(warehouse, other_warehouse):
    ann = user_with_role(roles.WAREHOUSE_STAFF, username="ann")
    bob = user_with_role(roles.WAREHOUSE_STAFF, username="bob")
    elsewhere = user_with_role(roles.WAREHOUSE_STAFF, username="aaron")
    manager = user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    warehouse.staff.add(ann, bob, manager)
    other_warehouse.staff.add(elsewhere)
    _catalogue(warehouse, A, 3)
    first = checks.check_plan_daily(warehouse=warehouse, day=DAY)
    assert first.assigned_to == ann  # nobody has work yet: by username
    # ann has 3 lines to count, bob none.
    stocked(warehouse, ProductFactory(sku="NEW-1"), 2)
    second = checks.check_create(warehouse=warehouse, kind="full", created_by=manager)
    assert second.check.assigned_to == bob
    # bob has 1 line, ann 3: bob again, until he carries as much as ann.
    stocked(warehouse, ProductFactory(sku="NEW-2"), 2)
    third = checks.check_create(warehouse=warehouse, kind="full", created_by=manager)
    assert third.check.assigned_to == bob
    # Counted lines are not load: once ann has counted hers, she is the least loaded.
    checks.check_start(check=first, by=ann)
    for line in first.lines.select_related("product"):
        checks.check_count(check=first, by=ann, code=line.product.sku, quantity=100)
    stocked(warehouse, ProductFactory(sku="NEW-3"), 2)
    fourth = checks.check_create(warehouse=warehouse, kind="full", created_by=manager)
    assert fourth.check.assigned_to == ann


def test_the_task_plans_every_active_warehouse_once(warehouse, other_warehouse):
    _catalogue(warehouse, A, 1)
    _catalogue(other_warehouse, A, 1)
    WarehouseFactory(code="WH-OFF", is_active=False)
    created = tasks.check_plan_daily_task()
    assert len(created) == 2
    assert tasks.check_plan_daily_task() == []
    assert InventoryCheck.objects.filter(planned_on__isnull=False).count() == 2


# --- by hand ------------------------------------------------------------------------------------


def test_a_location_check_takes_the_bins_under_the_prefix(warehouse, manager):
    inside = stocked(warehouse, ProductFactory(sku="IN-1"), 3, bin="A-01-2")
    stocked(warehouse, ProductFactory(sku="OUT-1"), 3, bin="A-02-1")
    created = checks.check_create(
        warehouse=warehouse, kind="location", location="a-01", created_by=manager
    )
    assert _planned(created.check) == {inside.pk}
    assert created.check.location == "a-01"
    assert created.check.created_by == manager
    assert created.check.planned_on is None


def test_a_whole_warehouse_check_leaves_out_products_in_open_checks(warehouse, manager):
    busy = stocked(warehouse, ProductFactory(sku="BUSY-1"), 3)
    free = stocked(warehouse, ProductFactory(sku="FREE-1"), 3)
    checks.check_create(warehouse=warehouse, kind="products", created_by=manager, products=[busy])
    created = checks.check_create(warehouse=warehouse, kind="full", created_by=manager)
    assert _planned(created.check) == {free.pk}
    assert created.left_out == ["BUSY-1"]


def test_a_product_list_may_name_unstocked_products(warehouse, manager):
    new = ProductFactory(sku="NEW-1")
    created = checks.check_create(
        warehouse=warehouse, kind="products", created_by=manager, products=[new]
    )
    assert _planned(created.check) == {new.pk}


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": "products"}, "products", "at least one product"),
        ({"kind": "location"}, "location", "bin prefix"),
        ({"kind": "location", "location": "Q-"}, "location", "Nothing is stocked in Q-"),
        ({"kind": "scheduled"}, "kind", "Choose"),
    ],
)
def test_a_check_by_hand_names_what_is_wrong(warehouse, manager, kwargs, field, message):
    stocked(warehouse, ProductFactory(), 3, bin="A-01")
    with pytest.raises(ValidationError) as exc:
        checks.check_create(warehouse=warehouse, created_by=manager, **kwargs)
    assert field in exc.value.error_dict
    assert message in str(exc.value)
    assert not InventoryCheckLine.objects.exists()


def test_a_counter_from_another_warehouse_cannot_be_assigned(warehouse, other_warehouse, manager):
    stranger = user_with_role(roles.WAREHOUSE_STAFF, username="stranger")
    other_warehouse.staff.add(stranger)
    product = stocked(warehouse, ProductFactory(), 3)
    with pytest.raises(ValidationError) as exc:
        checks.check_create(
            warehouse=warehouse,
            kind="products",
            created_by=manager,
            products=[product],
            assigned_to=stranger,
        )
    assert "not warehouse staff of WH-A" in str(exc.value)
