"""While a blind count is open, its counters cannot read the on-hand of the products under
count in that warehouse: not on the stock list (nor its CSV, filters or sorting), the product
page, the low-stock list, the warehouse summary, the ledger or the API. Managers see it all."""

import pytest
from django.urls import reverse

from inventory import checks
from inventory.models import InventoryCheck
from tests.factories import InventoryCheckFactory, InventoryCheckLineFactory, ProductFactory
from tests.inventory.factories import stocked

# Odd quantities that cannot turn up by chance in a page.
HIDDEN = 918273
SEEN = 564738


@pytest.fixture
def counted(warehouse, manager):
    """HIDDEN units of COUNTED-1 under an open blind count; SEEN units of FREE-1 beside it."""
    product = stocked(warehouse, ProductFactory(sku="COUNTED-1"), HIDDEN, reorder_point=HIDDEN + 10)
    stocked(warehouse, ProductFactory(sku="FREE-1"), SEEN)
    checks.check_create(
        warehouse=warehouse, kind="products", created_by=manager, products=[product]
    )
    return product


def _staff_pages(product) -> list[str]:
    return [
        reverse("inventory:stock_list"),
        reverse("inventory:stock_list") + "?format=csv",
        reverse("inventory:stock_list") + "?sort=-on_hand",
        reverse("inventory:product_detail", kwargs={"sku": product.sku}),
        reverse("inventory:stock_adjust", kwargs={"sku": product.sku}),
        reverse("inventory:movement_list"),
        reverse("inventory:movement_list") + "?format=csv",
        reverse("inventory:low_stock_list"),
        reverse("inventory:low_stock_list") + "?format=csv",
        reverse("inventory:warehouse_detail", kwargs={"code": "WH-A"}),
        reverse("api:stocklevel-list"),
        reverse("api:movement-list"),
        reverse("api:product-availability", kwargs={"sku": product.sku}),
    ]


def _body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def test_staff_read_no_on_hand_of_a_product_under_a_blind_count(warehouse_client, counted):
    for url in _staff_pages(counted):
        response = warehouse_client.get(url)
        assert response.status_code == 200, url
        body = _body(response)
        assert str(HIDDEN).encode() not in body, url
        assert str(HIDDEN + SEEN).encode() not in body, url  # nor in a total


def test_the_other_products_stay_visible(warehouse_client, counted):
    body = warehouse_client.get(reverse("inventory:stock_list")).content.decode()
    assert f'data-testid="on-hand">{SEEN}<' in body
    assert 'data-testid="being-counted"' in body
    levels = warehouse_client.get(reverse("api:stocklevel-list")).json()["results"]
    by_sku = {level["product"]: level for level in levels}
    assert by_sku["FREE-1"]["on_hand"] == SEEN
    assert by_sku["COUNTED-1"]["on_hand"] is None
    assert by_sku["COUNTED-1"]["available"] is None
    assert by_sku["COUNTED-1"]["being_counted"] is True


def test_managers_see_everything(manager_client, counted):
    for url in _staff_pages(counted)[:4]:
        assert str(HIDDEN).encode() in _body(manager_client.get(url)), url


def test_sorting_on_quantity_puts_hidden_rows_last(warehouse_client, counted, warehouse):
    stocked(warehouse, ProductFactory(sku="TINY-1"), 1)
    for url in (reverse("api:stocklevel-list") + "?ordering=on_hand",):
        skus = [row["product"] for row in warehouse_client.get(url).json()["results"]]
        assert skus[-1] == "COUNTED-1"
    for sort in ("on_hand", "-on_hand", "available", "-available"):
        page = warehouse_client.get(reverse("inventory:stock_list"), {"sort": sort})
        skus = [level.product.sku for level in page.context["page_obj"]]
        assert skus[-1] == "COUNTED-1", sort


def test_the_low_stock_filter_says_nothing_about_a_hidden_row(warehouse_client, counted):
    # COUNTED-1 is at its reorder point (low), but the filter must not say so.
    page = warehouse_client.get(reverse("inventory:stock_list"), {"low": "true"})
    assert [level.product.sku for level in page.context["page_obj"]] == []


def test_an_adjustment_during_the_count_does_not_tell_the_new_on_hand(warehouse_client, counted):
    response = warehouse_client.post(
        reverse("inventory:stock_adjust", kwargs={"sku": "COUNTED-1"}),
        {"warehouse": "WH-A", "delta": "-1", "reason_code": "damaged"},
        follow=True,
    )
    body = response.content
    assert b"counting in progress" in body
    assert str(HIDDEN - 1).encode() not in body
    api = warehouse_client.post(
        reverse("api:movement-list"),
        {
            "kind": "adjustment",
            "warehouse": "WH-A",
            "product": "COUNTED-1",
            "delta": -1,
            "reason_code": "damaged",
        },
        content_type="application/json",
    )
    assert api.status_code == 201
    assert api.json()["on_hand_after"] is None


def test_once_posted_the_stock_shows_again(warehouse_client, counted, warehouse, manager):
    check = InventoryCheck.objects.get()
    checks.check_cancel(check=check, by=manager)
    body = warehouse_client.get(reverse("inventory:stock_list")).content
    assert str(HIDDEN).encode() in body


def test_an_open_count_that_is_not_blind_hides_nothing(warehouse_client, warehouse):
    product = stocked(warehouse, ProductFactory(sku="OPEN-1"), HIDDEN)
    check = InventoryCheckFactory(warehouse=warehouse, blind=False)
    InventoryCheckLineFactory(inventory_check=check, product=product)
    assert str(HIDDEN).encode() in warehouse_client.get(reverse("inventory:stock_list")).content


def test_a_blind_count_elsewhere_hides_nothing_here(
    warehouse_client, warehouse, other_warehouse, manager
):
    product = stocked(warehouse, ProductFactory(sku="TWIN-1"), HIDDEN)
    stocked(other_warehouse, product, 3)
    checks.check_create(
        warehouse=other_warehouse, kind="products", created_by=manager, products=[product]
    )
    assert str(HIDDEN).encode() in warehouse_client.get(reverse("inventory:stock_list")).content


def test_the_stock_list_query_count_stays_flat_for_staff(
    warehouse_client, warehouse, manager, queries_for
):
    url = reverse("inventory:stock_list")
    first = stocked(warehouse, ProductFactory(), 5)
    checks.check_create(warehouse=warehouse, kind="products", created_by=manager, products=[first])
    one = queries_for(warehouse_client, url)
    products = [stocked(warehouse, ProductFactory(), 5) for _ in range(20)]
    checks.check_create(warehouse=warehouse, kind="products", created_by=manager, products=products)
    assert queries_for(warehouse_client, url) == one
