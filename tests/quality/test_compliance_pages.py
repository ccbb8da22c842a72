"""The compliance register: reviews move the next review, evidence is uploaded with checks and
served only to managers through a view, clause tags, the audit pack CSV, certifications."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from quality.models import ClauseTag, ComplianceEvidence, ComplianceRequirement
from tests.factories import InspectionPlanFactory, NonConformanceFactory, SOPDocumentFactory
from tests.quality.conftest import csv_rows
from tests.quality.factories import CertificationFactory, ComplianceRequirementFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def requirement():
    return ComplianceRequirementFactory(
        standard="ISO 9001:2015",
        clause="8.4",
        title="Control of external providers",
        review_cadence_days=180,
    )


def test_a_review_sets_the_status_and_the_next_review_one_cadence_on(
    manager_client, manager, requirement
):
    url = reverse("quality:requirement_review", args=[requirement.pk])
    response = manager_client.post(url, {"status": "compliant", "evidence": "Supplier audits 2026"})
    assert response.status_code == 302
    requirement.refresh_from_db()
    today = timezone.localdate()
    assert requirement.status == "compliant"
    assert requirement.last_reviewed_at == today
    assert requirement.last_reviewed_by == manager
    assert requirement.next_review == today + datetime.timedelta(days=180)


def test_a_new_requirement_names_a_duplicate_clause(manager_client, requirement):
    data = {
        "standard": "ISO 9001:2015",
        "clause": "8.4",
        "title": "Again",
        "review_cadence_days": "365",
        "status": "not_assessed",
    }
    response = manager_client.post(reverse("quality:requirement_create"), data)
    assert response.status_code == 400
    assert "ISO 9001:2015 8.4 is already in the register." in response.content.decode()
    assert ComplianceRequirement.objects.count() == 1


def test_evidence_is_uploaded_and_served_only_to_managers(
    manager_client, warehouse_client, contracts_client, client, requirement
):
    upload = SimpleUploadedFile("audit.pdf", PDF, content_type="application/pdf")
    response = manager_client.post(
        reverse("quality:evidence_add", args=[requirement.pk]),
        {"title": "Supplier audit report", "document": upload},
    )
    assert response.status_code == 302
    evidence = ComplianceEvidence.objects.get()
    url = reverse("quality:evidence_download", args=[evidence.pk])
    served = manager_client.get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PDF
    assert served["Cache-Control"] == "private, no-store"
    assert warehouse_client.get(url).status_code == 403
    assert contracts_client.get(url).status_code == 403
    assert client.get(url).status_code == 302  # to sign in


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ...", "is not an accepted document type"),
        ("fake.pdf", b"MZ not a pdf", "is not really a PDF file"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_bad_evidence_is_refused_naming_the_file(
    manager_client, requirement, name, content, message
):
    upload = SimpleUploadedFile(name, content)
    response = manager_client.post(
        reverse("quality:evidence_add", args=[requirement.pk]),
        {"title": "x", "document": upload},
        follow=True,
    )
    assert message in response.content.decode()
    assert not ComplianceEvidence.objects.exists()


def test_records_are_tagged_with_a_clause_and_the_audit_pack_lists_them(
    manager_client, requirement
):
    SOPDocumentFactory(code="SOP-QA-001", title="Receiving inspection")
    nc = NonConformanceFactory(number="NC-0042", title="Supplier sent wrong grade")
    tag_url = reverse("quality:tag_add", args=[requirement.pk])
    manager_client.post(tag_url, {"kind": "sop", "reference": "sop-qa-001"})
    manager_client.post(tag_url, {"kind": "nonconformance", "reference": "NC-0042"})
    response = manager_client.post(
        tag_url, {"kind": "nonconformance", "reference": "NC-9999"}, follow=True
    )
    assert "No NCR number, e.g. NC-0012 “NC-9999”." in response.content.decode()
    response = manager_client.post(tag_url, {"kind": "sop", "reference": "SOP-QA-001"}, follow=True)
    assert "already filed under ISO 9001:2015 8.4" in response.content.decode()
    assert ClauseTag.objects.count() == 2
    ComplianceEvidence.objects.create(
        requirement=requirement,
        title="Approved supplier list",
        document=SimpleUploadedFile("asl.pdf", PDF),
    )
    other = ComplianceRequirementFactory(standard="OSHA 1910", clause="178", title="Forklifts")
    ClauseTag.objects.create(
        requirement=other, record_type_id=ClauseTag.objects.first().record_type_id, record_id="0"
    )

    rows = csv_rows(manager_client.get(reverse("quality:audit_pack") + "?standard=ISO"))
    assert rows[0] == ["Clause", "Record", "Title", "Status", "Date", "Note", "By"]
    body = rows[1:]
    assert {row[0] for row in body} == {"ISO 9001:2015 8.4"}
    kinds = [row[1] for row in body]
    assert kinds[0] == "Requirement"
    assert "Evidence document" in kinds
    titles = [row[2] for row in body]
    assert "Approved supplier list" in titles
    assert "SOP-QA-001 Receiving inspection" in titles
    assert f"{nc.number} — Supplier sent wrong grade" in titles
    everything = csv_rows(manager_client.get(reverse("quality:audit_pack")))
    assert "OSHA 1910 178" in {row[0] for row in everything[1:]}
    assert any("(no longer exists)" in row[2] for row in everything[1:])


def test_the_audit_pack_costs_the_same_queries_for_1_and_20_records(
    manager_client, requirement, queries_for
):
    plan = InspectionPlanFactory()
    ClauseTag.objects.create(
        requirement=requirement,
        record_type=ContentType.objects.get_for_model(plan),
        record_id=str(plan.pk),
    )
    url = reverse("quality:audit_pack")
    one = queries_for(manager_client, url)
    for n in range(20):
        r = ComplianceRequirementFactory(standard="ISO 14001:2015")
        p = InspectionPlanFactory()
        ClauseTag.objects.create(
            requirement=r, record_type=ClauseTag.objects.first().record_type, record_id=str(p.pk)
        )
        ComplianceEvidence.objects.create(
            requirement=r, title=f"e{n}", document=SimpleUploadedFile("e.pdf", PDF)
        )
    assert queries_for(manager_client, url) == one


def test_certifications_with_their_document(manager_client, warehouse_client, warehouse):
    upload = SimpleUploadedFile("iso.pdf", PDF)
    valid = (timezone.localdate() + datetime.timedelta(days=300)).isoformat()
    response = manager_client.post(
        reverse("quality:certification_create"),
        {
            "name": "ISO 9001",
            "issuer": "BV",
            "warehouse": warehouse.pk,
            "valid_until": valid,
            "document": upload,
        },
    )
    assert response.status_code == 302
    certification = CertificationFactory._meta.model.objects.get()
    url = reverse("quality:certification_download", args=[certification.pk])
    assert manager_client.get(url).status_code == 200
    assert warehouse_client.get(url).status_code == 403
    bad = manager_client.post(
        reverse("quality:certification_create"),
        {"name": "x", "valid_from": valid, "valid_until": timezone.localdate().isoformat()},
    )
    assert bad.status_code == 400
    assert "It cannot expire before it starts." in bad.content.decode()
