"""Permission matrix rows for the inventory pages and API."""

from tests.access import CONTRACTS, MANAGER, WAREHOUSE, rule
from tests.factories import (
    InventoryCheckFactory,
    InventoryCheckLineFactory,
    ProductFactory,
    StockLevelFactory,
    WarehouseFactory,
)
from tests.inventory.factories import StockMovementFactory, TransferFactory, TransferLineFactory


def add_objects(world: dict) -> None:
    product = ProductFactory(sku="INV-MATRIX-1", name="Matrix widget")
    world["inventory_product"] = product
    counted = ProductFactory(sku="INV-MATRIX-COUNTED", name="Matrix widget under count")
    for key, warehouse in (("", world["warehouse"]), ("_other", world["other_warehouse"])):
        world[f"inventory_level{key}"] = StockLevelFactory(warehouse=warehouse, product=product)
        world[f"inventory_movement{key}"] = StockMovementFactory(
            warehouse=warehouse, product=product
        )
        # Counted: another product, so the open blind count hides nothing the rows above test.
        check = InventoryCheckFactory(warehouse=warehouse)
        InventoryCheckLineFactory(inventory_check=check, product=counted, expected=100)
        world[f"inventory_check{key}"] = check
    # A transfer touching the staff member's warehouse, and one between two others.
    third = WarehouseFactory(code="WH-C", name="Capital City")
    world["inventory_transfer"] = TransferFactory(
        source=world["warehouse"], destination=world["other_warehouse"]
    )
    world["inventory_transfer_other"] = TransferFactory(
        source=world["other_warehouse"], destination=third
    )
    for transfer in (world["inventory_transfer"], world["inventory_transfer_other"]):
        TransferLineFactory(transfer=transfer, product=product)


def _pk(name: str) -> dict:
    return {
        "kwargs": lambda w: {"pk": w[f"inventory_{name}"].pk},
        "other_warehouse_kwargs": lambda w: {"pk": w[f"inventory_{name}_other"].pk},
    }


_warehouse = {
    "kwargs": lambda w: {"code": w["warehouse"].code},
    "other_warehouse_kwargs": lambda w: {"code": w["other_warehouse"].code},
}
_product = {"kwargs": lambda w: {"sku": w["inventory_product"].sku}}

# Stock (levels, ledger, counts) is for managers and warehouse staff; contract admins read
# only the catalogue and the warehouses, which purchase orders need.
STOCK = (MANAGER, WAREHOUSE)
CATALOGUE = (MANAGER, WAREHOUSE, CONTRACTS)

MATRIX = {
    "inventory:stock_list": rule(*STOCK),
    "inventory:product_list": rule(*CATALOGUE),
    "inventory:product_detail": rule(*CATALOGUE, **_product),
    "inventory:warehouse_list": rule(*CATALOGUE),
    "inventory:warehouse_detail": rule(*CATALOGUE, **_warehouse),
    "inventory:check_list": rule(*STOCK),
    "inventory:check_detail": rule(*STOCK, **_pk("check")),
    "inventory:check_create": rule(MANAGER),
    # The count screen: staff of the check's warehouse and managers; another warehouse's
    # check is a 404 for staff.
    "inventory:check_count": rule(*STOCK, **_pk("check")),
    "inventory:check_review": rule(MANAGER, **_pk("check")),
    # POST-only (405 on GET to those let in); wrong-warehouse POSTs: test_check_pages.py.
    "inventory:check_start": rule(*STOCK, kwargs=_pk("check")["kwargs"]),
    "inventory:check_submit": rule(*STOCK, kwargs=_pk("check")["kwargs"]),
    "inventory:check_cancel": rule(MANAGER, kwargs=_pk("check")["kwargs"]),
    "inventory:product_abc": rule(MANAGER, **_product),
    "inventory:low_stock_list": rule(*STOCK),
    "inventory:replenishment_list": rule(MANAGER),
    "inventory:movement_list": rule(*STOCK),
    "inventory:stock_adjust": rule(*STOCK, **_product),
    "inventory:stock_import": rule(*STOCK),
    "inventory:product_import": rule(MANAGER),
    "inventory:transfer_list": rule(*STOCK),
    "inventory:transfer_create": rule(*STOCK),
    "inventory:transfer_detail": rule(*STOCK, **_pk("transfer")),
    # POST-only: a GET answers 405 to those let in, so another warehouse's transfer is
    # tested with real POSTs in test_transfer_pages.py.
    "inventory:transfer_ship": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
    "inventory:transfer_receive": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
    "inventory:transfer_cancel": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
    "api:warehouse-list": rule(*CATALOGUE),
    "api:warehouse-detail": rule(*CATALOGUE, **_warehouse),
    "api:product-list": rule(*CATALOGUE),
    "api:product-detail": rule(*CATALOGUE, **_product),
    "api:stocklevel-list": rule(*STOCK),
    "api:stocklevel-detail": rule(*STOCK, **_pk("level")),
    "api:movement-list": rule(*STOCK),
    "api:movement-detail": rule(*STOCK, **_pk("movement")),
    "api:inventorycheck-list": rule(*STOCK),
    "api:inventorycheck-detail": rule(*STOCK, **_pk("check")),
    "api:product-availability": rule(*STOCK, **_product),
    # Check workflow actions, POST-only (405 on GET to those let in); another warehouse's
    # check and the POSTs themselves: test_check_api.py.
    "api:inventorycheck-start": rule(*STOCK, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-count": rule(*STOCK, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-submit": rule(*STOCK, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-approve": rule(MANAGER, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-reject": rule(MANAGER, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-post": rule(MANAGER, kwargs=_pk("check")["kwargs"]),
    "api:inventorycheck-cancel": rule(MANAGER, kwargs=_pk("check")["kwargs"]),
    "api:transfer-list": rule(*STOCK),
    "api:transfer-detail": rule(*STOCK, **_pk("transfer")),
    # POST-only actions (405 on GET); other warehouses' transfers: test_transfer_api.py.
    "api:transfer-ship": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
    "api:transfer-receive": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
    "api:transfer-cancel": rule(*STOCK, kwargs=_pk("transfer")["kwargs"]),
}
