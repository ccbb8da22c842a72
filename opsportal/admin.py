from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import Warehouse
from opsportal.models import DocumentJob, OutboundEmail, User


class WarehouseAssignmentInline(admin.TabularInline):
    """Warehouse staff work only in the warehouses assigned here."""

    model = Warehouse.staff.through
    extra = 0
    verbose_name = "assigned warehouse"
    verbose_name_plural = "assigned warehouses (warehouse staff see only these)"


@admin.register(User)
class PortalUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role_names", "is_active"]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]
    inlines = [WarehouseAssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all())) or "—"


@admin.register(DocumentJob)
class DocumentJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "total", "requested_by", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["id", "requested_by__username", "error"]
    list_select_related = ["requested_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "requested_by",
        "status",
        "progress",
        "total",
        "params",
        "file",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # jobs are made by the services that render documents


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The staff/vendor outbox: read-only; rows are written by services and sent by workers."""

    list_display = ["id", "key", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key", "subject", "last_error"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
