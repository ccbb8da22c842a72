"""The order page: lines, allocations, "why this warehouse", shipments, timeline, emails."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import CustomerEmail, OrderEvent
from tests.factories import (
    CarrierFactory,
    CarrierServiceFactory,
    CustomerEmailFactory,
    OrderEventFactory,
    ShipmentFactory,
)
from tests.orders.factories import order_in


def _url(order) -> str:
    return reverse("orders:order_detail", kwargs={"number": order.number})


def _body(client, order) -> str:
    response = client.get(_url(order))
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_is_sent_to_login(client, warehouse):
    response = client.get(_url(order_in(warehouse).order))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_contract_admins_cannot_see_an_order(contracts_client, warehouse):
    assert contracts_client.get(_url(order_in(warehouse).order)).status_code == 403


def test_the_page_is_read_only(manager_client, warehouse):
    assert manager_client.post(_url(order_in(warehouse).order)).status_code == 405


def test_an_unknown_number_is_not_found(manager_client, db):
    assert manager_client.get(reverse("orders:order_detail", args=["NOPE"])).status_code == 404


@pytest.mark.smoke
def test_managers_see_lines_allocations_shipments_timeline_and_emails(manager_client, warehouse):
    service = CarrierServiceFactory(
        name="Ground Saver",
        carrier=CarrierFactory(
            code="ACME", tracking_url_template="https://track.example.com/?n={tracking_number}"
        ),
    )
    placed = order_in(warehouse, number="W-42", total_amount=Decimal("39.98"))
    placed.shipment.carrier_service = service
    placed.shipment.tracking_number = "1Z42"
    placed.shipment.quotes = [
        {"service": "ACME:GROUND", "price": "7.50", "transit_days": 3},
        {"service": "ACME:AIR", "price": "19.00", "transit_days": 1, "chosen": False},
    ]
    placed.shipment.save()
    OrderEventFactory(order=placed.order, kind=OrderEvent.Kind.ROUTED, message="Routed to WH-A")
    CustomerEmailFactory(order=placed.order, status=CustomerEmail.Status.SENT, subject="Thanks!")

    body = _body(manager_client, placed.order)

    assert "Order W-42" in body
    assert placed.line.product.sku in body
    assert 'data-testid="line-backordered">1<' in body  # 2 ordered, 1 allocated, 0 shipped
    assert 'data-testid="allocation-table"' in body
    assert warehouse.code in body
    assert "ACME · Ground Saver" in body
    assert 'href="https://track.example.com/?n=1Z42"' in body
    assert "Transit days" in body
    assert "19.00" in body
    assert "Routed to WH-A" in body
    assert "Thanks!" in body
    assert "39.98 USD" in body
    assert '<td class="num">19.99</td><td class="num">39.98</td>' in body  # unit, line total


def test_an_order_not_routed_yet_says_so(manager_client, warehouse):
    placed = order_in(warehouse, routing={})

    assert "Not routed yet" in _body(manager_client, placed.order)


def test_the_routing_decision_shows_every_candidate(manager_client, warehouse):
    routing = {
        "chosen": ["WH-A"],
        "reason": "fills every line, promise met",
        "candidates": [
            {"warehouse": "WH-A", "fills_all": True, "shipping_cost": "7.50", "distance_km": 12},
            {"warehouse": "WH-B", "fills_all": False, "distance_km": 300, "missing": {"SKU": 1}},
        ],
    }
    placed = order_in(warehouse, routing=routing)

    body = _body(manager_client, placed.order)

    assert "fills every line, promise met" in body
    assert 'data-testid="routing-candidates"' in body
    assert "<th>Distance km</th>" in body
    assert "<th>Missing</th>" in body
    assert "<td>300</td>" in body
    assert "{&quot;SKU&quot;: 1}" in body  # nested values as (escaped) JSON
    assert "<th>Shipping cost</th>" in body


def test_warehouse_staff_see_their_order_without_prices_or_emails(warehouse_client, warehouse):
    placed = order_in(
        warehouse,
        total_amount=Decimal("555.55"),
        routing={"candidates": [{"warehouse": "WH-A", "shipping_cost": "7.50"}]},
    )
    placed.shipment.cost = Decimal("6.66")
    placed.shipment.quotes = [{"service": "ACME:GROUND", "price": "7.77", "transit_days": 3}]
    placed.shipment.save()
    CustomerEmailFactory(order=placed.order, subject="Secret subject")

    body = _body(warehouse_client, placed.order)

    assert placed.line.product.sku in body
    for hidden in ("555.55", "19.99", "6.66", "7.77", "7.50", "Shipping cost", "Secret subject"):
        assert hidden not in body, hidden
    assert "Transit days" in body  # the quote without its price


def test_warehouse_staff_get_404_for_an_order_of_another_warehouse(
    warehouse_client, other_warehouse
):
    assert warehouse_client.get(_url(order_in(other_warehouse).order)).status_code == 404


def test_warehouse_staff_see_only_their_part_of_a_split_order(
    warehouse_client, warehouse, other_warehouse
):
    placed = order_in(warehouse)
    theirs = ShipmentFactory(order=placed.order, warehouse=other_warehouse)

    body = _body(warehouse_client, placed.order)

    assert f'id="shipment-{placed.shipment.pk}"' in body
    assert f'id="shipment-{theirs.pk}"' not in body
    assert other_warehouse.code not in body


def test_text_users_typed_is_escaped(manager_client, warehouse):
    placed = order_in(
        warehouse,
        customer_name="<script>alert(1)</script>",
        routing={"reason": "<b>bold</b>"},
    )

    body = _body(manager_client, placed.order)

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "<b>bold</b>" not in body


def test_a_tracking_template_that_is_not_http_gives_no_link(manager_client, warehouse):
    service = CarrierServiceFactory(
        carrier=CarrierFactory(tracking_url_template="javascript:alert('{tracking_number}')")
    )
    placed = order_in(warehouse)
    placed.shipment.carrier_service = service
    placed.shipment.tracking_number = "1Z1"
    placed.shipment.save()

    body = _body(manager_client, placed.order)

    assert "javascript:" not in body
    assert "1Z1" in body
