"""Signals other apps listen to, since orders imports no higher app.

`shipment_packed` is sent by `orders.services.shipment_pack` inside its transaction once a
shipment is packed (kwargs: shipment). Quality listens to open pre-shipment inspections; a
receiver that writes rows joins the transaction, one that sends anything defers to on_commit.
"""

from django.dispatch import Signal

shipment_packed = Signal()
