"""opsportal.db.prepared_cursor: one server-bound cursor per connection, statements prepared,
Django's own cursor while queries are logged, and the health check Django's cursor() makes."""

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.db import prepared_cursor

pytestmark = pytest.mark.postgres

SQL = "SELECT %s::integer + 1"


def _run(value: int) -> int:
    with prepared_cursor() as cursor:
        cursor.execute(SQL, [value])
        return cursor.fetchone()[0]


def test_one_cursor_serves_every_use_and_its_statements_are_prepared(db, settings):
    settings.DEBUG = False
    assert (_run(1), _run(2)) == (2, 3)
    with prepared_cursor() as first, prepared_cursor() as second:
        assert first is second
        assert isinstance(first.cursor, psycopg.Cursor)  # binds on the server
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%$1::integer + 1%"],
        )
        assert cursor.fetchone()[0] == 1


def test_a_new_connection_gets_a_new_cursor(transactional_db, settings):
    settings.DEBUG = False
    with prepared_cursor() as before:
        pass
    connection.close()
    assert _run(5) == 6
    with prepared_cursor() as after:
        assert after is not before


def test_while_queries_are_logged_django_runs_them_with_their_values(db):
    with CaptureQueriesContext(connection) as ctx:
        assert _run(41) == 42
    assert ctx.captured_queries[-1]["sql"] == "SELECT 41::integer + 1"


def test_a_connection_the_server_dropped_is_replaced_before_the_first_query(
    transactional_db, settings
):
    """Django's cursor() checks a reused connection's health first; so does this one."""
    settings.DEBUG = False
    _run(1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False  # a new request on a connection kept from before
    connection._fresh_until = 0.0  # and idle for longer than opsportal.postgresql trusts
    assert _run(7) == 8
