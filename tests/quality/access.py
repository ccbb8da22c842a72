"""Permission matrix rows for the quality pages and API."""

from tests.access import CONTRACTS, MANAGER, WAREHOUSE, rule
from tests.factories import (
    InspectionPlanFactory,
    NonConformanceFactory,
    SafetyIncidentFactory,
    SOPVersionFactory,
)
from tests.quality.factories import ComplianceRequirementFactory, InspectionFactory


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


def _in_warehouse(name: str) -> dict:
    return {
        "kwargs": lambda w: {"pk": w[f"quality_{name}"].pk},
        "other_warehouse_kwargs": lambda w: {"pk": w[f"quality_{name}_other"].pk},
    }


_nonconformance_pk = {"kwargs": lambda w: {"pk": w["quality_nonconformance"].pk}}
_nonconformance_number = {"kwargs": lambda w: {"number": w["quality_nonconformance"].number}}
_requirement = {"kwargs": lambda w: {"pk": w["quality_requirement"].pk}}
_sop = {"kwargs": lambda w: {"code": w["quality_sop"].code}}

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
