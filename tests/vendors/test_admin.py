"""The vendor admin: every model listed with constant queries, history, a read-only version."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

FACTORIES = {
    "vendor": lambda: factories.VendorContactFactory().vendor,
    "vendorcontact": factories.VendorContactFactory,
    "vendorcontract": lambda: (
        factories.ContractPriceFactory(contract__owner=factories.UserFactory()).contract
    ),
    "contractprice": factories.ContractPriceFactory,
    "carrier": lambda: factories.CarrierServiceFactory().carrier,
    "carrierservice": lambda: factories.ShippingRateFactory().service,
    "shippingrate": factories.ShippingRateFactory,
    "purchaseorder": lambda: factories.PurchaseOrderLineFactory().purchase_order,
    "purchaseorderline": factories.PurchaseOrderLineFactory,
}


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("model_name", sorted(FACTORIES))
def test_changelist_query_count_does_not_grow_with_rows(superuser_client, model_name):
    url = reverse(f"admin:vendors_{model_name}_changelist")
    FACTORIES[model_name]()
    superuser_client.get(url)
    one = _count_queries(superuser_client, url)
    for _ in range(19):
        FACTORIES[model_name]()
    assert _count_queries(superuser_client, url) == one


@pytest.mark.parametrize("model_name", sorted(FACTORIES))
def test_change_page_opens_with_its_inlines(superuser_client, model_name):
    obj = FACTORIES[model_name]()
    url = reverse(f"admin:vendors_{model_name}_change", args=[obj.pk])
    assert superuser_client.get(url).status_code == 200


def test_contract_version_is_read_only_in_the_admin(superuser_client):
    contract = factories.VendorContractFactory()
    response = superuser_client.get(
        reverse("admin:vendors_vendorcontract_change", args=[contract.pk])
    )
    form = response.context["adminform"].form
    assert "version" not in form.fields
    assert "prices" in response.content.decode()


@pytest.mark.parametrize(
    "model_name", ["vendor", "vendorcontract", "contractprice", "purchaseorder"]
)
def test_history_is_browsable_in_the_admin(superuser_client, model_name):
    obj = FACTORIES[model_name]()
    url = reverse(f"admin:vendors_{model_name}_history", args=[obj.pk])
    assert superuser_client.get(url).status_code == 200


def _admin_post(contract, **changes) -> dict:
    data = {
        "vendor": contract.vendor_id,
        "number": contract.number,
        "title": contract.title,
        "status": contract.status,
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "notice_days": "30",
        "currency": "USD",
        "value": "100000.00",
        "edit_version": contract.version,
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_the_admin_keeps_the_optimistic_lock(superuser_client):
    contract = factories.VendorContractFactory(title="Before")
    url = reverse("admin:vendors_vendorcontract_change", args=[contract.pk])

    first = superuser_client.post(url, _admin_post(contract, title="Admin edit"))
    stale = superuser_client.post(url, _admin_post(contract, title="Stale edit"))

    assert first.status_code == 302
    assert stale.status_code == 200
    assert "Someone else saved this contract" in stale.content.decode()
    contract.refresh_from_db()
    assert (contract.title, contract.version) == ("Admin edit", 2)
    assert contract.history.first().history_user.username == "root"


def test_the_admin_refuses_a_signed_document_that_is_not_a_pdf(superuser_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = factories.VendorContractFactory()
    url = reverse("admin:vendors_vendorcontract_change", args=[contract.pk])
    fake = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = superuser_client.post(url, _admin_post(contract, signed_document=fake))
    assert response.status_code == 200
    assert "The file is not a PDF" in response.content.decode()
    contract.refresh_from_db()
    assert not contract.signed_document


def test_a_staff_manager_may_view_but_not_change_vendor_records_in_the_admin(client, db):
    from opsportal import roles

    manager = factories.user_with_role(roles.OPERATIONS_MANAGER, username="m", is_staff=True)
    client.force_login(manager)
    contract = factories.VendorContractFactory(title="Keep")
    url = reverse("admin:vendors_vendorcontract_change", args=[contract.pk])
    assert client.get(url).status_code == 200  # view permission: read-only page
    response = client.post(url, _admin_post(contract, title="Manager edit"))
    assert response.status_code == 403
    assert client.get(reverse("admin:vendors_purchaseorder_add")).status_code == 403
    contract.refresh_from_db()
    assert contract.title == "Keep"
