"""Factories the shared tests/factories.py lacks, and a ready-made order touching a warehouse."""

from __future__ import annotations

from dataclasses import dataclass

import factory

from inventory.models import Warehouse
from orders.models import (
    Allocation,
    Order,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from tests.factories import (
    AllocationFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)


class ShipmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentLine

    shipment = factory.SubFactory(ShipmentFactory)
    order_line = factory.SubFactory(OrderLineFactory)
    quantity = 1


class ReturnRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnRequest

    number = factory.Sequence(lambda n: f"RMA-{n:05d}")
    order = factory.SubFactory(OrderFactory)
    reason = "Arrived damaged"


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnLine

    return_request = factory.SubFactory(ReturnRequestFactory)
    order_line = factory.SubFactory(OrderLineFactory)
    quantity = 1


@dataclass
class PlacedOrder:
    order: Order
    line: OrderLine
    allocation: Allocation
    shipment: Shipment
    shipment_line: ShipmentLine


def order_in(
    warehouse: Warehouse, *, product=None, shipment_status=None, **order_fields
) -> PlacedOrder:
    """An order with one line (2 units, 1 allocated here) and a pending shipment of 1 unit here."""
    order = OrderFactory(**order_fields)
    line = OrderLineFactory(
        order=order, product=product or ProductFactory(), quantity=2, allocated=1
    )
    allocation = AllocationFactory(order_line=line, warehouse=warehouse, quantity=1)
    shipment = ShipmentFactory(
        order=order,
        warehouse=warehouse,
        status=shipment_status or Shipment.Status.PENDING,
    )
    shipment_line = ShipmentLineFactory(shipment=shipment, order_line=line, quantity=1)
    return PlacedOrder(order, line, allocation, shipment, shipment_line)
