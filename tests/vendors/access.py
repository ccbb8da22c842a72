"""Permission matrix rows for the vendor pages and API.

Warehouse staff see purchase orders of their own warehouses (to receive them) and nothing else
of this app: no vendors, contracts, carriers or prices.
"""

from django.core.files.base import ContentFile

from tests import factories
from tests.access import CONTRACTS, MANAGER, WAREHOUSE, rule
from tests.vendors.factories import pdf_bytes

VENDOR_READERS = (MANAGER, CONTRACTS)
PO_READERS = (MANAGER, CONTRACTS, WAREHOUSE)


def add_objects(world: dict) -> None:
    vendor = factories.VendorFactory(name="Matrix Supplies")
    factories.VendorContactFactory(vendor=vendor)
    contract = factories.VendorContractFactory(vendor=vendor, number="C-MATRIX")
    factories.ContractPriceFactory(contract=contract)
    contract.signed_document.save("matrix.pdf", ContentFile(pdf_bytes()), save=True)
    carrier = factories.CarrierFactory(code="MATRIXSHIP")
    rate = factories.ShippingRateFactory(service__carrier=carrier)
    purchase_order = factories.PurchaseOrderFactory(
        number="PO-MATRIX-A", vendor=vendor, warehouse=world["warehouse"]
    )
    factories.PurchaseOrderLineFactory(purchase_order=purchase_order)
    other_order = factories.PurchaseOrderFactory(
        number="PO-MATRIX-B", vendor=vendor, warehouse=world["other_warehouse"]
    )
    factories.PurchaseOrderLineFactory(purchase_order=other_order)
    world["vendors_vendor"] = vendor
    world["vendors_contract"] = contract
    world["vendors_carrier"] = carrier
    world["vendors_service"] = rate.service
    world["vendors_po"] = purchase_order
    world["vendors_other_po"] = other_order


_vendor = {"kwargs": lambda w: {"pk": w["vendors_vendor"].pk}}
_contract = {"kwargs": lambda w: {"pk": w["vendors_contract"].pk}}
_carrier = {"kwargs": lambda w: {"code": w["vendors_carrier"].code}}
_po = {
    "kwargs": lambda w: {"number": w["vendors_po"].number},
    "other_warehouse_kwargs": lambda w: {"number": w["vendors_other_po"].number},
}

_service = {"kwargs": lambda w: {"code": w["vendors_carrier"].code, "pk": w["vendors_service"].pk}}

MATRIX = {
    "vendors:vendor_list": rule(*VENDOR_READERS),
    "vendors:vendor_detail": rule(*VENDOR_READERS, **_vendor),
    "vendors:contract_list": rule(*VENDOR_READERS),
    "vendors:contract_detail": rule(*VENDOR_READERS, **_contract),
    "vendors:carrier_list": rule(*VENDOR_READERS),
    "vendors:carrier_detail": rule(*VENDOR_READERS, **_carrier),
    "vendors:purchaseorder_list": rule(*PO_READERS),
    "vendors:purchaseorder_detail": rule(*PO_READERS, **_po),
    # Writing: contract admins (and superusers) only; POST-only actions answer 405 to a GET.
    "vendors:vendor_create": rule(CONTRACTS),
    "vendors:vendor_edit": rule(CONTRACTS, **_vendor),
    "vendors:vendor_status": rule(CONTRACTS, **_vendor),
    "vendors:contract_create": rule(CONTRACTS),
    "vendors:contract_edit": rule(CONTRACTS, **_contract),
    "vendors:contract_history": rule(*VENDOR_READERS, **_contract),
    "vendors:contract_activate": rule(CONTRACTS, **_contract),
    "vendors:contract_terminate": rule(CONTRACTS, **_contract),
    "vendors:contract_renew": rule(CONTRACTS, **_contract),
    "vendors:contract_document": rule(*VENDOR_READERS, **_contract),
    "vendors:contract_document_upload": rule(CONTRACTS, **_contract),
    "vendors:carrier_create": rule(CONTRACTS),
    "vendors:carrier_edit": rule(CONTRACTS, **_carrier),
    "vendors:service_create": rule(CONTRACTS, **_carrier),
    "vendors:service_edit": rule(CONTRACTS, **_service),
    "vendors:rate_import": rule(CONTRACTS, **_carrier),
    "vendors:quote": rule(*VENDOR_READERS),
    "vendors:purchaseorder_create": rule(CONTRACTS),
    "vendors:purchaseorder_suggestions": rule(CONTRACTS),
    "vendors:purchaseorder_send": rule(CONTRACTS, **_po),
    "vendors:purchaseorder_cancel": rule(CONTRACTS, **_po),
    # Receiving is stock work: staff of the PO's warehouse (another warehouse's PO: 404).
    "vendors:purchaseorder_receive": rule(WAREHOUSE, **_po),
    "api:vendor-list": rule(*VENDOR_READERS),
    "api:vendor-detail": rule(*VENDOR_READERS, **_vendor),
    "api:contract-list": rule(*VENDOR_READERS),
    "api:contract-detail": rule(*VENDOR_READERS, **_contract),
    "api:carrier-list": rule(*VENDOR_READERS),
    "api:carrier-detail": rule(*VENDOR_READERS, **_carrier),
    "api:purchaseorder-list": rule(*PO_READERS),
    "api:purchaseorder-detail": rule(*PO_READERS, **_po),
    # POST-only actions: a GET answers 405 to those the read rule lets in. Who may POST (contract
    # admins; receive: staff of the PO's warehouse) is tested in test_api_writes.py.
    "api:vendor-status": rule(*VENDOR_READERS, **_vendor),
    "api:contract-activate": rule(*VENDOR_READERS, **_contract),
    "api:contract-renew": rule(*VENDOR_READERS, **_contract),
    "api:contract-terminate": rule(*VENDOR_READERS, **_contract),
    "api:carrier-services": rule(*VENDOR_READERS, **_carrier),
    "api:carrier-rate-import": rule(*VENDOR_READERS, **_carrier),
    "api:purchaseorder-send": rule(*PO_READERS, kwargs=_po["kwargs"]),
    "api:purchaseorder-receive": rule(*PO_READERS, kwargs=_po["kwargs"]),
    "api:purchaseorder-cancel": rule(*PO_READERS, kwargs=_po["kwargs"]),
}
