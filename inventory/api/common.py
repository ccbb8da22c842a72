"""What the inventory API views share: roles, the natural-key pattern, service errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied

from inventory import selectors, services
from inventory.models import Warehouse
from opsportal import roles

STOCK_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF)
CATALOGUE_ROLES = (roles.OPERATIONS_MANAGER, roles.WAREHOUSE_STAFF, roles.CONTRACT_ADMIN)
# Codes and SKUs may hold dots; the router's default pattern would stop at the first one.
NATURAL_KEY_PATTERN = r"[^/]+"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The stock or the status does not allow this right now."
    default_code = "conflict"


# Codes of a refusal caused by the current state (not by the request itself): 409.
CONFLICT_CODES = {services.INSUFFICIENT_STOCK, services.INVALID_STATUS}


def call_service(service: Callable[..., Any], **kwargs: Any) -> Any:
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


def require_work_in(user: Any, warehouse: Warehouse, what: str) -> None:
    if not selectors.can_work_in(user, warehouse):
        raise PermissionDenied(f"You may not {what} in {warehouse.code}.")
