"""The carrier list and the carrier detail page with its rate cards."""

import csv
import io
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

LIST = reverse("vendors:carrier_list")


def _detail(code: str) -> str:
    return reverse("vendors:carrier_detail", args=[code])


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def _carrier_with_rates(code: str, zones=(1, 2), weights=(1000, 5000)):
    service = factories.CarrierServiceFactory(carrier__code=code, code=f"{code}-GND")
    for zone in zones:
        for weight in weights:
            factories.ShippingRateFactory(
                service=service,
                zone=zone,
                max_weight_grams=weight,
                price=Decimal(zone * 5 + weight // 1000),
            )
    return service.carrier


def test_carrier_list_shows_services_and_rate_cell_count(manager_client):
    carrier = _carrier_with_rates("FASTX")
    factories.CarrierServiceFactory(carrier=carrier, name="Overnight Air")

    response = manager_client.get(LIST)

    assert response.status_code == 200
    (row,) = response.context["page_obj"]
    assert (row.code, row.rate_cells) == ("FASTX", 4)
    assert b"Overnight Air" in response.content
    assert carrier.vendor.name.encode() in response.content


def test_warehouse_staff_cannot_see_carriers(warehouse_client):
    carrier = factories.CarrierFactory()
    assert warehouse_client.get(LIST).status_code == 403
    assert warehouse_client.get(_detail(carrier.code)).status_code == 403


def test_anonymous_is_sent_to_login_from_carriers(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_carrier_pages_refuse_post(contracts_client):
    carrier = factories.CarrierFactory()
    assert contracts_client.post(LIST).status_code == 405
    assert contracts_client.post(_detail(carrier.code)).status_code == 405


def test_carrier_list_searches_code_and_vendor_name(contracts_client):
    factories.CarrierFactory(code="FASTX", vendor__name="Fast Freight")
    factories.CarrierFactory(code="SLOWY", vendor__name="Slow Boat")

    def codes(query: str) -> list[str]:
        return [c.code for c in contracts_client.get(f"{LIST}?{query}").context["page_obj"]]

    assert codes("q=fastx") == ["FASTX"]
    assert codes("q=boat") == ["SLOWY"]
    assert codes("is_active=false") == []


def test_carrier_list_exports_csv(contracts_client):
    _carrier_with_rates("FASTX")
    response = contracts_client.get(f"{LIST}?format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Code", "Vendor", "Services", "Rate cells", "Active"]
    assert rows[1][0] == "FASTX"
    assert rows[1][3] == "4"


def test_carrier_list_query_count_does_not_grow_with_rows(manager_client):
    _carrier_with_rates("CAR00")
    manager_client.get(LIST)
    one = _count_queries(manager_client, LIST)
    one_csv = _count_queries(manager_client, f"{LIST}?format=csv")
    for n in range(1, 20):
        _carrier_with_rates(f"CAR{n:02d}")
    assert _count_queries(manager_client, LIST) == one
    assert _count_queries(manager_client, f"{LIST}?format=csv") == one_csv


def test_carrier_detail_shows_each_rate_card_as_zone_by_weight_table(manager_client):
    carrier = _carrier_with_rates("FASTX", zones=(1, 2), weights=(1000, 5000))
    # A missing cell stays an empty cell, not a shifted row.
    factories.ShippingRateFactory(
        service=carrier.services.get(), zone=3, max_weight_grams=1000, price=Decimal("20.00")
    )

    response = manager_client.get(_detail("FASTX"))

    assert response.status_code == 200
    ((service, card),) = response.context["services"]
    assert card.weight_breaks == [1000, 5000]
    assert [(zone, [r.price if r else None for r in cells]) for zone, cells in card.rows] == [
        (1, [Decimal("6.00"), Decimal("10.00")]),
        (2, [Decimal("11.00"), Decimal("15.00")]),
        (3, [Decimal("20.00"), None]),
    ]
    content = response.content.decode()
    assert "≤ 5000 g" in content
    assert content.count('data-testid="rate-row"') == 3


def test_carrier_detail_queries_do_not_grow_with_services(manager_client):
    carrier = _carrier_with_rates("FASTX")
    manager_client.get(_detail("FASTX"))
    one = _count_queries(manager_client, _detail("FASTX"))
    for n in range(5):
        service = factories.CarrierServiceFactory(carrier=carrier)
        factories.ShippingRateFactory(service=service, zone=n + 1)
    assert _count_queries(manager_client, _detail("FASTX")) == one


def test_carrier_detail_of_an_unknown_code_is_404(manager_client):
    assert manager_client.get(_detail("NOPE")).status_code == 404
