"""Inventory API: warehouses, products (+ availability), stock levels, the ledger (read;
receipts and adjustments written through the services), transfers and counts.

Scoped like the pages (warehouse staff see and act in their warehouses only); unit costs only
for managers; a blind count's expected quantity and variance never leave the server for anyone
else, and while a blind count is open its counters do not read the on-hand of the products
under count. Writes call the services: a refused change is a 400 naming the field, or a 409
when the stock or the status does not allow it right now.

    common.py       roles, service errors → 400/409
    serializers.py  every serializer
    views.py        warehouses, products, stock levels, movements, transfers
    checks.py       inventory checks and their workflow actions
"""

from inventory.api.checks import InventoryCheckViewSet
from inventory.api.views import (
    ProductViewSet,
    StockLevelViewSet,
    StockMovementViewSet,
    TransferViewSet,
    WarehouseViewSet,
)

ROUTES = [
    ("warehouses", WarehouseViewSet, "warehouse"),
    ("products", ProductViewSet, "product"),
    ("stock-levels", StockLevelViewSet, "stocklevel"),
    ("movements", StockMovementViewSet, "movement"),
    ("checks", InventoryCheckViewSet, "inventorycheck"),
    ("transfers", TransferViewSet, "transfer"),
]
