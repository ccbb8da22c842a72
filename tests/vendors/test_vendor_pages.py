"""The vendor list and vendor detail pages."""

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from vendors.models import PurchaseOrder, Vendor, VendorContract

LIST = reverse("vendors:vendor_list")


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def test_vendor_list_shows_counts_of_active_contracts_and_open_purchase_orders(
    manager_client, warehouse
):
    vendor = factories.VendorFactory(name="Acme Parts", status=Vendor.Status.CONDITIONAL)
    factories.VendorContractFactory(vendor=vendor, status=VendorContract.Status.ACTIVE)
    factories.VendorContractFactory(vendor=vendor, status=VendorContract.Status.ACTIVE)
    factories.VendorContractFactory(vendor=vendor, status=VendorContract.Status.EXPIRED)
    for status in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED):
        factories.PurchaseOrderFactory(vendor=vendor, warehouse=warehouse, status=status)
    factories.PurchaseOrderFactory(
        vendor=vendor, warehouse=warehouse, status=PurchaseOrder.Status.RECEIVED
    )

    response = manager_client.get(LIST)

    assert response.status_code == 200
    (row,) = response.context["page_obj"]
    assert (row.name, row.active_contracts, row.open_purchase_orders) == ("Acme Parts", 2, 2)
    assert b'data-testid="vendor-status">Conditional' in response.content


def test_contract_admin_sees_the_vendor_list(contracts_client):
    factories.VendorFactory(name="Acme Parts")
    response = contracts_client.get(LIST)
    assert response.status_code == 200
    assert b"Acme Parts" in response.content


def test_anonymous_is_sent_to_login_from_the_vendor_list(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_warehouse_staff_cannot_see_vendors(warehouse_client):
    vendor = factories.VendorFactory()
    assert warehouse_client.get(LIST).status_code == 403
    detail = reverse("vendors:vendor_detail", args=[vendor.pk])
    assert warehouse_client.get(detail).status_code == 403


def test_vendor_pages_refuse_post(manager_client):
    vendor = factories.VendorFactory()
    assert manager_client.post(LIST).status_code == 405
    assert (
        manager_client.post(reverse("vendors:vendor_detail", args=[vendor.pk])).status_code == 405
    )


def test_vendor_list_filters_by_kind_status_and_search(manager_client):
    factories.VendorFactory(name="Acme Parts", kind=Vendor.Kind.SUPPLIER)
    factories.VendorFactory(
        name="Fast Freight", kind=Vendor.Kind.CARRIER, status=Vendor.Status.DISQUALIFIED
    )
    factories.VendorFactory(name="Acme Logistics", kind=Vendor.Kind.LOGISTICS)

    def names(query: str) -> list[str]:
        return [v.name for v in manager_client.get(f"{LIST}?{query}").context["page_obj"]]

    assert names("kind=carrier") == ["Fast Freight"]
    assert names("status=disqualified") == ["Fast Freight"]
    assert names("q=acme") == ["Acme Logistics", "Acme Parts"]
    assert names("q=acme&kind=logistics") == ["Acme Logistics"]


def test_vendor_list_answers_htmx_with_the_results_only(manager_client):
    factories.VendorFactory(name="Acme Parts")
    response = manager_client.get(LIST, headers={"HX-Request": "true"})
    assert b'id="results"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_vendor_list_exports_csv_with_formulas_neutralised(manager_client):
    factories.VendorFactory(name='=HYPERLINK("http://evil")', country="US")
    factories.VendorFactory(name="Acme Parts", kind=Vendor.Kind.CARRIER)

    response = manager_client.get(f"{LIST}?kind=carrier&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:5] == ["Name", "Kind", "Status", "Active contracts", "Open POs"]
    assert rows[1:] == [["Acme Parts", "Carrier", "Qualified", "0", "0", "", rows[1][6]]]

    rows = _csv(manager_client.get(f"{LIST}?format=csv&q=HYPERLINK"))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'


def test_vendor_list_query_count_does_not_grow_with_rows(manager_client, warehouse):
    def add_vendor():
        vendor = factories.VendorFactory()
        factories.VendorContractFactory(vendor=vendor)
        factories.PurchaseOrderFactory(vendor=vendor, warehouse=warehouse)

    add_vendor()
    manager_client.get(LIST)  # warm caches (content types, sessions)
    one = _count_queries(manager_client, LIST)
    one_csv = _count_queries(manager_client, f"{LIST}?format=csv")
    for _ in range(19):
        add_vendor()
    assert _count_queries(manager_client, LIST) == one
    assert _count_queries(manager_client, f"{LIST}?format=csv") == one_csv


def test_vendor_detail_shows_contacts_contracts_and_open_purchase_orders(
    contracts_client, warehouse
):
    vendor = factories.VendorFactory(name="Acme Parts")
    factories.VendorContactFactory(vendor=vendor, name="Grace Hopper")
    factories.VendorContractFactory(vendor=vendor, number="C-ACME-1")
    factories.PurchaseOrderFactory(
        vendor=vendor, warehouse=warehouse, number="PO-OPEN", status=PurchaseOrder.Status.SENT
    )
    factories.PurchaseOrderFactory(
        vendor=vendor, warehouse=warehouse, number="PO-DONE", status=PurchaseOrder.Status.RECEIVED
    )

    response = contracts_client.get(reverse("vendors:vendor_detail", args=[vendor.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Grace Hopper" in content
    assert "C-ACME-1" in content
    assert [po.number for po in response.context["open_orders"]] == ["PO-OPEN"]
    assert "PO-DONE" not in content
    assert response.context["carrier"] is None


def test_vendor_detail_of_a_carrier_lists_its_services(manager_client):
    service = factories.CarrierServiceFactory(name="Next Day Air", carrier__code="FASTX")
    vendor = service.carrier.vendor

    response = manager_client.get(reverse("vendors:vendor_detail", args=[vendor.pk]))

    assert response.context["carrier"].code == "FASTX"
    assert b"Next Day Air" in response.content
    assert b'data-testid="carrier-link"' in response.content


def test_vendor_detail_escapes_what_users_typed(manager_client):
    vendor = factories.VendorFactory(name="<script>alert(1)</script>", notes="<b>hi</b>")
    response = manager_client.get(reverse("vendors:vendor_detail", args=[vendor.pk]))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_vendor_detail_of_an_unknown_vendor_is_404(manager_client):
    assert manager_client.get(reverse("vendors:vendor_detail", args=[999999])).status_code == 404
