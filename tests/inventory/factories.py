"""Factories the shared tests/factories.py does not have yet (the ledger)."""

import factory

from inventory.models import StockMovement
from tests.factories import ProductFactory, WarehouseFactory


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A ledger row; tests write it directly because the stock services come in a later issue."""

    class Meta:
        model = StockMovement

    warehouse = factory.SubFactory(WarehouseFactory)
    product = factory.SubFactory(ProductFactory)
    kind = StockMovement.Kind.RECEIPT
    delta = 10
    on_hand_after = 10
    reason = "Initial receipt"
