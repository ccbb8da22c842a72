"""The read-only inventory API: scoping, natural keys, hidden prices, blind counts, budgets."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryCheck, StockMovement
from tests.factories import (
    InventoryCheckFactory,
    InventoryCheckLineFactory,
    ProductFactory,
    StockLevelFactory,
    WarehouseFactory,
)
from tests.inventory.factories import (
    StockMovementFactory,
    TransferFactory,
    TransferLineFactory,
)

EXPECTED = 736492815


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["warehouse", "product", "stocklevel", "movement", "inventorycheck"]
)
def test_anonymous_callers_are_refused(client, db, name):
    assert client.get(reverse(f"api:{name}-list")).status_code in (401, 403)


@pytest.mark.parametrize("name", ["stocklevel", "movement", "inventorycheck"])
def test_contract_admins_get_no_stock(contracts_client, name):
    assert contracts_client.get(reverse(f"api:{name}-list")).status_code == 403


# Checks are created by POST (test_check_api.py); the other resources are read-only.
@pytest.mark.parametrize("name", ["warehouse", "product", "stocklevel"])
def test_writes_are_refused(manager_client, name):
    assert manager_client.post(reverse(f"api:{name}-list"), {}).status_code == 405


def test_updates_and_deletes_are_refused(manager_client, warehouse):
    level = StockLevelFactory(warehouse=warehouse)
    url = reverse("api:stocklevel-detail", kwargs={"pk": level.pk})
    assert (
        manager_client.patch(url, {"on_hand": 1}, content_type="application/json").status_code
        == 405
    )
    assert manager_client.delete(url).status_code == 405
    level.refresh_from_db()
    assert level.on_hand == 100


# --- warehouses ---------------------------------------------------------------------------------


def test_warehouse_staff_list_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    codes = [row["code"] for row in _results(warehouse_client.get(reverse("api:warehouse-list")))]
    assert codes == ["WH-A"]


def test_contract_admins_list_every_warehouse(contracts_client, warehouse, other_warehouse):
    codes = [row["code"] for row in _results(contracts_client.get(reverse("api:warehouse-list")))]
    assert codes == ["WH-A", "WH-B"]


def test_a_warehouse_is_found_by_its_code(manager_client, warehouse):
    dotted = WarehouseFactory(code="EU.1", name="Rotterdam")
    response = manager_client.get(reverse("api:warehouse-detail", kwargs={"code": "EU.1"}))
    assert response.status_code == 200
    assert response.json()["name"] == dotted.name


def test_staff_get_404_for_another_warehouse(warehouse_client, other_warehouse):
    url = reverse("api:warehouse-detail", kwargs={"code": other_warehouse.code})
    assert warehouse_client.get(url).status_code == 404


# --- products -----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_product_is_found_by_sku_with_its_cost_for_managers(manager_client, db):
    ProductFactory(sku="API-1", name="Api widget", unit_cost=Decimal("12.34"))
    response = manager_client.get(reverse("api:product-detail", kwargs={"sku": "API-1"}))
    assert response.status_code == 200
    assert response.json()["name"] == "Api widget"
    assert response.json()["unit_cost"] == "12.34"


@pytest.mark.parametrize("client_fixture", ["warehouse_client", "contracts_client"])
def test_other_roles_get_products_without_cost(request, db, client_fixture):
    ProductFactory(sku="API-1", unit_cost=Decimal("12.34"))
    client = request.getfixturevalue(client_fixture)
    (row,) = _results(client.get(reverse("api:product-list")))
    assert row["sku"] == "API-1"
    assert "unit_cost" not in row
    detail = client.get(reverse("api:product-detail", kwargs={"sku": "API-1"}))
    assert "unit_cost" not in detail.json()
    assert b"12.34" not in detail.content


def test_products_filter_with_q_and_search(manager_client, db):
    ProductFactory(sku="FIND-ME", name="Needle")
    ProductFactory(sku="HAY-1", name="Haystack")
    url = reverse("api:product-list")
    assert [row["sku"] for row in _results(manager_client.get(url, {"q": "needle"}))] == ["FIND-ME"]
    assert [row["sku"] for row in _results(manager_client.get(url, {"search": "hay"}))] == ["HAY-1"]


# --- stock levels -------------------------------------------------------------------------------


def test_stock_levels_carry_available_and_filter_like_the_page(
    manager_client, warehouse, other_warehouse
):
    StockLevelFactory(
        warehouse=warehouse,
        product=ProductFactory(sku="LOW"),
        on_hand=12,
        reserved=4,
        quarantined=1,
        reorder_point=10,
    )
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="FINE"), on_hand=50)
    StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="ELSEWHERE"))
    url = reverse("api:stocklevel-list")
    (low,) = _results(manager_client.get(url, {"low": "true", "warehouse": "WH-A"}))
    assert low["product"] == "LOW"
    assert low["warehouse"] == "WH-A"
    assert (low["available"], low["is_low"]) == (7, True)
    ordered = _results(manager_client.get(url, {"warehouse": "WH-A", "ordering": "available"}))
    assert [row["product"] for row in ordered] == ["LOW", "FINE"]
    ordered = _results(manager_client.get(url, {"warehouse": "WH-A", "sort": "-available"}))
    assert [row["product"] for row in ordered] == ["FINE", "LOW"]


def test_staff_list_only_their_stock_levels(warehouse_client, warehouse, other_warehouse):
    StockLevelFactory(warehouse=warehouse, product=ProductFactory(sku="MINE"))
    theirs = StockLevelFactory(warehouse=other_warehouse, product=ProductFactory(sku="THEIRS"))
    rows = _results(warehouse_client.get(reverse("api:stocklevel-list")))
    assert [row["product"] for row in rows] == ["MINE"]
    url = reverse("api:stocklevel-detail", kwargs={"pk": theirs.pk})
    assert warehouse_client.get(url).status_code == 404


def test_an_unknown_warehouse_filter_is_a_400(manager_client, db):
    response = manager_client.get(reverse("api:stocklevel-list"), {"warehouse": "NOPE"})
    assert response.status_code == 400
    assert "warehouse" in response.json()


# --- movements ----------------------------------------------------------------------------------


def test_movements_scoped_and_filtered(warehouse_client, warehouse, other_warehouse):
    StockMovementFactory(warehouse=warehouse, reason="ours", kind=StockMovement.Kind.RECEIPT)
    StockMovementFactory(
        warehouse=warehouse, reason="counted", kind=StockMovement.Kind.COUNT, delta=-1
    )
    StockMovementFactory(warehouse=other_warehouse, reason="theirs")
    url = reverse("api:movement-list")
    assert sorted(row["reason"] for row in _results(warehouse_client.get(url))) == [
        "counted",
        "ours",
    ]
    (row,) = _results(warehouse_client.get(url, {"kind": "count"}))
    assert (row["reason"], row["delta"], row["warehouse"]) == ("counted", -1, "WH-A")


# --- checks -------------------------------------------------------------------------------------


def _blind_check(warehouse) -> InventoryCheck:
    check = InventoryCheckFactory(warehouse=warehouse, blind=True)
    InventoryCheckLineFactory(
        inventory_check=check,
        product=ProductFactory(sku="COUNT-1"),
        expected=EXPECTED,
        counted=5,
        variance=5 - EXPECTED,
        counted_at=timezone.now(),
    )
    return check


def test_a_blind_check_hides_expected_and_variance_from_staff(warehouse_client, warehouse):
    check = _blind_check(warehouse)
    response = warehouse_client.get(reverse("api:inventorycheck-detail", kwargs={"pk": check.pk}))
    assert response.status_code == 200
    (line,) = response.json()["lines"]
    assert line["product"] == "COUNT-1"
    assert line["counted"] == 5
    assert (line["expected"], line["variance"]) == (None, None)
    assert str(EXPECTED).encode() not in response.content
    assert str(EXPECTED - 5).encode() not in response.content


def test_managers_see_expected_and_variance_of_a_blind_check(manager_client, warehouse):
    check = _blind_check(warehouse)
    response = manager_client.get(reverse("api:inventorycheck-detail", kwargs={"pk": check.pk}))
    (line,) = response.json()["lines"]
    assert (line["expected"], line["variance"]) == (EXPECTED, 5 - EXPECTED)


def test_staff_see_expected_of_an_open_check(warehouse_client, warehouse):
    check = _blind_check(warehouse)
    InventoryCheck.objects.filter(pk=check.pk).update(blind=False)
    response = warehouse_client.get(reverse("api:inventorycheck-detail", kwargs={"pk": check.pk}))
    assert response.json()["lines"][0]["expected"] == EXPECTED


def test_the_check_list_never_carries_line_quantities(warehouse_client, warehouse, other_warehouse):
    _blind_check(warehouse)
    InventoryCheckFactory(warehouse=other_warehouse)
    response = warehouse_client.get(reverse("api:inventorycheck-list"), {"status": "planned"})
    (row,) = _results(response)
    assert (row["warehouse"], row["line_count"], row["counted_count"]) == ("WH-A", 1, 1)
    assert "lines" not in row
    assert str(EXPECTED).encode() not in response.content


def test_staff_get_404_for_another_warehouses_check(warehouse_client, other_warehouse):
    check = _blind_check(other_warehouse)
    url = reverse("api:inventorycheck-detail", kwargs={"pk": check.pk})
    assert warehouse_client.get(url).status_code == 404


# --- query budgets ------------------------------------------------------------------------------


def _grow(name: str, warehouse, manager, count: int) -> None:
    for _ in range(count):
        if name == "warehouse":
            WarehouseFactory()
        elif name == "product":
            ProductFactory()
        elif name == "stocklevel":
            StockLevelFactory(warehouse=warehouse)
        elif name == "movement":
            StockMovementFactory(warehouse=warehouse, actor=manager)
        elif name == "inventorycheck":
            InventoryCheckLineFactory(
                inventory_check__warehouse=warehouse, inventory_check__assigned_to=manager
            )
        elif name == "transfer":
            transfer = TransferFactory(source=warehouse, created_by=manager)
            TransferLineFactory.create_batch(2, transfer=transfer)


@pytest.mark.parametrize(
    "name", ["warehouse", "product", "stocklevel", "movement", "inventorycheck", "transfer"]
)
def test_list_query_count_does_not_grow_with_rows(
    manager_client, warehouse, manager, queries_for, name
):
    url = reverse(f"api:{name}-list")
    _grow(name, warehouse, manager, 1)
    one = queries_for(manager_client, url, HTTP_ACCEPT="application/json")
    _grow(name, warehouse, manager, 19)
    assert queries_for(manager_client, url, HTTP_ACCEPT="application/json") == one


def test_check_detail_query_count_does_not_grow_with_lines(
    warehouse_client, warehouse, warehouse_staff, queries_for
):
    check = InventoryCheckFactory(warehouse=warehouse)
    InventoryCheckLineFactory(inventory_check=check, counted=1, counted_by=warehouse_staff)
    url = reverse("api:inventorycheck-detail", kwargs={"pk": check.pk})
    one = queries_for(warehouse_client, url, HTTP_ACCEPT="application/json")
    InventoryCheckLineFactory.create_batch(
        19, inventory_check=check, counted=1, counted_by=warehouse_staff
    )
    assert queries_for(warehouse_client, url, HTTP_ACCEPT="application/json") == one
