"""The contract list and contract detail pages (with the change history)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from vendors.models import VendorContract

LIST = reverse("vendors:contract_list")


def _detail(contract: VendorContract) -> str:
    return reverse("vendors:contract_detail", args=[contract.pk])


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


def _numbers(response) -> list[str]:
    return [contract.number for contract in response.context["page_obj"]]


@pytest.mark.smoke
def test_contract_list_shows_terms_at_a_glance(contracts_client, contract_admin):
    contract_admin.first_name, contract_admin.last_name = "Ada", "Byron"
    contract_admin.save()
    factories.VendorContractFactory(
        number="C-100",
        title="Bolts 2026",
        vendor__name="Acme Parts",
        value=Decimal("125000.50"),
        currency="EUR",
        owner=contract_admin,
    )

    response = contracts_client.get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    for text in ("C-100", "Bolts 2026", "Acme Parts", "125,000.50 EUR", "Ada Byron", "2027-12-31"):
        assert text in content


def test_warehouse_staff_never_see_contracts(warehouse_client):
    contract = factories.VendorContractFactory()
    assert warehouse_client.get(LIST).status_code == 403
    assert warehouse_client.get(_detail(contract)).status_code == 403


def test_anonymous_is_sent_to_login_from_contracts(client, db):
    contract = factories.VendorContractFactory()
    for url in (LIST, _detail(contract)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_contract_pages_refuse_post(contracts_client):
    contract = factories.VendorContractFactory()
    assert contracts_client.post(LIST).status_code == 405
    assert contracts_client.post(_detail(contract)).status_code == 405


def test_contract_list_filters_by_status_vendor_and_search(manager_client):
    acme = factories.VendorFactory(name="Acme Parts")
    factories.VendorContractFactory(number="C-1", vendor=acme, title="Bolts")
    factories.VendorContractFactory(
        number="C-2", vendor=acme, title="Nuts", status=VendorContract.Status.DRAFT
    )
    factories.VendorContractFactory(number="C-3", vendor__name="Other", title="Bolts too")

    assert _numbers(manager_client.get(f"{LIST}?status=draft")) == ["C-2"]
    assert sorted(_numbers(manager_client.get(f"{LIST}?vendor={acme.pk}"))) == ["C-1", "C-2"]
    assert sorted(_numbers(manager_client.get(f"{LIST}?q=bolts"))) == ["C-1", "C-3"]
    assert sorted(_numbers(manager_client.get(f"{LIST}?q=acme"))) == ["C-1", "C-2"]


def test_ending_within_lists_active_contracts_ending_in_that_many_days(manager_client):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=400)

    def contract(number: str, days: int, status=VendorContract.Status.ACTIVE) -> None:
        factories.VendorContractFactory(
            number=number,
            status=status,
            start_date=start,
            end_date=today + datetime.timedelta(days=days),
        )

    contract("C-SOON", 30)
    contract("C-EDGE", 90)
    contract("C-LATER", 91)
    contract("C-DRAFT", 10, status=VendorContract.Status.DRAFT)

    response = manager_client.get(f"{LIST}?ending_within=90")

    assert sorted(_numbers(response)) == ["C-EDGE", "C-SOON"]


def test_a_nonsense_ending_within_is_ignored_not_a_crash(manager_client):
    factories.VendorContractFactory(number="C-1")
    for value in ("abc", "-5", "99999999999"):
        response = manager_client.get(f"{LIST}?ending_within={value}")
        assert response.status_code == 200
        assert _numbers(response) == ["C-1"]


def test_contract_list_exports_csv_with_formulas_neutralised(contracts_client):
    factories.VendorContractFactory(number="C-1", title="+cmd|' /C calc'!A0", currency="USD")

    rows = _csv(contracts_client.get(f"{LIST}?format=csv"))

    assert rows[0] == [
        "Number",
        "Vendor",
        "Title",
        "Status",
        "Start",
        "End",
        "Value",
        "Currency",
        "Owner",
    ]
    assert rows[1][0] == "C-1"
    assert rows[1][2] == "'+cmd|' /C calc'!A0"
    assert rows[1][6:8] == ["100000.00", "USD"]


def test_contract_list_query_count_does_not_grow_with_rows(manager_client, contract_admin):
    factories.VendorContractFactory(owner=contract_admin)
    manager_client.get(LIST)
    one = _count_queries(manager_client, LIST)
    one_csv = _count_queries(manager_client, f"{LIST}?format=csv")
    for _ in range(19):
        factories.VendorContractFactory(owner=contract_admin)
    assert _count_queries(manager_client, LIST) == one
    assert _count_queries(manager_client, f"{LIST}?format=csv") == one_csv


def test_contract_detail_shows_terms_sla_and_price_lines(manager_client):
    contract = factories.VendorContractFactory(
        number="C-100",
        payment_terms="Net 30",
        sla_on_time_pct=Decimal("98.50"),
        sla_lead_time_days=5,
        sla_max_defect_rate=Decimal("0.50"),
    )
    factories.ContractPriceFactory(
        contract=contract, product__sku="SKU-BOLT", price=Decimal("1.25"), min_qty=100
    )

    response = manager_client.get(_detail(contract))

    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Net 30", "98.50 %", "5 days", "0.50 %", "SKU-BOLT", "1.25 USD"):
        assert text in content
    assert 'data-testid="signed-document">Not on file' in content


def test_contract_detail_links_the_signed_document_through_the_view_not_media(manager_client):
    contract = factories.VendorContractFactory()
    contract.signed_document.save("signed.pdf", ContentFile(b"%PDF-1.7"), save=True)

    content = manager_client.get(_detail(contract)).content.decode()

    download = reverse("vendors:contract_document", args=[contract.pk])
    assert f'data-testid="signed-document"><a href="{download}">On file' in content
    assert contract.signed_document.url not in content


def test_contract_history_shows_who_changed_which_fields(contracts_client, contract_admin):
    contract = factories.VendorContractFactory(title="Bolts", status=VendorContract.Status.DRAFT)
    # Saved through a page, the middleware records the user; here we set it as it would.
    contract.title = "Bolts and nuts"
    contract.status = VendorContract.Status.ACTIVE
    contract.version += 1
    contract._history_user = contract_admin
    contract.save()

    response = contracts_client.get(_detail(contract))

    changed, created = response.context["history"]
    assert created.kind == "Created"
    assert changed.kind == "Changed"
    assert changed.who == contract_admin.display_name
    assert {(c.label, c.old, c.new) for c in changed.changes} == {
        ("Title", "Bolts", "Bolts and nuts"),
        ("Status", "Draft", "Active"),
    }
    assert b"Bolts and nuts" in response.content


def test_contract_history_shows_related_objects_by_name(contracts_client, contract_admin):
    contract = factories.VendorContractFactory()
    contract.owner = contract_admin
    contract.save()

    (changed, _created) = contracts_client.get(_detail(contract)).context["history"]

    (change,) = changed.changes
    assert (change.label, change.old, change.new) == ("Owner", "—", contract_admin.display_name)


def test_contract_history_is_limited_to_the_last_50_changes(contracts_client):
    contract = factories.VendorContractFactory(notice_days=0)
    for days in range(1, 56):
        contract.notice_days = days
        contract.save()

    history = contracts_client.get(_detail(contract)).context["history"]

    assert len(history) == 50
    assert history[0].changes[0].new == "55"
    # The oldest shown change still has its predecessor to compare with.
    assert (history[-1].changes[0].old, history[-1].changes[0].new) == ("5", "6")


def test_contract_detail_queries_do_not_grow_with_price_lines_or_history(manager_client):
    contract = factories.VendorContractFactory()
    factories.ContractPriceFactory(contract=contract)
    manager_client.get(_detail(contract))
    one = _count_queries(manager_client, _detail(contract))
    for days in range(19):
        factories.ContractPriceFactory(contract=contract)
        contract.notice_days = days
        contract.save()
    assert _count_queries(manager_client, _detail(contract)) == one


def test_contract_detail_of_an_unknown_contract_is_404(manager_client):
    assert manager_client.get(reverse("vendors:contract_detail", args=[999999])).status_code == 404
