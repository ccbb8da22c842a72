"""The compliance register and certifications: managers only, overdue reviews, CSV, expiry badges."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from quality.models import ComplianceEvidence, ComplianceRequirement
from tests.factories import UserFactory, WarehouseFactory
from tests.quality.conftest import csv_rows
from tests.quality.factories import CertificationFactory, ComplianceRequirementFactory

URL = reverse("quality:requirement_list")
TODAY = timezone.localdate()


def _clauses(response) -> set[str]:
    return {requirement.clause for requirement in response.context["page_obj"]}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("client_fixture", ["warehouse_client", "contracts_client"])
def test_only_managers_open_the_register(request, client_fixture):
    assert request.getfixturevalue(client_fixture).get(URL).status_code == 403


def test_it_refuses_post(manager_client):
    assert manager_client.post(URL).status_code == 405


def test_it_lists_requirements_with_owner_status_review_and_cadence(manager_client):
    ComplianceRequirementFactory(
        standard="OSHA 1910",
        clause="178",
        title="Powered industrial trucks",
        owner=UserFactory(first_name="Sam", last_name="Safety"),
        status=ComplianceRequirement.Status.PARTIAL,
        review_cadence_days=180,
        next_review=TODAY - datetime.timedelta(days=1),
    )
    response = manager_client.get(URL)
    body = response.content.decode()
    for text in (
        "OSHA 1910",
        "178",
        "Powered industrial trucks",
        "Sam Safety",
        "Partially compliant",
        "180 days",
    ):
        assert text in body
    (requirement,) = response.context["page_obj"]
    assert requirement.is_overdue
    assert 'data-testid="overdue"' in body


def test_it_filters_by_standard_status_overdue_and_search(manager_client):
    ComplianceRequirementFactory(standard="ISO 9001:2015", clause="8.4", title="Supplier control")
    ComplianceRequirementFactory(
        standard="OSHA 1910",
        clause="157",
        title="Fire extinguishers",
        status=ComplianceRequirement.Status.COMPLIANT,
        next_review=TODAY - datetime.timedelta(days=10),
    )
    assert _clauses(manager_client.get(URL, {"standard": "osha 1910"})) == {"157"}
    assert _clauses(manager_client.get(URL, {"status": "compliant"})) == {"157"}
    assert _clauses(manager_client.get(URL, {"overdue": "true"})) == {"157"}
    assert _clauses(manager_client.get(URL, {"overdue": "false"})) == {"8.4"}
    assert _clauses(manager_client.get(URL, {"q": "supplier"})) == {"8.4"}


def test_csv_is_the_register_with_evidence_and_formulas_neutralised(manager_client):
    requirement = ComplianceRequirementFactory(
        standard="ISO 9001:2015",
        clause="7.5",
        title="+Documented information",
        evidence="@SharePoint/QMS",
    )
    for title in ("Procedure", "Audit report"):
        ComplianceEvidence.objects.create(
            requirement=requirement, title=title, document=ContentFile(b"x", name=f"{title}.pdf")
        )
    response = manager_client.get(URL, {"format": "csv"})
    header, *rows = csv_rows(response)
    assert response["Content-Disposition"] == 'attachment; filename="compliance-register.csv"'
    row = dict(zip(header, rows[0], strict=True))
    assert row["Title"] == "'+Documented information"
    assert row["Evidence"] == "'@SharePoint/QMS"
    assert row["Evidence documents"] == "2"
    assert row["Review overdue"] == "no"


def test_certifications_show_with_expiry_badges(manager_client):
    CertificationFactory(
        name="ISO 14001",
        warehouse=WarehouseFactory(code="WH-C"),
        valid_until=TODAY + datetime.timedelta(days=30),
    )
    CertificationFactory(name="Organic handling", valid_until=TODAY + datetime.timedelta(days=61))
    CertificationFactory(name="Cold chain", valid_until=TODAY - datetime.timedelta(days=1))
    response = manager_client.get(URL)
    flags = {c.name: (c.is_expiring, c.is_expired) for c in response.context["certifications"]}
    assert flags == {
        "ISO 14001": (True, False),
        "Organic handling": (False, False),
        "Cold chain": (False, True),
    }
    body = response.content.decode()
    assert body.count('data-testid="expiring"') == 1
    assert body.count('data-testid="expired"') == 1
    assert "WH-C" in body


def test_the_register_costs_the_same_queries_for_1_and_20_rows(manager_client, queries_for):
    def make():
        ComplianceRequirementFactory(owner=UserFactory())
        CertificationFactory(warehouse=WarehouseFactory())

    make()
    one = queries_for(manager_client, URL)
    for _ in range(19):
        make()
    assert queries_for(manager_client, URL) == one
