"""inventory.services, one service at a time: what it writes, and what it refuses (nothing saved)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories import InventoryCheckFactory, ProductFactory

Kind = StockMovement.Kind
Reason = StockMovement.Reason


@pytest.fixture
def product(db):
    return ProductFactory(sku="SVC-1")


@pytest.fixture
def stocked(warehouse, product, manager):
    """20 on hand in WH-A, received through the service so the ledger matches."""
    services.stock_receive(warehouse=warehouse, product=product, quantity=20, actor=manager)
    return _level(warehouse, product)


def _level(warehouse, product) -> StockLevel:
    return StockLevel.objects.get(warehouse=warehouse, product=product)


def _counters(level: StockLevel) -> tuple[int, int, int, int]:
    level.refresh_from_db()
    return (level.on_hand, level.reserved, level.quarantined, level.in_transit)


def _ledger_total(warehouse, product) -> int:
    movements = StockMovement.objects.filter(warehouse=warehouse, product=product)
    return movements.aggregate(total=Sum("delta"))["total"] or 0


def _refused(field: str, call, code: str | None = None) -> ValidationError:
    """Run `call`, expect a ValidationError naming `field` (and carrying `code`, if given)."""
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    assert field in error.message_dict, error.message_dict
    if code is not None:
        assert [e.code for e in error.error_dict[field]] == [code]
    return error


# --- receipts ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_first_receipt_creates_the_level_and_writes_one_movement(warehouse, product, manager):
    check = InventoryCheckFactory(warehouse=warehouse)
    movement = services.stock_receive(
        warehouse=warehouse,
        product=product,
        quantity=12,
        actor=manager,
        reference=check,
        reason="PO 17",
    )
    level = _level(warehouse, product)
    assert _counters(level) == (12, 0, 0, 0)
    assert StockMovement.objects.count() == 1
    assert (movement.kind, movement.delta, movement.on_hand_after) == (Kind.RECEIPT, 12, 12)
    assert (movement.actor, movement.reason, movement.reference) == (manager, "PO 17", check)


def test_a_receipt_adds_to_existing_stock(stocked, warehouse, product, manager):
    movement = services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    assert _counters(stocked) == (25, 0, 0, 0)
    assert movement.on_hand_after == 25
    assert movement.actor is None
    assert _ledger_total(warehouse, product) == 25


@pytest.mark.parametrize("quantity", [0, -3, None, "5", 2.5, True])
def test_a_receipt_refuses_a_quantity_that_is_not_a_positive_whole_number(
    warehouse, product, manager, quantity
):
    _refused(
        "quantity",
        lambda: services.stock_receive(
            warehouse=warehouse, product=product, quantity=quantity, actor=manager
        ),
    )
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_reason_longer_than_the_ledger_holds_is_refused(warehouse, product, manager):
    _refused(
        "reason",
        lambda: services.stock_receive(
            warehouse=warehouse, product=product, quantity=1, actor=manager, reason="x" * 201
        ),
        code="max_length",
    )
    assert not StockMovement.objects.exists()


# --- shipments ---------------------------------------------------------------------------------


def test_shipping_consumes_the_reservation(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=8)
    movement = services.stock_ship(warehouse=warehouse, product=product, quantity=6, actor=manager)
    assert _counters(stocked) == (14, 2, 0, 0)
    assert (movement.kind, movement.delta, movement.on_hand_after) == (Kind.SHIPMENT, -6, 14)


def test_shipping_more_than_is_reserved_is_refused(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=3)
    error = _refused(
        "quantity",
        lambda: services.stock_ship(
            warehouse=warehouse, product=product, quantity=4, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert "Only 3 of SVC-1 in WH-A reserved" in error.messages[0]
    assert _counters(stocked) == (20, 3, 0, 0)
    assert StockMovement.objects.count() == 1


def test_an_unreserved_shipment_takes_only_available_stock(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=15)
    _refused(
        "quantity",
        lambda: services.stock_ship(
            warehouse=warehouse, product=product, quantity=6, actor=manager, from_reserved=False
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    services.stock_ship(
        warehouse=warehouse, product=product, quantity=5, actor=manager, from_reserved=False
    )
    assert _counters(stocked) == (15, 15, 0, 0)


def test_shipping_from_a_warehouse_without_the_product_is_refused(warehouse, product, manager):
    error = _refused(
        "quantity",
        lambda: services.stock_ship(
            warehouse=warehouse, product=product, quantity=1, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert error.messages == ["There is no stock of SVC-1 in WH-A."]
    assert not StockLevel.objects.exists()


# --- adjustments -------------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [7, -7])
def test_an_adjustment_moves_on_hand_with_its_reason_code(
    stocked, warehouse, product, manager, delta
):
    movement = services.stock_adjust(
        warehouse=warehouse,
        product=product,
        delta=delta,
        reason_code=Reason.DAMAGED,
        reason="Forklift",
        actor=manager,
    )
    assert _counters(stocked)[0] == 20 + delta
    assert (movement.kind, movement.delta, movement.reason_code, movement.reason) == (
        Kind.ADJUSTMENT,
        delta,
        Reason.DAMAGED,
        "Forklift",
    )
    assert _ledger_total(warehouse, product) == 20 + delta


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason_code": ""}, "reason_code"),
        ({"reason_code": "gremlins"}, "reason_code"),
        ({"delta": 0}, "delta"),
        ({"delta": None}, "delta"),
        ({"reason_code": Reason.OTHER, "reason": "  "}, "reason"),
        ({"delta": 3, "from_quarantine": True}, "delta"),
    ],
)
def test_a_bad_adjustment_names_its_field_and_saves_nothing(
    stocked, warehouse, product, manager, changes, field
):
    arguments = {
        "warehouse": warehouse,
        "product": product,
        "delta": -2,
        "reason_code": Reason.LOST,
        "actor": manager,
        **changes,
    }
    _refused(field, lambda: services.stock_adjust(**arguments))
    assert _counters(stocked) == (20, 0, 0, 0)
    assert StockMovement.objects.count() == 1


def test_an_adjustment_never_eats_into_reserved_stock(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=15)
    error = _refused(
        "delta",
        lambda: services.stock_adjust(
            warehouse=warehouse, product=product, delta=-6, reason_code=Reason.LOST, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert "Only 5 of SVC-1 in WH-A available, 6 needed" in error.messages[0]
    assert _counters(stocked) == (20, 15, 0, 0)


def test_a_write_off_from_quarantine_lowers_both(stocked, warehouse, product, manager):
    services.stock_quarantine(warehouse=warehouse, product=product, quantity=4, actor=manager)
    services.stock_adjust(
        warehouse=warehouse,
        product=product,
        delta=-3,
        reason_code=Reason.SCRAPPED,
        actor=manager,
        from_quarantine=True,
    )
    assert _counters(stocked) == (17, 0, 1, 0)


def test_a_positive_adjustment_of_an_unstocked_product_creates_its_level(
    warehouse, product, manager
):
    services.stock_adjust(
        warehouse=warehouse, product=product, delta=2, reason_code=Reason.FOUND, actor=manager
    )
    assert _counters(_level(warehouse, product)) == (2, 0, 0, 0)


# --- count corrections -------------------------------------------------------------------------


def test_a_count_sets_on_hand_to_the_counted_quantity(stocked, warehouse, product, manager):
    check = InventoryCheckFactory(warehouse=warehouse)
    movement = services.stock_count_correct(
        warehouse=warehouse, product=product, counted_on_hand=17, actor=manager, reference=check
    )
    assert (movement.kind, movement.delta, movement.on_hand_after) == (Kind.COUNT, -3, 17)
    assert movement.reference == check
    services.stock_count_correct(warehouse=warehouse, product=product, delta=2, actor=manager)
    assert _counters(stocked)[0] == 19
    assert _ledger_total(warehouse, product) == 19


def test_a_count_without_difference_writes_nothing(stocked, warehouse, product, manager):
    assert (
        services.stock_count_correct(
            warehouse=warehouse, product=product, counted_on_hand=20, actor=manager
        )
        is None
    )
    assert StockMovement.objects.count() == 1


def test_a_count_finds_stock_of_a_product_never_stocked_here(warehouse, product, manager):
    services.stock_count_correct(
        warehouse=warehouse, product=product, counted_on_hand=4, actor=manager
    )
    assert _counters(_level(warehouse, product)) == (4, 0, 0, 0)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "counted_on_hand"),
        ({"counted_on_hand": 3, "delta": 1}, "counted_on_hand"),
        ({"counted_on_hand": -1}, "counted_on_hand"),
        ({"counted_on_hand": "many"}, "counted_on_hand"),
        ({"delta": 1.5}, "delta"),
    ],
)
def test_a_bad_count_names_its_field(stocked, warehouse, product, manager, arguments, field):
    _refused(
        field,
        lambda: services.stock_count_correct(
            warehouse=warehouse, product=product, actor=manager, **arguments
        ),
    )
    assert _counters(stocked) == (20, 0, 0, 0)


def test_a_count_below_the_reserved_quantity_is_refused(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=10)
    _refused(
        "counted_on_hand",
        lambda: services.stock_count_correct(
            warehouse=warehouse, product=product, counted_on_hand=9, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert _counters(stocked) == (20, 10, 0, 0)


# --- returns, quarantine and release -----------------------------------------------------------


def test_a_return_goes_back_on_hand_or_into_quarantine(stocked, warehouse, product, manager):
    services.stock_return(warehouse=warehouse, product=product, quantity=2, actor=manager)
    movement = services.stock_return(
        warehouse=warehouse, product=product, quantity=3, actor=manager, quarantine=True
    )
    assert (movement.kind, movement.delta, movement.on_hand_after) == (Kind.RETURN, 3, 25)
    assert _counters(stocked) == (25, 0, 3, 0)


def test_quarantine_and_release_move_units_without_changing_on_hand(
    stocked, warehouse, product, manager
):
    held = services.stock_quarantine(
        warehouse=warehouse, product=product, quantity=6, actor=manager, reason="NC-7"
    )
    assert (held.kind, held.delta, held.on_hand_after) == (Kind.QUARANTINE, 0, 20)
    assert _counters(stocked) == (20, 0, 6, 0)
    freed = services.stock_release(warehouse=warehouse, product=product, quantity=4, actor=manager)
    assert (freed.kind, freed.delta) == (Kind.RELEASE, 0)
    assert _counters(stocked) == (20, 0, 2, 0)
    assert _ledger_total(warehouse, product) == 20


def test_reserved_units_cannot_be_quarantined(stocked, warehouse, product, manager):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=18)
    _refused(
        "quantity",
        lambda: services.stock_quarantine(
            warehouse=warehouse, product=product, quantity=3, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    _refused(
        "quantity",
        lambda: services.stock_release(
            warehouse=warehouse, product=product, quantity=1, actor=manager
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert _counters(stocked) == (20, 18, 0, 0)
    assert StockMovement.objects.count() == 1


# --- reservations ------------------------------------------------------------------------------


def test_a_reservation_writes_no_ledger_row(stocked, warehouse, product):
    assert services.stock_reserve(warehouse=warehouse, product=product, quantity=7) == 7
    assert _counters(stocked) == (20, 7, 0, 0)
    assert StockMovement.objects.count() == 1


def test_a_reservation_never_takes_more_than_is_available(stocked, warehouse, product, manager):
    services.stock_quarantine(warehouse=warehouse, product=product, quantity=5, actor=manager)
    error = _refused(
        "quantity",
        lambda: services.stock_reserve(warehouse=warehouse, product=product, quantity=16),
        code=services.INSUFFICIENT_STOCK,
    )
    assert "Only 15 of SVC-1 in WH-A available, 16 needed" in error.messages[0]
    assert (
        services.stock_reserve(warehouse=warehouse, product=product, quantity=16, partial=True)
        == 15
    )
    assert (
        services.stock_reserve(warehouse=warehouse, product=product, quantity=1, partial=True) == 0
    )
    assert _counters(stocked) == (20, 15, 5, 0)


def test_reserving_many_lines_is_all_or_nothing(stocked, warehouse, other_warehouse, product):
    scarce = ProductFactory(sku="SVC-2")
    services.stock_receive(warehouse=warehouse, product=scarce, quantity=2, actor=None)
    lines = [(warehouse.pk, product.pk, 5), (warehouse.pk, scarce.pk, 3)]
    _refused(
        "quantity",
        lambda: services.stock_reserve_many(lines=lines),
        code=services.INSUFFICIENT_STOCK,
    )
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0
    assert services.stock_reserve_many(
        lines=[*lines, (other_warehouse.pk, product.pk, 1)], partial=True
    ) == [5, 2, 0]
    assert _counters(stocked)[1] == 5
    assert _counters(_level(warehouse, scarce))[1] == 2


def test_the_same_level_twice_in_one_call_adds_up(stocked, warehouse, product):
    line = (warehouse.pk, product.pk, 12)
    assert services.stock_reserve_many(lines=[line, line], partial=True) == [12, 8]
    _refused("quantity", lambda: services.stock_reserve_many(lines=[line]))
    assert _counters(stocked)[1] == 20


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Give at least one line."),
        ([(1, 1, 2), (1, 1, 0)], "Line 2: quantity: Must be at least 1 (got 0)."),
        ([(1, 1)], "Line 1: expected (warehouse id, product id, quantity)."),
    ],
)
def test_bad_reservation_lines_are_named_by_number(db, lines, message):
    error = _refused("lines", lambda: services.stock_reserve_many(lines=lines))
    assert error.messages == [message]


def test_reserving_an_unknown_product_says_so(warehouse):
    error = _refused(
        "quantity", lambda: services.stock_reserve_many(lines=[(warehouse.pk, 999_999, 1)])
    )
    assert error.messages == ["There is no product with id 999999."]


def test_a_released_reservation_becomes_available_again(stocked, warehouse, product):
    services.stock_reserve(warehouse=warehouse, product=product, quantity=9)
    services.stock_release_reservation(warehouse=warehouse, product=product, quantity=4)
    assert _counters(stocked) == (20, 5, 0, 0)
    _refused(
        "quantity",
        lambda: services.stock_release_reservation(
            warehouse=warehouse, product=product, quantity=6
        ),
        code=services.INSUFFICIENT_STOCK,
    )
    assert _counters(stocked) == (20, 5, 0, 0)
    assert StockMovement.objects.count() == 1


def test_consuming_reservations_writes_one_shipment_per_line(stocked, warehouse, product, manager):
    other = ProductFactory(sku="SVC-2")
    services.stock_receive(warehouse=warehouse, product=other, quantity=4, actor=manager)
    lines = [(warehouse.pk, product.pk, 3), (warehouse.pk, other.pk, 4)]
    services.stock_reserve_many(lines=lines)
    check = InventoryCheckFactory(warehouse=warehouse)
    movements = services.stock_consume_many(lines=lines, actor=manager, reference=check)
    assert [(m.kind, m.delta, m.on_hand_after) for m in movements] == [
        (Kind.SHIPMENT, -3, 17),
        (Kind.SHIPMENT, -4, 0),
    ]
    assert all(m.pk and m.reference == check for m in movements)
    assert _counters(stocked) == (17, 0, 0, 0)
    _refused(  # nothing is reserved any more
        "quantity",
        lambda: services.stock_consume(
            warehouse=warehouse, product=product, quantity=1, actor=None
        ),
        code=services.INSUFFICIENT_STOCK,
    )


# --- the guards behind the checks --------------------------------------------------------------


def test_a_level_changed_behind_the_services_back_is_not_overwritten(stocked):
    """The conditional UPDATE repeats the check: a stale read cannot push a counter negative."""
    StockLevel.objects.filter(pk=stocked.pk).update(reserved=19)  # another writer, unseen
    stale = StockLevel.objects.select_related("warehouse", "product").get(pk=stocked.pk)
    stale.reserved = 0
    with pytest.raises(ValidationError) as caught:
        services._apply(stale, services._Delta(reserved=5))
    assert "changed meanwhile" in caught.value.messages[0]
    assert _counters(stocked) == (20, 19, 0, 0)


@pytest.mark.parametrize(
    "changes",
    [{"on_hand": -1}, {"reserved": -1}, {"quarantined": -1}, {"in_transit": -1}, {"reserved": 21}],
)
def test_the_database_refuses_impossible_counters(stocked, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=stocked.pk).update(**changes)


def test_a_refusal_inside_the_callers_transaction_undoes_only_itself(stocked, warehouse, product):
    """Orders catch "not enough stock" and go on (another warehouse, a backorder)."""
    other = ProductFactory(sku="SVC-2")
    with transaction.atomic():
        services.stock_reserve(warehouse=warehouse, product=product, quantity=2)
        with pytest.raises(ValidationError):  # the first line is written, then undone
            services.stock_reserve_many(
                lines=[(warehouse.pk, product.pk, 5), (warehouse.pk, other.pk, 1)]
            )
        assert _counters(stocked)[1] == 2
        assert services.stock_reserve(warehouse=warehouse, product=product, quantity=3) == 3
    assert _counters(stocked)[1] == 5


@pytest.mark.postgres
@pytest.mark.parametrize("template", ["_RESERVE_PARTIAL_SQL", "_RESERVE_EXACT_CTES"])
def test_the_prepared_reservation_plans_for_the_lines_it_has(db, template):
    """The intake's reservation is prepared once with a generic plan. Its wanted lines must
    reach the planner as that many rows (VALUES), not as unnest() of an array parameter, which
    a generic plan takes for 100 rows and answers with a hash of every stock level."""
    from django.db import connection

    sql = services._reserve_sql(getattr(services, template), 3)
    if template == "_RESERVE_EXACT_CTES":
        sql = f"WITH {sql} SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        placeholders = sql.count("%s")
        cursor.execute(
            "PREPARE reserve_plan AS " + sql % tuple(f"${n}" for n in range(1, placeholders + 1))
        )
        try:
            cursor.execute(
                f"EXPLAIN EXECUTE reserve_plan({', '.join(['1'] * (placeholders - 1))}, now())"
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE reserve_plan")
            cursor.execute("RESET plan_cache_mode")
    assert "Values Scan" in plan
    assert "rows=3 " in plan.split("Values Scan", 1)[1].split("\n", 1)[0]
    assert "Function Scan" not in plan
