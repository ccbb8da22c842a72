"""Quality's listeners on lower apps' signals (connected in QualityConfig.ready).

Both run inside the transaction that moved the stock or packed the shipment, so the inspection
is created, or not, together with it.
"""

from __future__ import annotations

from typing import Any

from inventory.models import StockMovement


def on_stock_moved(sender: Any, movement: StockMovement, **kwargs: Any) -> None:
    if movement.kind != StockMovement.Kind.RECEIPT:
        return  # the common case costs nothing
    from quality.services.inspections import inspections_for_receipt

    inspections_for_receipt(movement=movement)


def on_shipment_packed(sender: Any, shipment: Any, **kwargs: Any) -> None:
    from quality.services.inspections import inspections_for_shipment

    inspections_for_shipment(shipment=shipment)


def connect() -> None:
    from inventory.signals import stock_moved
    from orders.signals import shipment_packed

    stock_moved.connect(on_stock_moved, dispatch_uid="quality.inspections.receipt")
    shipment_packed.connect(on_shipment_packed, dispatch_uid="quality.inspections.pre_shipment")
