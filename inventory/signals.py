"""Signals other apps listen to, since inventory imports no other app.

`stock_moved` is sent inside the transaction that wrote the movement, once per StockMovement
(kwargs: movement). A receiver that writes rows joins that transaction, so an error in it rolls
the stock change back too; a receiver that sends or renders anything must defer it with
`transaction.on_commit`.
"""

from django.dispatch import Signal

stock_moved = Signal()
