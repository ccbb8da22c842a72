"""The check workflow in the API: create, start, count, submit, approve/reject, post, cancel."""

import pytest
from django.urls import reverse

from inventory.models import InventoryCheck, InventoryCheckLine, StockLevel, StockMovement
from opsportal import roles
from tests.factories import ProductFactory, StockLevelFactory, user_with_role
from tests.inventory.factories import counting_check, stocked

Status = InventoryCheck.Status
EXPECTED = 736492815


def _action(check, name: str) -> str:
    return reverse(f"api:inventorycheck-{name}", kwargs={"pk": check.pk})


def _post(client, url: str, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def blind_check(warehouse, manager):
    big = ProductFactory(sku="BIG-1")
    StockLevelFactory(warehouse=warehouse, product=big, on_hand=EXPECTED)
    small = stocked(warehouse, ProductFactory(sku="SMALL-1"), 7)
    return counting_check(warehouse, [big, small], by=manager)


def test_a_manager_creates_a_count_and_staff_cannot(manager_client, warehouse_client, warehouse):
    stocked(warehouse, ProductFactory(sku="A-1"), 3)
    body = {"warehouse": "WH-A", "kind": "products", "products": ["A-1"]}
    assert _post(warehouse_client, reverse("api:inventorycheck-list"), body).status_code == 403
    response = _post(manager_client, reverse("api:inventorycheck-list"), body)
    assert response.status_code == 201, response.content
    check = InventoryCheck.objects.get(pk=response.json()["id"])
    assert (check.kind, check.blind, check.status) == ("products", True, Status.PLANNED)
    assert response.json()["left_out"] == []


def test_creating_names_the_wrong_field(manager_client, warehouse):
    response = _post(
        manager_client,
        reverse("api:inventorycheck-list"),
        {"warehouse": "WH-A", "kind": "location"},
    )
    assert response.status_code == 400
    assert "location" in response.json()
    assert not InventoryCheck.objects.exists()


def test_staff_count_by_api_and_never_receive_the_expected_quantity(warehouse_client, blind_check):
    responses = [
        _post(warehouse_client, _action(blind_check, "count"), {"code": "BIG-1", "quantity": 5}),
        warehouse_client.get(_action(blind_check, "detail")),
        warehouse_client.get(reverse("api:inventorycheck-list")),
        _post(warehouse_client, _action(blind_check, "count"), {"code": "SMALL-1", "quantity": 7}),
        _post(warehouse_client, _action(blind_check, "submit")),
        warehouse_client.get(_action(blind_check, "detail")),
    ]
    for response in responses:
        assert response.status_code == 200, response.content
        assert str(EXPECTED).encode() not in response.content
        assert str(EXPECTED - 5).encode() not in response.content
    counted = responses[0].json()
    assert counted["line"]["product"] == "BIG-1"
    assert counted["line"]["counted"] == 5
    assert "expected" not in counted["line"]
    assert counted["progress"] == {"counted": 1, "to_count": 2}
    assert responses[4].json() == {"status": "counting", "recount": ["BIG-1"], "to_review": 0}
    line = next(line for line in responses[5].json()["lines"] if line["product"] == "BIG-1")
    assert line["recount"] is True
    assert line["expected"] is None
    assert line["first_variance"] is None
    assert line["decision"] is None


def test_a_manager_approves_and_posts_by_api(warehouse_client, manager_client, blind_check):
    for quantity in (100, 101):
        _post(
            warehouse_client, _action(blind_check, "count"), {"code": "BIG-1", "quantity": quantity}
        )
        if quantity == 100:
            _post(
                warehouse_client, _action(blind_check, "count"), {"code": "SMALL-1", "quantity": 7}
            )
        _post(warehouse_client, _action(blind_check, "submit"))
    blind_check.refresh_from_db()
    assert blind_check.status == Status.REVIEW
    # Staff cannot decide or post.
    for name in ("approve", "reject", "post", "cancel"):
        assert _post(warehouse_client, _action(blind_check, name)).status_code == 403
    # Posting before deciding is a conflict.
    assert _post(manager_client, _action(blind_check, "post")).status_code == 409
    detail = manager_client.get(_action(blind_check, "detail")).json()
    line = next(line for line in detail["lines"] if line["product"] == "BIG-1")
    assert (line["expected"], line["first_count"], line["counted"]) == (EXPECTED, 100, 101)
    assert line["decision"] == "pending"
    response = _post(manager_client, _action(blind_check, "approve"), {"lines": [line["id"]]})
    assert response.status_code == 200
    response = _post(manager_client, _action(blind_check, "post"))
    assert response.status_code == 200
    assert response.json()["status"] == "posted"
    level = StockLevel.objects.get(product__sku="BIG-1")
    assert level.on_hand == 101
    assert StockMovement.objects.get(kind="count").delta == 101 - EXPECTED


def test_reject_all_and_cancel(warehouse_client, manager_client, blind_check):
    assert _post(manager_client, _action(blind_check, "reject")).status_code == 409  # counting
    response = _post(manager_client, _action(blind_check, "cancel"))
    assert response.json()["status"] == "cancelled"
    assert _post(manager_client, _action(blind_check, "cancel")).status_code == 409


def test_counting_errors_name_the_field(warehouse_client, blind_check):
    response = _post(
        warehouse_client, _action(blind_check, "count"), {"code": "GHOST", "quantity": 1}
    )
    assert response.status_code == 400
    assert "code" in response.json()
    response = _post(
        warehouse_client, _action(blind_check, "count"), {"code": "BIG-1", "quantity": -1}
    )
    assert response.status_code == 400
    assert "quantity" in response.json()
    assert not InventoryCheckLine.objects.filter(counted__isnull=False).exists()


def test_start_twice_is_a_conflict(warehouse_client, blind_check):
    assert _post(warehouse_client, _action(blind_check, "start")).status_code == 409


def test_staff_of_another_warehouse_get_404_even_guessing_ids(client, other_warehouse, blind_check):
    stranger = user_with_role(roles.WAREHOUSE_STAFF, username="stranger")
    other_warehouse.staff.add(stranger)
    client.force_login(stranger)
    for name in ("start", "count", "submit"):
        response = _post(client, _action(blind_check, name), {"code": "BIG-1", "quantity": 1})
        assert response.status_code == 404, name
    assert client.get(_action(blind_check, "detail")).status_code == 404
    assert not InventoryCheckLine.objects.filter(counted__isnull=False).exists()


def test_a_planned_count_is_started_by_api(warehouse_client, manager_client, warehouse):
    product = stocked(warehouse, ProductFactory(sku="S-1"), 4)
    response = _post(
        manager_client,
        reverse("api:inventorycheck-list"),
        {"warehouse": "WH-A", "kind": "products", "products": ["S-1"]},
    )
    check = InventoryCheck.objects.get(pk=response.json()["id"])
    response = _post(warehouse_client, _action(check, "start"))
    assert response.status_code == 200
    assert response.json()["status"] == "counting"
    assert check.lines.get(product=product).expected == 4
