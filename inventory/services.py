"""Every change of stock. The only code that writes StockLevel and StockMovement.

The rules every function here keeps:

- Each change of on-hand (receipt, shipment, adjustment, count correction, transfer out/in,
  return) and each move between available and quarantined writes exactly one StockMovement in
  the same transaction: `delta` is the change of on_hand (0 for quarantine and release) and
  `on_hand_after` the new on_hand, so per (warehouse, product) the deltas sum to on_hand.
- Reservations (`stock_reserve*`, `stock_release_reservation*`) change only `reserved` and write
  NO ledger row: on_hand does not move. The order's Allocation is their record. Consuming a
  reservation (`stock_consume*`, i.e. shipping it) writes a shipment movement.
- Locking: the stock rows a call touches are locked with ONE `SELECT … FOR UPDATE` in
  primary-key order (PostgreSQL), so two calls touching the same rows in any order cannot
  deadlock, and availability is re-read under the lock. Every write is a conditional
  `UPDATE … SET x = x ± n WHERE <the same check>` whose rowcount is verified: on SQLite (no
  FOR UPDATE; BEGIN IMMEDIATE serialises writers) that is the guard. The CHECK constraints are
  the last line of defence: an IntegrityError becomes a ValidationError.
- A missing stock level is created by the changes that add stock (INSERT … ON CONFLICT DO
  NOTHING against the unique (warehouse, product) constraint, then the locking read again), so
  two first receipts racing each other both land on one row.
- Bad input raises ValidationError naming the field before anything is written. "Not enough
  stock" carries the code `insufficient_stock` (the API answers 409 for it, 400 otherwise).
  Every function is atomic: when it raises, nothing it did is kept.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, NotSupportedError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from inventory.models import (
    Product,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    Warehouse,
)
from inventory.signals import stock_moved
from opsportal.db import prepared_cursor

INSUFFICIENT_STOCK = "insufficient_stock"
INVALID_STATUS = "invalid_status"

Key = tuple[int, int]  # (warehouse_id, product_id)
Line = tuple[int, int, int]  # (warehouse_id, product_id, quantity)
Kind = StockMovement.Kind
Actor = AbstractBaseUser | None

_REASON_MAX = StockMovement._meta.get_field("reason").max_length


# --- input checks ----------------------------------------------------------------------------


def _error(field: str, message: str, code: str | None = None) -> ValidationError:
    """A ValidationError naming its field; the code survives (a dict form would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _whole_number(value: object, field: str) -> int:
    if value is None or value == "":
        raise ValidationError({field: "This field is required: a whole number of units."})
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: f"Enter a whole number of units, not {value!r}."})
    return value


def _positive(value: object, field: str = "quantity") -> int:
    number = _whole_number(value, field)
    if number <= 0:
        raise _error(field, f"Must be at least 1 (got {number}).", "min_value")
    return number


def _text(value: str | None, field: str = "reason") -> str:
    text = (value or "").strip()
    if len(text) > _REASON_MAX:
        raise _error(
            field, f"At most {_REASON_MAX} characters (this has {len(text)}).", "max_length"
        )
    return text


def _lines(lines: Iterable[Sequence[int]]) -> list[Line]:
    """(warehouse_id, product_id, quantity) triples; quantities checked, named by line number."""
    parsed: list[Line] = []
    for number, line in enumerate(lines, start=1):
        try:
            warehouse_id, product_id, quantity = line
        except (TypeError, ValueError):
            raise ValidationError(
                {"lines": f"Line {number}: expected (warehouse id, product id, quantity)."}
            ) from None
        try:
            quantity = _positive(quantity, "quantity")
        except ValidationError as exc:
            raise _error(
                "lines", f"Line {number}: quantity: {exc.messages[0]}", "min_value"
            ) from None
        parsed.append((int(warehouse_id), int(product_id), quantity))
    if not parsed:
        raise ValidationError({"lines": "Give at least one line."})
    return parsed


# --- locking and writing ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Delta:
    """A change to the counters of one stock level."""

    on_hand: int = 0
    reserved: int = 0
    quarantined: int = 0
    in_transit: int = 0


def _select_locked(keys: set[Key]) -> dict[Key, StockLevel]:
    if not keys:
        return {}
    match = Q()
    for warehouse_id, product_id in sorted(keys):
        match |= Q(warehouse_id=warehouse_id, product_id=product_id)
    # ORDER BY pk: PostgreSQL locks rows in the order it returns them, so every caller takes
    # the locks in the same order. `of=self` leaves the warehouse and product rows unlocked.
    # SQLite ignores FOR UPDATE; there BEGIN IMMEDIATE already holds the write lock.
    rows = (
        StockLevel.objects.filter(match)
        .select_related("warehouse", "product")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    return {(level.warehouse_id, level.product_id): level for level in rows}


def _lock_levels(keys: Iterable[Key], *, create: Iterable[Key] = ()) -> dict[Key, StockLevel]:
    """Lock the levels of `keys` (one query, primary-key order); create missing `create` keys."""
    keys = set(keys)
    levels = _select_locked(keys)
    missing = set(create) - levels.keys()
    if missing:
        # ON CONFLICT DO NOTHING: a concurrent first receipt inserting the same row waits for
        # the other transaction, then leaves its row alone; the second read locks that row.
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse_id=w, product_id=p) for w, p in sorted(missing)],
            ignore_conflicts=True,
        )
        levels = _select_locked(keys)
    return levels


def _label(level: StockLevel) -> str:
    return f"{level.product.sku} in {level.warehouse.code}"


def _no_stock(key: Key, field: str) -> ValidationError:
    """The error for a level that does not exist (names looked up: this is the error path)."""
    warehouse = Warehouse.objects.filter(pk=key[0]).values_list("code", flat=True).first()
    if warehouse is None:
        return _error(field, f"There is no warehouse with id {key[0]}.", "does_not_exist")
    sku = Product.objects.filter(pk=key[1]).values_list("sku", flat=True).first()
    if sku is None:
        return _error(field, f"There is no product with id {key[1]}.", "does_not_exist")
    return _error(field, f"There is no stock of {sku} in {warehouse}.", INSUFFICIENT_STOCK)


def _shortfall(level: StockLevel, delta: _Delta) -> str | None:
    """What the change would break, said for a person; None when it is allowed."""
    after = {f.name: getattr(level, f.name) + getattr(delta, f.name) for f in fields(_Delta)}
    if after["on_hand"] < 0:
        return f"Only {level.on_hand} of {_label(level)} on hand, {-delta.on_hand} needed."
    if after["reserved"] < 0:
        return f"Only {level.reserved} of {_label(level)} reserved, {-delta.reserved} to release."
    if after["quarantined"] < 0:
        return (
            f"Only {level.quarantined} of {_label(level)} quarantined, "
            f"{-delta.quarantined} to release."
        )
    if after["in_transit"] < 0:
        return f"Only {level.in_transit} of {_label(level)} in transit."
    if after["reserved"] + after["quarantined"] > after["on_hand"]:
        needed = delta.reserved + delta.quarantined - delta.on_hand
        return (
            f"Only {level.available} of {_label(level)} available, {needed} needed "
            f"({level.on_hand} on hand, {level.reserved} reserved, "
            f"{level.quarantined} quarantined)."
        )
    return None


def _apply(level: StockLevel, delta: _Delta, *, field: str = "quantity") -> None:
    """Change one locked level: checked against the locked values, then a conditional UPDATE."""
    problem = _shortfall(level, delta)
    if problem:
        raise _error(field, problem, INSUFFICIENT_STOCK)
    guard = Q(pk=level.pk)
    for name in ("on_hand", "reserved", "quarantined", "in_transit"):
        change = getattr(delta, name)
        if change < 0:
            guard &= Q(**{f"{name}__gte": -change})
    needed = delta.reserved + delta.quarantined - delta.on_hand
    if needed > 0:
        guard &= Q(on_hand__gte=F("reserved") + F("quarantined") + needed)
    updates: dict = {
        f.name: F(f.name) + getattr(delta, f.name) for f in fields(_Delta) if getattr(delta, f.name)
    }
    updates["updated_at"] = timezone.now()
    try:
        changed = StockLevel.objects.filter(guard).update(**updates)
    except IntegrityError as exc:  # a CHECK constraint: the last line of defence
        raise _error(
            field,
            f"The stock of {_label(level)} does not allow this change; nothing was saved.",
            INSUFFICIENT_STOCK,
        ) from exc
    if changed != 1:
        raise _error(
            field,
            f"The stock of {_label(level)} changed meanwhile; nothing was saved. Try again.",
            INSUFFICIENT_STOCK,
        )
    for f in fields(_Delta):
        setattr(level, f.name, getattr(level, f.name) + getattr(delta, f.name))


def _reference(reference: models.Model | None) -> dict:
    if reference is None:
        return {"reference_type": None, "reference_id": ""}
    if reference.pk is None:
        raise ValueError("A stock movement can only refer to a saved object.")
    return {
        "reference_type": ContentType.objects.get_for_model(reference),
        "reference_id": str(reference.pk),
    }


def _movement(
    level: StockLevel,
    *,
    kind: str,
    delta: int,
    actor: Actor,
    reference: models.Model | None,
    reason: str = "",
    reason_code: str = "",
) -> StockMovement:
    """An unsaved ledger row for a level just changed (on_hand_after is its new on_hand)."""
    return StockMovement(
        warehouse_id=level.warehouse_id,
        product_id=level.product_id,
        delta=delta,
        kind=kind,
        reason=reason,
        reason_code=reason_code,
        actor=actor,
        on_hand_after=level.on_hand,
        **_reference(reference),
    )


def _change_one(
    *,
    warehouse: Warehouse,
    product: Product,
    delta: _Delta,
    kind: str,
    actor: Actor,
    reference: models.Model | None,
    reason: str,
    reason_code: str = "",
    field: str = "quantity",
) -> StockMovement:
    """Lock, check, change one level and write its one movement."""
    key = (warehouse.pk, product.pk)
    adds_stock = delta.on_hand > 0
    level = _lock_levels([key], create=[key] if adds_stock else []).get(key)
    if level is None:
        raise _no_stock(key, field)
    _apply(level, delta, field=field)
    movement = _movement(
        level,
        kind=kind,
        delta=delta.on_hand,
        actor=actor,
        reference=reference,
        reason=reason,
        reason_code=reason_code,
    )
    _record([movement])
    return movement


def _record(movements: list[StockMovement]) -> list[StockMovement]:
    """Saves ledger rows and tells listeners (inventory.signals.stock_moved) in the transaction."""
    if len(movements) == 1:
        movements[0].save()
    else:
        movements = StockMovement.objects.bulk_create(movements)
    for movement in movements:
        stock_moved.send(sender=StockMovement, movement=movement)
    return movements


# --- receipts, shipments, adjustments, counts, returns, quarantine ---------------------------


@transaction.atomic
def stock_receive(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reference: models.Model | None = None,
    reason: str = "",
) -> StockMovement:
    """Add received units to on-hand; writes a receipt movement (creates the level if missing)."""
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=_Delta(on_hand=_positive(quantity)),
        kind=Kind.RECEIPT,
        actor=actor,
        reference=reference,
        reason=_text(reason),
    )


@transaction.atomic
def stock_ship(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reference: models.Model | None = None,
    reason: str = "",
    from_reserved: bool = True,
) -> StockMovement:
    """Take shipped units off on-hand (and, by default, off reserved); writes a shipment movement.

    `from_reserved=False` ships unreserved available stock (a manual shipment, no order).
    """
    quantity = _positive(quantity)
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=_Delta(on_hand=-quantity, reserved=-quantity if from_reserved else 0),
        kind=Kind.SHIPMENT,
        actor=actor,
        reference=reference,
        reason=_text(reason),
    )


@transaction.atomic
def stock_adjust(
    *,
    warehouse: Warehouse,
    product: Product,
    delta: int,
    reason_code: str,
    actor: Actor,
    reason: str = "",
    reference: models.Model | None = None,
    from_quarantine: bool = False,
) -> StockMovement:
    """Correct on-hand by `delta` for a reason code; writes an adjustment movement.

    `from_quarantine=True` (negative delta only) writes off quarantined units, e.g. scrap after a
    failed inspection. Reservations are never reduced here: a negative adjustment larger than
    what is available is refused.
    """
    delta = _whole_number(delta, "delta")
    if delta == 0:
        raise ValidationError({"delta": "An adjustment must change the stock (not 0)."})
    if not reason_code:
        raise ValidationError({"reason_code": "Choose a reason code for the adjustment."})
    if reason_code not in StockMovement.Reason.values:
        raise ValidationError({"reason_code": f"{reason_code!r} is not a known reason code."})
    reason = _text(reason)
    if reason_code == StockMovement.Reason.OTHER and not reason:
        raise ValidationError({"reason": "Explain the adjustment when the reason is “Other”."})
    if from_quarantine and delta > 0:
        raise ValidationError({"delta": "Only a negative adjustment can write off quarantine."})
    change = _Delta(on_hand=delta, quarantined=delta if from_quarantine else 0)
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=change,
        kind=Kind.ADJUSTMENT,
        actor=actor,
        reference=reference,
        reason=reason,
        reason_code=reason_code,
        field="delta",
    )


@transaction.atomic
def stock_count_correct(
    *,
    warehouse: Warehouse,
    product: Product,
    actor: Actor,
    reference: models.Model | None = None,
    counted_on_hand: int | None = None,
    delta: int | None = None,
    reason: str = "",
) -> StockMovement | None:
    """Set on-hand to a counted quantity (or move it by `delta`); writes a count movement.

    Give exactly one of `counted_on_hand` and `delta`. With no difference nothing is written
    and None is returned.
    """
    if (counted_on_hand is None) == (delta is None):
        raise ValidationError(
            {"counted_on_hand": "Give either the counted quantity or the difference, not both."}
        )
    if counted_on_hand is not None:
        counted_on_hand = _whole_number(counted_on_hand, "counted_on_hand")
        if counted_on_hand < 0:
            raise ValidationError({"counted_on_hand": "A counted quantity cannot be negative."})
    else:
        delta = _whole_number(delta, "delta")
    reason = _text(reason)
    field = "counted_on_hand" if counted_on_hand is not None else "delta"
    key = (warehouse.pk, product.pk)
    adds_stock = (counted_on_hand or 0) > 0 or (delta or 0) > 0
    level = _lock_levels([key], create=[key] if adds_stock else []).get(key)
    if level is None:  # counted zero (or less) of something never stocked here
        if delta:
            raise _no_stock(key, field)
        return None
    difference = counted_on_hand - level.on_hand if counted_on_hand is not None else delta
    if difference == 0:
        return None
    _apply(level, _Delta(on_hand=difference), field=field)
    movement = _movement(
        level, kind=Kind.COUNT, delta=difference, actor=actor, reference=reference, reason=reason
    )
    _record([movement])
    return movement


@transaction.atomic
def stock_return(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reference: models.Model | None = None,
    reason: str = "",
    quarantine: bool = False,
) -> StockMovement:
    """Put returned units back on-hand (into quarantine if asked); writes a return movement."""
    quantity = _positive(quantity)
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=_Delta(on_hand=quantity, quarantined=quantity if quarantine else 0),
        kind=Kind.RETURN,
        actor=actor,
        reference=reference,
        reason=_text(reason),
    )


@transaction.atomic
def stock_quarantine(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reason: str = "",
    reference: models.Model | None = None,
) -> StockMovement:
    """Move available units into quarantine; writes a quarantine movement (delta 0)."""
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=_Delta(quarantined=_positive(quantity)),
        kind=Kind.QUARANTINE,
        actor=actor,
        reference=reference,
        reason=_text(reason),
    )


@transaction.atomic
def stock_release(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reason: str = "",
    reference: models.Model | None = None,
) -> StockMovement:
    """Release quarantined units back to available; writes a release movement (delta 0)."""
    return _change_one(
        warehouse=warehouse,
        product=product,
        delta=_Delta(quarantined=-_positive(quantity)),
        kind=Kind.RELEASE,
        actor=actor,
        reference=reference,
        reason=_text(reason),
    )


@transaction.atomic
def stock_level_configure(
    *,
    warehouse: Warehouse,
    product: Product,
    bin: str | None = None,
    reorder_point: int | None = None,
    safety_stock: int | None = None,
) -> StockLevel:
    """Set a level's bin, reorder point and safety stock (created if missing); no ledger row:
    none of the stock counters changes."""
    errors = {}
    for field, value in (("reorder_point", reorder_point), ("safety_stock", safety_stock)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            errors[field] = "A whole number of 0 or more."
    if bin is not None and len(bin) > StockLevel._meta.get_field("bin").max_length:
        errors["bin"] = f"At most {StockLevel._meta.get_field('bin').max_length} characters."
    if errors:
        raise ValidationError(errors)
    key = (warehouse.pk, product.pk)
    level = _lock_levels([key], create=[key])[key]
    changes = {
        name: value
        for name, value in (
            ("bin", bin),
            ("reorder_point", reorder_point),
            ("safety_stock", safety_stock),
        )
        if value is not None
    }
    if changes:
        StockLevel.objects.filter(pk=level.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(level, name, value)
    return level


# --- reservations (orders) -------------------------------------------------------------------


def stock_reserve_many(*, lines: Iterable[Sequence[int]], partial: bool = False) -> list[int]:
    """Reserve (warehouse_id, product_id, quantity) lines; returns the quantity reserved per line.

    Never reserves more than is available. `partial=False`: every line in full or nothing (a
    ValidationError, code insufficient_stock). `partial=True`: as much of each line as is
    available, possibly 0. Writes no ledger row (on-hand does not change).

    On PostgreSQL a partial reservation of distinct (warehouse, product) lines is one statement
    (`_RESERVE_PARTIAL_SQL`): order intake's hot path, where the ORM's lock, per-row UPDATE and
    savepoint cost ~7 ms of CPU an order.
    """
    parsed = _lines(lines)
    if (
        partial
        and connection.vendor == "postgresql"
        and len({(w, p) for w, p, _ in parsed}) == len(parsed)
    ):
        return _reserve_partial_sql(parsed)
    return _reserve_many(parsed, partial=partial)


# The levels wanted, locked in primary-key order (the LockRows step runs after the sort, so
# every caller takes them in the same order: no deadlock), with what each has available under
# the lock. The wanted lines are a VALUES list of their own length, not unnest() of arrays: the
# statement is prepared once with a generic plan, which takes unnest() of a parameter for 100
# rows and so hashed every stock level (a sequential scan per intake on catalogues up to some
# 50,000 levels); VALUES tells the planner how many there are, and it looks each one up by its
# unique index. Only quoted model metadata is formatted into these statements.
_LOCKED_CTES = """
want AS (
    SELECT * FROM (VALUES {values}) AS w(warehouse_id, product_id, quantity)
), locked AS (
    SELECT s.id, w.quantity, s.on_hand - s.reserved - s.quarantined AS available
    FROM {table} s JOIN want w USING (warehouse_id, product_id)
    ORDER BY s.id
    FOR UPDATE OF s
)"""

# Reserves min(wanted, available) of each; rows with nothing available are left alone. The
# CHECK constraints stay the last line of defence.
_RESERVE_PARTIAL_SQL = f"""
WITH {_LOCKED_CTES}
UPDATE {{table}} s
SET reserved = s.reserved + LEAST(l.quantity, l.available), updated_at = %s
FROM locked l
WHERE s.id = l.id AND l.available > 0
RETURNING s.warehouse_id, s.product_id, LEAST(l.quantity, l.available)
"""  # noqa: S608 - constant text


@functools.cache
def _reserve_sql(template: str, lines: int) -> str:
    """`template` for this many (warehouse, product, quantity) lines: one text per count, so
    each count is prepared once."""
    values = ", ".join(["(%s::bigint, %s::bigint, %s::integer)"] * lines)
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    return template.format(table=table, values=values)


def _reserve_partial_sql(parsed: list[Line]) -> list[int]:
    with prepared_cursor() as cursor:
        cursor.execute(
            _reserve_sql(_RESERVE_PARTIAL_SQL, len(parsed)),
            [*(value for line in parsed for value in line), timezone.now()],
        )
        got = {(w, p): units for w, p, units in cursor.fetchall()}
    return [got.get((w, p), 0) for w, p, _ in parsed]


# Reserves exactly the units asked, as CTEs for the head of a caller's statement (order
# intake writes an order and its reservation in one statement: `stock_reserve_ctes`). A
# shortfall breaks the CHECK constraint below and so fails the whole statement
# (`is_shortfall`), which then has changed nothing.
_RESERVE_EXACT_CTES = f"""{_LOCKED_CTES}, reserved AS (
    UPDATE {{table}} s
    SET reserved = s.reserved + l.quantity, updated_at = %s
    FROM locked l
    WHERE s.id = l.id
)"""  # noqa: S608 - constant text
SHORTFALL_CONSTRAINT = "stocklevel_reserved_quarantined_lte_on_hand"


def stock_reserve_ctes(*, lines: Iterable[Sequence[int]]) -> tuple[str, list]:
    """(CTEs, params) that reserve every (warehouse_id, product_id, quantity) line in full,
    for the head of one statement with the caller's writes (PostgreSQL only). All or nothing:
    when any line is short the statement fails with an IntegrityError for which `is_shortfall`
    is true, and nothing of it is kept. Every (warehouse, product) must have its stock level
    row (they are never deleted: PROTECT, and the admin refuses deletes). Writes no ledger row.
    """
    if connection.vendor != "postgresql":
        raise NotSupportedError("stock_reserve_ctes is for PostgreSQL.")
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for warehouse_id, product_id, quantity in _lines(lines):
        merged[(warehouse_id, product_id)] += quantity
    return _reserve_sql(_RESERVE_EXACT_CTES, len(merged)), [
        *(value for key, quantity in merged.items() for value in (*key, quantity)),
        timezone.now(),
    ]


def is_shortfall(error: IntegrityError) -> bool:
    """Did this error come from reserving more than was available (the CHECK constraint)?"""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == SHORTFALL_CONSTRAINT


@transaction.atomic
def _reserve_many(parsed: list[Line], *, partial: bool) -> list[int]:
    levels = _lock_levels({(w, p) for w, p, _ in parsed})
    reserved: list[int] = []
    for warehouse_id, product_id, quantity in parsed:
        level = levels.get((warehouse_id, product_id))
        if level is None:
            if not partial:
                raise _no_stock((warehouse_id, product_id), "quantity")
            reserved.append(0)
            continue
        take = min(quantity, max(level.available, 0)) if partial else quantity
        if take:
            _apply(level, _Delta(reserved=take))
        reserved.append(take)
    return reserved


def stock_reserve(
    *, warehouse: Warehouse, product: Product, quantity: int, partial: bool = False
) -> int:
    """Reserve units of one product in one warehouse; returns how many. Writes no ledger row."""
    return stock_reserve_many(lines=[(warehouse.pk, product.pk, quantity)], partial=partial)[0]


@transaction.atomic
def stock_release_reservation_many(*, lines: Iterable[Sequence[int]]) -> None:
    """Give reserved (warehouse_id, product_id, quantity) back to available. Writes no ledger row."""
    parsed = _lines(lines)
    levels = _lock_levels({(w, p) for w, p, _ in parsed})
    for warehouse_id, product_id, quantity in parsed:
        level = levels.get((warehouse_id, product_id))
        if level is None:
            raise _no_stock((warehouse_id, product_id), "quantity")
        _apply(level, _Delta(reserved=-quantity))


def stock_release_reservation(*, warehouse: Warehouse, product: Product, quantity: int) -> None:
    """Give reserved units of one product back to available. Writes no ledger row."""
    stock_release_reservation_many(lines=[(warehouse.pk, product.pk, quantity)])


@transaction.atomic
def stock_consume_many(
    *,
    lines: Iterable[Sequence[int]],
    actor: Actor,
    reference: models.Model | None = None,
    reason: str = "",
) -> list[StockMovement]:
    """Ship reserved (warehouse_id, product_id, quantity) lines; one shipment movement per line."""
    parsed = _lines(lines)
    reason = _text(reason)
    levels = _lock_levels({(w, p) for w, p, _ in parsed})
    movements = []
    for warehouse_id, product_id, quantity in parsed:
        level = levels.get((warehouse_id, product_id))
        if level is None:
            raise _no_stock((warehouse_id, product_id), "quantity")
        _apply(level, _Delta(on_hand=-quantity, reserved=-quantity))
        movements.append(
            _movement(
                level,
                kind=Kind.SHIPMENT,
                delta=-quantity,
                actor=actor,
                reference=reference,
                reason=reason,
            )
        )
    return _record(movements)


def stock_consume(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    actor: Actor,
    reference: models.Model | None = None,
    reason: str = "",
) -> StockMovement:
    """Ship reserved units (on-hand and reserved down); writes a shipment movement."""
    return stock_ship(
        warehouse=warehouse,
        product=product,
        quantity=quantity,
        actor=actor,
        reference=reference,
        reason=reason,
        from_reserved=True,
    )


# --- transfers -------------------------------------------------------------------------------


@transaction.atomic
def transfer_create(
    *,
    source: Warehouse,
    destination: Warehouse,
    lines: Sequence[tuple[Product, int]],
    actor: Actor,
    note: str = "",
) -> Transfer:
    """Create a draft transfer and its lines; moves no stock until it is shipped."""
    errors: dict[str, list[str]] = {}
    if source.pk == destination.pk:
        errors.setdefault("destination", []).append("Choose a warehouse other than the source.")
    elif not destination.is_active:
        errors.setdefault("destination", []).append(f"{destination.code} is not active.")
    if not source.is_active:
        errors.setdefault("source", []).append(f"{source.code} is not active.")
    seen: set[int] = set()
    for number, (product, quantity) in enumerate(lines, start=1):
        if product.pk in seen:
            errors.setdefault("lines", []).append(
                f"Line {number}: {product.sku} is already on the transfer."
            )
        seen.add(product.pk)
        try:
            _positive(quantity)
        except ValidationError as exc:
            errors.setdefault("lines", []).append(
                f"Line {number}: {product.sku}: {exc.messages[0]}"
            )
    if not lines:
        errors.setdefault("lines", []).append("Add at least one product.")
    if errors:
        raise ValidationError(errors)
    transfer = Transfer.objects.create(
        source=source, destination=destination, note=(note or "").strip(), created_by=actor
    )
    TransferLine.objects.bulk_create(
        [
            TransferLine(transfer=transfer, product=product, quantity=quantity)
            for product, quantity in lines
        ]
    )
    return transfer


def _status_error(transfer: Transfer, rule: str) -> ValidationError:
    status = transfer.get_status_display().lower()
    return _error("status", f"{transfer.number} is {status}; {rule}", INVALID_STATUS)


def _lock_transfer(transfer: Transfer) -> Transfer:
    # The transfer row first, stock rows after: every transfer service takes them in this order.
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("source", "destination")
        .get(pk=transfer.pk)
    )


@transaction.atomic
def transfer_ship(*, transfer: Transfer, actor: Actor) -> Transfer:
    """Ship a draft: transfer_out movements at the source, in_transit up at the destination."""
    transfer = _lock_transfer(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise _status_error(transfer, "only a draft can be shipped.")
    lines = list(transfer.lines.order_by("id"))
    sources = [(transfer.source_id, line.product_id) for line in lines]
    destinations = [(transfer.destination_id, line.product_id) for line in lines]
    levels = _lock_levels([*sources, *destinations], create=destinations)
    movements = []
    for line, source_key, destination_key in zip(lines, sources, destinations, strict=True):
        source = levels.get(source_key)
        if source is None:
            raise _no_stock(source_key, "lines")
        _apply(source, _Delta(on_hand=-line.quantity), field="lines")
        movements.append(
            _movement(
                source,
                kind=Kind.TRANSFER_OUT,
                delta=-line.quantity,
                actor=actor,
                reference=transfer,
                reason=f"To {transfer.destination.code}",
            )
        )
        _apply(levels[destination_key], _Delta(in_transit=line.quantity), field="lines")
    _record(movements)
    transfer.status = Transfer.Status.IN_TRANSIT
    transfer.shipped_by = actor
    transfer.shipped_at = timezone.now()
    transfer.save(update_fields=["status", "shipped_by", "shipped_at"])
    return transfer


@transaction.atomic
def transfer_receive(
    *, transfer: Transfer, actor: Actor, quantities: Mapping[int, int] | None = None
) -> Transfer:
    """Receive a shipped transfer at the destination: transfer_in movements, in_transit down.

    `quantities` maps product id → units arriving now (a partial receipt); None receives
    everything outstanding. The transfer is received when every line is.
    """
    transfer = _lock_transfer(transfer)
    if not transfer.is_open:
        raise _status_error(transfer, "only a shipped transfer can be received.")
    lines = list(transfer.lines.select_related("product").order_by("id"))
    arriving: dict[int, int] = {}
    if quantities is None:
        arriving = {line.pk: line.outstanding for line in lines if line.outstanding}
    else:
        by_product = {line.product_id: line for line in lines}
        errors = [
            f"Product id {product_id} is not on {transfer.number}."
            for product_id in quantities
            if product_id not in by_product
        ]
        for product_id, quantity in quantities.items():
            line = by_product.get(product_id)
            if line is None:
                continue
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                errors.append(f"{line.product.sku}: enter a whole number of 0 or more.")
            elif quantity > line.outstanding:
                errors.append(
                    f"{line.product.sku}: {quantity} arriving but only {line.outstanding} outstanding."
                )
            elif quantity:
                arriving[line.pk] = quantity
        if errors:
            raise ValidationError({"lines": errors})
    if not arriving:
        raise ValidationError({"lines": "Enter a quantity to receive for at least one line."})
    keys = [(transfer.destination_id, line.product_id) for line in lines if line.pk in arriving]
    levels = _lock_levels(keys, create=keys)
    movements = []
    for line in lines:
        quantity = arriving.get(line.pk)
        if not quantity:
            continue
        level = levels[(transfer.destination_id, line.product_id)]
        _apply(level, _Delta(on_hand=quantity, in_transit=-quantity), field="lines")
        movements.append(
            _movement(
                level,
                kind=Kind.TRANSFER_IN,
                delta=quantity,
                actor=actor,
                reference=transfer,
                reason=f"From {transfer.source.code}",
            )
        )
        TransferLine.objects.filter(pk=line.pk).update(received=F("received") + quantity)
        line.received += quantity
    _record(movements)
    complete = all(line.received == line.quantity for line in lines)
    transfer.status = Transfer.Status.RECEIVED if complete else Transfer.Status.PARTIALLY_RECEIVED
    transfer.received_by = actor
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_by", "received_at"])
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor: Actor) -> Transfer:
    """Cancel a draft transfer (nothing has moved yet: no ledger row); records who and when."""
    transfer = _lock_transfer(transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise _status_error(transfer, "only a draft can be cancelled.")
    transfer.status = Transfer.Status.CANCELLED
    transfer.cancelled_by = actor
    transfer.cancelled_at = timezone.now()
    transfer.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    return transfer
