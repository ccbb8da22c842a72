"""Carriers, services, rate card CSV import (all or nothing) and the quote page."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from tests.vendors.factories import chicago_warehouse, rate_card
from vendors import rating
from vendors.models import Carrier, CarrierService, ShippingRate, Vendor

CARD = (
    "service,zone,max_weight_grams,price,transit_days\n"
    "GND,1,1000,4.10,1\n"
    "GND,1,5000,6.20,2\n"
    "GND,2,1000,5.00,3\n"
    "GND,2,5000,8.00,3\n"
    "EXP,2,1000,12.00,1\n"
)


@pytest.fixture
def carrier(db):
    carrier = factories.CarrierFactory(code="FAST", vendor__name="Fast Freight")
    for code, name, speed in (("GND", "Ground", "ground"), ("EXP", "Express", "overnight")):
        factories.CarrierServiceFactory(carrier=carrier, code=code, name=name, speed=speed)
    return carrier


def _import(client, carrier, text: str, encoding: str = "utf-8"):
    return client.post(
        reverse("vendors:rate_import", args=[carrier.code]),
        {"file": SimpleUploadedFile("card.csv", text.encode(encoding), content_type="text/csv")},
    )


def test_a_contract_admin_creates_a_carrier_and_a_service(contracts_client):
    response = contracts_client.post(
        reverse("vendors:carrier_create"),
        {
            "vendor_name": "Zephyr Parcel",
            "code": "zph",
            "tracking_url_template": "https://zephyr.example.com/t?n={tracking_number}",
            "is_active": "on",
        },
    )
    carrier = Carrier.objects.get(code="ZPH")
    assert response["Location"] == reverse("vendors:carrier_detail", args=["ZPH"])
    assert carrier.vendor.kind == Vendor.Kind.CARRIER
    assert carrier.tracking_url("1Z9") == "https://zephyr.example.com/t?n=1Z9"

    response = contracts_client.post(
        reverse("vendors:service_create", args=["ZPH"]),
        {"code": "zph-gnd", "name": "Ground", "speed": "ground", "is_active": "on"},
    )
    assert response.status_code == 302
    assert carrier.services.get().code == "ZPH-GND"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://t.example.com/", "Put {tracking_number} where the number goes."),
        ("javascript:alert(1)//{tracking_number}", "The template must be an http(s) address."),
        ("https://t.example.com/{tracking_number}/{other}", "Only {tracking_number} may appear"),
    ],
)
def test_a_bad_tracking_template_is_refused(contracts_client, carrier, template, message):
    response = contracts_client.post(
        reverse("vendors:carrier_edit", args=[carrier.code]),
        {"code": carrier.code, "tracking_url_template": template, "is_active": "on"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_supplier_vendor_cannot_become_a_carrier(contracts_client):
    factories.VendorFactory(name="Bolt Supply", kind=Vendor.Kind.SUPPLIER)
    response = contracts_client.post(
        reverse("vendors:carrier_create"), {"vendor_name": "Bolt Supply", "code": "BOLT"}
    )
    assert response.status_code == 400
    assert "Bolt Supply is a vendor of kind Supplier." in response.content.decode()
    assert not Carrier.objects.exists()


def test_a_rate_card_is_imported_and_quoted(contracts_client, manager_client, carrier):
    other = factories.CarrierServiceFactory(carrier=carrier, code="KEEP")
    rate_card(other, 2, [(1000, "9.99", 2)])
    old = CarrierService.objects.get(carrier=carrier, code="GND")
    rate_card(old, 2, [(1000, "99.00", 9)])

    response = _import(contracts_client, carrier, CARD)

    assert response.status_code == 302
    rates = ShippingRate.objects.filter(service__carrier=carrier)
    assert rates.filter(service__code="GND").count() == 4  # the old GND card was replaced
    assert rates.filter(service__code="KEEP").count() == 1  # not named in the file: kept
    assert rates.get(service__code="EXP").price == Decimal("12.00")

    warehouse = chicago_warehouse()
    page = manager_client.get(
        reverse("vendors:quote"),
        {
            "origin": warehouse.pk,
            "country": "US",
            "postal_code": "60601",  # Chicago: zone 2 from Springfield
            "weight_grams": "800",
            "service_level": "overnight",
            "ship_date": "2026-06-10",
        },
    )
    assert page.status_code == 200
    quotes = page.context["quotes"]
    assert [(q.service_code, q.price) for q in quotes] == [
        ("GND", Decimal("5.00")),
        ("KEEP", Decimal("9.99")),
        ("EXP", Decimal("12.00")),
    ]
    assert page.context["chosen"].service_code == "EXP"
    content = page.content.decode()
    assert content.count('data-testid="quote-row"') == 3
    assert "Mon 2026-06-15" in content  # GND: Wed + 3 business days
    assert "zone 2" in content


def test_bad_rows_import_nothing_and_name_row_and_column(contracts_client, carrier):
    bad = (
        "\ufeffservice;zone;max_weight_grams;price;transit_days\n"
        "GND;1;1000;4.10;1\n"
        "NOPE;1;1000;4.10;1\n"
        "GND;9;1000;4.10;1\n"
        "GND;1;abc;4,10;1\n"
        "GND;1;1000;4.10;1\n"
    )
    response = _import(contracts_client, carrier, bad)
    assert response.status_code == 400
    problems = [(p.row, p.column) for p in response.context["problems"]]
    assert problems == [
        (3, "service"),
        (4, "zone"),
        (5, "max_weight_grams"),
        (5, "price"),
        (6, "max_weight_grams"),
    ]
    content = response.content.decode()
    assert "&#x27;NOPE&#x27; is not a service of FAST (EXP, GND)." in content
    assert "(use a dot for decimals)" in content
    assert "Same service, zone and weight break as row 2." in content
    assert not ShippingRate.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service,zone,price\nGND,1,4.10\n", "This column is required."),
        ("service,zone,max_weight_grams,price,transit_days,colour\n", "Unknown column."),
        (
            "service,zone,max_weight_grams,price,transit_days\n",
            "The file has a header but no rates.",
        ),
        ("", "The submitted file is empty."),
        ("\n\n", "The file is empty."),
    ],
)
def test_header_problems_are_reported(contracts_client, carrier, text, message):
    response = _import(contracts_client, carrier, text)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_file_that_is_not_utf8_is_refused(contracts_client, carrier):
    text = "service,zone,max_weight_grams,price,transit_days\nGND,1,1000,4.10,1 \xe9\n"
    response = _import(contracts_client, carrier, text, encoding="latin-1")
    assert response.status_code == 400
    assert "The file is not UTF-8 text" in response.content.decode()


def test_an_import_drops_the_cached_rates_at_once(contracts_client, carrier):
    warehouse = chicago_warehouse()
    gnd = carrier.services.get(code="GND")
    rate_card(gnd, 2, [(1000, "50.00", 3)])
    before = rating.quote(origin=warehouse, destination=(41.88, -87.63), weight_grams=500)
    assert [q.price for q in before] == [Decimal("50.00")]

    _import(contracts_client, carrier, CARD)

    after = rating.quote(origin=warehouse, destination=(41.88, -87.63), weight_grams=500)
    assert [q.price for q in after] == [Decimal("5.00"), Decimal("12.00")]


def test_quote_page_explains_an_unknown_postal_code(manager_client):
    warehouse = chicago_warehouse()
    response = manager_client.get(
        reverse("vendors:quote"),
        {"origin": warehouse.pk, "country": "US", "postal_code": "00000", "weight_grams": "500"},
    )
    assert response.status_code == 400
    assert "Postal code 00000 (US) is not in the bundled data set" in response.content.decode()
    by_coordinates = manager_client.get(
        reverse("vendors:quote"),
        {"origin": warehouse.pk, "latitude": "41.88", "longitude": "-87.63", "weight_grams": "1"},
    )
    assert by_coordinates.status_code == 200
    assert by_coordinates.context["quotes"] == []


@pytest.mark.parametrize("client_name", ["manager_client", "warehouse_client"])
def test_only_contract_admins_edit_carriers_and_rates(request, client_name, carrier):
    client = request.getfixturevalue(client_name)
    service = carrier.services.first()
    for url in (
        reverse("vendors:carrier_create"),
        reverse("vendors:carrier_edit", args=[carrier.code]),
        reverse("vendors:service_create", args=[carrier.code]),
        reverse("vendors:service_edit", args=[carrier.code, service.pk]),
        reverse("vendors:rate_import", args=[carrier.code]),
    ):
        assert client.post(url, {"code": "X", "vendor_name": "X"}).status_code == 403, url
    assert not ShippingRate.objects.exists()
    assert Carrier.objects.count() == 1


def test_warehouse_staff_cannot_quote(warehouse_client):
    assert warehouse_client.get(reverse("vendors:quote")).status_code == 403
