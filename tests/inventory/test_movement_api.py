"""POST /api/v1/movements/: receipts and adjustments through the services, in your warehouses."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory

URL = "/api/v1/movements/"


@pytest.fixture
def product(db):
    return ProductFactory(sku="API-MOVE")


def _post(client, **body):
    return client.post(URL, body, content_type="application/json")


def _on_hand(warehouse, product) -> int | None:
    level = StockLevel.objects.filter(warehouse=warehouse, product=product).first()
    return level.on_hand if level else None


def test_the_url_is_the_movement_list():
    assert reverse("api:movement-list") == URL


@pytest.mark.smoke
def test_staff_record_a_receipt_in_their_warehouse(
    warehouse_client, warehouse_staff, warehouse, product
):
    response = _post(
        warehouse_client,
        kind="receipt",
        warehouse="WH-A",
        product="API-MOVE",
        quantity=12,
        reason="Delivery note 881",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["delta"], body["on_hand_after"]) == ("receipt", 12, 12)
    assert (body["warehouse"], body["product"], body["actor"]) == ("WH-A", "API-MOVE", "picker")
    assert body["reason"] == "Delivery note 881"
    assert _on_hand(warehouse, product) == 12
    assert StockMovement.objects.get().actor == warehouse_staff


def test_managers_adjust_with_a_reason_code(manager_client, warehouse, product, manager):
    services.stock_receive(warehouse=warehouse, product=product, quantity=10, actor=manager)
    response = _post(
        manager_client,
        kind="adjustment",
        warehouse="WH-A",
        product="API-MOVE",
        delta=-4,
        reason_code="damaged",
        reason="Crushed pallet",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["delta"], response.json()["reason_code"]) == (-4, "damaged")
    assert _on_hand(warehouse, product) == 6


def test_staff_cannot_record_stock_in_another_warehouse(warehouse_client, other_warehouse, product):
    response = _post(
        warehouse_client, kind="receipt", warehouse="WH-B", product="API-MOVE", quantity=5
    )
    assert response.status_code == 403
    assert "WH-B" in response.json()["detail"]
    assert _on_hand(other_warehouse, product) is None
    assert not StockMovement.objects.exists()


def test_contract_admins_cannot_record_stock(contracts_client, warehouse, product):
    response = _post(
        contracts_client, kind="receipt", warehouse="WH-A", product="API-MOVE", quantity=5
    )
    assert response.status_code == 403
    assert not StockMovement.objects.exists()


def test_anonymous_callers_cannot_record_stock(client, warehouse, product):
    response = _post(client, kind="receipt", warehouse="WH-A", product="API-MOVE", quantity=5)
    assert response.status_code in (401, 403)
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "shipment", "quantity": 1}, "kind"),
        ({"kind": "receipt"}, "quantity"),
        ({"kind": "receipt", "quantity": 0}, "quantity"),
        ({"kind": "receipt", "quantity": "ten"}, "quantity"),
        ({"kind": "receipt", "quantity": 1, "warehouse": "NOPE"}, "warehouse"),
        ({"kind": "receipt", "quantity": 1, "product": "NOPE"}, "product"),
        ({"kind": "receipt", "quantity": 1, "reason": "x" * 201}, "reason"),
        ({"kind": "adjustment", "delta": 3}, "reason_code"),
        ({"kind": "adjustment", "delta": 3, "reason_code": "gremlins"}, "reason_code"),
        ({"kind": "adjustment", "reason_code": "found"}, "delta"),
        ({"kind": "adjustment", "delta": 0, "reason_code": "found"}, "delta"),
        ({"kind": "adjustment", "delta": 2, "reason_code": "other"}, "reason"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager_client, warehouse, product, body, field):
    response = _post(manager_client, **{"warehouse": "WH-A", "product": "API-MOVE", **body})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not StockMovement.objects.exists()


def test_an_adjustment_beyond_available_stock_is_a_409(manager_client, warehouse, product, manager):
    services.stock_receive(warehouse=warehouse, product=product, quantity=3, actor=manager)
    response = _post(
        manager_client,
        kind="adjustment",
        warehouse="WH-A",
        product="API-MOVE",
        delta=-4,
        reason_code="lost",
    )
    assert response.status_code == 409
    assert response.json() == {"delta": ["Only 3 of API-MOVE in WH-A on hand, 4 needed."]}
    assert _on_hand(warehouse, product) == 3


def test_movements_cannot_be_changed_or_deleted(manager_client, warehouse, product, manager):
    movement = services.stock_receive(warehouse=warehouse, product=product, quantity=3, actor=None)
    url = reverse("api:movement-detail", kwargs={"pk": movement.pk})
    assert (
        manager_client.patch(url, {"delta": 9}, content_type="application/json").status_code == 405
    )
    assert manager_client.delete(url).status_code == 405
    movement.refresh_from_db()
    assert movement.delta == 3
