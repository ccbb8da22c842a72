"""Non-conformance list and detail: roles, overdue flag, filters, CSV, CAPA, query budget."""

import datetime

from django.urls import reverse
from django.utils import timezone

from quality.models import CorrectiveAction, NonConformance
from tests.factories import NonConformanceFactory, ProductFactory, UserFactory, VendorFactory
from tests.quality.conftest import csv_rows
from tests.quality.factories import CorrectiveActionFactory

URL = reverse("quality:nonconformance_list")
TODAY = timezone.localdate()


def _detail(nc) -> str:
    return reverse("quality:nonconformance_detail", args=[nc.pk])


def _numbers(response) -> set[str]:
    return {nc.number for nc in response.context["page_obj"]}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_warehouse_staff_are_refused(warehouse_client):
    nc = NonConformanceFactory()
    assert warehouse_client.get(URL).status_code == 403
    assert warehouse_client.get(_detail(nc)).status_code == 403


def test_it_refuses_post(manager_client):
    nc = NonConformanceFactory()
    assert manager_client.post(URL).status_code == 405
    assert manager_client.post(_detail(nc)).status_code == 405


def test_contract_admins_read_the_vendor_quality_record(contracts_client):
    NonConformanceFactory(
        number="NC-00042",
        title="Crushed cartons",
        vendor=VendorFactory(name="Acme Supply"),
        product=ProductFactory(sku="SKU-NC"),
        severity=NonConformance.Severity.MAJOR,
        owner=UserFactory(username="qa", first_name="Quinn", last_name="Adams"),
    )
    response = contracts_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("NC-00042", "Crushed cartons", "Acme Supply", "SKU-NC", "Major", "Quinn Adams"):
        assert text in body


def test_an_open_non_conformance_past_its_due_date_is_overdue(manager_client):
    NonConformanceFactory(number="NC-LATE", due_date=TODAY - datetime.timedelta(days=1))
    NonConformanceFactory(
        number="NC-CLOSED",
        due_date=TODAY - datetime.timedelta(days=1),
        status=NonConformance.Status.CLOSED,
    )
    NonConformanceFactory(number="NC-TODAY", due_date=TODAY)
    response = manager_client.get(URL)
    overdue = {nc.number for nc in response.context["page_obj"] if nc.is_overdue}
    assert overdue == {"NC-LATE"}
    assert response.content.decode().count('data-testid="overdue"') == 1
    assert _numbers(manager_client.get(URL, {"overdue": "true"})) == {"NC-LATE"}


def test_it_filters_by_status_severity_origin_vendor_and_search(manager_client):
    acme = VendorFactory(name="Acme Supply")
    NonConformanceFactory(
        number="NC-A",
        title="Wrong label",
        vendor=acme,
        severity=NonConformance.Severity.CRITICAL,
        origin=NonConformance.Origin.INSPECTION,
    )
    NonConformanceFactory(number="NC-B", status=NonConformance.Status.CLOSED)
    assert _numbers(manager_client.get(URL, {"status": "closed"})) == {"NC-B"}
    assert _numbers(manager_client.get(URL, {"severity": "critical"})) == {"NC-A"}
    assert _numbers(manager_client.get(URL, {"origin": "inspection"})) == {"NC-A"}
    assert _numbers(manager_client.get(URL, {"vendor": acme.pk})) == {"NC-A"}
    assert _numbers(manager_client.get(URL, {"q": "wrong lab"})) == {"NC-A"}


def test_csv_exports_the_filtered_rows_with_formulas_neutralised(manager_client):
    NonConformanceFactory(
        number="NC-CSV",
        title='=HYPERLINK("http://evil")',
        vendor=VendorFactory(name="Acme Supply"),
        due_date=TODAY - datetime.timedelta(days=3),
    )
    NonConformanceFactory(number="NC-OTHER", status=NonConformance.Status.CLOSED)
    response = manager_client.get(URL, {"format": "csv", "status": "open"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert header[:3] == ["Number", "Title", "Origin"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Number"] == "NC-CSV"
    assert row["Title"] == '\'=HYPERLINK("http://evil")'
    assert row["Vendor"] == "Acme Supply"
    assert row["Overdue"] == "yes"


def test_the_page_links_to_the_csv_with_the_current_filters(manager_client):
    response = manager_client.get(URL, {"status": "open", "page": "1"})
    assert response.context["csv_url"] == "?status=open&format=csv"


def test_the_list_costs_the_same_queries_for_1_and_20_rows(manager_client, queries_for):
    def make():
        NonConformanceFactory(vendor=VendorFactory(), product=ProductFactory(), owner=UserFactory())

    make()
    one = queries_for(manager_client, URL)
    for _ in range(19):
        make()
    assert queries_for(manager_client, URL) == one


def test_the_csv_costs_the_same_queries_for_1_and_20_rows(manager_client, queries_for):
    def make():
        NonConformanceFactory(vendor=VendorFactory(), product=ProductFactory(), owner=UserFactory())

    make()
    one = queries_for(manager_client, URL, data={"format": "csv"})
    for _ in range(19):
        make()
    assert queries_for(manager_client, URL, data={"format": "csv"}) == one


def test_the_detail_shows_description_disposition_and_corrective_actions(contracts_client):
    owner = UserFactory(username="owner", first_name="Olive", last_name="Owner")
    verifier = UserFactory(username="verifier", first_name="Vic", last_name="Verifier")
    nc = NonConformanceFactory(
        description="Cartons arrived <crushed>",
        disposition=NonConformance.Disposition.RETURN_TO_VENDOR,
    )
    CorrectiveActionFactory(
        non_conformance=nc,
        whys=["Cartons crushed", "Stacked too high", "No stacking limit on the label"],
        root_cause="Supplier label lacks a stacking limit",
        action="Ask the supplier to print a stacking limit",
        owner=owner,
        status=CorrectiveAction.Status.VERIFIED,
        verified_by=verifier,
        verified_at=timezone.now(),
        verification_notes="Three deliveries without damage",
    )
    response = contracts_client.get(_detail(nc))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cartons arrived &lt;crushed&gt;" in body
    assert "Return to vendor" in body
    assert "No stacking limit on the label" in body
    assert "Supplier label lacks a stacking limit" in body
    assert "Olive Owner" in body
    assert "Vic Verifier" in body
    assert "Three deliveries without damage" in body
    assert "Verified effective" in body


def test_the_detail_of_an_unknown_non_conformance_is_404(manager_client, db):
    assert (
        manager_client.get(reverse("quality:nonconformance_detail", args=[999999])).status_code
        == 404
    )
