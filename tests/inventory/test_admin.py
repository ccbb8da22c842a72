"""The inventory admin: constant-query changelists, read-only ledger and stock counters."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, Transfer
from tests.factories import (
    InventoryCheckFactory,
    InventoryCheckLineFactory,
    ProductFactory,
    StockLevelFactory,
    WarehouseFactory,
)
from tests.inventory.factories import StockMovementFactory, TransferFactory, TransferLineFactory


def _grow(model: str, warehouse, user, count: int) -> None:
    for _ in range(count):
        if model == "warehouse":
            WarehouseFactory().staff.add(user)
        elif model == "product":
            ProductFactory()
        elif model == "stocklevel":
            StockLevelFactory(warehouse=warehouse)
        elif model == "stockmovement":
            StockMovementFactory(warehouse=warehouse, actor=user)
        elif model == "inventorycheck":
            InventoryCheckFactory(warehouse=warehouse, assigned_to=user)
        elif model == "inventorycheckline":
            InventoryCheckLineFactory(inventory_check__warehouse=warehouse, counted_by=user)
        elif model in ("transfer", "transferline"):
            TransferLineFactory(transfer__source=warehouse, transfer__created_by=user)


@pytest.mark.parametrize(
    "model",
    [
        "warehouse",
        "product",
        "stocklevel",
        "stockmovement",
        "inventorycheck",
        "inventorycheckline",
        "transfer",
        "transferline",
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(
    superuser_client, superuser, warehouse, queries_for, model
):
    url = reverse(f"admin:inventory_{model}_changelist")
    _grow(model, warehouse, superuser, 1)
    one = queries_for(superuser_client, url)
    _grow(model, warehouse, superuser, 19)
    assert queries_for(superuser_client, url) == one


def test_the_check_change_page_lists_its_lines(superuser_client, warehouse):
    check = InventoryCheckFactory(warehouse=warehouse)
    InventoryCheckLineFactory(inventory_check=check, product=ProductFactory(sku="INLINE-1"))
    response = superuser_client.get(
        reverse("admin:inventory_inventorycheck_change", args=[check.pk])
    )
    assert response.status_code == 200
    assert "INLINE-1" in response.content.decode()


def test_the_ledger_cannot_be_added_to_changed_or_deleted(superuser_client, warehouse):
    movement = StockMovementFactory(warehouse=warehouse, delta=10, on_hand_after=10)
    assert superuser_client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    change_url = reverse("admin:inventory_stockmovement_change", args=[movement.pk])
    page = superuser_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert superuser_client.post(change_url, {"delta": 99}).status_code == 403
    delete_url = reverse("admin:inventory_stockmovement_delete", args=[movement.pk])
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    movement.refresh_from_db()
    assert movement.delta == 10


def test_stock_counters_are_read_only_and_say_why(superuser_client, warehouse):
    level = StockLevelFactory(warehouse=warehouse, on_hand=100, reorder_point=10, bin="A-01-1")
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    body = superuser_client.get(url).content.decode()
    assert 'name="on_hand"' not in body
    assert 'name="reserved"' not in body
    assert "change only through the inventory services" in body
    response = superuser_client.post(
        url,
        {"bin": "B-02-2", "reorder_point": 20, "safety_stock": 5, "on_hand": 5000, "reserved": 7},
    )
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.bin, level.reorder_point) == ("B-02-2", 20)
    assert (level.on_hand, level.reserved) == (100, 0)


def test_stock_levels_cannot_be_deleted(superuser_client, warehouse):
    level = StockLevelFactory(warehouse=warehouse)
    url = reverse("admin:inventory_stocklevel_delete", args=[level.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403


def test_the_stock_changelist_sorts_on_available(superuser_client, warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MORE"), on_hand=90)
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="LESS"), on_hand=10)
    url = reverse("admin:inventory_stocklevel_changelist")
    # Column 8 of list_display is "available".
    response = superuser_client.get(url, {"o": "8"})
    assert response.status_code == 200
    assert [level.product.sku for level in response.context["cl"].result_list] == ["LESS", "MORE"]


def test_a_transfer_page_shows_its_lines_read_only(superuser_client, warehouse):
    line = TransferLineFactory(transfer__source=warehouse, quantity=7)
    url = reverse("admin:inventory_transfer_change", args=[line.transfer.pk])
    body = superuser_client.get(url).content.decode()
    assert line.product.sku in body
    assert 'name="lines-0-quantity"' not in body
    assert superuser_client.get(reverse("admin:inventory_transfer_add")).status_code == 403
    assert superuser_client.get(reverse("admin:inventory_transferline_add")).status_code == 403


def test_admin_actions_ship_and_receive_through_the_services(
    superuser_client, superuser, warehouse, other_warehouse
):
    ready = TransferFactory(source=warehouse, destination=other_warehouse)
    line = TransferLineFactory(transfer=ready, quantity=3)
    services.stock_receive(warehouse=warehouse, product=line.product, quantity=5, actor=None)
    short = TransferFactory(source=warehouse, destination=other_warehouse)
    TransferLineFactory(transfer=short, quantity=1)  # never stocked at the source
    url = reverse("admin:inventory_transfer_changelist")
    response = superuser_client.post(
        url, {"action": "ship", "_selected_action": [ready.pk, short.pk]}, follow=True
    )
    body = response.content.decode()
    assert "1 transfer(s) shipped." in body
    assert f"{short.number}: There is no stock of" in body
    ready.refresh_from_db()
    short.refresh_from_db()
    assert (ready.status, ready.shipped_by) == (Transfer.Status.IN_TRANSIT, superuser)
    assert short.status == Transfer.Status.DRAFT
    superuser_client.post(url, {"action": "receive_everything", "_selected_action": [ready.pk]})
    level = StockLevel.objects.get(warehouse=other_warehouse, product=line.product)
    assert (level.on_hand, level.in_transit) == (3, 0)
