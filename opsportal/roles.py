"""Roles, access rules and the deny-by-default guard.

A role is a Django group. Every page and API view declares who may use it with `@allow(...)`
(function views) or `access_roles = ...` (DRF views); `AccessRuleMiddleware` refuses any page
that declares nothing and `HasRole` does the same for the API. Superusers pass every rule.
The navigation asks the same rules (`can_access`), so it never shows what the server refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

OPERATIONS_MANAGER = "Operations Manager"
WAREHOUSE_STAFF = "Warehouse Staff"
CONTRACT_ADMIN = "Contract Admin"
ROLES = (OPERATIONS_MANAGER, WAREHOUSE_STAFF, CONTRACT_ADMIN)

# Pseudo-roles usable in rules.
AUTHENTICATED = "authenticated"  # any signed-in user
PUBLIC = "public"  # anyone, signed in or not (login page, health check)

# Django model permissions each group holds (used by the admin and by object checks).
# "app.*" is every permission of the app, "app.view_*" every view permission of the app.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    OPERATIONS_MANAGER: (
        "orders.*",
        "inventory.*",
        "quality.*",
        "opsportal.view_documentjob",
        "opsportal.add_documentjob",
        # Reads vendors, contracts and purchase orders; only contract admins write them.
        "vendors.view_*",
    ),
    WAREHOUSE_STAFF: (
        "inventory.view_warehouse",
        "inventory.view_product",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "inventory.view_inventorycheck",
        "inventory.change_inventorycheck",
        "inventory.view_inventorycheckline",
        "inventory.change_inventorycheckline",
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_shipment",
        "orders.change_shipment",
        "orders.view_shipmentline",
        "orders.change_shipmentline",
        "orders.view_returnrequest",
        "orders.change_returnrequest",
        "vendors.view_purchaseorder",
        "vendors.view_purchaseorderline",
        "vendors.change_purchaseorderline",
        "quality.view_inspectionplan",
        "quality.view_inspection",
        "quality.add_inspection",
        "quality.change_inspection",
        "quality.view_safetyincident",
        "quality.add_safetyincident",
        "quality.view_sopdocument",
        "quality.view_sopversion",
        "quality.add_acknowledgement",
        "quality.view_acknowledgement",
        "opsportal.view_documentjob",
    ),
    CONTRACT_ADMIN: (
        "vendors.*",
        "inventory.view_product",
        "inventory.view_warehouse",
        "quality.view_nonconformance",
        "quality.view_sopdocument",
        "quality.view_sopversion",
        "quality.add_acknowledgement",
        "quality.view_acknowledgement",
        "opsportal.view_documentjob",
    ),
}


def user_roles(user: Any) -> frozenset[str]:
    """The role names of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_opsportal_roles", None)
    if cached is None:
        cached = remember_roles(user, () if user.is_superuser else _role_names(user.pk))
    return cached


def remember_roles(user: Any, group_names: Iterable[str]) -> frozenset[str]:
    """Cache the user's roles for the request from their group names (read elsewhere, e.g. by
    opsportal.authentication with the token); a superuser has every role."""
    user._opsportal_roles = (
        frozenset(ROLES) if user.is_superuser else frozenset(group_names) & frozenset(ROLES)
    )
    return user._opsportal_roles


_ROLE_SQL: list[str] = []


def _role_names(user_id: int) -> frozenset[str]:
    """The user's role groups: one plain SQL query (every request asks, once; the ORM's
    version of this query cost three times the CPU of the SQL)."""
    from django.contrib.auth.models import Group
    from django.db import connection

    if not _ROLE_SQL:
        from django.contrib.auth import get_user_model

        field = get_user_model()._meta.get_field("groups")
        through = field.remote_field.through._meta
        quote = connection.ops.quote_name
        user_col = quote(through.get_field(field.m2m_field_name()).column)
        group_col = quote(through.get_field(field.m2m_reverse_field_name()).column)
        group = quote(Group._meta.db_table)
        names = ", ".join(["%s"] * len(ROLES))
        # Only quoted model metadata is formatted in; the values are query parameters.
        _ROLE_SQL.append(
            f"SELECT g.name FROM {group} g JOIN {quote(through.db_table)} ug "  # noqa: S608
            f"ON ug.{group_col} = g.id WHERE ug.{user_col} = %s AND g.name IN ({names})"
        )
    with connection.cursor() as cursor:
        cursor.execute(_ROLE_SQL[0], [user_id, *ROLES])
        return frozenset(name for (name,) in cursor.fetchall())


def has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_superuser", False)) or bool(user_roles(user) & set(roles))


def allow(*roles: str) -> Callable:
    """Declare who may use a view: role names, AUTHENTICATED or PUBLIC. Without it: refused."""
    unknown = set(roles) - {*ROLES, AUTHENTICATED, PUBLIC}
    if unknown or not roles:
        raise ValueError(f"Unknown or missing roles in access rule: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
            return view(*args, **kwargs)

        wrapper.access_roles = frozenset(roles)
        return wrapper

    return decorate


def access_roles_of(view_func: Callable) -> frozenset[str] | None:
    """The declared rule of a resolved view (function view, DRF view or viewset), or None."""
    rule = getattr(view_func, "access_roles", None)
    if rule is None and hasattr(view_func, "cls"):
        rule = getattr(view_func.cls, "access_roles", None)
    return frozenset(rule) if rule is not None else None


def rule_allows(rule: Iterable[str] | None, user: Any) -> bool:
    if rule is None:
        return False  # deny by default
    rule = frozenset(rule)
    if PUBLIC in rule:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or AUTHENTICATED in rule:
        return True
    return bool(user_roles(user) & rule)


def can_access(user: Any, view_func: Callable) -> bool:
    return rule_allows(access_roles_of(view_func), user)


# Views that guard themselves: Django's admin (staff + model permissions), and the static
# files whitenoise serves before any view is resolved.
_SELF_GUARDED_NAMESPACES = {"admin"}


class AccessRuleMiddleware:
    """Refuse every page whose view declares no access rule; enforce the declared rules."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and _SELF_GUARDED_NAMESPACES & set(match.namespaces):
            return None
        if _is_api_view(view_func):
            return None  # DRF: HasRole checks the same rule and answers 401/403 as JSON
        rule = access_roles_of(view_func)
        if rule_allows(rule, request.user):
            return None
        if rule is not None and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        raise PermissionDenied("You do not have access to this page.")


def _is_api_view(view_func: Callable) -> bool:
    # Imported here: rest_framework.views reads DEFAULT_PERMISSION_CLASSES, i.e. this module.
    from rest_framework.views import APIView

    cls = getattr(view_func, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


class HasRole(BasePermission):
    """DRF default permission: the view's `access_roles` rule, deny when it has none."""

    message = "Your role does not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        rule = getattr(view, "access_roles", None)
        write_rule = getattr(view, "write_roles", None)
        if write_rule is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            rule = write_rule
        return rule_allows(rule, request.user)


def warehouse_ids_for(user: Any) -> set[int] | None:
    """Warehouses a user may work in: None means all (managers, superusers)."""
    if user.is_superuser or has_role(user, OPERATIONS_MANAGER):
        return None
    if WAREHOUSE_STAFF in user_roles(user):
        cached = getattr(user, "_opsportal_warehouse_ids", None)
        if cached is None:
            cached = set(user.warehouses.values_list("pk", flat=True))
            user._opsportal_warehouse_ids = cached
        return cached
    return None


def sync_role_groups(apps: Any = None, verbosity: int = 0) -> None:
    """Create the role groups and give each exactly the permissions ROLE_PERMISSIONS lists."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=verbosity)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [p for p in perms if _matches(p.content_type.app_label, p.codename, patterns)]
        group.permissions.set(wanted)


def _matches(app_label: str, codename: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        app, _, code = pattern.partition(".")
        if app != app_label:
            continue
        if code == "*" or code == codename:
            return True
        if code.endswith("*") and codename.startswith(code[:-1]):
            return True
    return False
