"""Transfers between warehouses: out at the source when shipped, in transit, in on receipt."""

import pytest
from django.core.exceptions import ValidationError

from inventory import services
from inventory.models import StockLevel, StockMovement, Transfer, TransferLine
from tests.factories import ProductFactory

Kind = StockMovement.Kind
Status = Transfer.Status


@pytest.fixture
def products(warehouse, manager):
    """Two products with 10 and 6 units on hand in WH-A."""
    bolts = ProductFactory(sku="BOLT")
    nuts = ProductFactory(sku="NUT")
    services.stock_receive(warehouse=warehouse, product=bolts, quantity=10, actor=manager)
    services.stock_receive(warehouse=warehouse, product=nuts, quantity=6, actor=manager)
    return bolts, nuts


@pytest.fixture
def draft(warehouse, other_warehouse, products, manager):
    bolts, nuts = products
    return services.transfer_create(
        source=warehouse,
        destination=other_warehouse,
        lines=[(bolts, 4), (nuts, 6)],
        actor=manager,
        note="Rebalance",
    )


def _counters(warehouse, product) -> tuple[int, int, int, int]:
    level = StockLevel.objects.get(warehouse=warehouse, product=product)
    return (level.on_hand, level.reserved, level.quarantined, level.in_transit)


def test_creating_a_transfer_moves_no_stock(draft, warehouse, products, manager):
    assert draft.status == Status.DRAFT
    assert draft.created_by == manager
    assert [(line.product.sku, line.quantity) for line in draft.lines.order_by("id")] == [
        ("BOLT", 4),
        ("NUT", 6),
    ]
    assert _counters(warehouse, products[0]) == (10, 0, 0, 0)
    assert StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).count() == 0


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("same", "destination", "Choose a warehouse other than the source."),
        ("inactive", "destination", "WH-B is not active."),
        ("empty", "lines", "Add at least one product."),
        ("twice", "lines", "Line 2: BOLT is already on the transfer."),
        ("zero", "lines", "Line 1: BOLT: Must be at least 1 (got 0)."),
    ],
)
def test_a_bad_transfer_names_its_field_and_saves_nothing(
    warehouse, other_warehouse, products, manager, case, field, message
):
    bolts, _ = products
    destination = warehouse if case == "same" else other_warehouse
    if case == "inactive":
        other_warehouse.is_active = False
        other_warehouse.save()
    lines = {
        "empty": [],
        "twice": [(bolts, 1), (bolts, 2)],
        "zero": [(bolts, 0)],
    }.get(case, [(bolts, 1)])
    with pytest.raises(ValidationError) as caught:
        services.transfer_create(
            source=warehouse, destination=destination, lines=lines, actor=manager
        )
    assert caught.value.message_dict[field] == [message]
    assert not Transfer.objects.exists()
    assert not TransferLine.objects.exists()


def test_shipping_takes_stock_out_and_puts_it_in_transit(
    draft, warehouse, other_warehouse, products, manager
):
    bolts, nuts = products
    shipped = services.transfer_ship(transfer=draft, actor=manager)
    assert (shipped.status, shipped.shipped_by) == (Status.IN_TRANSIT, manager)
    assert shipped.shipped_at is not None
    assert _counters(warehouse, bolts) == (6, 0, 0, 0)
    assert _counters(warehouse, nuts) == (0, 0, 0, 0)
    assert _counters(other_warehouse, bolts) == (0, 0, 0, 4)
    assert _counters(other_warehouse, nuts) == (0, 0, 0, 6)
    out = StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).order_by("product__sku")
    assert [(m.warehouse, m.delta, m.on_hand_after, m.reference) for m in out] == [
        (warehouse, -4, 6, draft),
        (warehouse, -6, 0, draft),
    ]
    assert not StockMovement.objects.filter(warehouse=other_warehouse).exists()


def test_a_transfer_ships_only_once(draft, manager):
    services.transfer_ship(transfer=draft, actor=manager)
    with pytest.raises(ValidationError) as caught:
        services.transfer_ship(transfer=draft, actor=manager)
    assert caught.value.error_dict["status"][0].code == services.INVALID_STATUS
    assert StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).count() == 2


def test_a_transfer_cannot_ship_reserved_stock(
    draft, warehouse, other_warehouse, products, manager
):
    _, nuts = products
    services.stock_reserve(warehouse=warehouse, product=nuts, quantity=1)
    with pytest.raises(ValidationError) as caught:
        services.transfer_ship(transfer=draft, actor=manager)
    assert caught.value.message_dict["lines"] == [
        "Only 5 of NUT in WH-A available, 6 needed (6 on hand, 1 reserved, 0 quarantined)."
    ]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert _counters(warehouse, products[0]) == (10, 0, 0, 0)
    assert not StockLevel.objects.filter(warehouse=other_warehouse, in_transit__gt=0).exists()
    assert not StockMovement.objects.filter(kind=Kind.TRANSFER_OUT).exists()


def test_a_partial_receipt_then_the_rest(draft, other_warehouse, products, manager):
    bolts, nuts = products
    services.transfer_ship(transfer=draft, actor=manager)
    partly = services.transfer_receive(transfer=draft, actor=manager, quantities={bolts.pk: 3})
    assert partly.status == Status.PARTIALLY_RECEIVED
    assert _counters(other_warehouse, bolts) == (3, 0, 0, 1)
    assert _counters(other_warehouse, nuts) == (0, 0, 0, 6)
    done = services.transfer_receive(transfer=draft, actor=manager)
    assert (done.status, done.received_by) == (Status.RECEIVED, manager)
    assert _counters(other_warehouse, bolts) == (4, 0, 0, 0)
    assert _counters(other_warehouse, nuts) == (6, 0, 0, 0)
    arrived = StockMovement.objects.filter(kind=Kind.TRANSFER_IN).order_by("id")
    assert [(m.product.sku, m.delta, m.on_hand_after) for m in arrived] == [
        ("BOLT", 3, 3),
        ("BOLT", 1, 4),
        ("NUT", 6, 6),
    ]
    assert list(draft.lines.values_list("received", flat=True).order_by("id")) == [4, 6]


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({"bolts": 5}, "BOLT: 5 arriving but only 4 outstanding."),
        ({"bolts": -1}, "BOLT: enter a whole number of 0 or more."),
        ({"stranger": 1}, "is not on TR-"),
        ({"bolts": 0}, "Enter a quantity to receive for at least one line."),
    ],
)
def test_a_bad_receipt_names_the_lines_and_saves_nothing(
    draft, other_warehouse, products, manager, quantities, message
):
    bolts, _ = products
    stranger = ProductFactory(sku="STRANGER")
    ids = {"bolts": bolts.pk, "stranger": stranger.pk}
    services.transfer_ship(transfer=draft, actor=manager)
    with pytest.raises(ValidationError) as caught:
        services.transfer_receive(
            transfer=draft,
            actor=manager,
            quantities={ids[name]: quantity for name, quantity in quantities.items()},
        )
    assert message in " ".join(caught.value.message_dict["lines"])
    draft.refresh_from_db()
    assert draft.status == Status.IN_TRANSIT
    assert _counters(other_warehouse, bolts) == (0, 0, 0, 4)
    assert not StockMovement.objects.filter(kind=Kind.TRANSFER_IN).exists()


def test_a_draft_cannot_be_received_and_a_shipped_one_cannot_be_cancelled(draft, manager):
    with pytest.raises(ValidationError, match="only a shipped transfer can be received"):
        services.transfer_receive(transfer=draft, actor=manager)
    services.transfer_ship(transfer=draft, actor=manager)
    with pytest.raises(ValidationError, match="only a draft can be cancelled"):
        services.transfer_cancel(transfer=draft, actor=manager)


def test_cancelling_a_draft_records_who(draft, manager):
    cancelled = services.transfer_cancel(transfer=draft, actor=manager)
    assert (cancelled.status, cancelled.cancelled_by) == (Status.CANCELLED, manager)
    with pytest.raises(ValidationError, match="only a draft can be shipped"):
        services.transfer_ship(transfer=draft, actor=manager)


def test_a_transfer_to_a_warehouse_that_stocks_the_product_adds_to_its_level(
    draft, other_warehouse, products, manager
):
    bolts, _ = products
    services.stock_receive(warehouse=other_warehouse, product=bolts, quantity=2, actor=manager)
    services.transfer_ship(transfer=draft, actor=manager)
    services.transfer_receive(transfer=draft, actor=manager)
    assert _counters(other_warehouse, bolts) == (6, 0, 0, 0)
    assert StockLevel.objects.filter(warehouse=other_warehouse, product=bolts).count() == 1
