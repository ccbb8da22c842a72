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


def stocked(warehouse, product=None, quantity: int = 50, *, bin: str = "", **level):
    """A product received into a warehouse through the services (ledger and level agree)."""
    from inventory import services

    product = product or ProductFactory()
    if quantity:
        services.stock_receive(warehouse=warehouse, product=product, quantity=quantity, actor=None)
    if bin or level:
        services.stock_level_configure(warehouse=warehouse, product=product, bin=bin, **level)
    return product


def counting_check(warehouse, products, *, by, blind: bool = True):
    """A manual product-list check of `products`, started (expected snapshotted)."""
    from inventory import checks
    from inventory.models import InventoryCheck

    created = checks.check_create(
        warehouse=warehouse,
        kind=InventoryCheck.Kind.PRODUCTS,
        created_by=by,
        products=products,
        blind=blind,
    )
    return checks.check_start(check=created.check, by=by)
