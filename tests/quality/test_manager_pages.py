"""Manager pages: inspection plans with their criteria, NCRs and CAPA, manuals."""

import datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockLevel
from opsportal.models import DocumentJob
from quality.models import (
    ComplianceEvidence,
    CorrectiveAction,
    InspectionPlan,
    Manual,
    NonConformance,
    SOPVersion,
)
from tests import factories
from tests.factories import NonConformanceFactory, SOPDocumentFactory, SOPVersionFactory
from tests.quality.factories import ComplianceRequirementFactory, InspectionFactory

pytestmark = pytest.mark.django_db


def _plan_data(**extra) -> dict:
    data = {
        "name": "Bolts receiving",
        "trigger": "receipt",
        "product": "",
        "sampling": "sample_size",
        "sample_size": "5",
        "every_nth": "1",
        "period_days": "30",
        "is_active": "on",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
        "criteria-0-name": "Packaging intact",
        "criteria-0-kind": "pass_fail",
        "criteria-1-name": "Length",
        "criteria-1-kind": "measure",
        "criteria-1-unit": "mm",
        "criteria-1-min": "99.5",
        "criteria-1-max": "100.5",
        "criteria-2-name": "",
    }
    data.update(extra)
    return data


def test_a_manager_creates_a_plan_with_its_criteria(manager_client):
    factories.ProductFactory(sku="BOLT-M8")
    response = manager_client.post(reverse("quality:plan_create"), _plan_data(product="bolt-m8"))
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = InspectionPlan.objects.get()
    assert plan.product.sku == "BOLT-M8"
    assert plan.criteria == [
        {"name": "Packaging intact", "kind": "pass_fail"},
        {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5},
    ]
    page = manager_client.get(reverse("quality:plan_edit", args=[plan.pk])).content.decode()
    assert 'value="Length"' in page
    assert "Bolts receiving" in manager_client.get(reverse("quality:plan_list")).content.decode()


def test_plan_errors_name_the_field_or_criterion(manager_client):
    response = manager_client.post(
        reverse("quality:plan_create"),
        _plan_data(**{"criteria-1-min": "101", "product": "NOPE"}),
    )
    assert response.status_code == 400
    assert "No product with this SKU." in response.content.decode()
    response = manager_client.post(
        reverse("quality:plan_create"), _plan_data(**{"criteria-1-min": "101"})
    )
    assert response.status_code == 400
    assert (
        "Criterion 2 (Length): the minimum 101 is above the maximum 100.5."
        in response.content.decode()
    )
    assert not InspectionPlan.objects.exists()


def test_a_plan_with_inspections_is_not_deleted(manager_client):
    inspection = InspectionFactory()
    url = reverse("quality:plan_delete", args=[inspection.plan.pk])
    response = manager_client.post(url, follow=True)
    assert "deactivate it instead" in response.content.decode()
    assert InspectionPlan.objects.exists()
    unused = factories.InspectionPlanFactory()
    manager_client.post(reverse("quality:plan_delete", args=[unused.pk]))
    assert not InspectionPlan.objects.filter(pk=unused.pk).exists()


def test_staff_cannot_open_the_plan_pages(warehouse_client):
    assert warehouse_client.get(reverse("quality:plan_list")).status_code == 403
    assert warehouse_client.post(reverse("quality:plan_create"), _plan_data()).status_code == 403
    assert not InspectionPlan.objects.exists()


def test_an_ncr_by_hand_that_quarantines_now(manager_client, warehouse):
    product = factories.ProductFactory(sku="DRUM-9")
    stock.stock_receive(warehouse=warehouse, product=product, quantity=4, actor=None)
    data = {
        "title": "Dented drums found in aisle 3",
        "origin": "audit",
        "severity": "minor",
        "product": "DRUM-9",
        "warehouse": warehouse.pk,
        "quantity": "6",
        "quarantine_now": "on",
    }
    refused = manager_client.post(reverse("quality:nonconformance_create"), data)
    assert refused.status_code == 400
    assert "id_quantity_errors" in refused.content.decode()
    assert not NonConformance.objects.exists()
    data["quantity"] = "3"
    response = manager_client.post(reverse("quality:nonconformance_create"), data)
    assert response.status_code == 302
    nc = NonConformance.objects.get()
    assert (nc.number, nc.quarantined) == ("NC-0001", 3)
    assert StockLevel.objects.get().quarantined == 3
    assert nc.due_date == timezone.localdate() + datetime.timedelta(days=30)


def test_capa_through_the_pages_and_the_owner_cannot_verify(client, manager):
    from opsportal import roles

    other = factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    nc = NonConformanceFactory()
    client.force_login(manager)
    create = reverse("quality:capa_create", args=[nc.pk])
    bad = client.post(create, {"kind": "corrective", "action": "", "due_date": "2001-01-01"})
    assert bad.status_code == 400
    due = (timezone.localdate() + datetime.timedelta(days=9)).isoformat()
    response = client.post(
        create,
        {
            "kind": "corrective",
            "why1": "Label missing",
            "why2": "Printer out of ribbon",
            "root_cause": "No ribbon check",
            "action": "Ribbon check at shift start",
            "owner": manager.pk,
            "due_date": due,
        },
    )
    assert response.status_code == 302
    capa = CorrectiveAction.objects.get()
    assert capa.whys == ["Label missing", "Printer out of ribbon"]
    client.post(reverse("quality:capa_complete", args=[capa.pk]))
    verify = reverse("quality:capa_verify", args=[capa.pk])
    response = client.post(verify, {"effective": "yes"}, follow=True)
    assert "cannot verify its effectiveness" in response.content.decode()
    client.force_login(other)
    client.post(verify, {"effective": "yes", "notes": "Checked 2 weeks"})
    capa.refresh_from_db()
    assert (capa.status, capa.verified_by) == ("verified", other)


def test_a_manual_is_built_from_codes_and_printed_from_its_page(manager_client, warehouse_client):
    for code in ("SOP-ORD-001", "SOP-WH-001"):
        SOPVersionFactory(
            document=SOPDocumentFactory(code=code),
            status=SOPVersion.Status.EFFECTIVE,
            approver=factories.UserFactory(),
            effective_at=timezone.now(),
        )
    response = manager_client.post(
        reverse("quality:manual_create"),
        {"title": "Floor manual", "description": "", "codes": "sop-wh-001\nSOP-ORD-001"},
    )
    assert response.status_code == 302
    manual = Manual.objects.get()
    assert list(manual.entries.values_list("document__code", flat=True)) == [
        "SOP-WH-001",
        "SOP-ORD-001",
    ]
    bad = manager_client.post(
        reverse("quality:manual_edit", args=[manual.pk]),
        {"title": "Floor manual", "codes": "SOP-WH-001\nSOP-XX-404"},
    )
    assert "No SOP with the code SOP-XX-404." in bad.content.decode()
    response = warehouse_client.post(reverse("quality:manual_render", args=[manual.pk]))
    job = DocumentJob.objects.get()
    assert response["Location"] == reverse("document_detail", args=[job.pk])
    assert job.kind == DocumentJob.Kind.MANUAL
    manual.refresh_from_db()
    assert manual.last_job == job


def test_uploaded_evidence_is_not_reachable_under_media(manager_client, client):
    requirement = ComplianceRequirementFactory()
    evidence = ComplianceEvidence.objects.create(
        requirement=requirement, title="x", document=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    assert manager_client.get(settings.MEDIA_URL + evidence.document.name).status_code == 404
    assert client.get(settings.MEDIA_URL + evidence.document.name).status_code in (302, 404)
