"""Factories for vendor tests beyond tests/factories.py (deterministic: Sequence, no random)."""

import datetime
from decimal import Decimal

from tests import factories


def rate_card(service, zone: int, cells: list[tuple[int, str, int]]) -> list:
    """ShippingRate rows for one service and zone: (max_weight_grams, price, transit_days)."""
    return [
        factories.ShippingRateFactory(
            service=service,
            zone=zone,
            max_weight_grams=grams,
            price=Decimal(price),
            transit_days=days,
        )
        for grams, price, days in cells
    ]


def chicago_warehouse(**kwargs):
    """A warehouse in Springfield, IL on Chicago time with a 15:00 cut-off."""
    defaults = {
        "code": "WH-SPI",
        "name": "Springfield",
        "timezone": "America/Chicago",
        "cutoff_time": datetime.time(15, 0),
    }
    return factories.WarehouseFactory(**{**defaults, **kwargs})


def pdf_bytes(pages: int = 1) -> bytes:
    """A real, readable PDF made with pypdf."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
