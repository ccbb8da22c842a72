"""The stock adjustment form: POST, redirect, message; errors per field; your warehouses only."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory


@pytest.fixture
def product(warehouse, other_warehouse, manager):
    product = ProductFactory(sku="ADJ-1")
    for place in (warehouse, other_warehouse):
        services.stock_receive(warehouse=place, product=product, quantity=10, actor=manager)
    return product


def _url(product) -> str:
    return reverse("inventory:stock_adjust", kwargs={"sku": product.sku})


def _on_hand(warehouse, product) -> int:
    return StockLevel.objects.get(warehouse=warehouse, product=product).on_hand


def test_anonymous_is_sent_to_login(client, product):
    response = client.post(_url(product), {"warehouse": "WH-A", "delta": -1})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client, product, warehouse):
    response = contracts_client.post(
        _url(product), {"warehouse": "WH-A", "delta": -1, "reason_code": "lost"}
    )
    assert response.status_code == 403
    assert _on_hand(warehouse, product) == 10


def test_other_methods_are_refused(manager_client, product):
    assert manager_client.put(_url(product)).status_code == 405


def test_the_form_opens_with_the_warehouse_preselected(warehouse_client, product):
    response = warehouse_client.get(_url(product), {"warehouse": "WH-A"})
    assert response.status_code == 200
    assert response.context["form"]["warehouse"].value() == "WH-A"
    assert "WH-B" not in response.content.decode()


@pytest.mark.smoke
def test_staff_adjust_their_warehouse_and_are_redirected_with_a_message(
    warehouse_client, warehouse_staff, warehouse, product
):
    response = warehouse_client.post(
        _url(product),
        {"warehouse": "WH-A", "delta": "-3", "reason_code": "damaged", "reason": "Dropped"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("inventory:product_detail", args=["ADJ-1"]), 302)]
    assert "ADJ-1 in WH-A: -3 (damaged), on hand now 7." in response.content.decode()
    assert _on_hand(warehouse, product) == 7
    movement = StockMovement.objects.filter(kind="adjustment").get()
    assert (movement.actor, movement.reason_code, movement.reason) == (
        warehouse_staff,
        "damaged",
        "Dropped",
    )


def test_staff_cannot_adjust_another_warehouse(warehouse_client, other_warehouse, product):
    response = warehouse_client.post(
        _url(product), {"warehouse": "WH-B", "delta": "-3", "reason_code": "lost"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["warehouse"]
    assert _on_hand(other_warehouse, product) == 10


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"delta": "-3"}, "reason_code", "Choose a reason code for the adjustment."),
        ({"delta": "0", "reason_code": "found"}, "delta", "An adjustment must change the stock"),
        ({"delta": "", "reason_code": "found"}, "delta", "This field is required."),
        ({"delta": "2", "reason_code": "other"}, "reason", "Explain the adjustment"),
        (
            {"delta": "-11", "reason_code": "lost"},
            "delta",
            "Only 10 of ADJ-1 in WH-A on hand, 11 needed.",
        ),
    ],
)
def test_errors_are_shown_on_their_field_and_nothing_is_saved(
    manager_client, warehouse, product, data, field, message
):
    response = manager_client.post(_url(product), {"warehouse": "WH-A", **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert _on_hand(warehouse, product) == 10
    assert not StockMovement.objects.filter(kind="adjustment").exists()
