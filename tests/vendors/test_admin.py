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
