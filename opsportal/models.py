"""Portal-wide models: the user, and the background document jobs every PDF goes through."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
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
