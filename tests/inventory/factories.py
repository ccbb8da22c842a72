"""Factories the shared tests/factories.py does not have: the ledger and transfers."""

import factory

from inventory.models import StockMovement, Transfer, TransferLine
from tests.factories import ProductFactory, WarehouseFactory


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A bare ledger row for read-only tests (lists, filters); stock changes use the services."""

    class Meta:
        model = StockMovement

    warehouse = factory.SubFactory(WarehouseFactory)
    product = factory.SubFactory(ProductFactory)
    kind = StockMovement.Kind.RECEIPT
    delta = 10
    on_hand_after = 10
    reason = "Initial receipt"


class TransferFactory(factory.django.DjangoModelFactory):
    """A draft transfer (no stock moved); ship it with inventory.services.transfer_ship."""

    class Meta:
        model = Transfer

    source = factory.SubFactory(WarehouseFactory)
    destination = factory.SubFactory(WarehouseFactory)


class TransferLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferLine

    transfer = factory.SubFactory(TransferFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 5
