"""Warehouse floor pages on a phone: recording an inspection and reporting an incident, only in
the staff member's own warehouses."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockLevel
from quality.models import Inspection, NonConformance, SafetyIncident
from tests import factories
from tests.factories import InspectionPlanFactory, SafetyIncidentFactory
from tests.quality.factories import InspectionFactory

pytestmark = pytest.mark.django_db
CRITERIA = [
    {"name": "Packaging intact", "kind": "pass_fail"},
    {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5},
]


@pytest.fixture
def pending(warehouse):
    product = factories.ProductFactory(sku="BOLT-M8")
    stock.stock_receive(warehouse=warehouse, product=product, quantity=40, actor=None)
    plan = InspectionPlanFactory(name="Bolts", criteria=CRITERIA)
    return InspectionFactory(plan=plan, warehouse=warehouse, product=product, quantity=40)


def _url(inspection) -> str:
    return reverse("quality:inspection_detail", args=[inspection.pk])


def test_the_record_form_lists_each_criterion_for_a_phone(warehouse_client, pending):
    page = warehouse_client.get(_url(pending)).content.decode()
    assert 'data-testid="record-form"' in page
    assert 'value="pass"' in page
    assert 'value="fail"' in page
    assert "Length (99.5–100.5 mm)" in page
    assert 'inputmode="decimal"' in page
    assert 'name="affected_quantity"' in page


def test_staff_record_a_failure_that_quarantines_and_opens_an_ncr(
    warehouse_client, pending, warehouse_staff
):
    data = {
        "c0_passed": "pass",
        "c1_value": "101,2",
        "c1_note": "3 of 8 too long",
        "affected_quantity": "25",
        "notes": "Pallet 2",
    }
    response = warehouse_client.post(_url(pending), data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Failed: 25 units quarantined, NC-0001 opened." in text
    pending.refresh_from_db()
    assert pending.status == Inspection.Status.FAILED
    assert pending.inspector == warehouse_staff
    assert StockLevel.objects.get(product=pending.product).quarantined == 25
    nc = NonConformance.objects.get()
    assert nc.source == pending
    # Staff see the result, not the NCR page (managers and contract admins handle NCRs).
    assert 'href="/quality/nonconformances/' not in text


def test_a_missing_value_is_shown_on_the_form_and_nothing_is_saved(warehouse_client, pending):
    response = warehouse_client.post(_url(pending), {"c0_passed": "pass", "c1_value": ""})
    assert response.status_code == 400
    assert "Length: enter the measured value (99.5–100.5 mm)." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Inspection.Status.PENDING


def test_staff_cannot_see_or_record_another_warehouse_inspection(warehouse_client, other_warehouse):
    inspection = InspectionFactory(warehouse=other_warehouse)
    assert warehouse_client.get(_url(inspection)).status_code == 404
    response = warehouse_client.post(_url(inspection), {"c0_passed": "fail"})
    assert response.status_code == 404
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.PENDING


def test_contract_admins_cannot_record(contracts_client, pending):
    assert contracts_client.post(_url(pending), {"c0_passed": "pass"}).status_code == 403


def test_a_recorded_inspection_has_no_form_and_refuses_a_second_post(manager_client, pending):
    manager_client.post(_url(pending), {"c0_passed": "pass", "c1_value": "100"})
    page = manager_client.get(_url(pending)).content.decode()
    assert 'data-testid="record-form"' not in page
    response = manager_client.post(_url(pending), {"c0_passed": "fail", "c1_value": "1"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Inspection.Status.PASSED


# --- incidents ---------------------------------------------------------------------------------


def _incident(**extra) -> dict:
    when = timezone.localtime() - datetime.timedelta(hours=1)
    return {
        "warehouse": "WH-A",
        "kind": "injury",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "severity": "medium",
        "description": "Cut on a carton edge",
        "lost_days": "2",
        "actions": "First aid",
        **extra,
    }


def test_staff_report_an_incident_in_their_warehouse(warehouse_client, warehouse_staff):
    page = warehouse_client.get(reverse("quality:incident_create")).content.decode()
    assert 'type="datetime-local"' in page
    assert "WH-B" not in page
    response = warehouse_client.post(reverse("quality:incident_create"), _incident())
    assert response.status_code == 302
    incident = SafetyIncident.objects.get()
    assert (incident.kind, incident.lost_days, incident.reported_by) == (
        "injury",
        2,
        warehouse_staff,
    )


def test_staff_cannot_report_for_another_warehouse(warehouse_client, other_warehouse):
    response = warehouse_client.post(
        reverse("quality:incident_create"), _incident(warehouse="WH-B")
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SafetyIncident.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"kind": "near_miss"}, "lost_days", "Only an injury can cost working days."),
        (
            {
                "occurred_at": (timezone.localtime() + datetime.timedelta(days=2)).strftime(
                    "%Y-%m-%dT%H:%M"
                )
            },
            "occurred_at",
            "That is in the future.",
        ),
        ({"description": ""}, "description", "This field is required."),
    ],
)
def test_bad_reports_name_the_field(warehouse_client, extra, field, message):
    response = warehouse_client.post(reverse("quality:incident_create"), _incident(**extra))
    assert response.status_code == 400
    text = response.content.decode()
    assert f'id="id_{field}_errors"' in text
    assert message in text
    assert not SafetyIncident.objects.exists()


def test_incident_pages_are_scoped_and_only_managers_follow_up(
    warehouse_client, manager_client, warehouse, other_warehouse
):
    mine = SafetyIncidentFactory(warehouse=warehouse, kind="injury")
    theirs = SafetyIncidentFactory(warehouse=other_warehouse)
    assert (
        warehouse_client.get(reverse("quality:incident_detail", args=[mine.pk])).status_code == 200
    )
    assert (
        warehouse_client.get(reverse("quality:incident_detail", args=[theirs.pk])).status_code
        == 404
    )
    url = reverse("quality:incident_detail", args=[mine.pk])
    assert warehouse_client.post(url, {"severity": "high"}).status_code == 403
    response = manager_client.post(
        url, {"severity": "high", "lost_days": "3", "actions": "Guard fitted"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.severity, mine.lost_days, mine.actions) == ("high", 3, "Guard fitted")
