"""The customer email outbox API (managers): read, and resend on purpose."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from orders import notifications, selectors
from orders.api.common import MANAGER, NewestFirstCursorPagination, call_service
from orders.filters import CustomerEmailFilter
from orders.models import CustomerEmail


class CustomerEmailSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    return_request = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = CustomerEmail
        fields = [
            "id",
            "order",
            "kind",
            "shipment",
            "return_request",
            "to",
            "subject",
            "status",
            "attempts",
            "resends",
            "last_error",
            "claimed_at",
            "next_attempt_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class CustomerEmailViewSet(viewsets.ReadOnlyModelViewSet):
    """The customer email outbox (managers)."""

    access_roles = (MANAGER,)
    serializer_class = CustomerEmailSerializer
    filterset_class = CustomerEmailFilter
    pagination_class = NewestFirstCursorPagination
    search_fields = ("=order__number", "to")
    ordering_fields = ("id",)
    ordering = selectors.NEWEST_FIRST
    queryset = CustomerEmail.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerEmail.objects.none()
        return selectors.customer_emails().select_related("return_request")

    @extend_schema(
        request=None,
        responses={
            200: CustomerEmailSerializer,
            409: OpenApiResponse(description="Still pending or sending: it is on its way"),
        },
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str) -> Response:
        """Send a sent or failed email once more, on purpose (counted in `resends`)."""
        email = call_service(
            notifications.customer_email_resend, email=self.get_object(), by=request.user
        )
        return Response(CustomerEmailSerializer(email).data)


ROUTES = [("emails", CustomerEmailViewSet, "customeremail")]
