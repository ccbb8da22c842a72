"""A cursor for the hot path's fixed statements: bound on the server and kept prepared.

Django's PostgreSQL cursors bind parameters on the client (the values are quoted into the SQL
text), and with psycopg's default of no prepared statements PostgreSQL parses and plans every
statement anew: ~0.3–0.7 ms of database CPU each, about as much as running them. Order intake
sends two or three statements per order whose text never changes (the values are parameters, lists
travel as arrays or JSON), so `prepared_cursor()` gives a cursor that binds on the server and,
with DATABASE_PREPARED_STATEMENTS on (the default), has psycopg prepare each statement on the
connection the first time it runs. Only these cursors prepare: the project's other queries keep
Django's client-side binding. Behind a connection pooler in transaction mode that does not
track prepared statements (PgBouncer before 1.21), set DATABASE_PREPARED_STATEMENTS=off.

Other databases get Django's ordinary cursor, and so does PostgreSQL while queries are logged
(DEBUG, `CaptureQueriesContext`): the same SQL, bound on the client, shows in the log with its
values. The cursor is wrapped as Django wraps its own (execute wrappers see it), is kept for
every use on its connection (a new connection gets a new one), and, as Django's cursor() does,
the connection's health is checked first when CONN_HEALTH_CHECKS asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


class _Kept:
    """The connection's prepared cursor as a context manager that leaves it open: one cursor
    serves every use on the connection (making one costs ~25 µs, and the hot path asks twice
    an order)."""

    __slots__ = ("raw", "cursor")

    def __init__(self, raw: Any, cursor: Any) -> None:
        self.raw, self.cursor = raw, cursor

    def __enter__(self) -> Any:
        return self.cursor

    def __exit__(self, *exc_info: object) -> None:
        return None


def prepared_cursor() -> Any:
    """A context manager giving the cursor (see the module)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    # While queries are logged (DEBUG, CaptureQueriesContext) Django's own cursor runs the same
    # SQL, so the log shows it with its values (a prepared execution leaves nothing to show).
    if wrapper.vendor != "postgresql" or wrapper.queries_logged:
        return wrapper.cursor()
    wrapper.close_if_health_check_failed()  # as Django's cursor() does, before connecting
    wrapper.ensure_connection()
    raw = wrapper.connection
    kept = wrapper.__dict__.get("_opsportal_prepared")
    if kept is None or kept.raw is not raw:
        import psycopg

        if getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            raw.prepare_threshold = 0  # prepared the first time: the statements here repeat
        kept = _Kept(raw, wrapper.make_cursor(psycopg.Cursor(raw)))
        wrapper._opsportal_prepared = kept
    return kept


def int_array(values: Iterable[int]) -> str:
    """An array of integers as PostgreSQL's text literal ("{1,2,3}"), for a parameter the SQL
    casts (`%s::bigint[]`). Given a list, psycopg works out the element type on every call
    (~15 µs an array, and the hot path sends five); a string it passes on as it is."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"
