"""One multi-row `INSERT … RETURNING id` for unsaved model instances (the intake hot path).

`insert(objs)` does what `Model.objects.bulk_create(objs)` does for plain rows on PostgreSQL
(related objects' ids taken, auto_now(_add) filled, values prepared by each field, ids set back
on the instances) without building a query compiler: on this machine ~0.3 ms of CPU instead of
~1.2 ms per statement, and intake writes five of them. No signals are sent (bulk_create sends
none either). Other databases, and models with a field that needs its own SQL placeholder, use
bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

# model → (INSERT prefix, fields written, pk column): built once per model.
_SHAPES: dict[type[Model], tuple[str, list, str] | None] = {}


def _shape(model: type[Model]) -> tuple[str, list, str] | None:
    if model not in _SHAPES:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        if any(hasattr(f, "get_placeholder") for f in fields) or not meta.pk.auto_created:
            _SHAPES[model] = None
        else:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in fields)
            # Only quoted model metadata is formatted in; every value is a query parameter.
            _SHAPES[model] = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",  # noqa: S608
                fields,
                quote(meta.pk.column),
            )
    return _SHAPES[model]


def insert(objs: Sequence[Model]) -> list[Model]:
    """Insert unsaved instances of one model in one statement; returns them with their ids."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    shape = _shape(model) if connection.vendor == "postgresql" else None
    if shape is None:
        return model.objects.bulk_create(objs)
    prefix, fields, pk = shape
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("insert() takes instances of one model.")
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values += [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix}{', '.join([row] * len(objs))} RETURNING {pk}", values)
        ids = cursor.fetchall()
    for obj, (pk_value,) in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
