"""The permission matrix: every URL name × every kind of user → allowed or refused.

Rows live in tests/<app>/access.py. A URL name missing from the matrix fails the suite, so a
new page cannot ship without someone deciding who may open it.
"""

from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from opsportal import roles
from tests import factories
from tests.access import (
    ANONYMOUS,
    CONTRACTS,
    MANAGER,
    NO_ROLE,
    SUPERUSER,
    USER_KINDS,
    WAREHOUSE,
    Rule,
)
from tests.shared_rows import shared_rows

APPS = ("opsportal", "inventory", "vendors", "orders", "quality")


def _access_modules():
    modules = []
    for app in APPS:
        try:
            modules.append(import_module(f"tests.{app}.access"))
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{app}.access":
                raise
    return modules


MODULES = _access_modules()
MATRIX: dict[str, Rule] = {}
for _module in MODULES:
    overlap = MATRIX.keys() & _module.MATRIX.keys()
    assert not overlap, f"URL names in two access modules: {overlap}"
    MATRIX.update(_module.MATRIX)


def url_names() -> set[str]:
    """Every named URL of the project, namespaced, except Django's admin (tested below)."""
    names: set[str] = set()

    def walk(patterns, namespace: list[str]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    namespace + ([pattern.namespace] if pattern.namespace else []),
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(":".join([*namespace, pattern.name]))

    walk(get_resolver().url_patterns, [])
    return {name for name in names if not name.startswith("admin:")}


def test_every_url_name_is_in_the_matrix():
    missing = url_names() - MATRIX.keys()
    assert not missing, f"URL names with no row in tests/<app>/access.py: {sorted(missing)}"


def test_the_matrix_names_only_existing_urls():
    stale = MATRIX.keys() - url_names()
    assert not stale, f"Matrix rows for URL names that no longer exist: {sorted(stale)}"


def build_world() -> dict:
    """Two warehouses, one user per kind, and every app's objects for its URLs' kwargs."""
    warehouse = factories.WarehouseFactory(code="WH-A", name="Springfield")
    other = factories.WarehouseFactory(code="WH-B", name="Shelbyville")
    users = {
        NO_ROLE: factories.UserFactory(username="norole"),
        MANAGER: factories.user_with_role(roles.OPERATIONS_MANAGER, username="m"),
        WAREHOUSE: factories.user_with_role(roles.WAREHOUSE_STAFF, username="w"),
        CONTRACTS: factories.user_with_role(roles.CONTRACT_ADMIN, username="c"),
        SUPERUSER: factories.user_with_role("superuser", username="su"),
    }
    warehouse.staff.add(users[WAREHOUSE])
    world = {
        "warehouse": warehouse,
        "other_warehouse": other,
        "users": users,
        "warehouse_user": users[WAREHOUSE],
        "manager_user": users[MANAGER],
        "contracts_user": users[CONTRACTS],
    }
    for module in MODULES:
        module.add_objects(world)
    # One signed-in session per kind (force_login writes a session, last_login and the axes
    # log: ~40 ms); each request below starts a fresh Client with only that session's cookie.
    world["sessions"] = {}
    for kind, user in users.items():
        client = Client()
        client.force_login(user)
        world["sessions"][kind] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


def _client(world: dict, kind: str) -> Client:
    client = Client()
    if kind != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][kind]
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


def _request(client: Client, url: str, name: str):
    json = name.startswith("api:") or name in ("schema", "api-token")
    accept = "application/json" if json else "text/html"
    return client.get(url, HTTP_ACCEPT=accept)


def _check(world: dict, name: str, url: str, allowed_kinds) -> list[str]:
    failures = []
    for kind in USER_KINDS:
        response = _request(_client(world, kind), url, name)
        refused = response.status_code in (401, 403, 404) or _is_login_redirect(response)
        if allowed_kinds(kind) and refused:
            failures.append(f"{kind} refused ({response.status_code}) at {url}")
        if not allowed_kinds(kind) and not refused:
            failures.append(f"{kind} allowed ({response.status_code}) at {url}")
    return failures


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    # Built once for the ~250 rows of TestAccess (it took ~0.35 s a test); each test still runs
    # in its own savepoint, so what one request writes (sessions, logins) is rolled back.
    yield from shared_rows(django_db_blocker, build_world)


class TestAccess:
    """Every URL name, requested as every kind of user."""

    @pytest.mark.parametrize("name", sorted(MATRIX))
    def test_access(self, world, db, name):
        row = MATRIX[name]
        kwargs = row.kwargs(world) if row.kwargs else {}
        url = reverse(name, kwargs=kwargs) + (f"?{row.query}" if row.query else "")
        failures = _check(world, name, url, row.allows)
        if row.other_warehouse_kwargs:
            other_url = reverse(name, kwargs=row.other_warehouse_kwargs(world))
            # The same page for an object of a warehouse the staff member is not assigned to.
            failures += _check(
                world, name, other_url, lambda kind: row.allows(kind) and kind != WAREHOUSE
            )
        assert not failures, "\n".join(failures)


@pytest.mark.smoke
def test_anonymous_is_sent_to_login_from_a_page(client, db):
    response = client.get(reverse("home"))
    assert _is_login_redirect(response)


def test_the_admin_lists_every_model_to_a_superuser(db, superuser_client):
    from django.apps import apps
    from django.contrib import admin

    unregistered = [
        f"{model._meta.app_label}.{model.__name__}"
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
        and not model.__name__.startswith("Historical")
        and not model._meta.auto_created
    ]
    assert not unregistered, f"Models without an admin: {unregistered}"
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = superuser_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize(
    "fixture", ["manager", "warehouse_staff", "contract_admin", "no_role_user"]
)
def test_only_superusers_reach_the_admin(request, db, fixture):
    client = Client()
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
