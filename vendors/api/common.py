"""What the vendors API views share: roles, and service errors as 400 / 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from opsportal import roles
from vendors import services

VENDOR_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN)
PO_READERS = (roles.OPERATIONS_MANAGER, roles.CONTRACT_ADMIN, roles.WAREHOUSE_STAFF)
VENDOR_WRITERS = (roles.CONTRACT_ADMIN,)
PO_RECEIVERS = (roles.WAREHOUSE_STAFF,)
NATURAL_KEY_PATTERN = r"[^/]+"

# A refusal caused by the current state (someone saved first, the status moved): 409.
CONFLICT_CODES = {services.CONFLICT, services.INVALID_STATUS}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else changed this first, or its status does not allow this."
    default_code = "conflict"


def call_service(service: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run a service; its ValidationError becomes a 400 naming the field (409 for conflicts)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        codes = (
            {e.code for e in exc.error_list}
            if not hasattr(exc, "error_dict")
            else {e.code for errors in exc.error_dict.values() for e in errors}
        )
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        if codes & CONFLICT_CODES:
            raise Conflict(detail) from exc
        raise serializers.ValidationError(detail) from exc
