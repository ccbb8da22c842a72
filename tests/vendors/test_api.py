"""The read-only vendor API: vendors, contracts, carriers, purchase orders."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from vendors.models import PurchaseOrder, VendorContract


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def _po(number: str, warehouse, **kwargs) -> PurchaseOrder:
    order = factories.PurchaseOrderFactory(number=number, warehouse=warehouse, **kwargs)
    factories.PurchaseOrderLineFactory(
        purchase_order=order,
        product__sku=f"SKU-{number}",
        quantity=10,
        received=4,
        unit_price=Decimal("12.34"),
    )
    return order


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["api:vendor-list", "api:contract-list", "api:carrier-list", "api:purchaseorder-list"]
)
def test_anonymous_api_requests_are_refused(client, db, name):
    assert client.get(reverse(name)).status_code in (401, 403)


@pytest.mark.parametrize("name", ["api:vendor-list", "api:contract-list", "api:carrier-list"])
def test_warehouse_staff_are_refused_vendors_contracts_and_carriers(warehouse_client, name):
    assert warehouse_client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("api:vendor-list", {}),
        ("api:contract-list", {}),
        ("api:carrier-list", {}),
        ("api:purchaseorder-list", {}),
        ("api:purchaseorder-detail", {"number": "PO-1"}),
        ("api:carrier-detail", {"code": "FASTX"}),
    ],
)
def test_nothing_is_deleted_or_replaced_wholesale(contracts_client, warehouse, name, kwargs):
    # Writes go through POST (create, workflow actions) and PATCH; never PUT or DELETE.
    _po("PO-1", warehouse)
    factories.CarrierFactory(code="FASTX")
    url = reverse(name, kwargs=kwargs)
    methods = [contracts_client.put, contracts_client.delete]
    if kwargs:
        methods.append(contracts_client.post)
    for method in methods:
        assert method(url, data={}, content_type="application/json").status_code == 405
    assert PurchaseOrder.objects.filter(number="PO-1").exists()


# --- vendors ----------------------------------------------------------------------------------


def test_vendor_api_lists_vendors_with_counts_and_contacts(manager_client, warehouse):
    vendor = factories.VendorFactory(name="Acme Parts")
    factories.VendorContactFactory(vendor=vendor, name="Grace Hopper")
    factories.VendorContractFactory(vendor=vendor)
    factories.PurchaseOrderFactory(vendor=vendor, warehouse=warehouse)

    response = manager_client.get(reverse("api:vendor-list"))

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["name"] == "Acme Parts"
    assert (item["active_contracts"], item["open_purchase_orders"]) == (1, 1)
    assert [c["name"] for c in item["contacts"]] == ["Grace Hopper"]


def test_vendor_api_filters_like_the_page(manager_client):
    factories.VendorFactory(name="Acme Parts")
    factories.VendorFactory(name="Fast Freight", kind="carrier")
    response = manager_client.get(reverse("api:vendor-list"), {"kind": "carrier"})
    assert [v["name"] for v in response.json()["results"]] == ["Fast Freight"]
    response = manager_client.get(reverse("api:vendor-list"), {"q": "acme"})
    assert [v["name"] for v in response.json()["results"]] == ["Acme Parts"]


def test_vendor_api_detail(contracts_client):
    vendor = factories.VendorFactory(name="Acme Parts")
    response = contracts_client.get(reverse("api:vendor-detail", args=[vendor.pk]))
    assert response.json()["name"] == "Acme Parts"


def test_vendor_api_list_query_count_does_not_grow(manager_client, warehouse):
    def add():
        vendor = factories.VendorFactory()
        factories.VendorContactFactory(vendor=vendor)
        factories.PurchaseOrderFactory(vendor=vendor, warehouse=warehouse)

    add()
    url = reverse("api:vendor-list")
    manager_client.get(url)
    one = _count_queries(manager_client, url)
    for _ in range(19):
        add()
    assert _count_queries(manager_client, url) == one


# --- contracts --------------------------------------------------------------------------------


def test_contract_api_detail_carries_price_lines(contracts_client, contract_admin):
    contract = factories.VendorContractFactory(number="C-100", owner=contract_admin)
    factories.ContractPriceFactory(
        contract=contract, product__sku="SKU-BOLT", price=Decimal("1.25")
    )

    response = contracts_client.get(reverse("api:contract-detail", args=[contract.pk]))

    body = response.json()
    assert body["number"] == "C-100"
    assert body["owner"] == contract_admin.username
    assert body["has_signed_document"] is False
    assert [(p["sku"], p["price"]) for p in body["prices"]] == [("SKU-BOLT", "1.25")]


def test_contract_api_filters_ending_within(manager_client):
    today = timezone.localdate()
    factories.VendorContractFactory(
        number="C-SOON", start_date=today, end_date=today + datetime.timedelta(days=30)
    )
    factories.VendorContractFactory(
        number="C-LATER", start_date=today, end_date=today + datetime.timedelta(days=200)
    )
    factories.VendorContractFactory(
        number="C-DRAFT",
        status=VendorContract.Status.DRAFT,
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
    )
    response = manager_client.get(reverse("api:contract-list"), {"ending_within": 90})
    assert [c["number"] for c in response.json()["results"]] == ["C-SOON"]
    assert (
        manager_client.get(reverse("api:contract-list"), {"ending_within": "x"}).status_code == 400
    )


def test_contract_api_list_query_count_does_not_grow(manager_client, contract_admin):
    factories.VendorContractFactory(owner=contract_admin)
    url = reverse("api:contract-list")
    manager_client.get(url)
    one = _count_queries(manager_client, url)
    for _ in range(19):
        factories.VendorContractFactory(owner=contract_admin)
    assert _count_queries(manager_client, url) == one


# --- carriers ---------------------------------------------------------------------------------


def test_carrier_api_detail_by_code_nests_services_and_rates(contracts_client):
    rate = factories.ShippingRateFactory(
        service__carrier__code="FASTX", service__code="GND", zone=2, price=Decimal("7.50")
    )

    response = contracts_client.get(reverse("api:carrier-detail", args=["FASTX"]))

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "FASTX"
    assert body["rate_cells"] == 1
    (service,) = body["services"]
    assert service["code"] == "GND"
    assert service["rates"] == [
        {"zone": 2, "max_weight_grams": rate.max_weight_grams, "price": "7.50", "transit_days": 3}
    ]


def test_carrier_api_list_query_count_does_not_grow(manager_client):
    factories.ShippingRateFactory()
    url = reverse("api:carrier-list")
    manager_client.get(url)
    one = _count_queries(manager_client, url)
    for _ in range(19):
        factories.ShippingRateFactory()
    assert _count_queries(manager_client, url) == one


# --- purchase orders --------------------------------------------------------------------------


@pytest.mark.smoke
def test_purchase_order_api_gives_staff_their_warehouses_without_prices(
    warehouse_client, warehouse, other_warehouse
):
    _po("PO-MINE", warehouse)
    _po("PO-THEIRS", other_warehouse)

    response = warehouse_client.get(reverse("api:purchaseorder-list"))

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["number"] == "PO-MINE"
    for priced in ("total", "currency", "contract"):
        assert priced not in item
    (line,) = item["lines"]
    assert (line["quantity"], line["received"], line["outstanding"]) == (10, 4, 6)
    assert "unit_price" not in line
    assert "line_total" not in line
    theirs = reverse("api:purchaseorder-detail", args=["PO-THEIRS"])
    assert warehouse_client.get(theirs).status_code == 404


def test_purchase_order_api_gives_prices_to_managers(manager_client, warehouse):
    contract = factories.VendorContractFactory(number="C-1")
    _po("PO-1", warehouse, contract=contract)

    response = manager_client.get(reverse("api:purchaseorder-detail", args=["PO-1"]))

    body = response.json()
    assert (body["total"], body["currency"], body["contract"]) == ("123.40", "USD", "C-1")
    (line,) = body["lines"]
    assert (line["unit_price"], line["line_total"]) == ("12.34", "123.40")


def test_purchase_order_api_filters_status_and_late(manager_client, warehouse):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _po("PO-LATE", warehouse, status=PurchaseOrder.Status.SENT, expected_date=yesterday)
    _po("PO-DRAFT", warehouse)
    url = reverse("api:purchaseorder-list")
    late = manager_client.get(url, {"late": "true"}).json()["results"]
    assert [(p["number"], p["is_late"]) for p in late] == [("PO-LATE", True)]
    sent = manager_client.get(url, {"status": "sent"}).json()["results"]
    assert [p["number"] for p in sent] == ["PO-LATE"]


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_purchase_order_api_list_query_count_does_not_grow(request, warehouse, client_fixture):
    client = request.getfixturevalue(client_fixture)
    _po("PO-00", warehouse)
    url = reverse("api:purchaseorder-list")
    client.get(url)
    one = _count_queries(client, url)
    for n in range(1, 20):
        _po(f"PO-{n:02d}", warehouse)
    assert _count_queries(client, url) == one
