"""Quality API writes: through the services, 400 naming the field, 409 for conflicts, scoped to
the caller's warehouses; new lists keep a constant query count."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from inventory import services as stock
from inventory.models import StockLevel
from opsportal import roles
from opsportal.models import DocumentJob
from quality.models import (
    CorrectiveAction,
    Inspection,
    InspectionPlan,
    Manual,
    ManualEntry,
    NonConformance,
    SafetyIncident,
    SOPVersion,
)
from tests import factories
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    SOPDocumentFactory,
    SOPVersionFactory,
)
from tests.quality.factories import CorrectiveActionFactory, InspectionFactory

pytestmark = pytest.mark.django_db
CRITERIA = [
    {"name": "Seal", "kind": "pass_fail"},
    {"name": "Torque", "kind": "measure", "unit": "Nm", "min": 10, "max": 12},
]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_managers_create_update_and_delete_plans(manager):
    client = _api(manager)
    vendor = factories.VendorFactory(name="Northwind")
    body = {
        "name": "Caps",
        "trigger": "receipt",
        "vendor": "Northwind",
        "sampling": "every_nth",
        "every_nth": 3,
        "sample_size": 5,
        "criteria": CRITERIA,
    }
    created = client.post(reverse("api:inspectionplan-list"), body, format="json")
    assert created.status_code == 201, created.json()
    plan = InspectionPlan.objects.get()
    assert (plan.vendor, plan.every_nth, plan.criteria[1]["max"]) == (vendor, 3, 12.0)
    url = reverse("api:inspectionplan-detail", args=[plan.pk])
    patched = client.patch(url, {"is_active": False}, format="json")
    assert patched.status_code == 200
    assert patched.json()["is_active"] is False
    bad = client.patch(url, {"criteria": [{"name": "T", "kind": "measure"}]}, format="json")
    assert bad.status_code == 400
    assert "a measurement needs a minimum" in bad.json()["criteria"][0]
    InspectionFactory(plan=plan)
    refused = client.delete(url)
    assert refused.status_code == 409
    assert "deactivate it instead" in str(refused.json())
    assert InspectionPlan.objects.exists()


def test_staff_cannot_manage_plans(warehouse_staff):
    response = _api(warehouse_staff).post(reverse("api:inspectionplan-list"), {}, format="json")
    assert response.status_code == 403


@pytest.fixture
def receipt_inspection(warehouse):
    product = factories.ProductFactory(sku="CAP-1")
    plan = InspectionPlanFactory(name="Caps", criteria=CRITERIA)
    stock.stock_receive(warehouse=warehouse, product=product, quantity=30, actor=None)
    return Inspection.objects.get(plan=plan)


def test_staff_record_an_inspection_through_the_api(warehouse_staff, receipt_inspection):
    url = reverse("api:inspection-record", args=[receipt_inspection.pk])
    results = [{"name": "Seal", "passed": True}, {"name": "Torque", "value": "12.5"}]
    response = _api(warehouse_staff).post(
        url, {"results": results, "affected_quantity": 10}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "failed"
    assert StockLevel.objects.get().quarantined == 10
    assert NonConformance.objects.get().quarantined == 10
    again = _api(warehouse_staff).post(url, {"results": results}, format="json")
    assert again.status_code == 409


def test_a_missing_result_is_a_400_naming_the_criterion(warehouse_staff, receipt_inspection):
    url = reverse("api:inspection-record", args=[receipt_inspection.pk])
    response = _api(warehouse_staff).post(
        url, {"results": [{"name": "Seal", "passed": False}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"results": ["Torque: enter the measured value (10–12 Nm)."]}
    assert not NonConformance.objects.exists()


def test_staff_cannot_record_another_warehouse_inspection(warehouse_staff, other_warehouse):
    inspection = InspectionFactory(warehouse=other_warehouse)
    response = _api(warehouse_staff).post(
        reverse("api:inspection-record", args=[inspection.pk]),
        {"results": [{"name": "Packaging intact", "passed": False}]},
        format="json",
    )
    assert response.status_code == 404
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.PENDING


def test_the_ncr_and_capa_story_through_the_api(manager, warehouse):
    quality_lead = factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    product = factories.ProductFactory(sku="DRUM-9")
    stock.stock_receive(warehouse=warehouse, product=product, quantity=8, actor=None)
    client = _api(manager)
    created = client.post(
        reverse("api:nonconformance-list"),
        {
            "title": "Customer complaint: dented drums",
            "origin": "complaint",
            "severity": "major",
            "product": "DRUM-9",
            "warehouse": "WH-A",
            "quantity": 5,
            "quarantine_now": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert StockLevel.objects.get().quarantined == 5
    base = reverse("api:nonconformance-detail", args=[number])
    scrapped = client.post(base + "dispose/", {"disposition": "scrap"}, format="json")
    assert scrapped.status_code == 200
    level = StockLevel.objects.get()
    assert (level.on_hand, level.quarantined) == (3, 0)
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    action = client.post(
        base + "actions/",
        {
            "whys": ["Dented", "Dropped", "Pallet overhang"],
            "root_cause": "Pallet overhang",
            "action": "Stretch-wrap rule",
            "owner": "manager",
            "due_date": due,
        },
        format="json",
    )
    assert action.status_code == 201, action.json()
    capa_url = reverse("api:correctiveaction-detail", args=[action.json()["id"]])
    assert client.post(capa_url + "complete/").status_code == 200
    own = client.post(capa_url + "verify/", {"effective": True}, format="json")
    assert own.status_code == 400
    assert own.json() == {
        "verified_by": ["The owner of an action cannot verify its effectiveness; ask someone else."]
    }
    verified = _api(quality_lead).post(capa_url + "verify/", {"effective": True}, format="json")
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    closed = client.post(base + "close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert client.post(base + "close/").status_code == 409


def test_contract_admins_read_ncrs_but_cannot_write(contract_admin):
    nc = NonConformanceFactory()
    client = _api(contract_admin)
    assert client.get(reverse("api:nonconformance-detail", args=[nc.number])).status_code == 200
    assert (
        client.post(reverse("api:nonconformance-list"), {"title": "x"}, format="json").status_code
        == 403
    )
    url = reverse("api:nonconformance-dispose", args=[nc.number])
    assert client.post(url, {"disposition": "scrap"}, format="json").status_code == 403


def test_staff_report_incidents_only_in_their_warehouses(warehouse_staff, other_warehouse):
    client = _api(warehouse_staff)
    body = {
        "warehouse": "WH-A",
        "occurred_at": timezone.now().isoformat(),
        "kind": "near_miss",
        "description": "Box fell from a shelf",
    }
    assert client.post(reverse("api:incident-list"), body, format="json").status_code == 201
    body["warehouse"] = "WH-B"
    refused = client.post(reverse("api:incident-list"), body, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"warehouse": ["You do not work in WH-B."]}
    assert SafetyIncident.objects.count() == 1


def test_acknowledge_and_render_a_manual_through_the_api(warehouse_staff):
    document = SOPDocumentFactory(code="SOP-WH-001", title="Picking")
    version = SOPVersionFactory(
        document=document,
        status=SOPVersion.Status.EFFECTIVE,
        approver=factories.UserFactory(),
        effective_at=timezone.now(),
    )
    client = _api(warehouse_staff)
    acknowledged = client.post(reverse("api:sop-acknowledge", args=["SOP-WH-001"]))
    assert acknowledged.status_code == 200
    assert acknowledged.json()["version"] == version.number
    manual = Manual.objects.create(title="Floor manual")
    ManualEntry.objects.create(manual=manual, document=document, position=1)
    queued = client.post(reverse("api:manual-render", args=[manual.pk]))
    assert queued.status_code == 202
    job = DocumentJob.objects.get(pk=queued.json()["id"])
    assert (job.kind, job.requested_by, job.params) == (
        "manual",
        warehouse_staff,
        {"manual": manual.pk},
    )
    listed = client.get(reverse("api:manual-detail", args=[manual.pk])).json()
    assert listed["chapters"] == ["SOP-WH-001"]


_numbers = itertools.count(1)
_MAKERS = {
    "api:inspectionplan-list": lambda: InspectionPlanFactory(
        product=factories.ProductFactory(),
        vendor=factories.VendorFactory(),
        warehouse=factories.WarehouseFactory(),
        sop=SOPDocumentFactory(),
    ),
    "api:correctiveaction-list": lambda: CorrectiveActionFactory(
        verified_by=factories.UserFactory()
    ),
    "api:manual-list": lambda: ManualEntry.objects.create(
        manual=Manual.objects.create(title=f"Manual {next(_numbers)}"),
        document=SOPDocumentFactory(),
        position=1,
    ),
}


@pytest.mark.parametrize("name", sorted(_MAKERS))
def test_new_api_lists_cost_the_same_queries_for_1_and_20_rows(manager, name, queries_for):
    client = _api(manager)
    url = reverse(name)
    _MAKERS[name]()
    one = queries_for(client, url)
    for _ in range(19):
        _MAKERS[name]()
    assert client.get(url).json()["count"] == 20
    assert queries_for(client, url) == one


_PAGES = {
    "quality:plan_list": _MAKERS["api:inspectionplan-list"],
    "quality:manual_list": _MAKERS["api:manual-list"],
    "quality:sop_todo": lambda: SOPVersionFactory(
        document=SOPDocumentFactory(),
        status=SOPVersion.Status.EFFECTIVE,
        approver=factories.UserFactory(),
        effective_at=timezone.now(),
    ),
}


@pytest.mark.parametrize("name", sorted(_PAGES))
def test_new_list_pages_cost_the_same_queries_for_1_and_20_rows(
    manager, manager_client, name, queries_for
):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=roles.OPERATIONS_MANAGER)
    url = reverse(name)

    def make():
        row = _PAGES[name]()
        if isinstance(row, SOPVersion):
            row.document.roles.add(group)

    make()
    one = queries_for(manager_client, url)
    for _ in range(19):
        make()
    assert queries_for(manager_client, url) == one
    assert CorrectiveAction.objects.count() == 0
