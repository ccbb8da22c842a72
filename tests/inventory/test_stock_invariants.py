"""The stock invariants under random sequences of every stock service (a hypothesis state machine).

Random receipts, reservations (full and partial), releases, shipments, adjustments, counts,
returns, quarantine and release, and transfers (shipped, received in parts) on 2 warehouses ×
2 products. The machine keeps its own model of every counter and predicts which calls must be
refused. After EVERY step it checks, in the database:

- the counters equal the model; on_hand ≥ 0 and reserved + quarantined ≤ on_hand;
- per (warehouse, product) the ledger's deltas sum to on_hand and the latest on_hand_after is
  on_hand (one aggregate query);
- in_transit equals what open transfers still have on the way (one aggregate query).

Runs on SQLite and on PostgreSQL. Each example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inventory import services
from inventory.models import StockLevel, StockMovement, Transfer, TransferLine
from tests.factories import ProductFactory, WarehouseFactory

WAREHOUSES = 2
PRODUCTS = 2
COUNTERS = ("on_hand", "reserved", "quarantined", "in_transit")

warehouse_index = st.integers(0, WAREHOUSES - 1)
product_index = st.integers(0, PRODUCTS - 1)
quantity = st.integers(1, 12)


class StockMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # One savepoint per example inside the test's transaction, rolled back at teardown.
        self._example = transaction.atomic()
        self._example.__enter__()
        self.model: dict[tuple[int, int], dict[str, int]] = {}
        self.open_transfers: list[int] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    @initialize()
    def create_the_world(self) -> None:
        self.warehouses = [WarehouseFactory(code=f"HYP-{n}") for n in range(WAREHOUSES)]
        self.products = [ProductFactory(sku=f"HYP-SKU-{n}") for n in range(PRODUCTS)]

    # --- helpers --------------------------------------------------------------------------

    def _key(self, w: int, p: int) -> tuple[int, int]:
        return (self.warehouses[w].pk, self.products[p].pk)

    def _counters(self, w: int, p: int) -> dict[str, int]:
        return self.model.get(self._key(w, p), dict.fromkeys(COUNTERS, 0))

    def _change(self, w: int, p: int, **changes: int) -> None:
        counters = self.model.setdefault(self._key(w, p), dict.fromkeys(COUNTERS, 0))
        for name, change in changes.items():
            counters[name] += change

    def _available(self, w: int, p: int) -> int:
        c = self._counters(w, p)
        return c["on_hand"] - c["reserved"] - c["quarantined"]

    def _stock(self, w: int, p: int) -> dict:
        return {"warehouse": self.warehouses[w], "product": self.products[p]}

    @staticmethod
    def _expect_refusal(call, code: str = services.INSUFFICIENT_STOCK) -> None:
        with pytest.raises(ValidationError) as refused:
            call()
        codes = {e.code for errors in refused.value.error_dict.values() for e in errors}
        assert codes == {code}, refused.value

    # --- rules ----------------------------------------------------------------------------

    @rule(w=warehouse_index, p=product_index, q=quantity)
    def receive(self, w, p, q):
        services.stock_receive(**self._stock(w, p), quantity=q, actor=None)
        self._change(w, p, on_hand=q)

    @rule(w=warehouse_index, p=product_index, q=quantity, take_part=st.booleans())
    def reserve(self, w, p, q, take_part):
        available = self._available(w, p)
        call = partial(services.stock_reserve, **self._stock(w, p), quantity=q, partial=take_part)
        if take_part:
            expected = min(q, available)
            assert call() == expected
            if expected:
                self._change(w, p, reserved=expected)
        elif available >= q:
            assert call() == q
            self._change(w, p, reserved=q)
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, p=product_index, q=quantity)
    def release_reservation(self, w, p, q):
        call = partial(services.stock_release_reservation, **self._stock(w, p), quantity=q)
        if self._counters(w, p)["reserved"] >= q:
            call()
            self._change(w, p, reserved=-q)
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, p=product_index, q=quantity)
    def ship_reserved(self, w, p, q):
        call = partial(services.stock_consume, **self._stock(w, p), quantity=q, actor=None)
        if self._counters(w, p)["reserved"] >= q:
            call()
            self._change(w, p, on_hand=-q, reserved=-q)
        else:
            self._expect_refusal(call)

    @rule(
        w=warehouse_index,
        p=product_index,
        delta=st.integers(-12, 12).filter(bool),
        reason_code=st.sampled_from(StockMovement.Reason.values),
    )
    def adjust(self, w, p, delta, reason_code):
        call = partial(
            services.stock_adjust,
            **self._stock(w, p),
            delta=delta,
            reason_code=reason_code,
            reason="hyp",
            actor=None,
        )
        if delta > 0 or self._available(w, p) >= -delta:
            call()
            self._change(w, p, on_hand=delta)
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, p=product_index, counted=st.integers(0, 30))
    def count(self, w, p, counted):
        c = self._counters(w, p)
        call = partial(
            services.stock_count_correct, **self._stock(w, p), counted_on_hand=counted, actor=None
        )
        if counted >= c["reserved"] + c["quarantined"]:
            movement = call()
            assert (movement is None) == (counted == c["on_hand"])
            self._change(w, p, on_hand=counted - c["on_hand"])
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, p=product_index, q=quantity, quarantine=st.booleans())
    def customer_return(self, w, p, q, quarantine):
        services.stock_return(**self._stock(w, p), quantity=q, actor=None, quarantine=quarantine)
        self._change(w, p, on_hand=q, quarantined=q if quarantine else 0)

    @rule(w=warehouse_index, p=product_index, q=quantity)
    def quarantine(self, w, p, q):
        call = partial(services.stock_quarantine, **self._stock(w, p), quantity=q, actor=None)
        if self._available(w, p) >= q:
            call()
            self._change(w, p, quarantined=q)
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, p=product_index, q=quantity)
    def release_quarantine(self, w, p, q):
        call = partial(services.stock_release, **self._stock(w, p), quantity=q, actor=None)
        if self._counters(w, p)["quarantined"] >= q:
            call()
            self._change(w, p, quarantined=-q)
        else:
            self._expect_refusal(call)

    @rule(w=warehouse_index, quantities=st.lists(st.integers(0, 8), min_size=2, max_size=2))
    def ship_transfer(self, w, quantities):
        destination = (w + 1) % WAREHOUSES
        lines = [(self.products[p], q) for p, q in enumerate(quantities) if q]
        if not lines:
            return
        transfer = services.transfer_create(
            source=self.warehouses[w],
            destination=self.warehouses[destination],
            lines=lines,
            actor=None,
        )
        call = partial(services.transfer_ship, transfer=transfer, actor=None)
        if all(self._available(w, p) >= q for p, q in enumerate(quantities)):
            call()
            for p, q in enumerate(quantities):
                if q:
                    self._change(w, p, on_hand=-q)
                    self._change(destination, p, in_transit=q)
            self.open_transfers.append(transfer.pk)
        else:
            self._expect_refusal(call)

    @precondition(lambda self: self.open_transfers)
    @rule(pick=st.integers(0, 100), data=st.data())
    def receive_transfer(self, pick, data):
        transfer = Transfer.objects.get(pk=self.open_transfers[pick % len(self.open_transfers)])
        lines = list(transfer.lines.all())
        arriving = {
            line.product_id: data.draw(st.integers(0, line.outstanding), label="arriving")
            for line in lines
        }
        if not any(arriving.values()):
            arriving = None  # everything outstanding
        received = services.transfer_receive(transfer=transfer, actor=None, quantities=arriving)
        w = self.warehouses.index(transfer.destination)
        for line in lines:
            q = line.outstanding if arriving is None else arriving[line.product_id]
            p = next(i for i, product in enumerate(self.products) if product.pk == line.product_id)
            self._change(w, p, on_hand=q, in_transit=-q)
        if received.status == Transfer.Status.RECEIVED:
            self.open_transfers.remove(transfer.pk)

    # --- invariants, checked after every step --------------------------------------------

    @invariant()
    def counters_match_the_model_and_the_rules(self):
        rows = {
            (w, p): dict(zip(COUNTERS, counters, strict=True))
            for w, p, *counters in StockLevel.objects.values_list(
                "warehouse_id", "product_id", *COUNTERS
            )
        }
        for key in rows.keys() | self.model.keys():
            actual = rows.get(key, dict.fromkeys(COUNTERS, 0))
            assert actual == self.model.get(key, dict.fromkeys(COUNTERS, 0)), key
            assert actual["on_hand"] >= 0
            assert actual["reserved"] >= 0
            assert actual["quarantined"] >= 0
            assert actual["in_transit"] >= 0
            assert actual["reserved"] + actual["quarantined"] <= actual["on_hand"]

    @invariant()
    def the_ledger_sums_to_on_hand(self):
        movements = StockMovement.objects.filter(
            warehouse_id=OuterRef("warehouse_id"), product_id=OuterRef("product_id")
        ).order_by()
        total = movements.values("warehouse_id").annotate(total=Sum("delta")).values("total")
        latest = movements.order_by("-created_at", "-id").values("on_hand_after")[:1]
        zero = Value(0, output_field=IntegerField())
        wrong = (
            StockLevel.objects.annotate(
                ledger=Coalesce(Subquery(total), zero),
                last_after=Coalesce(Subquery(latest), zero),
            )
            .filter(~Q(on_hand=F("ledger")) | ~Q(on_hand=F("last_after")))
            .values_list("warehouse_id", "product_id", "on_hand", "ledger", "last_after")
        )
        assert list(wrong) == []

    @invariant()
    def in_transit_is_what_open_transfers_still_have_on_the_way(self):
        on_the_way = (
            TransferLine.objects.filter(
                transfer__destination_id=OuterRef("warehouse_id"),
                product_id=OuterRef("product_id"),
                transfer__status__in=[
                    Transfer.Status.IN_TRANSIT,
                    Transfer.Status.PARTIALLY_RECEIVED,
                ],
            )
            .order_by()
            .values("product_id")
            .annotate(total=Sum(F("quantity") - F("received")))
            .values("total")
        )
        wrong = (
            StockLevel.objects.annotate(
                expected=Coalesce(Subquery(on_the_way), Value(0, output_field=IntegerField()))
            )
            .exclude(in_transit=F("expected"))
            .values_list("warehouse_id", "product_id", "in_transit", "expected")
        )
        assert list(wrong) == []


@pytest.mark.smoke
@pytest.mark.django_db
def test_stock_invariants_hold_after_every_step():
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            database=None,  # no example files written into the checkout
            derandomize=False,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
