"""A small fulfilment world: two warehouses (Chicago, New York), products with stock received
through inventory.services, and one carrier with a ground and an overnight service priced for
every zone — enough to route, reserve, quote, pack and ship for real."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from inventory import services as stock
from inventory.models import Product, Warehouse
from tests import factories
from vendors.models import CarrierService


@dataclass
class World:
    chicago: Warehouse
    newyork: Warehouse
    widget: Product
    gadget: Product
    gizmo: Product
    ground: CarrierService
    overnight: CarrierService

    def receive(self, warehouse: Warehouse, product: Product, quantity: int) -> None:
        stock.stock_receive(warehouse=warehouse, product=product, quantity=quantity, actor=None)


def order_body(ref: str = "W-1001", lines=None, **overrides) -> dict:
    """DESIGN.md's intake body, shipping to Chicago unless told otherwise."""
    body = {
        "channel": "web",
        "external_ref": ref,
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "ship_to": {
            "name": "Ada Lovelace",
            "line1": "1 Main St",
            "city": "Chicago",
            "region": "IL",
            "postal_code": "60601",
            "country": "US",
        },
        "service_level": "standard",
        "lines": lines
        if lines is not None
        else [{"sku": "WIDGET", "quantity": 2, "unit_price": "19.99"}],
    }
    body.update(overrides)
    return body


def carrier_with_rates() -> tuple[CarrierService, CarrierService]:
    carrier = factories.CarrierFactory(code="ACME", vendor__name="Acme Parcel")
    ground = factories.CarrierServiceFactory(carrier=carrier, code="GND", name="Ground")
    overnight = factories.CarrierServiceFactory(
        carrier=carrier, code="NXT", name="Next day", speed=CarrierService.Speed.OVERNIGHT
    )
    for zone in range(1, 9):
        for grams in (1000, 5000, 30000):
            factories.ShippingRateFactory(
                service=ground,
                zone=zone,
                max_weight_grams=grams,
                price=Decimal("5.00") + zone + grams // 1000,
                transit_days=1 + zone // 2,
            )
            factories.ShippingRateFactory(
                service=overnight,
                zone=zone,
                max_weight_grams=grams,
                price=Decimal("25.00") + 2 * zone + grams // 1000,
                transit_days=1,
            )
    return ground, overnight


@pytest.fixture
def world(db) -> World:
    chicago = factories.WarehouseFactory(
        code="WH-CHI",
        name="Chicago",
        postal_code="60601",
        latitude=Decimal("41.8864"),
        longitude=Decimal("-87.6186"),
        timezone="America/Chicago",
        cutoff_time=datetime.time(23, 59),
    )
    newyork = factories.WarehouseFactory(
        code="WH-NYC",
        name="New York",
        postal_code="10001",
        latitude=Decimal("40.7506"),
        longitude=Decimal("-73.9972"),
        timezone="America/New_York",
        cutoff_time=datetime.time(23, 59),
    )
    widget = factories.ProductFactory(sku="WIDGET", name="Widget", weight_grams=400)
    gadget = factories.ProductFactory(sku="GADGET", name="Gadget", weight_grams=900)
    gizmo = factories.ProductFactory(sku="GIZMO", name="Gizmo", weight_grams=100)
    ground, overnight = carrier_with_rates()
    return World(chicago, newyork, widget, gadget, gizmo, ground, overnight)
