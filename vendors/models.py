"""Vendors and their contacts, contracts with price lines, carriers with rate cards, purchase orders."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from inventory.models import Product, Warehouse


class Vendor(models.Model):
    class Kind(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        CARRIER = "carrier", "Carrier"
        LOGISTICS = "logistics", "Logistics provider"
        SERVICE = "service", "Service"

    class Status(models.TextChoices):
        QUALIFIED = "qualified", "Qualified"
        CONDITIONAL = "conditional", "Conditional"
        DISQUALIFIED = "disqualified", "Disqualified"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUPPLIER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONDITIONAL)
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return self.name


class VendorContact(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor_id})"


class VendorContract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"
        RENEWED = "renewed", "Renewed"

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField()
    end_date = models.DateField()
    auto_renew = models.BooleanField(default=False)
    notice_days = models.PositiveIntegerField(default=30)
    currency = models.CharField(max_length=3, default="USD")
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    payment_terms = models.CharField(max_length=80, blank=True, help_text="e.g. Net 30")
    sla_on_time_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    sla_lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    sla_max_defect_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="percent"
    )
    signed_document = models.FileField(upload_to="contracts/%Y/", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contracts",
    )
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewal"
    )
    notes = models.TextField(blank=True)
    # Optimistic lock: a save carries the version it read; a stale one is a conflict.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["end_date", "number"]
        indexes = [models.Index(fields=["status", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"


class ContractPrice(models.Model):
    contract = models.ForeignKey(VendorContract, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="contract_prices")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    min_qty = models.PositiveIntegerField(default=1)
    lead_time_days = models.PositiveIntegerField(default=7)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract_id", "product_id", "min_qty"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "product", "min_qty"], name="contractprice_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="contractprice_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.price} (≥{self.min_qty})"


class Carrier(models.Model):
    """A vendor of kind carrier, with the services it sells and their rate cards."""

    vendor = models.OneToOneField(
        Vendor,
        on_delete=models.PROTECT,
        related_name="carrier",
        limit_choices_to={"kind": Vendor.Kind.CARRIER},
    )
    code = models.CharField(max_length=20, unique=True)
    tracking_url_template = models.CharField(
        max_length=300,
        blank=True,
        help_text="With {tracking_number}, e.g. https://…?n={tracking_number}",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def tracking_url(self, tracking_number: str) -> str:
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.replace("{tracking_number}", tracking_number)


class CarrierService(models.Model):
    class Speed(models.TextChoices):
        ECONOMY = "economy", "Economy"
        GROUND = "ground", "Ground"
        TWO_DAY = "two_day", "Two-day"
        OVERNIGHT = "overnight", "Overnight"

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=100)
    speed = models.CharField(max_length=12, choices=Speed.choices, default=Speed.GROUND)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["carrier_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "code"], name="carrierservice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.code}"


class ShippingRate(models.Model):
    """One cell of a rate card: a zone and a weight break → price and transit days."""

    service = models.ForeignKey(CarrierService, on_delete=models.CASCADE, related_name="rates")
    zone = models.PositiveSmallIntegerField()
    max_weight_grams = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    transit_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["service_id", "zone", "max_weight_grams"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "zone", "max_weight_grams"], name="shippingrate_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="shippingrate_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} z{self.zone} ≤{self.max_weight_grams}g {self.price}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=30, unique=True)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    contract = models.ForeignKey(
        VendorContract,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    expected_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # The PDF sent to the vendor (rendered in the background).
    document_job = models.ForeignKey(
        "opsportal.DocumentJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expected_date"]),
            models.Index(fields=["warehouse", "status"]),
        ]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    received = models.PositiveIntegerField(default=0)
    # When the last outstanding unit arrived (on-time and lead-time figures read it).
    received_at = models.DateTimeField(null=True, blank=True)
    # Ordered although the contract in force has no price for the product (flagged on the PO).
    off_contract = models.BooleanField(default=False)

    class Meta:
        ordering = ["purchase_order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="poline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="poline_price_gte_0"),
            models.CheckConstraint(
                condition=Q(received__lte=F("quantity")), name="poline_received_lte_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.product_id} ×{self.quantity}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received, 0)
