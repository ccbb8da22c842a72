"""Counting a check: snapshot, movement-adjusted variance, recount, review, posting."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from inventory import checks, services
from inventory.models import InventoryCheck, InventoryCheckLine, StockLevel, StockMovement
from tests.factories import InventoryCheckFactory, ProductFactory
from tests.inventory.factories import counting_check, stocked

Status = InventoryCheck.Status
Decision = InventoryCheckLine.Decision


def _line(check, product) -> InventoryCheckLine:
    return InventoryCheckLine.objects.get(inventory_check=check, product=product)


def _on_hand(warehouse, product) -> int:
    return StockLevel.objects.get(warehouse=warehouse, product=product).on_hand


def _ledger_sum(warehouse, product) -> int:
    return sum(
        StockMovement.objects.filter(warehouse=warehouse, product=product).values_list(
            "delta", flat=True
        )
    )


def _codes(exc: pytest.ExceptionInfo) -> set[str]:
    return {error.code for errors in exc.value.error_dict.values() for error in errors}


@pytest.fixture
def product(warehouse):
    return stocked(warehouse, ProductFactory(sku="CNT-1", barcode="4000000999001"), 50)


# --- start --------------------------------------------------------------------------------------


def test_starting_snapshots_on_hand_last_ledger_row_and_cost(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    line = _line(check, product)
    last = StockMovement.objects.filter(warehouse=warehouse, product=product).latest("id")
    assert check.status == Status.COUNTING
    assert check.started_at is not None
    assert (line.expected, line.snapshot_movement_id) == (50, last.pk)
    assert line.unit_cost == Decimal("10.00")


def test_a_product_never_stocked_here_is_expected_at_zero(warehouse, manager):
    fresh = ProductFactory(sku="NEVER-1")
    check = counting_check(warehouse, [fresh], by=manager)
    line = _line(check, fresh)
    assert (line.expected, line.snapshot_movement_id) == (0, 0)


def test_only_a_planned_check_can_be_started(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    with pytest.raises(ValidationError) as exc:
        checks.check_start(check=check, by=manager)
    assert "invalid_status" in _codes(exc)
    assert "counting" in str(exc.value)


def test_a_planned_check_cannot_be_counted(warehouse, product, manager):
    created = checks.check_create(
        warehouse=warehouse, kind="products", created_by=manager, products=[product]
    )
    with pytest.raises(ValidationError) as exc:
        checks.check_count(check=created.check, by=manager, code="CNT-1", quantity=50)
    assert "planned" in str(exc.value)


# --- counting -----------------------------------------------------------------------------------


def test_picking_during_the_count_is_not_a_variance(warehouse, product, warehouse_staff):
    check = counting_check(warehouse, [product], by=warehouse_staff)
    # Picking goes on after the snapshot: 5 leave, 2 come back, before the shelf is counted.
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=5, actor=None, from_reserved=False
    )
    services.stock_return(warehouse=warehouse, product=product, quantity=2, actor=None)
    line = checks.check_count(check=check, by=warehouse_staff, code="CNT-1", quantity=47)
    assert (line.expected, line.moved_during_count, line.variance) == (50, -3, 0)
    assert line.book_quantity == 47
    assert line.within_tolerance is True
    assert line.counted_by == warehouse_staff


def test_movements_after_the_line_was_counted_do_not_change_its_variance(
    warehouse, product, manager
):
    check = counting_check(warehouse, [product], by=manager)
    checks.check_count(check=check, by=manager, code="CNT-1", quantity=49)
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=10, actor=None, from_reserved=False
    )
    line = _line(check, product)
    assert (line.variance, line.moved_during_count) == (-1, 0)
    result = checks.check_submit(check=check, by=manager)
    # Posted with the variance found, not the shelf's state at posting time.
    assert result.check.status == Status.POSTED
    assert _on_hand(warehouse, product) == 39
    assert _ledger_sum(warehouse, product) == 39


def test_count_corrections_during_the_count_are_not_movements(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    services.stock_count_correct(warehouse=warehouse, product=product, actor=None, delta=3)
    services.stock_receive(warehouse=warehouse, product=product, quantity=4, actor=None)
    line = checks.check_count(check=check, by=manager, code="CNT-1", quantity=54)
    assert line.moved_during_count == 4


def test_a_barcode_or_any_case_sku_finds_the_line(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    assert checks.check_count(check=check, by=manager, code=" cnt-1 ", quantity=1).counted == 1
    line = checks.check_count(check=check, by=manager, code="4000000999001", quantity=50)
    assert (line.counted, line.variance) == (50, 0)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Scan or type"),
        ("NOPE-404", "No product has the SKU or barcode “NOPE-404”"),
        ("OTHER-1", "OTHER-1 is not on count"),
    ],
)
def test_a_code_that_is_not_on_the_count_is_refused(warehouse, product, manager, code, message):
    ProductFactory(sku="OTHER-1")
    check = counting_check(warehouse, [product], by=manager)
    with pytest.raises(ValidationError) as exc:
        checks.check_count(check=check, by=manager, code=code, quantity=3)
    assert list(exc.value.error_dict) == ["code"]
    assert message in str(exc.value)
    assert _line(check, product).counted is None


@pytest.mark.parametrize("quantity", [None, "", -1, "7", 2.5, True])
def test_the_quantity_must_be_a_whole_number_of_zero_or_more(warehouse, product, manager, quantity):
    check = counting_check(warehouse, [product], by=manager)
    with pytest.raises(ValidationError) as exc:
        checks.check_count(check=check, by=manager, code="CNT-1", quantity=quantity)
    assert list(exc.value.error_dict) == ["quantity"]


def test_counting_again_before_submitting_replaces_the_count(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    checks.check_count(check=check, by=manager, code="CNT-1", quantity=5)
    line = checks.check_count(check=check, by=manager, code="CNT-1", quantity=50)
    assert (line.counted, line.variance, line.first_count) == (50, 0, None)


# --- submitting, recounts, review, posting ------------------------------------------------------


def test_submitting_needs_every_line_counted(warehouse, product, manager):
    other = stocked(warehouse, ProductFactory(sku="CNT-2"), 5)
    check = counting_check(warehouse, [product, other], by=manager)
    checks.check_count(check=check, by=manager, code="CNT-1", quantity=50)
    with pytest.raises(ValidationError) as exc:
        checks.check_submit(check=check, by=manager)
    assert "1 line still to count: CNT-2" in str(exc.value)
    check.refresh_from_db()
    assert check.status == Status.COUNTING


def test_a_count_within_tolerance_posts_without_a_manager(warehouse, product, warehouse_staff):
    check = counting_check(warehouse, [product], by=warehouse_staff)
    checks.check_count(check=check, by=warehouse_staff, code="CNT-1", quantity=48)
    result = checks.check_submit(check=check, by=warehouse_staff)
    assert (result.recount, result.to_review) == (0, 0)
    check.refresh_from_db()
    assert check.status == Status.POSTED
    assert check.approved_by is None
    line = _line(check, product)
    assert line.decision == Decision.APPROVED
    assert (line.correction.kind, line.correction.delta) == (StockMovement.Kind.COUNT, -2)
    assert line.correction.reference == check
    assert _on_hand(warehouse, product) == 48 == _ledger_sum(warehouse, product)


def test_a_variance_beyond_tolerance_asks_for_one_recount(warehouse, product, warehouse_staff):
    other = stocked(warehouse, ProductFactory(sku="CNT-2"), 5)
    check = counting_check(warehouse, [product, other], by=warehouse_staff)
    checks.check_count(check=check, by=warehouse_staff, code="CNT-1", quantity=40)
    checks.check_count(check=check, by=warehouse_staff, code="CNT-2", quantity=5)
    result = checks.check_submit(check=check, by=warehouse_staff)
    assert (result.recount, result.to_review) == (1, 0)
    check.refresh_from_db()
    assert check.status == Status.COUNTING
    line = _line(check, product)
    assert (line.recount, line.first_count, line.first_variance, line.counted) == (
        True,
        40,
        -10,
        None,
    )
    assert checks.check_progress(check) == (0, 1)
    # The recount round counts only the lines asked for.
    with pytest.raises(ValidationError) as exc:
        checks.check_count(check=check, by=warehouse_staff, code="CNT-2", quantity=6)
    assert "only the lines asked for a recount" in str(exc.value)
    # Found the rest: the recount is within tolerance and the check posts.
    checks.check_count(check=check, by=warehouse_staff, code="CNT-1", quantity=49)
    result = checks.check_submit(check=check, by=warehouse_staff)
    assert result.check.status == Status.POSTED
    assert _on_hand(warehouse, product) == 49
    assert _line(check, product).first_count == 40


def test_the_value_threshold_asks_for_a_recount_too(warehouse, manager):
    dear = stocked(warehouse, ProductFactory(sku="DEAR-1", unit_cost=Decimal("60.00")), 10)
    check = counting_check(warehouse, [dear], by=manager)
    line = checks.check_count(check=check, by=manager, code="DEAR-1", quantity=8)
    # 2 units is within the 2-unit tolerance, but 120.00 is over the 100.00 value tolerance.
    assert line.within_tolerance is False
    assert checks.check_submit(check=check, by=manager).recount == 1


def _in_review(warehouse, product, by) -> InventoryCheck:
    check = counting_check(warehouse, [product], by=by)
    checks.check_count(check=check, by=by, code="CNT-1", quantity=40)
    checks.check_submit(check=check, by=by)
    checks.check_count(check=check, by=by, code="CNT-1", quantity=42)
    result = checks.check_submit(check=check, by=by)
    assert (result.to_review, result.check.status) == (1, Status.REVIEW)
    return result.check


def test_a_second_variance_waits_for_a_manager(warehouse, product, warehouse_staff, manager):
    check = _in_review(warehouse, product, warehouse_staff)
    line = _line(check, product)
    assert (line.decision, line.first_count, line.counted, line.variance) == (
        Decision.PENDING,
        40,
        42,
        -8,
    )
    with pytest.raises(ValidationError) as exc:
        checks.check_post(check=check, by=manager)
    assert "CNT-1 waits for a decision" in str(exc.value)
    assert _on_hand(warehouse, product) == 50


def test_an_approved_variance_is_posted_to_the_ledger(warehouse, product, warehouse_staff, manager):
    check = _in_review(warehouse, product, warehouse_staff)
    assert checks.check_decide(check=check, by=manager, approve=True) == 1
    posted = checks.check_post(check=check, by=manager)
    assert (posted.status, posted.approved_by) == (Status.POSTED, manager)
    line = _line(check, product)
    assert (line.decision, line.decided_by) == (Decision.APPROVED, manager)
    assert line.correction.delta == -8
    assert line.correction.actor == manager
    assert "counted 42, book 50" in line.correction.reason
    assert _on_hand(warehouse, product) == 42 == _ledger_sum(warehouse, product)


def test_a_rejected_variance_leaves_the_stock_alone(warehouse, product, warehouse_staff, manager):
    check = _in_review(warehouse, product, warehouse_staff)
    line = _line(check, product)
    assert checks.check_decide(check=check, by=manager, approve=False, line_ids=[line.pk]) == 1
    checks.check_post(check=check, by=manager)
    assert _line(check, product).correction is None
    assert _on_hand(warehouse, product) == 50
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).exists()


def test_deciding_names_lines_that_are_not_waiting(warehouse, product, warehouse_staff, manager):
    check = _in_review(warehouse, product, warehouse_staff)
    with pytest.raises(ValidationError) as exc:
        checks.check_decide(check=check, by=manager, approve=True, line_ids=[999999])
    assert "line 999999" in str(exc.value)
    assert _line(check, product).decision == Decision.PENDING


def test_posting_is_all_or_nothing(warehouse, product, warehouse_staff, manager):
    short = stocked(warehouse, ProductFactory(sku="CNT-3"), 10)
    check = counting_check(warehouse, [product, short], by=warehouse_staff)
    for code, found in (("CNT-1", 30), ("CNT-3", 0)):
        checks.check_count(check=check, by=warehouse_staff, code=code, quantity=found)
    checks.check_submit(check=check, by=warehouse_staff)
    for code, found in (("CNT-1", 30), ("CNT-3", 0)):
        checks.check_count(check=check, by=warehouse_staff, code=code, quantity=found)
    checks.check_submit(check=check, by=warehouse_staff)
    checks.check_decide(check=check, by=manager, approve=True)
    # Meanwhile CNT-3's ten units are reserved for an order: writing them off is refused.
    services.stock_reserve(warehouse=warehouse, product=short, quantity=10)
    with pytest.raises(ValidationError):
        checks.check_post(check=check, by=manager)
    check.refresh_from_db()
    assert check.status == Status.REVIEW
    assert _on_hand(warehouse, product) == 50  # CNT-1's correction was rolled back as well
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).exists()


def test_an_open_check_can_be_cancelled_and_then_nothing_more(warehouse, product, manager):
    check = counting_check(warehouse, [product], by=manager)
    assert checks.check_cancel(check=check, by=manager).status == Status.CANCELLED
    with pytest.raises(ValidationError):
        checks.check_cancel(check=check, by=manager)
    with pytest.raises(ValidationError):
        checks.check_count(check=check, by=manager, code="CNT-1", quantity=1)


def test_starting_assigns_an_unassigned_check_to_the_staff_member(
    warehouse, product, warehouse_staff
):
    check = InventoryCheckFactory(warehouse=warehouse)
    InventoryCheckLine.objects.create(inventory_check=check, product=product)
    started = checks.check_start(check=check, by=warehouse_staff)
    assert started.assigned_to == warehouse_staff


def test_a_check_in_review_without_decisions_gets_them_when_decided(warehouse, product, manager):
    """Checks in review from before decisions were recorded (seeded or imported)."""
    check = InventoryCheckFactory(warehouse=warehouse, status=Status.REVIEW)
    close = InventoryCheckLine.objects.create(
        inventory_check=check, product=product, expected=50, counted=49, variance=-1
    )
    far = InventoryCheckLine.objects.create(
        inventory_check=check,
        product=stocked(warehouse, ProductFactory(sku="FAR-1"), 20),
        expected=20,
        counted=10,
        variance=-10,
    )
    assert checks.review_lines(check) == [far]
    with pytest.raises(ValidationError):
        checks.check_post(check=check, by=manager)
    assert checks.check_decide(check=check, by=manager, approve=True) == 1
    checks.check_post(check=check, by=manager)
    close.refresh_from_db()
    far.refresh_from_db()
    assert (close.decision, close.correction.delta) == (Decision.APPROVED, -1)
    assert far.correction.delta == -10
