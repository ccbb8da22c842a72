"""The read-only quality API: roles, scoping, natural keys, filters, no writes, query budgets."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from quality.models import NonConformance, SOPVersion
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    ProductFactory,
    SafetyIncidentFactory,
    SOPDocumentFactory,
    SOPVersionFactory,
    UserFactory,
    VendorFactory,
    WarehouseFactory,
)
from tests.quality.factories import (
    ComplianceRequirementFactory,
    CorrectiveActionFactory,
    InspectionFactory,
)

TODAY = timezone.localdate()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _effective_sop(code: str = "SOP-API-001", body: str = "# Purpose\n\nShip it.") -> SOPVersion:
    return SOPVersionFactory(
        document=SOPDocumentFactory(code=code),
        status=SOPVersion.Status.EFFECTIVE,
        approver=UserFactory(),
        effective_at=timezone.now(),
        body=body,
    )


@pytest.mark.parametrize(
    "name",
    [
        "api:inspection-list",
        "api:nonconformance-list",
        "api:requirement-list",
        "api:incident-list",
        "api:sop-list",
    ],
)
def test_anonymous_is_refused(db, name):
    assert APIClient().get(reverse(name)).status_code in (401, 403)


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("contract_admin", "api:inspection-list"),
        ("contract_admin", "api:incident-list"),
        ("warehouse_staff", "api:nonconformance-list"),
        ("warehouse_staff", "api:requirement-list"),
        ("contract_admin", "api:requirement-list"),
        ("no_role_user", "api:sop-list"),
    ],
)
def test_wrong_roles_are_refused(request, fixture, name):
    assert _api(request.getfixturevalue(fixture)).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["api:inspection-list", "api:sop-list"])
def test_lists_without_a_create_refuse_posts(manager, name):
    assert _api(manager).post(reverse(name), {}, format="json").status_code == 405


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("api:nonconformance-list", "title"),
        ("api:requirement-list", "standard"),
        ("api:incident-list", "warehouse"),
    ],
)
def test_an_empty_create_is_a_400_naming_the_field(manager, name, missing):
    response = _api(manager).post(reverse(name), {}, format="json")
    assert response.status_code == 400
    assert missing in response.json()


def test_records_are_never_replaced_or_deleted_through_the_api(manager, warehouse):
    """PUT and DELETE are refused everywhere (PATCH goes through the services where allowed)."""
    nc = NonConformanceFactory()
    sop = _effective_sop().document
    urls = [
        reverse("api:inspection-detail", args=[InspectionFactory(warehouse=warehouse).pk]),
        reverse("api:nonconformance-detail", args=[nc.number]),
        reverse("api:requirement-detail", args=[ComplianceRequirementFactory().pk]),
        reverse("api:incident-detail", args=[SafetyIncidentFactory(warehouse=warehouse).pk]),
        reverse("api:sop-detail", args=[sop.code]),
    ]
    client = _api(manager)
    for url in urls:
        assert client.put(url, {}, format="json").status_code == 405, url
        assert client.delete(url).status_code == 405, url
    for url in (urls[0], urls[3], urls[4]):
        assert client.patch(url, {}, format="json").status_code == 405, url
    assert NonConformance.objects.filter(pk=nc.pk).exists()


@pytest.mark.smoke
def test_warehouse_staff_see_only_their_inspections_and_incidents(
    warehouse_staff, warehouse, other_warehouse
):
    mine = InspectionFactory(warehouse=warehouse)
    theirs = InspectionFactory(warehouse=other_warehouse)
    my_incident = SafetyIncidentFactory(warehouse=warehouse)
    their_incident = SafetyIncidentFactory(warehouse=other_warehouse)
    client = _api(warehouse_staff)
    inspections = client.get(reverse("api:inspection-list")).json()["results"]
    assert [row["id"] for row in inspections] == [mine.pk]
    assert inspections[0]["warehouse"] == "WH-A"
    incidents = client.get(reverse("api:incident-list")).json()["results"]
    assert [row["id"] for row in incidents] == [my_incident.pk]
    assert client.get(reverse("api:inspection-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api:incident-detail", args=[their_incident.pk])).status_code == 404


def test_inspections_filter_by_status(manager, warehouse):
    InspectionFactory(warehouse=warehouse, status="passed")
    failed = InspectionFactory(warehouse=warehouse, status="failed")
    rows = _api(manager).get(reverse("api:inspection-list"), {"status": "failed"}).json()["results"]
    assert [row["id"] for row in rows] == [failed.pk]


def test_a_non_conformance_by_number_with_its_corrective_actions(contract_admin):
    nc = NonConformanceFactory(
        number="NC-API-7",
        vendor=VendorFactory(name="Acme Supply"),
        product=ProductFactory(sku="SKU-API"),
        due_date=TODAY - datetime.timedelta(days=2),
    )
    CorrectiveActionFactory(
        non_conformance=nc, whys=["a", "b"], owner=UserFactory(username="olive")
    )
    data = _api(contract_admin).get(reverse("api:nonconformance-detail", args=["NC-API-7"])).json()
    assert data["number"] == "NC-API-7"
    assert data["vendor"] == "Acme Supply"
    assert data["product"] == "SKU-API"
    assert data["is_overdue"] is True
    (action,) = data["actions"]
    assert action["whys"] == ["a", "b"]
    assert action["owner"] == "olive"


def test_non_conformances_filter_overdue(manager):
    NonConformanceFactory(number="NC-LATE", due_date=TODAY - datetime.timedelta(days=1))
    NonConformanceFactory(number="NC-FINE", due_date=TODAY + datetime.timedelta(days=1))
    rows = (
        _api(manager).get(reverse("api:nonconformance-list"), {"overdue": "true"}).json()["results"]
    )
    assert [row["number"] for row in rows] == ["NC-LATE"]


def test_requirements_carry_the_overdue_flag_and_evidence_count(manager):
    requirement = ComplianceRequirementFactory(next_review=TODAY - datetime.timedelta(days=1))
    data = _api(manager).get(reverse("api:requirement-detail", args=[requirement.pk])).json()
    assert data["is_overdue"] is True
    assert data["evidence_count"] == 0
    assert data["standard"] == "ISO 9001:2015"


def test_an_sop_by_code_carries_the_effective_body_raw_and_sanitised(warehouse_staff):
    body = "# Purpose\n\n{{ settings.SECRET_KEY }}\n\n<script>alert(1)</script>"
    version = _effective_sop(code="SOP-API-009", body=body)
    SOPVersionFactory(document=version.document, number=2, body="draft")
    data = _api(warehouse_staff).get(reverse("api:sop-detail", args=["SOP-API-009"])).json()
    assert data["code"] == "SOP-API-009"
    assert data["versions_count"] == 2
    effective = data["effective_version"]
    assert effective["number"] == 1
    assert effective["body"] == body
    assert effective["body_html"].startswith("<h1>Purpose</h1>")
    assert "{{ settings.SECRET_KEY }}" in effective["body_html"]
    assert "<script" not in effective["body_html"]
    assert "alert(1)" not in effective["body_html"]


def test_an_sop_without_an_effective_version_has_none(contract_admin):
    SOPVersionFactory(document=SOPDocumentFactory(code="SOP-API-DRAFT"))
    data = _api(contract_admin).get(reverse("api:sop-detail", args=["SOP-API-DRAFT"])).json()
    assert data["effective_version"] is None


_numbers = itertools.count(1)
_MAKERS = {
    "api:inspection-list": lambda: InspectionFactory(
        warehouse=WarehouseFactory(),
        plan=InspectionPlanFactory(),
        product=ProductFactory(),
        vendor=VendorFactory(),
        inspector=UserFactory(),
    ),
    "api:nonconformance-list": lambda: CorrectiveActionFactory(
        non_conformance=NonConformanceFactory(
            vendor=VendorFactory(), product=ProductFactory(), owner=UserFactory()
        ),
        verified_by=UserFactory(),
    ),
    "api:requirement-list": lambda: ComplianceRequirementFactory(owner=UserFactory()),
    "api:incident-list": lambda: SafetyIncidentFactory(
        warehouse=WarehouseFactory(), reported_by=UserFactory()
    ),
    "api:sop-list": lambda: _effective_sop(code=f"SOP-Q-{next(_numbers):03d}"),
}


@pytest.mark.parametrize("name", sorted(_MAKERS))
def test_api_lists_cost_the_same_queries_for_1_and_20_rows(manager, name, queries_for):
    client = _api(manager)
    url = reverse(name)
    _MAKERS[name]()
    one = queries_for(client, url)
    for _ in range(19):
        _MAKERS[name]()
    assert client.get(url).json()["count"] == 20
    assert queries_for(client, url) == one
