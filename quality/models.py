"""Inspections, non-conformances and CAPA, compliance, safety, SOPs and manuals."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from inventory.models import Product, Warehouse
from opsportal.models import DocumentJob
from vendors.models import Vendor

USER = settings.AUTH_USER_MODEL


class InspectionPlan(models.Model):
    """When to inspect what, how many, and against which criteria.

    criteria: [{"name": "Packaging intact", "kind": "pass_fail"},
               {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5}]
    """

    class Trigger(models.TextChoices):
        RECEIPT = "receipt", "Purchase-order receipt"
        PRE_SHIPMENT = "pre_shipment", "Pre-shipment"
        PERIODIC = "periodic", "Periodic"

    class Sampling(models.TextChoices):
        EVERY_UNIT = "every_unit", "Every unit"
        SAMPLE_SIZE = "sample_size", "Fixed sample size"
        EVERY_NTH = "every_nth", "Every Nth receipt"

    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.CASCADE, related_name="inspection_plans"
    )
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sampling = models.CharField(
        max_length=20, choices=Sampling.choices, default=Sampling.SAMPLE_SIZE
    )
    sample_size = models.PositiveIntegerField(default=5)
    every_nth = models.PositiveIntegerField(default=1)
    # Receipts this plan matched so far: every Nth one is inspected (EVERY_NTH sampling).
    receipts_seen = models.PositiveIntegerField(default=0, editable=False)
    # Periodic plans: an inspection per warehouse every `period_days`.
    period_days = models.PositiveIntegerField(default=30)
    criteria = models.JSONField(default=list)
    sop = models.ForeignKey(
        "SOPDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["trigger", "is_active"])]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="inspections")
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(max_length=40, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="inspections")
    quantity = models.PositiveIntegerField(default=0, help_text="Quantity the inspection covers")
    sample_size = models.PositiveIntegerField(default=0)
    # [{"name": ..., "passed": true, "value": 100.1, "note": ...}] per criterion
    results = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    inspector = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    inspected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["warehouse", "status"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"Inspection {self.pk} ({self.status})"


class NonConformance(models.Model):
    class Origin(models.TextChoices):
        INSPECTION = "inspection", "Inspection"
        RETURN = "return", "Customer return"
        COMPLAINT = "complaint", "Customer complaint"
        ORDER_ERROR = "order_error", "Order error"
        AUDIT = "audit", "Audit"
        MANUAL = "manual", "Recorded by hand"

    class Severity(models.TextChoices):
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    class Disposition(models.TextChoices):
        PENDING = "", "Not decided"
        USE_AS_IS = "use_as_is", "Use as is"
        REWORK = "rework", "Rework"
        RETURN_TO_VENDOR = "return_to_vendor", "Return to vendor"
        SCRAP = "scrap", "Scrap"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        ACTION = "action", "Corrective action"
        CLOSED = "closed", "Closed"

    number = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.MANUAL)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(max_length=40, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="non_conformances"
    )
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=0)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MINOR)
    disposition = models.CharField(
        max_length=20, choices=Disposition.choices, blank=True, default=""
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_ncrs"
    )
    due_date = models.DateField(null=True, blank=True)
    # Units of `product` in `warehouse` held in quarantine for this NC until its disposition.
    quarantined = models.PositiveIntegerField(default=0)
    disposition_note = models.CharField(max_length=200, blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The supplier corrective action request went to the vendor (once).
    scar_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["vendor", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarantined__lte=F("quantity")), name="nc_quarantined_lte_quantity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"


class CorrectiveAction(models.Model):
    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", "Corrective"
        PREVENTIVE = "preventive", "Preventive"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done, awaiting verification"
        VERIFIED = "verified", "Verified effective"
        INEFFECTIVE = "ineffective", "Not effective"

    non_conformance = models.ForeignKey(
        NonConformance, on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CORRECTIVE)
    # The 5 whys, in order, ending at the root cause.
    whys = models.JSONField(default=list, blank=True)
    root_cause = models.TextField(blank=True)
    action = models.TextField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="owned_actions")
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            # Effectiveness is verified by someone other than the owner.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("owner")),
                name="capa_verifier_not_owner",
            )
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"CAPA {self.pk} for {self.non_conformance_id}"


class ComplianceRequirement(models.Model):
    class Status(models.TextChoices):
        NOT_ASSESSED = "not_assessed", "Not assessed"
        COMPLIANT = "compliant", "Compliant"
        PARTIAL = "partial", "Partially compliant"
        NON_COMPLIANT = "non_compliant", "Non-compliant"

    standard = models.CharField(max_length=80, help_text="e.g. ISO 9001:2015, OSHA 1910")
    clause = models.CharField(max_length=40, help_text="e.g. 8.4")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    review_cadence_days = models.PositiveIntegerField(default=365)
    next_review = models.DateField()
    evidence = models.TextField(blank=True, help_text="Where the evidence is, what it shows")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NOT_ASSESSED)
    last_reviewed_at = models.DateField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["standard", "clause"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "clause"], name="requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.clause} — {self.title}"


class ClauseTag(models.Model):
    """A record (SOP, non-conformance, plan, certification, incident…) filed under a clause.

    The audit pack lists, per requirement, its evidence documents and every record tagged here.
    """

    requirement = models.ForeignKey(
        ComplianceRequirement, on_delete=models.CASCADE, related_name="tags"
    )
    record_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.CharField(max_length=40)
    record = GenericForeignKey("record_type", "record_id")
    tagged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tagged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requirement_id", "record_type_id", "record_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "record_type", "record_id"], name="clausetag_unique"
            )
        ]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.requirement_id} ← {self.record_type_id}:{self.record_id}"


class ComplianceEvidence(models.Model):
    requirement = models.ForeignKey(
        ComplianceRequirement, on_delete=models.CASCADE, related_name="evidence_documents"
    )
    title = models.CharField(max_length=200)
    document = models.FileField(upload_to="compliance/%Y/")
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Certification(models.Model):
    name = models.CharField(max_length=200)
    issuer = models.CharField(max_length=200, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.CASCADE, related_name="certifications"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField()
    document = models.FileField(upload_to="certifications/%Y/", blank=True)

    class Meta:
        ordering = ["valid_until"]

    def __str__(self) -> str:
        return self.name


class SafetyIncident(models.Model):
    class Kind(models.TextChoices):
        INJURY = "injury", "Injury"
        NEAR_MISS = "near_miss", "Near miss"
        PROPERTY = "property", "Property damage"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="safety_incidents"
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.LOW)
    lost_days = models.PositiveIntegerField(default=0)
    description = models.TextField()
    actions = models.TextField(blank=True)
    reported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["warehouse", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.warehouse_id} on {self.occurred_at:%Y-%m-%d}"


class SOPDocument(models.Model):
    class Area(models.TextChoices):
        ORDERS = "orders", "Orders"
        WAREHOUSE = "warehouse", "Warehouse"
        INVENTORY = "inventory", "Inventory"
        QUALITY = "quality", "Quality"
        VENDORS = "vendors", "Vendors"
        SAFETY = "safety", "Safety"

    code = models.CharField(max_length=30, unique=True, help_text="e.g. SOP-ORD-001")
    title = models.CharField(max_length=200)
    area = models.CharField(max_length=12, choices=Area.choices)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    # Who must read and acknowledge each effective version.
    roles = models.ManyToManyField(Group, blank=True, related_name="sops")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SOPWorkLink(models.Model):
    """Which SOP a place of work follows: `{% sop_link "orders.pick" %}` shows its effective version."""

    class Key(models.TextChoices):
        INVENTORY_COUNT = "inventory.count", "Counting stock"
        ORDERS_PICK = "orders.pick", "Picking"
        ORDERS_PACK = "orders.pack", "Packing"
        ORDERS_SHIP = "orders.ship", "Shipping"
        ORDERS_RETURNS = "orders.returns", "Returns"
        VENDORS_RECEIVE = "vendors.receive", "Receiving"
        QUALITY_INSPECTION = "quality.inspection", "Inspections"

    key = models.CharField(max_length=40, choices=Key.choices, unique=True)
    document = models.ForeignKey(SOPDocument, on_delete=models.CASCADE, related_name="work_links")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} → {self.document_id}"


class SOPVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        EFFECTIVE = "effective", "Effective"
        SUPERSEDED = "superseded", "Superseded"

    document = models.ForeignKey(SOPDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown; sanitised when shown, never a template")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_summary = models.CharField(max_length=300, blank=True)
    # Why a reviewer sent the version back to draft (the latest time).
    review_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="sopversion_unique"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="sopversion_one_effective",
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("author")),
                name="sopversion_approver_not_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number} ({self.status})"


class Acknowledgement(models.Model):
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="sop_acknowledgements")
    version = models.ForeignKey(
        SOPVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="acknowledgement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.version_id}"


class Manual(models.Model):
    """An ordered set of SOPs printed as one PDF (cover, contents, revision history)."""

    title = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    sops = models.ManyToManyField(SOPDocument, through="ManualEntry", related_name="manuals")
    last_job = models.ForeignKey(
        DocumentJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ManualEntry(models.Model):
    manual = models.ForeignKey(Manual, on_delete=models.CASCADE, related_name="entries")
    document = models.ForeignKey(SOPDocument, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["manual_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["manual", "document"], name="manualentry_unique"),
            models.UniqueConstraint(fields=["manual", "position"], name="manualentry_position"),
        ]

    def __str__(self) -> str:
        return f"{self.manual_id}#{self.position}"
