"""Shared fixtures: one user per role, a warehouse staff member with an assigned warehouse."""

import pytest
from django.test import Client

from opsportal import roles
from tests import factories

pytest_plugins = ["tests.services"]


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at its production cost takes ~0.5 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every test Client builds its own middleware chain, and WhiteNoise's __init__ walks and
    # stats every static file (~430, from the finders and STATIC_ROOT) each time: ~0.1-0.2 s
    # per Client, the larger part of most page tests. Autorefresh (WhiteNoise's development
    # mode) finds a static file when it is asked for instead; what it serves is the same.
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True, scope="session")
def _media_in_tmp(tmp_path_factory):
    """Uploaded and rendered files go to a temporary folder, shared with the Celery worker."""
    from django.conf import settings

    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _no_remembered_tokens():
    """API tokens remembered by an earlier test (opsportal.authentication) are not this one's;
    a test's database rollback sends no signal that would make the process forget them."""
    from opsportal.authentication import forget_tokens

    forget_tokens()


@pytest.fixture(autouse=True)
def _customer_email_drains_only_with_a_worker(request, monkeypatch):
    """A customer email drain (orders.notifications) sends every pending row it finds. Kicked
    by a test without a worker, it would reach the worker process an earlier test left running
    and send, and lock, this test's rows while the test tears down (a deadlock with the flush).
    So it is published only in tests that ask for a worker; those start with no stale kick."""
    from orders import notifications
    from orders.email_tasks import customer_email_drain_task

    notifications._due.clear()  # no drain this process published in an earlier test is due
    if "celery_worker" not in request.fixturenames:
        monkeypatch.setattr(customer_email_drain_task, "apply_async", lambda *a, **kw: None)


@pytest.fixture(autouse=True)
def _fresh_rate_cache():
    """Carrier rates are cached per process: a test never sees another test's rate cards."""
    from vendors import rating

    rating.clear_rate_cache()


@pytest.fixture(autouse=True)
def _fresh_intake_caches():
    """Products by SKU and active warehouses are cached per process for order intake: a test
    never sees another (rolled back) test's rows."""
    from orders import intake_cache

    intake_cache.clear()


@pytest.fixture
def warehouse(db):
    return factories.WarehouseFactory(code="WH-A", name="Springfield")


@pytest.fixture
def other_warehouse(db):
    return factories.WarehouseFactory(code="WH-B", name="Shelbyville")


@pytest.fixture
def manager(db):
    return factories.user_with_role(roles.OPERATIONS_MANAGER, username="manager")


@pytest.fixture
def warehouse_staff(db, warehouse):
    user = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    warehouse.staff.add(user)
    return user


@pytest.fixture
def contract_admin(db):
    return factories.user_with_role(roles.CONTRACT_ADMIN, username="contracts")


@pytest.fixture
def superuser(db):
    return factories.user_with_role("superuser", username="root")


@pytest.fixture
def no_role_user(db):
    return factories.UserFactory(username="nobody")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def warehouse_client(warehouse_staff):
    return _client_for(warehouse_staff)


@pytest.fixture
def contracts_client(contract_admin):
    return _client_for(contract_admin)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)


@pytest.fixture
def role_users(manager, warehouse_staff, contract_admin, superuser, no_role_user):
    """Every kind of signed-in user, by the name the permission matrix uses."""
    return {
        "manager": manager,
        "warehouse": warehouse_staff,
        "contracts": contract_admin,
        "superuser": superuser,
        "norole": no_role_user,
    }
