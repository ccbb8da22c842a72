"""Helpers shared by the quality services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from opsportal import roles


def error(field: str, message: str, code: str | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    cleaned = "" if value is None else str(value).strip()
    if required and not cleaned:
        raise error(field, "This field is required.")
    if len(cleaned) > max_length:
        raise error(field, f"At most {max_length} characters (this has {len(cleaned)}).")
    return cleaned


def whole_number(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool):
        raise error(field, "Enter a whole number.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise error(field, "Enter a whole number.") from None
    if isinstance(value, float) and value != number:
        raise error(field, "Enter a whole number.")
    if number < minimum:
        raise error(field, f"Enter {minimum} or more.")
    return number


def choice(value: Any, field: str, choices: type) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise error(field, f"{value!r} is not one of: {allowed}.")
    return value


def emails_of_role(role: str) -> list[str]:
    """Addresses of the active users holding a role (reminders without a named owner)."""
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(is_active=True, groups__name=role)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def managers_emails() -> list[str]:
    return emails_of_role(roles.OPERATIONS_MANAGER)
