"""Vendors API: vendors, contracts, carriers with rate cards, purchase orders.

Reads for managers and contract admins (purchase orders also for warehouse staff of their
warehouses, without prices); writes for contract admins; receiving for warehouse staff. A
refused change is a 400 naming the field; a stale contract version or a status that does not
allow the action is a 409.

    common.py       roles, service errors → 400/409
    serializers.py  read shapes and write inputs
    views.py        the viewsets and their workflow actions
"""

from vendors.api.views import (
    CarrierViewSet,
    ContractViewSet,
    PurchaseOrderViewSet,
    VendorViewSet,
)

ROUTES = [
    ("vendors", VendorViewSet, "vendor"),
    ("contracts", ContractViewSet, "contract"),
    ("carriers", CarrierViewSet, "carrier"),
    ("purchase-orders", PurchaseOrderViewSet, "purchaseorder"),
]
