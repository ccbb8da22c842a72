"""The carrier tracking webhook: HMAC-signed, delivered / exception, refused when unsigned."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from orders import services
from orders.intake import parse_order
from orders.models import Order, Shipment
from orders.views import webhook_signature
from tests.orders.conftest import order_body

SECRET = "acme-webhook-secret"


@pytest.fixture
def shipped(manager, world, settings):
    settings.CARRIER_WEBHOOK_SECRETS = {"ACME": SECRET}
    settings.CARRIER_WEBHOOK_SECRET = ""
    world.receive(world.chicago, world.widget, 5)
    order = services.order_intake(data=parse_order(order_body()), by=manager).order
    shipment = order.shipments.get()
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=900)
    return services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-777")


def call(client, event: dict, *, secret=SECRET, carrier="ACME", timestamp=None, signature=None):
    body = json.dumps(event).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "HTTP_X_OPSPORTAL_TIMESTAMP": timestamp,
        "HTTP_X_OPSPORTAL_SIGNATURE": signature or webhook_signature(secret, timestamp, body),
    }
    url = reverse("orders:carrier_webhook", args=[carrier])
    return client.post(url, body, content_type="application/json", **headers)


def test_a_signed_delivery_event_delivers_the_shipment(client, shipped):
    response = call(
        client,
        {
            "tracking_number": "ACME-777",
            "status": "delivered",
            "occurred_at": "2026-11-25T14:05:00Z",
        },
    )
    assert response.status_code == 200, response.content
    shipped.refresh_from_db()
    assert shipped.status == Shipment.Status.DELIVERED
    assert shipped.delivered_at.isoformat() == "2026-11-25T14:05:00+00:00"
    assert shipped.order.__class__.objects.get(pk=shipped.order_id).status == Order.Status.DELIVERED
    # The carrier retries: nothing changes, still 200.
    again = call(client, {"tracking_number": "ACME-777", "status": "delivered"})
    assert again.status_code == 200


def test_an_exception_event_flags_the_order(client, shipped):
    response = call(
        client,
        {"tracking_number": "ACME-777", "status": "exception", "reason": "Address not found"},
    )
    assert response.status_code == 200
    shipped.refresh_from_db()
    assert shipped.status == Shipment.Status.EXCEPTION
    assert Order.objects.get(pk=shipped.order_id).at_risk


def test_a_wrong_signature_is_refused(client, shipped):
    response = call(client, {"tracking_number": "ACME-777", "status": "delivered"}, secret="guess")
    assert response.status_code == 403
    shipped.refresh_from_db()
    assert shipped.status == Shipment.Status.SHIPPED


def test_a_signature_of_another_body_is_refused(client, shipped):
    timestamp = str(int(time.time()))
    other = webhook_signature(SECRET, timestamp, b'{"status": "in_transit"}')
    response = call(
        client,
        {"tracking_number": "ACME-777", "status": "delivered"},
        timestamp=timestamp,
        signature=other,
    )
    assert response.status_code == 403


def test_an_old_signature_is_refused(client, shipped):
    stale = int(time.time()) - 3600
    response = call(client, {"tracking_number": "ACME-777", "status": "delivered"}, timestamp=stale)
    assert response.status_code == 403


def test_a_carrier_without_a_secret_is_refused(client, shipped):
    response = call(client, {"tracking_number": "ACME-777", "status": "delivered"}, carrier="OTHER")
    assert response.status_code == 403


def test_an_unknown_tracking_number_is_404_and_a_bad_status_400(client, shipped):
    assert call(client, {"tracking_number": "NOPE", "status": "delivered"}).status_code == 404
    assert call(client, {"tracking_number": "ACME-777", "status": "lost"}).status_code == 400


def test_get_is_not_allowed(client, shipped):
    assert client.get(reverse("orders:carrier_webhook", args=["ACME"])).status_code == 405
