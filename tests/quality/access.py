"""Permission matrix rows for the quality pages and API."""

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile

from quality.models import ClauseTag, ComplianceEvidence, Manual, ManualEntry
from tests.access import CONTRACTS, MANAGER, WAREHOUSE, rule
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    SafetyIncidentFactory,
    SOPVersionFactory,
)
from tests.quality.factories import (
    CertificationFactory,
    ComplianceRequirementFactory,
    CorrectiveActionFactory,
    InspectionFactory,
)


def add_objects(world: dict) -> None:
    plan = InspectionPlanFactory(name="Matrix receipt plan")
    world["quality_inspection"] = InspectionFactory(plan=plan, warehouse=world["warehouse"])
    world["quality_inspection_other"] = InspectionFactory(
        plan=plan, warehouse=world["other_warehouse"]
    )
    world["quality_incident"] = SafetyIncidentFactory(warehouse=world["warehouse"])
    world["quality_incident_other"] = SafetyIncidentFactory(warehouse=world["other_warehouse"])
    world["quality_nonconformance"] = NonConformanceFactory(number="NC-MATRIX-1")
    world["quality_requirement"] = ComplianceRequirementFactory()
    world["quality_sop"] = SOPVersionFactory(
        document__code="SOP-MAT-001", author=world["manager_user"]
    ).document
    world["quality_plan"] = plan
    world["quality_action"] = CorrectiveActionFactory(
        non_conformance=world["quality_nonconformance"], owner=world["manager_user"]
    )
    requirement = world["quality_requirement"]
    world["quality_evidence"] = ComplianceEvidence.objects.create(
        requirement=requirement,
        title="Supplier audit",
        document=ContentFile(b"%PDF-1.4 matrix", name="audit.pdf"),
    )
    world["quality_tag"] = ClauseTag.objects.create(
        requirement=requirement,
        record_type=ContentType.objects.get_for_model(plan),
        record_id=str(plan.pk),
    )
    world["quality_certification"] = CertificationFactory(
        warehouse=world["warehouse"], document=ContentFile(b"%PDF-1.4 cert", name="iso.pdf")
    )
    manual = Manual.objects.create(title="Matrix manual")
    ManualEntry.objects.create(manual=manual, document=world["quality_sop"], position=1)
    world["quality_manual"] = manual


def _in_warehouse(name: str) -> dict:
    return {
        "kwargs": lambda w: {"pk": w[f"quality_{name}"].pk},
        "other_warehouse_kwargs": lambda w: {"pk": w[f"quality_{name}_other"].pk},
    }


_nonconformance_pk = {"kwargs": lambda w: {"pk": w["quality_nonconformance"].pk}}
_nonconformance_number = {"kwargs": lambda w: {"number": w["quality_nonconformance"].number}}
_requirement = {"kwargs": lambda w: {"pk": w["quality_requirement"].pk}}
_sop = {"kwargs": lambda w: {"code": w["quality_sop"].code}}
_version = {"kwargs": lambda w: {"code": w["quality_sop"].code, "number": 1}}


def _pk(name: str) -> dict:
    return {"kwargs": lambda w: {"pk": w[f"quality_{name}"].pk}}


# Inspections and safety are warehouse work: managers everywhere, staff in their warehouses.
FLOOR = (MANAGER, WAREHOUSE)
# A vendor's quality record matters to its contracts: contract admins read non-conformances.
VENDOR_QUALITY = (MANAGER, CONTRACTS)
# Everyone with a role reads the SOPs (they acknowledge them).
READERS = (MANAGER, WAREHOUSE, CONTRACTS)

MATRIX = {
    "quality:inspection_list": rule(*FLOOR),
    "quality:inspection_detail": rule(*FLOOR, **_in_warehouse("inspection")),
    "quality:nonconformance_list": rule(*VENDOR_QUALITY),
    "quality:nonconformance_detail": rule(*VENDOR_QUALITY, **_nonconformance_pk),
    "quality:requirement_list": rule(MANAGER),
    "quality:incident_list": rule(*FLOOR),
    "quality:sop_list": rule(*READERS),
    "quality:sop_detail": rule(*READERS, **_sop),
    "quality:plan_list": rule(MANAGER),
    "quality:plan_create": rule(MANAGER),
    "quality:plan_edit": rule(MANAGER, **_pk("plan")),
    # POST-only actions: a GET answers 405 to those let in, 403 to the others.
    "quality:plan_delete": rule(MANAGER, **_pk("plan")),
    "quality:nonconformance_create": rule(MANAGER),
    "quality:nonconformance_edit": rule(MANAGER, **_nonconformance_pk),
    "quality:nonconformance_dispose": rule(MANAGER, **_nonconformance_pk),
    "quality:nonconformance_close": rule(MANAGER, **_nonconformance_pk),
    "quality:nonconformance_scar": rule(MANAGER, **_nonconformance_pk),
    "quality:capa_create": rule(MANAGER, **_nonconformance_pk),
    "quality:capa_complete": rule(MANAGER, **_pk("action")),
    "quality:capa_verify": rule(MANAGER, **_pk("action")),
    "quality:requirement_create": rule(MANAGER),
    "quality:requirement_detail": rule(MANAGER, **_requirement),
    "quality:requirement_edit": rule(MANAGER, **_requirement),
    "quality:requirement_review": rule(MANAGER, **_requirement),
    "quality:evidence_add": rule(MANAGER, **_requirement),
    "quality:tag_add": rule(MANAGER, **_requirement),
    "quality:evidence_download": rule(MANAGER, **_pk("evidence")),
    "quality:evidence_delete": rule(MANAGER, **_pk("evidence")),
    "quality:tag_delete": rule(MANAGER, **_pk("tag")),
    "quality:audit_pack": rule(MANAGER),
    "quality:certification_create": rule(MANAGER),
    "quality:certification_edit": rule(MANAGER, **_pk("certification")),
    "quality:certification_download": rule(MANAGER, **_pk("certification")),
    "quality:incident_create": rule(*FLOOR),
    "quality:incident_detail": rule(*FLOOR, **_in_warehouse("incident")),
    "quality:sop_create": rule(MANAGER),
    "quality:sop_todo": rule(*READERS),
    "quality:sop_edit": rule(MANAGER, **_sop),
    "quality:sop_acknowledge": rule(*READERS, **_sop),
    "quality:version_create": rule(MANAGER, **_sop),
    "quality:version_detail": rule(MANAGER, **_version),
    "quality:version_edit": rule(MANAGER, **_version),
    "quality:version_submit": rule(MANAGER, **_version),
    "quality:version_approve": rule(MANAGER, **_version),
    "quality:version_reject": rule(MANAGER, **_version),
    "quality:version_withdraw": rule(MANAGER, **_version),
    "quality:manual_list": rule(*READERS),
    "quality:manual_create": rule(MANAGER),
    "quality:manual_detail": rule(*READERS, **_pk("manual")),
    "quality:manual_edit": rule(MANAGER, **_pk("manual")),
    "quality:manual_render": rule(*READERS, **_pk("manual")),
    "api:inspectionplan-list": rule(MANAGER),
    "api:inspectionplan-detail": rule(MANAGER, **_pk("plan")),
    # POST-only actions (405 on GET to those let in); other warehouses: test_api_writes.py.
    "api:inspection-record": rule(*FLOOR, kwargs=_in_warehouse("inspection")["kwargs"]),
    "api:nonconformance-dispose": rule(MANAGER, **_nonconformance_number),
    "api:nonconformance-close": rule(MANAGER, **_nonconformance_number),
    "api:nonconformance-scar": rule(MANAGER, **_nonconformance_number),
    "api:nonconformance-add-action": rule(MANAGER, **_nonconformance_number),
    "api:correctiveaction-list": rule(MANAGER),
    "api:correctiveaction-detail": rule(MANAGER, **_pk("action")),
    "api:correctiveaction-complete": rule(MANAGER, **_pk("action")),
    "api:correctiveaction-verify": rule(MANAGER, **_pk("action")),
    "api:requirement-review": rule(MANAGER, **_requirement),
    "api:sop-acknowledge": rule(*READERS, **_sop),
    "api:manual-list": rule(*READERS),
    "api:manual-detail": rule(*READERS, **_pk("manual")),
    "api:manual-render": rule(*READERS, **_pk("manual")),
    "api:inspection-list": rule(*FLOOR),
    "api:inspection-detail": rule(*FLOOR, **_in_warehouse("inspection")),
    "api:nonconformance-list": rule(*VENDOR_QUALITY),
    "api:nonconformance-detail": rule(*VENDOR_QUALITY, **_nonconformance_number),
    "api:requirement-list": rule(MANAGER),
    "api:requirement-detail": rule(MANAGER, **_requirement),
    "api:incident-list": rule(*FLOOR),
    "api:incident-detail": rule(*FLOOR, **_in_warehouse("incident")),
    "api:sop-list": rule(*READERS),
    "api:sop-detail": rule(*READERS, **_sop),
}
