"""Orders, their lines and allocations, shipments, the timeline, the email outbox and returns."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from inventory.models import Product, Warehouse
from vendors.models import CarrierService


class Order(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", "Web shop"
        MARKETPLACE = "marketplace", "Marketplace"
        PHONE = "phone", "Phone"
        EDI = "edi", "EDI"
        PORTAL = "portal", "Portal"
        CSV = "csv", "CSV import"

    class ServiceLevel(models.TextChoices):
        ECONOMY = "economy", "Economy"
        STANDARD = "standard", "Standard"
        EXPEDITED = "expedited", "Expedited"
        OVERNIGHT = "overnight", "Overnight"

    class Status(models.TextChoices):
        # Derived from line quantities (allocated / shipped / delivered), never set by hand.
        RECEIVED = "received", "Received"
        BACKORDERED = "backordered", "Backordered"
        PARTIALLY_ALLOCATED = "partially_allocated", "Partially allocated"
        ALLOCATED = "allocated", "Allocated"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        AUTHORIZED = "authorized", "Authorized"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    class HoldKind(models.TextChoices):
        NONE = "", "Not on hold"
        PAYMENT = "payment", "Payment failed"
        ADDRESS = "address", "Address problem"
        MANUAL = "manual", "Manual hold"

    number = models.CharField(max_length=20, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    external_ref = models.CharField(max_length=100, blank=True)
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField(db_index=True)
    ship_to_name = models.CharField(max_length=200)
    ship_to_line1 = models.CharField(max_length=200)
    ship_to_line2 = models.CharField(max_length=200, blank=True)
    ship_to_city = models.CharField(max_length=100)
    ship_to_region = models.CharField(max_length=100, blank=True)
    ship_to_postal_code = models.CharField(max_length=20)
    ship_to_country = models.CharField(max_length=2)
    ship_to_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    ship_to_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    service_level = models.CharField(
        max_length=12, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    payment_status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    hold_kind = models.CharField(max_length=10, choices=HoldKind.choices, blank=True, default="")
    hold_reason = models.CharField(max_length=300, blank=True)
    promised_ship_date = models.DateField(null=True, blank=True)
    promised_delivery_date = models.DateField(null=True, blank=True)
    at_risk = models.BooleanField(default=False, help_text="Will miss its promised delivery date")
    at_risk_reason = models.CharField(max_length=300, blank=True)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    # "Why this warehouse": the decision and every candidate considered, as stored at routing.
    routing = models.JSONField(default=dict, blank=True)
    placed_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="order_channel_external_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(hold_kind="") | ~Q(hold_reason=""), name="order_hold_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "placed_at"]),
            models.Index(fields=["placed_at", "id"]),
            models.Index(fields=["channel", "placed_at"]),
            models.Index(
                fields=["at_risk", "placed_at"], condition=Q(at_risk=True), name="order_at_risk"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_on_hold(self) -> bool:
        return bool(self.hold_kind)

    @property
    def is_open(self) -> bool:
        """Still to be fulfilled: neither fully shipped, delivered nor cancelled."""
        return self.status not in (
            self.Status.SHIPPED,
            self.Status.DELIVERED,
            self.Status.CANCELLED,
        )


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    allocated = models.PositiveIntegerField(default=0)
    shipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            # allocated is reserved and not yet shipped; shipped left the building.
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity") - F("shipped")),
                name="orderline_allocated_shipped_lte_quantity",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
        ]
        indexes = [models.Index(fields=["product", "order"])]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.product_id} ×{self.quantity}"

    @property
    def backordered(self) -> int:
        """Units neither reserved nor shipped: waiting for stock."""
        return self.quantity - self.allocated - self.shipped


class Allocation(models.Model):
    """Stock of one warehouse reserved for one order line."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_line_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "warehouse"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_gt_0"),
        ]
        indexes = [models.Index(fields=["warehouse", "order_line"])]

    def __str__(self) -> str:
        return f"{self.order_line_id}@{self.warehouse_id} ×{self.quantity}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PICKING = "picking", "Picking"
        PACKED = "packed", "Packed"
        LABELLED = "labelled", "Labelled"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Exception"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="shipments")
    carrier_service = models.ForeignKey(
        CarrierService, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    tracking_number = models.CharField(max_length=60, blank=True, db_index=True)
    weight_grams = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # Every rate considered when the carrier service was chosen, and why.
    quotes = models.JSONField(default=list, blank=True)
    override_reason = models.CharField(max_length=300, blank=True)
    label = models.FileField(upload_to="labels/%Y/%m/", blank=True)
    estimated_delivery_date = models.DateField(null=True, blank=True)
    exception_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Shipment {self.pk} of {self.order_id}"

    # Not yet left the warehouse: its lines hold allocated (reserved) units.
    OPEN_STATUSES = (Status.PENDING, Status.PICKING, Status.PACKED, Status.LABELLED)
    # Still changeable by picking: packing fixes the contents.
    UNPACKED_STATUSES = (Status.PENDING, Status.PICKING)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.order_line_id} ×{self.quantity}"


class OrderEvent(models.Model):
    """The order's timeline: one row per thing that happened to it."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        ROUTED = "routed", "Routed"
        REROUTED = "rerouted", "Re-routed"
        ALLOCATED = "allocated", "Allocated"
        BACKORDERED = "backordered", "Backordered"
        HELD = "held", "Put on hold"
        RELEASED = "released", "Hold released"
        CARRIER_CHOSEN = "carrier_chosen", "Carrier chosen"
        CARRIER_OVERRIDDEN = "carrier_overridden", "Carrier overridden"
        PICKED = "picked", "Picked"
        PACKED = "packed", "Packed"
        LABELLED = "labelled", "Labelled"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Delivery exception"
        AT_RISK = "at_risk", "Promise at risk"
        EMAIL = "email", "Email"
        PAYMENT = "payment", "Payment"
        CANCELLED = "cancelled", "Cancelled"
        RETURN = "return", "Return"
        NOTE = "note", "Note"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class CustomerEmail(models.Model):
    """The outbox: written in the order's transaction, sent after commit, never twice."""

    class Kind(models.TextChoices):
        ORDER_RECEIVED = "order_received", "Order received"
        BACKORDERED = "backordered", "Backordered"
        SHIPPED = "shipped", "Shipped"
        DELAYED = "delayed", "Delayed"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURN_RECEIVED = "return_received", "Return received"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    # A return's emails (return received) are unique per return, not per order.
    return_request = models.ForeignKey(
        "ReturnRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The Celery task id holding the `sending` claim: its own redelivery may take the claim over.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a transient failure is retried (backoff); the sweeper leaves it alone until then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Sends a manager asked for on purpose after the first one (never a silent duplicate).
    resends = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # NULL shipments are distinct in a plain UNIQUE, so the order-level kinds get their own.
            models.UniqueConstraint(
                fields=["order", "kind", "shipment"],
                condition=Q(shipment__isnull=False),
                name="customeremail_unique_per_shipment",
            ),
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(shipment__isnull=True, return_request__isnull=True),
                name="customeremail_unique_per_order",
            ),
            models.UniqueConstraint(
                fields=["return_request", "kind"],
                condition=Q(return_request__isnull=False),
                name="customeremail_unique_per_return",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class ReturnRequest(models.Model):
    """A return (RMA) against shipped lines."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RECEIVED = "received", "Received"
        CLOSED = "closed", "Closed"

    class Disposition(models.TextChoices):
        PENDING = "", "Not decided"
        RESTOCK = "restock", "Restock"
        SCRAP = "scrap", "Scrap"
        QUALITY = "quality", "To quality"
        MIXED = "mixed", "Mixed (per line)"

    class RefundStatus(models.TextChoices):
        NONE = "none", "No refund"
        PENDING = "pending", "Refund pending"
        REFUNDED = "refunded", "Refunded"

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    disposition = models.CharField(
        max_length=10, choices=Disposition.choices, blank=True, default=""
    )
    refund_status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.NONE
    )
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Approval or rejection: who, when, and why (a rejection must say why).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    refund_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)
    # What happened to the received units: restocked, scrapped or sent to quality (quarantine).
    disposition = models.CharField(
        max_length=10, choices=ReturnRequest.Disposition.choices, blank=True, default=""
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")),
                name="returnline_received_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.return_request_id}/{self.order_line_id} ×{self.quantity}"
