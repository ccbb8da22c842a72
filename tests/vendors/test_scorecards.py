"""Scorecards: carrier on-time delivery from shipments; vendor pages stay flat in queries."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from vendors import selectors, services


def test_carrier_on_time_delivery_counts_delivered_shipments_against_the_estimate(
    manager_client, warehouse
):
    service = factories.CarrierServiceFactory(carrier__code="ONTIME")
    carrier = service.carrier
    now = timezone.now()
    today = timezone.localdate()

    def shipment(delivered_days_ago, estimated_days_ago):
        factories.ShipmentFactory(
            warehouse=warehouse,
            carrier_service=service,
            status="delivered" if delivered_days_ago is not None else "shipped",
            delivered_at=(
                now - datetime.timedelta(days=delivered_days_ago)
                if delivered_days_ago is not None
                else None
            ),
            estimated_delivery_date=today - datetime.timedelta(days=estimated_days_ago),
        )

    shipment(5, 4)  # a day early
    shipment(5, 5)  # on the day
    shipment(3, 5)  # two days late
    shipment(None, 1)  # not delivered yet: not counted
    shipment(400, 400)  # outside the year

    card = selectors.carrier_scorecard(carrier, today=today)
    assert (card.delivered, card.on_time) == (3, 2)
    assert str(card.on_time_pct) == "66.7"
    content = manager_client.get(
        reverse("vendors:carrier_detail", args=[carrier.code])
    ).content.decode()
    assert "66.7 % of 3 delivered" in content


def test_vendor_detail_queries_do_not_grow_with_orders_and_issues(manager_client, warehouse):
    today = timezone.localdate()
    vendor = factories.VendorFactory(name="Busy Supply")
    factories.VendorContactFactory(vendor=vendor)
    contract = factories.VendorContractFactory(
        vendor=vendor,
        start_date=today - datetime.timedelta(days=5),
        end_date=today + datetime.timedelta(days=50),
    )

    def add_order(i):
        product = factories.ProductFactory(sku=f"SKU-BUSY-{i}")
        factories.ContractPriceFactory(contract=contract, product=product)
        po = services.purchase_order_create(
            vendor=vendor,
            warehouse=warehouse,
            lines=[services.OrderLineData(product, 4)],
            by=None,
        )
        services.purchase_order_send(purchase_order=po, by=None)
        services.purchase_order_receive(
            purchase_order=po, receipts=[services.Receipt(product.sku, 2)], by=None
        )
        factories.NonConformanceFactory(vendor=vendor, quantity=1)

    url = reverse("vendors:vendor_detail", args=[vendor.pk])
    add_order(0)
    manager_client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(url).status_code == 200
    for i in range(1, 21):
        add_order(i)
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(url)
    assert response.content.decode().count('data-testid="purchaseorder-row"') == 21
    assert len(many) == len(one), "\n".join(q["sql"][:150] for q in many.captured_queries)


def test_receive_page_queries_do_not_grow_with_lines(warehouse_client, warehouse):
    vendor = factories.VendorFactory()
    po = factories.PurchaseOrderFactory(vendor=vendor, warehouse=warehouse, status="sent")
    factories.PurchaseOrderLineFactory(purchase_order=po)
    url = reverse("vendors:purchaseorder_receive", args=[po.number])
    warehouse_client.get(url)
    with CaptureQueriesContext(connection) as one:
        warehouse_client.get(url)
    for _ in range(20):
        factories.PurchaseOrderLineFactory(purchase_order=po)
    with CaptureQueriesContext(connection) as many:
        response = warehouse_client.get(url)
    assert response.content.decode().count('data-testid="receive-line"') == 21
    assert len(many) == len(one)
