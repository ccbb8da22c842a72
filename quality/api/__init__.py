"""The quality API under /api/v1/: reads for every quality record, writes through the services.

Writes answer 400 naming the field the service refused, 409 when the record's state refuses it
(already recorded, already sent, not enough stock to quarantine).
"""

from quality.api.writes import (
    ComplianceRequirementViewSet,
    CorrectiveActionViewSet,
    InspectionPlanViewSet,
    InspectionViewSet,
    ManualViewSet,
    NonConformanceViewSet,
    SafetyIncidentViewSet,
    SOPDocumentViewSet,
)

ROUTES = [
    ("inspection-plans", InspectionPlanViewSet, "inspectionplan"),
    ("inspections", InspectionViewSet, "inspection"),
    ("nonconformances", NonConformanceViewSet, "nonconformance"),
    ("corrective-actions", CorrectiveActionViewSet, "correctiveaction"),
    ("compliance-requirements", ComplianceRequirementViewSet, "requirement"),
    ("safety-incidents", SafetyIncidentViewSet, "incident"),
    ("sops", SOPDocumentViewSet, "sop"),
    ("manuals", ManualViewSet, "manual"),
]
