"""Inserts for the intake hot path, without Django's query compiler (PostgreSQL).

`Rows` writes every row of a new order (several models) in one statement after one query that
takes their ids: see its docstring. On other databases it inserts with `insert()`, which is
`bulk_create` for one model. No signals are sent (bulk_create sends none either).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal

import orjson
from django.db import connection, models, router, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from opsportal.db import prepared_cursor


def insert(objs: Sequence[Model]) -> list[Model]:
    """Insert unsaved instances of one model (`bulk_create`); returns them with their ids.
    What `Rows` does on databases other than PostgreSQL."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert() takes instances of one model.")
    return model.objects.bulk_create(objs)


_RELATIONS: dict[type[Model], tuple] = {}  # model → its concrete forward relations


def _relations(model: type[Model]) -> tuple:
    if model not in _RELATIONS:
        _RELATIONS[model] = tuple(f for f in model._meta.concrete_fields if f.is_relation)
    return _RELATIONS[model]


# --- unsaved instances without Model.__init__ ---------------------------------------------------

# Per model: ({attname: default} of the fields whose default is a constant, [(attname, default
# callable)], {attname}, {field name: field} of the forward relations).
_NEW: dict[type[Model], tuple[dict, list, frozenset, dict]] = {}


def _new_template(model: type[Model]) -> tuple[dict, list, frozenset, dict]:
    if model not in _NEW:
        if pre_init.has_listeners(model) or post_init.has_listeners(model):
            raise TypeError(
                f"{model.__name__} has init signal receivers: build it with {model.__name__}()."
            )
        fixed, made = {}, []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                made.append((f.attname, f.default))
            else:
                fixed[f.attname] = f.get_default()
        relations = {f.name: (f, f.target_field.attname) for f in _relations(model)}
        _NEW[model] = (fixed, made, frozenset(fixed) | {a for a, _ in made}, relations)
    return _NEW[model]


def new(model: type[Model], **values: object) -> Model:
    """`model(**values)` for the intake's new rows, at a tenth of the CPU (~5 µs, not 35–60):
    the instance Django's constructor makes (every column at its default, a related object's
    id taken and the object cached, callable defaults called per instance), without the
    constructor's per-field descriptor work. Takes concrete field names and attnames only,
    like `bulk_create` rows; models with pre_init/post_init receivers are refused (their
    receivers would not run)."""
    fixed, made, attnames, relations = _new_template(model)
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(fixed)
    for attname, make in made:
        state[attname] = make()
    obj._state = ModelState()
    for name, value in values.items():
        relation = relations.get(name)
        if relation is not None:
            field, target = relation
            if value is not None and not isinstance(value, field.related_model):
                raise ValueError(
                    f"{model.__name__}.{name} must be a {field.related_model.__name__}, "
                    f"not {type(value).__name__}."
                )
            if value is not None:  # as the relation's descriptor does
                if obj._state.db is None:
                    obj._state.db = router.db_for_write(model, instance=value)
                if value._state.db is None:
                    value._state.db = router.db_for_write(type(value), instance=obj)
                if not router.allow_relation(value, obj):
                    raise ValueError(f"{model.__name__}.{name}: the related object is elsewhere.")
            state[field.attname] = None if value is None else getattr(value, target)
            obj._state.fields_cache[name] = value
        elif name in attnames:
            state[name] = value
        else:
            raise TypeError(f"{model.__name__} has no field {name!r} to give a value.")
    return obj


# --- several models in one statement ------------------------------------------------------------

_SEQUENCES: dict[type[Model], str] = {}  # model → its primary key's sequence (PostgreSQL)


def _sequence_of(model: type[Model]) -> str:
    if model not in _SEQUENCES:
        meta = model._meta
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            (_SEQUENCES[model],) = cursor.fetchone()
    return _SEQUENCES[model]


def _json_default(value: object) -> str:
    # orjson writes dates and datetimes itself (ISO 8601: full precision, with the UTC offset
    # of an aware datetime), as PostgreSQL reads them back.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a row of Rows.write().")


def _json(rows: list) -> str:
    """The rows as JSON text: keys that are not strings written as strings (as the standard
    library does), NaN and infinities as null (PostgreSQL's JSON has no such numbers)."""
    return orjson.dumps(rows, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


# Fields whose Python value the JSON text carries as PostgreSQL reads it back (numbers, text,
# booleans, null, Decimal and dates as strings, JSON as JSON).
_JSON_SAFE = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,  # EmailField too
    models.DateField,  # DateTimeField too
    models.DecimalField,
    models.ForeignKey,
    models.IntegerField,  # the positive and big variants too
    models.JSONField,
    models.TextField,
)


def _filled_in(field: models.Field, obj: Model) -> object:
    return field.pre_save(obj, add=True)


def _file_name(field: models.Field, obj: Model) -> object:
    return field.get_prep_value(field.value_from_object(obj))


# Per model: (column, attname, reader) per concrete field; reader None = the value as it is on
# the instance, else a function of it (a field that fills itself in; a file field's name).
_COLUMNS: dict[type[Model], list[tuple[str, str, object]]] = {}


def _columns(model: type[Model]) -> list[tuple[str, str, object]]:
    if model not in _COLUMNS:
        columns = []
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                reader = functools.partial(_filled_in, f)
            elif isinstance(f, models.FileField):
                reader = functools.partial(_file_name, f)
            elif isinstance(f, _JSON_SAFE):
                reader = None
            else:
                raise TypeError(
                    f"Rows cannot write {model.__name__}.{f.name} ({type(f).__name__})."
                )
            columns.append((f.column, f.attname, reader))
        _COLUMNS[model] = columns
    return _COLUMNS[model]


def _take_parent_ids(obj: Model) -> None:
    """A parent given to the constructor before it had an id: copy its id now."""
    state = obj.__dict__
    for field in _relations(type(obj)):
        if state.get(field.attname) is None and field.is_cached(obj):
            parent = field.get_cached_value(obj)
            if parent is not None:
                state[field.attname] = parent.pk


def take_ids(counts: dict[type[Model], int], sequences: Sequence[str] = ()) -> tuple[str, list]:
    """The select list (SQL, params) that takes the ids of `Rows(counts, sequences=…)` ahead:
    the next value of each sequence, then an array of `n` ids per model, in `counts`' order.
    Its text depends only on the models and sequences (the counts are parameters), so it can
    ride in another prepared SELECT; give that row's values to `Rows(…, taken=…)`."""
    selects = ["nextval(%s::regclass)"] * len(sequences)
    selects += ["ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s::integer))"] * len(
        counts
    )
    params: list = list(sequences)
    for model, n in counts.items():
        params += [_sequence_of(model), n]
    return ", ".join(selects), params


class Rows:
    """New rows of several models, written together: on PostgreSQL two queries in all, or one.

    `Rows(counts, sequences=[…])` takes ids for `counts[model]` rows of each model from their
    sequences, and the next value of each sequence named, in one query (`value(name)` gives it;
    None on other databases); `taken=` gives it the values of `take_ids()` read by an earlier
    query instead (then `write()` is the only query). `add(obj)` gives an instance of a counted
    model its id at once, so rows added after it can refer to it; instances of models not
    counted take their table's default id at insert (nothing may refer to them). `write()`
    inserts everything added in one statement: `WITH a AS (INSERT …), b AS (INSERT …) INSERT …`,
    after the caller's own CTEs if given (`lead`: e.g. the stock reservation, so that the order
    and its reservation are one statement). The foreign keys PostgreSQL checks at commit
    (Django declares them DEFERRABLE INITIALLY DEFERRED), so order within the statement does
    not matter. `add_rows()` takes rows nobody reads back as plain values. Each model's rows
    travel as one JSON text, so only field types whose values JSON carries unchanged are
    accepted (`_JSON_SAFE`; anything else is a TypeError); no signals are sent. `on_commit(fn)`
    runs `fn` once the rows are committed (`transaction.on_commit` from `write()`: at once in
    autocommit, else when the surrounding transaction commits; never if the write fails).

    Other databases: `add()` inserts the row at once (`insert()`), `write()` has nothing left.
    Add a parent before the rows that refer to it either way (an instance built before its
    parent had an id takes the id at `add()`).
    """

    def __init__(
        self,
        counts: dict[type[Model], int],
        *,
        sequences: Sequence[str] = (),
        taken: Sequence | None = None,
    ) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._ids: dict[type[Model], list[int]] = {}
        self._values: dict[str, int] = {}
        self._rows: dict[type[Model], list[Model]] = {}
        self._on_commit: list = []
        if not self.postgres or not (counts or sequences):
            return
        if taken is None:
            select, params = take_ids(counts, sequences)
            with prepared_cursor() as cursor:
                cursor.execute(f"SELECT {select}", params)
                taken = cursor.fetchone()
        self._values = dict(zip(sequences, taken[: len(sequences)], strict=True))
        for model, ids in zip(counts, taken[len(sequences) :], strict=True):
            self._ids[model] = list(reversed(ids))  # pop() hands them out in order

    def value(self, sequence: str) -> int | None:
        return self._values.get(sequence)

    def add(self, obj: Model) -> Model:
        _take_parent_ids(obj)
        if not self.postgres:
            insert([obj])
            return obj
        model = type(obj)
        ids = self._ids.get(model)
        if ids is not None:
            if not ids:
                raise ValueError(f"More {model.__name__} rows than ids taken for them.")
            obj.pk = ids.pop()
        self._rows.setdefault(model, []).append(obj)
        return obj

    def add_all(self, objs: Sequence[Model]) -> list[Model]:
        """`add()` each; on other databases one bulk insert per call (same model)."""
        if self.postgres:
            return [self.add(obj) for obj in objs]
        for obj in objs:
            _take_parent_ids(obj)
        return insert(objs)

    def add_rows(self, model: type[Model], rows: Sequence[Model | dict]) -> None:
        """Add rows of `model` in their order: instances as `add()` does, and rows nobody reads
        back as {attname: value} dicts, for which no instance is built (~50 µs each on the hot
        path). A dict leaves out what takes its default; auto_now(_add) fields are now; its id
        is the table's default, so `model` must not be counted."""
        if any(type(row) is dict for row in rows) and model in self._ids:
            raise ValueError(f"{model.__name__} rows given as values take no ids ahead.")
        if not self.postgres:
            for row in rows:
                if type(row) is dict:
                    _values_row(model, row)  # the same check of the names given
            objs = [model(**row) if type(row) is dict else row for row in rows]
            self.add_all(objs)
            return
        for row in rows:
            if type(row) is dict:
                self._rows.setdefault(model, []).append(_values_row(model, row))
            else:
                self.add(row)

    def on_commit(self, fn) -> None:
        self._on_commit.append(fn)

    def write(self, *, lead: tuple[str, list] | None = None) -> None:
        """Insert every row added, in one statement; each model's rows travel as one JSON text
        read by `json_populate_recordset` (a handful of parameters, whatever the row count:
        psycopg parses a statement with hundreds of placeholders in Python, ~1 ms a time).
        `lead` = (CTEs "name AS (…), …", their params) put first in the statement's WITH; on
        other databases it must be None (they write row by row)."""
        if self._rows:
            shape = []
            for model, objs in self._rows.items():
                with_pk = _has_pk(objs[0])
                if any(_has_pk(obj) != with_pk for obj in objs):
                    raise ValueError(f"Give every {model.__name__} row an id, or none.")
                shape.append((model, with_pk))
            sql, readers = _statement(tuple(shape), lead[0] if lead else "")
            params = list(lead[1]) if lead else []
            for objs, columns in zip(self._rows.values(), readers, strict=True):
                rows = []
                for obj in objs:
                    if type(obj) is dict:  # add_rows() made it with every column
                        rows.append(obj)
                        continue
                    state = obj.__dict__
                    rows.append(
                        {
                            column: state[attname] if reader is None else reader(obj)
                            for column, attname, reader in columns
                        }
                    )
                params.append(_json(rows))
            with prepared_cursor() as cursor:
                cursor.execute(sql, params)
            for objs in self._rows.values():
                for obj in objs:
                    if type(obj) is not dict:
                        obj._state.adding = False
                        obj._state.db = connection.alias
            self._rows = {}
        elif lead:
            raise ValueError("Rows.write(lead=…) is for PostgreSQL, with rows to write after it.")
        for fn in self._on_commit:
            transaction.on_commit(fn, robust=True)
        self._on_commit = []


def _has_pk(row: Model | dict) -> bool:
    return False if type(row) is dict else row.pk is not None


# Per model: the row of add_rows() before its values: {column: default} for every column but
# the primary key, and the columns whose value is made per row (auto_now(_add), callables).
_TEMPLATES: dict[type[Model], tuple[dict, list, dict]] = {}


def _values_row(model: type[Model], values: dict) -> dict:
    if model not in _TEMPLATES:
        fixed, made, column_of = {}, [], {}
        for f in model._meta.concrete_fields:
            column_of[f.attname] = f.column
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                made.append((f.column, timezone.now))
            elif isinstance(f, models.FileField):
                fixed[f.column] = ""
            elif f.has_default() and callable(f.default):
                made.append((f.column, f.default))
            else:
                fixed[f.column] = f.get_default()
        _TEMPLATES[model] = (fixed, made, column_of)
    fixed, made, column_of = _TEMPLATES[model]
    row = dict(fixed)
    for column, make in made:
        row[column] = make()
    for attname, value in values.items():
        if attname not in column_of or column_of[attname] == model._meta.pk.column:
            raise ValueError(f"{model.__name__} has no column {attname!r} to give a value.")
        row[column_of[attname]] = value
    return row


_STATEMENTS: dict[tuple, tuple[str, list]] = {}


def _statement(shape: tuple[tuple[type[Model], bool], ...], lead: str) -> tuple[str, list]:
    """The INSERT of Rows.write for these models (with or without their ids), built once."""
    key = (shape, lead)
    if key not in _STATEMENTS:
        quote = connection.ops.quote_name
        parts, readers = [], []
        for model, with_pk in shape:
            table = quote(model._meta.db_table)
            columns = _columns(model)
            if not with_pk:
                pk = model._meta.pk.column
                columns = [c for c in columns if c[0] != pk]
            names = ", ".join(quote(column) for column, _, _ in columns)
            # Only quoted model metadata is formatted in; the rows are a query parameter.
            parts.append(
                f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
                f"FROM json_populate_recordset(NULL::{table}, %s::json)"
            )
            readers.append(columns)
        *first, last = parts
        ctes = [lead] if lead else []
        ctes += [f"w{n} AS ({part})" for n, part in enumerate(first)]
        sql = f"WITH {', '.join(ctes)} {last}" if ctes else last
        _STATEMENTS[key] = (sql, readers)
    return _STATEMENTS[key]
