"""Read API of the customer email outbox. Moved here unchanged from orders/api.py when it became
a package; the customer email work extends this module."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from orders import selectors
from orders.api.common import MANAGER, NewestFirstCursorPagination
from orders.filters import CustomerEmailFilter
from orders.models import CustomerEmail


class CustomerEmailSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = CustomerEmail
        fields = [
            "id",
            "order",
            "kind",
            "shipment",
            "to",
            "subject",
            "status",
            "attempts",
            "last_error",
            "claimed_at",
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
        return selectors.customer_emails()


ROUTES = [("emails", CustomerEmailViewSet, "customeremail")]
