"""/api/v1/transfers/ (create, ship, receive, cancel) and /api/v1/products/{sku}/availability/."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement, Transfer
from tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

LIST = "/api/v1/transfers/"


@pytest.fixture
def bolts(warehouse, manager):
    product = ProductFactory(sku="BOLT")
    services.stock_receive(warehouse=warehouse, product=product, quantity=10, actor=manager)
    return product


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _action(transfer, name):
    return reverse(f"api:transfer-{name}", kwargs={"pk": transfer.pk})


def _draft(source, destination, product, quantity=4, actor=None):
    return services.transfer_create(
        source=source, destination=destination, lines=[(product, quantity)], actor=actor
    )


def test_the_url_is_the_transfer_list():
    assert reverse("api:transfer-list") == LIST


def test_staff_create_ship_and_the_destination_receives(
    warehouse_client, manager_client, warehouse, other_warehouse, bolts
):
    response = _post(
        warehouse_client,
        LIST,
        {
            "source": "WH-A",
            "destination": "WH-B",
            "note": "Rebalance",
            "lines": [{"product": "BOLT", "quantity": 4}],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["source"], created["created_by"]) == (
        "draft",
        "WH-A",
        "picker",
    )
    assert created["lines"] == [
        {
            "product": "BOLT",
            "product_name": bolts.name,
            "quantity": 4,
            "received": 0,
            "outstanding": 4,
        }
    ]
    transfer = Transfer.objects.get(pk=created["id"])

    shipped = _post(warehouse_client, _action(transfer, "ship"))
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["status"] == "in_transit"
    assert StockLevel.objects.get(warehouse=warehouse, product=bolts).on_hand == 6

    # WH-B is not the staff member's: a manager receives there, in two deliveries.
    assert _post(warehouse_client, _action(transfer, "receive")).status_code == 403
    part = _post(
        manager_client,
        _action(transfer, "receive"),
        {"lines": [{"product": "BOLT", "quantity": 1}]},
    )
    assert part.status_code == 200, part.content
    assert (part.json()["status"], part.json()["received_units"]) == ("partially_received", 1)
    rest = _post(manager_client, _action(transfer, "receive"))
    assert rest.json()["status"] == "received"
    level = StockLevel.objects.get(warehouse=other_warehouse, product=bolts)
    assert (level.on_hand, level.in_transit) == (4, 0)


def test_staff_cannot_send_from_another_warehouse(
    warehouse_client, other_warehouse, warehouse, bolts
):
    response = _post(
        warehouse_client,
        LIST,
        {"source": "WH-B", "destination": "WH-A", "lines": [{"product": "BOLT", "quantity": 1}]},
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


def test_staff_get_404_for_transfers_between_other_warehouses(
    warehouse_client, other_warehouse, bolts, manager
):
    third = WarehouseFactory(code="WH-C")
    transfer = _draft(other_warehouse, third, bolts, actor=manager)
    detail = reverse("api:transfer-detail", kwargs={"pk": transfer.pk})
    assert warehouse_client.get(detail).status_code == 404
    for name in ("ship", "receive", "cancel"):
        assert _post(warehouse_client, _action(transfer, name)).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DRAFT
    assert warehouse_client.get(LIST).json()["results"] == []


def test_staff_at_the_destination_cannot_ship_or_cancel(
    warehouse_client, warehouse, other_warehouse, manager
):
    product = ProductFactory(sku="NUT")
    services.stock_receive(warehouse=other_warehouse, product=product, quantity=5, actor=manager)
    transfer = _draft(other_warehouse, warehouse, product, actor=manager)
    assert (
        warehouse_client.get(reverse("api:transfer-detail", kwargs={"pk": transfer.pk})).status_code
        == 200
    )
    assert _post(warehouse_client, _action(transfer, "ship")).status_code == 403
    assert _post(warehouse_client, _action(transfer, "cancel")).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DRAFT


def test_contract_admins_are_refused(contracts_client, warehouse, other_warehouse, bolts):
    transfer = _draft(warehouse, other_warehouse, bolts)
    assert contracts_client.get(LIST).status_code == 403
    assert _post(contracts_client, _action(transfer, "ship")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"destination": "WH-A"}, "destination"),
        ({"destination": "NOPE"}, "destination"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product": "BOLT", "quantity": 0}]}, "lines"),
        ({"lines": [{"product": "NOPE", "quantity": 1}]}, "lines"),
    ],
)
def test_a_bad_transfer_is_a_400_naming_the_field(
    manager_client, warehouse, other_warehouse, bolts, body, field
):
    request = {
        "source": "WH-A",
        "destination": "WH-B",
        "lines": [{"product": "BOLT", "quantity": 2}],
        **body,
    }
    response = _post(manager_client, LIST, request)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Transfer.objects.exists()


def test_shipping_twice_or_more_than_available_is_a_409(
    manager_client, warehouse, other_warehouse, bolts, manager
):
    too_much = _draft(warehouse, other_warehouse, bolts, quantity=11, actor=manager)
    response = _post(manager_client, _action(too_much, "ship"))
    assert response.status_code == 409
    assert response.json()["lines"] == ["Only 10 of BOLT in WH-A on hand, 11 needed."]
    fine = _draft(warehouse, other_warehouse, ProductFactory(sku="EMPTY"), actor=manager)
    assert _post(manager_client, _action(fine, "cancel")).status_code == 200
    assert _post(manager_client, _action(fine, "ship")).status_code == 409
    assert not StockMovement.objects.filter(kind="transfer_out").exists()


def test_receiving_more_than_outstanding_is_refused(
    manager_client, warehouse, other_warehouse, bolts, manager
):
    transfer = _draft(warehouse, other_warehouse, bolts, actor=manager)
    services.transfer_ship(transfer=transfer, actor=manager)
    response = _post(
        manager_client,
        _action(transfer, "receive"),
        {"lines": [{"product": "BOLT", "quantity": 5}]},
    )
    assert response.status_code == 400
    assert response.json() == {"lines": ["BOLT: 5 arriving but only 4 outstanding."]}
    twice = _post(
        manager_client,
        _action(transfer, "receive"),
        {"lines": [{"product": "BOLT", "quantity": 1}, {"product": "BOLT", "quantity": 1}]},
    )
    assert twice.status_code == 400
    assert not StockMovement.objects.filter(kind="transfer_in").exists()


def test_transfers_filter_by_warehouse_status_and_product(
    manager_client, warehouse, other_warehouse, bolts, manager
):
    shipped = _draft(warehouse, other_warehouse, bolts, actor=manager)
    services.transfer_ship(transfer=shipped, actor=manager)
    _draft(other_warehouse, WarehouseFactory(code="WH-C"), ProductFactory(sku="NUT"), actor=manager)

    def ids(**params):
        return [row["id"] for row in manager_client.get(LIST, params).json()["results"]]

    assert ids(warehouse="WH-A") == [shipped.pk]
    assert ids(open="true") == [shipped.pk]
    assert ids(product="bolt") == [shipped.pk]
    assert len(ids(status="draft")) == 1


# --- availability ----------------------------------------------------------------------------


def test_availability_per_warehouse_and_in_total(manager_client, warehouse, other_warehouse):
    product = ProductFactory(sku="ATP-1")
    StockLevelFactory(warehouse=warehouse, product=product, on_hand=50, reserved=10, quarantined=5)
    StockLevelFactory(warehouse=other_warehouse, product=product, on_hand=7, in_transit=3)
    url = reverse("api:product-availability", kwargs={"sku": "ATP-1"})
    assert url == "/api/v1/products/ATP-1/availability/"
    response = manager_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert [
        (row["warehouse"], row["available"], row["in_transit"]) for row in body["warehouses"]
    ] == [
        ("WH-A", 35, 0),
        ("WH-B", 7, 3),
    ]
    assert body["total"] == {
        "on_hand": 57,
        "reserved": 10,
        "quarantined": 5,
        "available": 42,
        "in_transit": 3,
    }


def test_staff_see_the_availability_of_their_warehouses_only(
    warehouse_client, contracts_client, warehouse, other_warehouse
):
    product = ProductFactory(sku="ATP-1")
    StockLevelFactory(warehouse=warehouse, product=product, on_hand=5)
    StockLevelFactory(warehouse=other_warehouse, product=product, on_hand=900)
    url = reverse("api:product-availability", kwargs={"sku": "ATP-1"})
    body = warehouse_client.get(url).json()
    assert [row["warehouse"] for row in body["warehouses"]] == ["WH-A"]
    assert body["total"]["available"] == 5
    assert b"900" not in warehouse_client.get(url).content
    assert contracts_client.get(url).status_code == 403
    assert (
        contracts_client.get(reverse("api:product-detail", kwargs={"sku": "ATP-1"})).status_code
        == 200
    )


def test_availability_of_an_unknown_sku_is_404(manager_client, db):
    assert manager_client.get("/api/v1/products/NOPE/availability/").status_code == 404
