"""inventory.signals.stock_moved: one signal per ledger row, inside the writing transaction."""

import pytest
from django.db import transaction

from inventory import services
from inventory.models import StockMovement
from inventory.signals import stock_moved
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    seen: list[tuple[StockMovement, bool]] = []

    def listener(sender, movement, **kwargs):
        seen.append((movement, transaction.get_connection().in_atomic_block))

    stock_moved.connect(listener, dispatch_uid="test-listener")
    yield seen
    stock_moved.disconnect(dispatch_uid="test-listener")


def test_it_signals_each_saved_movement_inside_the_transaction(received):
    warehouse = factories.WarehouseFactory()
    product = factories.ProductFactory()

    services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    services.stock_reserve(warehouse=warehouse, product=product, quantity=2)
    services.stock_consume(warehouse=warehouse, product=product, quantity=2, actor=None)

    kinds = [movement.kind for movement, _ in received]
    assert kinds == [StockMovement.Kind.RECEIPT, StockMovement.Kind.SHIPMENT]
    assert all(movement.pk for movement, _ in received)
    assert all(in_atomic for _, in_atomic in received)


def test_a_failing_listener_rolls_the_stock_change_back(received):
    warehouse = factories.WarehouseFactory()
    product = factories.ProductFactory()

    def broken(sender, movement, **kwargs):
        raise RuntimeError("listener failed")

    stock_moved.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            services.stock_receive(warehouse=warehouse, product=product, quantity=5, actor=None)
    finally:
        stock_moved.disconnect(dispatch_uid="test-broken")
    assert not StockMovement.objects.filter(product=product).exists()
