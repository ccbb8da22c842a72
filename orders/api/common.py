"""What the orders API modules share: pagination, price hiding, service errors as 400/409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination

from inventory.services import INSUFFICIENT_STOCK, INVALID_STATUS
from opsportal import roles
from orders import selectors

MANAGER = roles.OPERATIONS_MANAGER
STAFF = roles.WAREHOUSE_STAFF


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pages for the big tables: no COUNT(*), stable under inserts; order from the view."""

    page_size = 50
    page_size_query_param = "size"
    max_page_size = 200


class ManagerOnlyFieldsMixin:
    """Leaves out `manager_only_fields` (prices, costs) unless the context has show_prices."""

    manager_only_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("show_prices", False):
            for name in self.manager_only_fields:
                fields.pop(name, None)
        return fields


class PricesInContextMixin:
    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        # The schema documents every field; a real request shows prices to managers only.
        context["show_prices"] = getattr(self, "swagger_fake_view", False) or (
            selectors.can_see_prices(self.request.user)
        )
        return context


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The order's state does not allow this right now."
    default_code = "conflict"


# A refusal caused by the current state (not by the request itself) is a 409.
CONFLICT_CODES = {INSUFFICIENT_STOCK, INVALID_STATUS}


def call_service(service: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run a service; its ValidationError becomes a 400 naming the field (409 for conflicts)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc
        codes = {error.code for errors in exc.error_dict.values() for error in errors}
        if codes & CONFLICT_CODES:
            raise Conflict(exc.message_dict) from exc
        raise serializers.ValidationError(exc.message_dict) from exc
