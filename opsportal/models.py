"""Portal-wide models: the user, and the background document jobs every PDF goes through."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who signs in; their roles are Django groups (opsportal.roles)."""

    # Who gave or took a role, and when, is part of the audit trail.
    history = HistoricalRecords(m2m_fields=["groups"], excluded_fields=["last_login", "password"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class DocumentJob(models.Model):
    """One PDF (or other document) made in the background: queued → running → done | failed."""

    class Kind(models.TextChoices):
        LABELS = "labels", "Shipping labels"
        MANUAL = "manual", "SOP manual"
        PURCHASE_ORDER = "purchase_order", "Purchase order"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    # The Celery task running it: a redelivery of the same message (its worker died) may re-run it.
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # A job never reports done without its file.
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file=""), name="documentjob_done_has_file"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=models.F("total")) | Q(total=0),
                name="documentjob_progress_lte_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return round(100 * self.progress / self.total) if self.total else 0


class OutboundEmail(models.Model):
    """The outbox for emails to staff and vendors (reminders, purchase orders, SCARs).

    Written in the transaction of the change that calls for it; `key` is unique, so one event never
    makes two emails; sent after commit by the emails queue (opsportal.emails).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField(blank=True)
    attachment_job = models.ForeignKey(
        DocumentJob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_id = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"
