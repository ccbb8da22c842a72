"""Vendors API writes: contract admins write, 409 on stale versions, staff receive POs."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockMovement
from opsportal.models import OutboundEmail
from tests import factories
from vendors.models import PurchaseOrder, ShippingRate, Vendor, VendorContract


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_a_contract_admin_creates_a_vendor_and_a_contract_with_prices(contracts_client):
    response = _post(
        contracts_client,
        reverse("api:vendor-list"),
        {
            "name": "API Supply",
            "kind": "supplier",
            "email": "sales@api.example.com",
            "status": "qualified",
            "status_reason": "Audit 2026-03",
            "contacts": [{"name": "Ann", "email": "ann@api.example.com", "is_primary": True}],
        },
    )
    assert response.status_code == 201, response.json()
    vendor_id = response.json()["id"]
    assert response.json()["contacts"][0]["name"] == "Ann"
    assert Vendor.objects.get(pk=vendor_id).status_reason == "Audit 2026-03"

    factories.ProductFactory(sku="SKU-API")
    response = _post(
        contracts_client,
        reverse("api:contract-list"),
        {
            "vendor": vendor_id,
            "number": "C-API-1",
            "title": "API terms",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "owner": "contracts",
            "prices": [{"sku": "sku-api", "price": "4.50", "min_qty": 10}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["version"], body["owner"]) == ("draft", 1, "contracts")
    assert body["prices"][0]["sku"] == "SKU-API"
    assert body["prices"][0]["price"] == "4.50"


def test_a_stale_version_is_a_409_and_changes_nothing(contracts_client):
    contract = factories.VendorContractFactory(title="Before")
    url = reverse("api:contract-detail", args=[contract.pk])

    first = _patch(contracts_client, url, {"version": 1, "title": "After"})
    second = _patch(contracts_client, url, {"version": 1, "title": "Lost update"})
    missing = _patch(contracts_client, url, {"title": "No version"})

    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert second.status_code == 409
    assert "Someone else saved this contract" in str(second.json())
    assert missing.status_code == 400
    assert "version" in missing.json()
    contract.refresh_from_db()
    assert (contract.title, contract.version) == ("After", 2)


def test_contract_lifecycle_actions(contracts_client):
    contract = factories.VendorContractFactory(number="C-ACT", status=VendorContract.Status.DRAFT)
    activate = _post(
        contracts_client, reverse("api:contract-activate", args=[contract.pk]), {"version": 1}
    )
    assert (activate.status_code, activate.json()["status"]) == (200, "active")
    again = _post(
        contracts_client, reverse("api:contract-activate", args=[contract.pk]), {"version": 2}
    )
    assert again.status_code == 409

    renew = _post(
        contracts_client, reverse("api:contract-renew", args=[contract.pk]), {"version": 3}
    )
    assert renew.status_code == 409  # the failed activation did not bump the version
    renew = _post(
        contracts_client, reverse("api:contract-renew", args=[contract.pk]), {"version": 2}
    )
    assert renew.status_code == 201
    assert renew.json()["number"] == "C-ACT-R2"
    assert renew.json()["previous"] == contract.pk

    terminate = _post(
        contracts_client,
        reverse("api:contract-terminate", args=[renew.json()["id"]]),
        {"version": 1},
    )
    assert terminate.status_code == 400
    assert "reason" in terminate.json()


@pytest.mark.parametrize("client_name", ["manager_client", "warehouse_client"])
def test_managers_and_staff_cannot_write_through_the_api(request, client_name, warehouse):
    client = request.getfixturevalue(client_name)
    contract = factories.VendorContractFactory()
    carrier = factories.CarrierFactory(code="NOWRITE")
    po = factories.PurchaseOrderFactory(number="PO-NOWRITE", warehouse=warehouse)
    attempts = [
        (reverse("api:vendor-list"), {"name": "x"}),
        (reverse("api:vendor-status", args=[contract.vendor_id]), {"status": "qualified"}),
        (reverse("api:contract-list"), {"title": "x"}),
        (reverse("api:contract-activate", args=[contract.pk]), {"version": 1}),
        (reverse("api:carrier-list"), {"code": "X"}),
        (reverse("api:carrier-rate-import", args=[carrier.code]), {"csv": "x"}),
        (reverse("api:carrier-services", args=[carrier.code]), {"code": "X"}),
        (reverse("api:purchaseorder-list"), {"vendor": 1}),
        (reverse("api:purchaseorder-send", args=[po.number]), {}),
        (reverse("api:purchaseorder-cancel", args=[po.number]), {"reason": "x"}),
    ]
    for url, data in attempts:
        assert _post(client, url, data).status_code == 403, url
    patched = _patch(
        client, reverse("api:contract-detail", args=[contract.pk]), {"version": 1, "title": "x"}
    )
    assert patched.status_code == 403
    assert ShippingRate.objects.count() == 0
    assert PurchaseOrder.objects.get(number="PO-NOWRITE").status == "draft"


def test_rate_card_import_through_the_api(contracts_client):
    carrier = factories.CarrierFactory(code="APIC")
    factories.CarrierServiceFactory(carrier=carrier, code="GND")
    url = reverse("api:carrier-rate-import", args=[carrier.code])
    good = (
        "service,zone,max_weight_grams,price,transit_days\nGND,1,1000,3.10,1\nGND,2,1000,4.10,2\n"
    )

    response = _post(contracts_client, url, {"csv": good})
    assert response.status_code == 200
    assert response.json() == {"services": 1, "rates": 2, "replaced": 0}

    bad = "service,zone,max_weight_grams,price,transit_days\nGND,1,1000,x,1\n"
    response = _post(contracts_client, url, {"csv": bad})
    assert response.status_code == 400
    assert response.json() == {
        "problems": [{"row": 2, "column": "price", "message": "'x' is not a price."}]
    }
    assert ShippingRate.objects.count() == 2

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("card.csv", ("\ufeff" + good).encode(), content_type="text/csv")
    response = contracts_client.post(url, {"file": upload})
    assert response.status_code == 200
    assert response.json()["replaced"] == 2


def test_carrier_and_service_writes(contracts_client):
    response = _post(
        contracts_client,
        reverse("api:carrier-list"),
        {"vendor_name": "API Parcel", "code": "apip", "tracking_url_template": ""},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "APIP"
    response = _post(
        contracts_client,
        reverse("api:carrier-services", args=["APIP"]),
        {"code": "apip-2d", "name": "Two day", "speed": "two_day"},
    )
    assert response.status_code == 201
    assert [sv["code"] for sv in response.json()["services"]] == ["APIP-2D"]
    response = _patch(
        contracts_client,
        reverse("api:carrier-detail", args=["APIP"]),
        {"tracking_url_template": "no placeholder"},
    )
    assert response.status_code == 400
    assert "tracking_url_template" in response.json()


@pytest.fixture
def contract_supply(db):
    vendor = factories.VendorFactory(name="Flow Supply")
    factories.VendorContactFactory(vendor=vendor, email="po@flow.example.com")
    today = timezone.localdate()
    contract = factories.VendorContractFactory(
        vendor=vendor,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=90),
    )
    product = factories.ProductFactory(sku="SKU-FLOW")
    factories.ContractPriceFactory(contract=contract, product=product, price=Decimal("2.00"))
    return vendor


def test_po_create_send_receive_cancel_through_the_api(
    contracts_client, warehouse_client, contract_supply, warehouse
):
    response = _post(
        contracts_client,
        reverse("api:purchaseorder-list"),
        {
            "vendor": contract_supply.pk,
            "warehouse": warehouse.code,
            "lines": [{"sku": "SKU-FLOW", "quantity": 6}],
        },
    )
    assert response.status_code == 201, response.json()
    number = response.json()["number"]
    assert response.json()["total"] == "12.00"

    early = _post(
        warehouse_client,
        reverse("api:purchaseorder-receive", args=[number]),
        {"lines": [{"sku": "SKU-FLOW", "quantity": 1}]},
    )
    assert early.status_code == 409  # a draft is not receivable

    sent = _post(contracts_client, reverse("api:purchaseorder-send", args=[number]))
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    assert OutboundEmail.objects.filter(key__endswith=":sent").count() == 1

    over = _post(
        warehouse_client,
        reverse("api:purchaseorder-receive", args=[number]),
        {"lines": [{"sku": "SKU-FLOW", "quantity": 7}]},
    )
    assert over.status_code == 400
    assert "7 is more than the 6 still outstanding" in str(over.json())

    received = _post(
        warehouse_client,
        reverse("api:purchaseorder-receive", args=[number]),
        {"lines": [{"sku": "SKU-FLOW", "quantity": 6}]},
    )
    assert received.status_code == 200
    body = received.json()
    assert body["status"] == "received"
    assert "total" not in body
    assert "unit_price" not in body["lines"][0]
    assert StockMovement.objects.get().delta == 6

    cancel = _post(
        contracts_client, reverse("api:purchaseorder-cancel", args=[number]), {"reason": "x"}
    )
    assert cancel.status_code == 409


def test_staff_cannot_receive_another_warehouses_po_or_managers_any(
    warehouse_client, manager_client, contract_supply, other_warehouse, warehouse
):
    from vendors import services

    def sent(where):
        po = services.purchase_order_create(
            vendor=contract_supply,
            warehouse=where,
            lines=[services.OrderLineData(factories.ProductFactory(sku="SKU-FLOW"), 3)],
            by=None,
        )
        return services.purchase_order_send(purchase_order=po, by=None)

    elsewhere = sent(other_warehouse)
    body = {"lines": [{"sku": "SKU-FLOW", "quantity": 1}]}
    url = reverse("api:purchaseorder-receive", args=[elsewhere.number])
    assert _post(warehouse_client, url, body).status_code == 404
    mine = sent(warehouse)
    url = reverse("api:purchaseorder-receive", args=[mine.number])
    assert _post(manager_client, url, body).status_code == 403
    assert not StockMovement.objects.exists()
