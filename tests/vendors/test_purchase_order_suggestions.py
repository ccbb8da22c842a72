"""Draft POs from inventory's replenishment suggestions; open POs count as inbound."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import selectors as inventory_selectors
from tests import factories
from vendors import services
from vendors.models import PurchaseOrder


@pytest.fixture
def short_stock(db, warehouse):
    """Two products short in the warehouse; two vendors price the bolt, nobody the washer."""
    today = timezone.localdate()
    bolt = factories.ProductFactory(sku="SKU-BOLT", lead_time_days=7)
    washer = factories.ProductFactory(sku="SKU-WASHER", lead_time_days=7)
    for product in (bolt, washer):
        factories.StockLevelFactory(
            warehouse=warehouse, product=product, on_hand=2, reorder_point=20, safety_stock=5
        )
    cheap, dear = (
        factories.VendorFactory(name="Cheap Bolts"),
        factories.VendorFactory(name="Dear Bolts"),
    )
    for vendor, price in ((cheap, "0.80"), (dear, "1.10")):
        contract = factories.VendorContractFactory(
            vendor=vendor,
            start_date=today - datetime.timedelta(days=10),
            end_date=today + datetime.timedelta(days=200),
        )
        factories.ContractPriceFactory(
            contract=contract, product=bolt, price=Decimal(price), lead_time_days=5
        )
    return {"bolt": bolt, "washer": washer, "cheap": cheap}


def test_vendors_registered_open_pos_as_inbound_stock():
    assert services.open_po_quantities in inventory_selectors._INBOUND_SOURCES


def test_suggestions_become_drafts_from_the_cheapest_contract_supplier(
    contracts_client, short_stock, warehouse
):
    page = contracts_client.get(reverse("vendors:purchaseorder_suggestions"))
    content = page.content.decode()
    assert page.status_code == 200
    assert content.count('data-testid="suggestion-row"') == 2
    assert "Cheap Bolts" in content
    assert "no contract price" in content

    bolt, washer = short_stock["bolt"], short_stock["washer"]
    response = contracts_client.post(
        reverse("vendors:purchaseorder_suggestions"),
        {"pick": [f"{warehouse.pk}:{bolt.pk}", f"{warehouse.pk}:{washer.pk}", "junk"]},
    )
    assert response.status_code == 302
    po = PurchaseOrder.objects.get()
    assert po.vendor == short_stock["cheap"]
    line = po.lines.get()
    assert (line.product, line.quantity, line.unit_price) == (bolt, 23, Decimal("0.80"))
    follow = contracts_client.get(response["Location"])
    assert "No contract in force prices: WH-A/SKU-WASHER." in follow.content.decode()

    # Sent, the order is inbound: the bolt is no longer suggested.
    services.purchase_order_send(purchase_order=po, by=None)
    left = inventory_selectors.replenishment_suggestions([warehouse.pk])
    assert [s.product.sku for s in left] == ["SKU-WASHER"]


def test_the_suggestions_page_query_count_does_not_grow(contracts_client, short_stock, warehouse):
    url = reverse("vendors:purchaseorder_suggestions")
    contracts_client.get(url)
    with CaptureQueriesContext(connection) as few:
        contracts_client.get(url)
    contract = short_stock["cheap"].contracts.get()
    for i in range(20):
        product = factories.ProductFactory(sku=f"SKU-MORE-{i}", lead_time_days=7)
        factories.StockLevelFactory(
            warehouse=warehouse, product=product, on_hand=0, reorder_point=5, safety_stock=1
        )
        factories.ContractPriceFactory(contract=contract, product=product)
    with CaptureQueriesContext(connection) as many:
        response = contracts_client.get(url)
    assert response.content.decode().count('data-testid="suggestion-row"') == 22
    assert len(many) == len(few)


def test_nothing_chosen_is_an_error_not_a_crash(contracts_client, short_stock):
    response = contracts_client.post(reverse("vendors:purchaseorder_suggestions"), {})
    assert response.status_code == 302
    assert not PurchaseOrder.objects.exists()
