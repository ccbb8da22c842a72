"""Rows built once for many tests, the way Django's TestCase.setUpTestData keeps them.

`shared_rows(django_db_blocker, build)` is a generator for a class- or module-scoped fixture:
it opens a transaction, calls `build()` inside it and yields what it returns; each test then
runs in its own savepoint inside that transaction (pytest-django's `db` fixture nests in it),
so a test's writes are rolled back as usual and the shared rows stay as built. After the last
test of the scope the transaction is rolled back: nothing is left in the database.

Only for tests that use the `db` fixture (not `transactional_db`, live servers or a Celery
worker, which need committed rows) and that do not change the shared Python objects.
Every test in the scope sees the shared rows, so keep the scope to the tests that want them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def shared_rows(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        # As Django marks its TestCase transactions: code under test may open durable blocks.
        outer._from_testcase = True
        try:
            built = build()
            # Fire the deferred foreign-key checks of the built rows now, once. Left pending,
            # every test's teardown would fire them again (pytest-django checks constraints
            # before rolling a test back, and the rollback of its savepoint queues them again).
            connection.check_constraints()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
