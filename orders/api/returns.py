"""Read API of returns (RMAs). Moved here unchanged from orders/api.py when it became a package;
the returns work (labels, emails, returns) extends this module."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from orders import selectors
from orders.api.common import MANAGER, STAFF
from orders.filters import ReturnFilter
from orders.models import ReturnLine, ReturnRequest


class ReturnLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)

    class Meta:
        model = ReturnLine
        fields = ["order_line", "sku", "quantity", "received_quantity"]
        read_only_fields = fields


class ReturnRequestSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "number",
            "order",
            "reason",
            "status",
            "disposition",
            "refund_status",
            "warehouse",
            "created_at",
            "received_at",
            "lines",
        ]
        read_only_fields = fields


class ReturnRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Returns (RMAs); staff see those coming back to their warehouses."""

    access_roles = (MANAGER, STAFF)
    serializer_class = ReturnRequestSerializer
    filterset_class = ReturnFilter
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    search_fields = ("=number", "=order__number")
    ordering_fields = ("id", "number")
    ordering = selectors.NEWEST_FIRST
    queryset = ReturnRequest.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReturnRequest.objects.none()
        return selectors.return_api_queryset(self.request.user)


ROUTES = [("returns", ReturnRequestViewSet, "return")]
