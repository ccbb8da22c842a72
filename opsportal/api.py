"""The API root: one router for /api/v1/ that every app's api.ROUTES registers into."""

from __future__ import annotations

from importlib import import_module

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import APIRootView, DefaultRouter

from opsportal import roles
from opsportal.models import DocumentJob

# Orders first: URL resolution tries the routes in this order, and order intake is the hot path.
API_APPS = ("orders", "inventory", "vendors", "quality", "opsportal")


class PortalAPIRootView(APIRootView):
    access_roles = (roles.AUTHENTICATED,)


class PortalRouter(DefaultRouter):
    APIRootView = PortalAPIRootView


def build_router() -> PortalRouter:
    """Collect `ROUTES = [(prefix, viewset, basename), ...]` from each app's api module."""
    router = PortalRouter()
    for app in API_APPS:
        try:
            module = import_module(f"{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.api":
                raise
            continue
        for prefix, viewset, basename in getattr(module, "ROUTES", ()):
            router.register(prefix, viewset, basename=basename)
    return router


class TokenView(ObtainAuthToken):
    """POST username + password → the user's API token (lockout rules of sign-in apply)."""

    access_roles = (roles.PUBLIC,)


class SchemaView(SpectacularAPIView):
    access_roles = (roles.AUTHENTICATED,)


class SwaggerView(SpectacularSwaggerView):
    access_roles = (roles.AUTHENTICATED,)


class RedocView(SpectacularRedocView):
    access_roles = (roles.AUTHENTICATED,)


class DocumentJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentJob
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "total",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class DocumentJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background documents: their requester sees them, managers see all."""

    access_roles = roles.ROLES
    queryset = DocumentJob.objects.all()
    serializer_class = DocumentJobSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        jobs = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return jobs
        if not roles.has_role(self.request.user, roles.OPERATIONS_MANAGER):
            jobs = jobs.filter(requested_by=self.request.user)
        return jobs


ROUTES = [("documents", DocumentJobViewSet, "documentjob")]
