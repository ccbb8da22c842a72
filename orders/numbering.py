"""Order numbers ("SO-0000001") from a database sequence that starts after the existing ones.

PostgreSQL: the SEQUENCE `orders_order_number_seq` (created by migration 0003): `nextval` is one
round trip, never blocks and never hands out a number twice (a rolled-back order leaves a gap).
SQLite: the row `order` of the table `orders_number_sequence`, bumped with
`UPDATE … RETURNING` inside the caller's transaction; the write lock SQLite takes at BEGIN
IMMEDIATE (settings) serialises concurrent intakes, so two orders never share a number.

`sync_order_number_sequence()` moves the sequence past the highest "SO-" number present: the
migration calls it for existing data and the demo seed after writing its numbered orders.
"""

from __future__ import annotations

from django.db import connection as default_connection

PREFIX = "SO-"
WIDTH = 7
SEQUENCE = "orders_order_number_seq"
SQLITE_TABLE = "orders_number_sequence"


def format_number(value: int) -> str:
    return f"{PREFIX}{value:0{WIDTH}d}"


def next_order_number(connection=default_connection) -> str:
    """The next order number (one query)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
        else:
            cursor.execute(
                f"UPDATE {SQLITE_TABLE} SET value = value + 1 WHERE name = 'order' "  # noqa: S608
                "RETURNING value"
            )
        (value,) = cursor.fetchone()
    return format_number(value)


def _highest_existing(cursor) -> int:
    # Numbers are "SO-" + digits; anything else (imported legacy numbers) is ignored.
    cursor.execute(
        "SELECT number FROM orders_order WHERE number LIKE %s ORDER BY length(number) DESC, "
        "number DESC LIMIT 1",
        [PREFIX + "%"],
    )
    row = cursor.fetchone()
    if row is None:
        return 0
    digits = row[0][len(PREFIX) :]
    return int(digits) if digits.isdigit() else 0


def create_order_number_sequence(connection=default_connection) -> None:
    """Create the sequence (or the SQLite counter row) if missing, past the existing numbers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH 1 MINVALUE 1")
        else:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} "
                "(name varchar(20) PRIMARY KEY, value bigint NOT NULL)"
            )
            cursor.execute(
                f"INSERT OR IGNORE INTO {SQLITE_TABLE} (name, value) VALUES ('order', 0)"  # noqa: S608
            )
    sync_order_number_sequence(connection)


def drop_order_number_sequence(connection=default_connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
        else:
            cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")


def sync_order_number_sequence(connection=default_connection) -> int:
    """Move the sequence so the next number follows the highest existing one; never back."""
    with connection.cursor() as cursor:
        highest = _highest_existing(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")  # noqa: S608
            last, called = cursor.fetchone()
            handed_out = last if called else last - 1
            target = max(handed_out, highest)
            if target > handed_out:
                cursor.execute("SELECT setval(%s, %s, true)", [SEQUENCE, target])
            return target
        cursor.execute(
            f"UPDATE {SQLITE_TABLE} SET value = max(value, %s) WHERE name = 'order'",  # noqa: S608
            [highest],
        )
        cursor.execute(f"SELECT value FROM {SQLITE_TABLE} WHERE name = 'order'")  # noqa: S608
        return cursor.fetchone()[0]
