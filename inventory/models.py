"""Warehouses, products, stock levels, the stock ledger and inventory checks.

Only inventory.services writes StockLevel and StockMovement; every other app calls it.
"""

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q


class Warehouse(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    address = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    cutoff_time = models.TimeField(
        default=datetime.time(15, 0), help_text="Orders after this time ship the next business day"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    # Warehouse staff see and work only in the warehouses they are assigned to.
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="warehouses")
    # Counted variance beyond either threshold asks for a recount, then a manager's approval.
    count_tolerance_units = models.PositiveIntegerField(default=2)
    count_tolerance_value = models.DecimalField(max_digits=12, decimal_places=2, default=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Product(models.Model):
    class Unit(models.TextChoices):
        EACH = "each", "Each"
        BOX = "box", "Box"
        PACK = "pack", "Pack"
        KG = "kg", "Kilogram"
        M = "m", "Metre"

    class AbcClass(models.TextChoices):
        A = "A", "A (counted daily)"
        B = "B", "B (counted weekly)"
        C = "C", "C (counted monthly)"

    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.EACH)
    weight_grams = models.PositiveIntegerField(default=0)
    length_mm = models.PositiveIntegerField(default=0)
    width_mm = models.PositiveIntegerField(default=0)
    height_mm = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    abc_class = models.CharField(max_length=1, choices=AbcClass.choices, default=AbcClass.C)
    abc_class_locked = models.BooleanField(
        default=False, help_text="Set by hand: the nightly classification leaves it alone"
    )
    # What the last classification computed (kept even when a manager overrode abc_class).
    abc_computed_class = models.CharField(max_length=1, choices=AbcClass.choices, blank=True)
    abc_movement_value = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text="Shipped value"
    )
    abc_value_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Share of all shipped value up to and including this product (0–1)",
    )
    abc_computed_at = models.DateTimeField(null=True, blank=True)
    lead_time_days = models.PositiveIntegerField(
        default=7, help_text="Days from ordering to receiving (replenishment)"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["barcode"], condition=~Q(barcode=""), name="product_barcode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    @property
    def dimensions(self) -> str:
        return f"{self.length_mm}×{self.width_mm}×{self.height_mm} mm"


class StockLevel(models.Model):
    """What one warehouse holds of one product. available = on_hand − reserved − quarantined."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    quarantined = models.IntegerField(default=0)
    in_transit = models.IntegerField(default=0, help_text="Transferred in, not yet arrived")
    reorder_point = models.PositiveIntegerField(default=0)
    safety_stock = models.PositiveIntegerField(default=0)
    bin = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warehouse_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stocklevel_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(quarantined__gte=0), name="stocklevel_quarantined_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(in_transit__gte=0), name="stocklevel_in_transit_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand") - F("quarantined")),
                name="stocklevel_reserved_quarantined_lte_on_hand",
            ),
        ]
        indexes = [models.Index(fields=["product", "warehouse"])]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.quarantined

    @property
    def is_low(self) -> bool:
        return self.available <= self.reorder_point


class StockMovement(models.Model):
    """The append-only stock ledger: per (warehouse, product) the deltas sum to on_hand."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SHIPMENT = "shipment", "Shipment"
        ADJUSTMENT = "adjustment", "Adjustment"
        COUNT = "count", "Count correction"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        RETURN = "return", "Return"
        QUARANTINE = "quarantine", "Quarantine"
        RELEASE = "release", "Release from quarantine"

    class Reason(models.TextChoices):
        """Why an adjustment changed the stock: required on every adjustment."""

        DAMAGED = "damaged", "Damaged"
        EXPIRED = "expired", "Expired"
        LOST = "lost", "Lost or missing"
        THEFT = "theft", "Theft"
        FOUND = "found", "Found"
        SAMPLE = "sample", "Sample or internal use"
        SCRAPPED = "scrapped", "Scrapped after inspection"
        CORRECTION = "correction", "Booking error corrected"
        OTHER = "other", "Other (explain in the note)"

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField(help_text="Change of on-hand; 0 for quarantine and release")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason_code = models.CharField(
        max_length=20, choices=Reason.choices, blank=True, help_text="Required on adjustments"
    )
    reason = models.CharField(max_length=200, blank=True)
    reference_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference_id = models.CharField(max_length=40, blank=True)
    reference = GenericForeignKey("reference_type", "reference_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    on_hand_after = models.IntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["warehouse", "product", "created_at"]),
            # Counts read "the last row" and "the rows after a snapshot" by id per product.
            models.Index(fields=["warehouse", "product", "id"]),
            models.Index(fields=["product", "created_at"]),
            models.Index(fields=["reference_type", "reference_id"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} {self.product_id}@{self.warehouse_id}"

    # The ledger is append-only: integrity, not a business rule, so it lives with the model.
    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Stock movements are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stock movements are append-only and cannot be deleted.")


class InventoryCheck(models.Model):
    """A cycle count of some products in one warehouse."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COUNTING = "counting", "Counting"
        REVIEW = "review", "In review"
        POSTED = "posted", "Posted"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled (ABC)"
        PRODUCTS = "products", "Product list"
        LOCATION = "location", "Location"
        FULL = "full", "Whole warehouse"

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="checks")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCHEDULED)
    scheduled_for = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    blind = models.BooleanField(default=True, help_text="Counters never see the expected quantity")
    location = models.CharField(max_length=30, blank=True, help_text="Bin prefix for a location")
    planned_on = models.DateField(
        null=True, blank=True, help_text="The day the daily planner made it (null: by hand)"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_checks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    OPEN_STATUSES = (Status.PLANNED, Status.COUNTING, Status.REVIEW)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["warehouse", "status", "scheduled_for"])]
        constraints = [
            # The planner makes at most one scheduled check per warehouse and day: running it
            # twice (or twice at once) creates nothing new.
            models.UniqueConstraint(
                fields=["warehouse", "planned_on"], name="inventorycheck_one_plan_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"Count {self.pk} {self.warehouse_id} {self.scheduled_for}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class InventoryCheckLine(models.Model):
    # Not named "check": that would shadow Model.check() and break Django's system checks.
    inventory_check = models.ForeignKey(
        InventoryCheck, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    bin = models.CharField(max_length=30, blank=True)
    expected = models.IntegerField(null=True, blank=True, help_text="On hand when counting began")
    counted = models.PositiveIntegerField(null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counted_at = models.DateTimeField(null=True, blank=True)
    variance = models.IntegerField(null=True, blank=True)
    recount = models.BooleanField(default=False, help_text="A recount was asked for")
    first_count = models.PositiveIntegerField(null=True, blank=True)

    class Decision(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "Waiting for a manager"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    # The snapshot: the last ledger row of this product in the warehouse when counting began,
    # and the one when the line was counted; the deltas between them (count corrections
    # excepted) are what moved while the count went on (picking does not stop).
    snapshot_movement_id = models.BigIntegerField(null=True, blank=True)
    counted_movement_id = models.BigIntegerField(null=True, blank=True)
    moved_during_count = models.IntegerField(null=True, blank=True)
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="At the snapshot"
    )
    first_variance = models.IntegerField(null=True, blank=True)
    within_tolerance = models.BooleanField(null=True, blank=True)
    decision = models.CharField(
        max_length=10, choices=Decision.choices, blank=True, default=Decision.NONE
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    correction = models.ForeignKey(
        "StockMovement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The count correction posted for this line",
    )

    class Meta:
        ordering = ["bin", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inventory_check", "product"], name="checkline_unique_product"
            )
        ]
        # Open blind checks hide a product's stock from counters: looked up by product.
        indexes = [models.Index(fields=["product", "inventory_check"])]

    def __str__(self) -> str:
        return f"{self.inventory_check_id}/{self.product_id}"

    @property
    def book_quantity(self) -> int | None:
        """What the records say was there when the line was counted."""
        if self.expected is None or self.moved_during_count is None:
            return None
        return self.expected + self.moved_during_count

    @property
    def variance_value(self):
        if self.variance is None or self.unit_cost is None:
            return None
        return self.variance * self.unit_cost


class Transfer(models.Model):
    """Stock moving from one warehouse to another: out at the source when shipped, in transit
    at the destination until received (partial receipts allowed)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_TRANSIT = "in_transit", "In transit"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    source = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who received the last delivery",
    )
    received_at = models.DateTimeField(null=True, blank=True, help_text="Last delivery")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_source_not_destination"
            )
        ]
        indexes = [
            models.Index(fields=["source", "status"]),
            models.Index(fields=["destination", "status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"TR-{self.pk:06d}" if self.pk else "TR-new"

    @property
    def is_open(self) -> bool:
        """Shipped and not yet fully received."""
        return self.status in (self.Status.IN_TRANSIT, self.Status.PARTIALLY_RECEIVED)


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    received = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "product"], name="transferline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transferline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(received__lte=F("quantity")), name="transferline_received_lte_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}/{self.product_id} ×{self.quantity}"

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received
