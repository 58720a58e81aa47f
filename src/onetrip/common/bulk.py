"""One INSERT for many rows, without building a model instance per row.

`QuerySet.bulk_create` prepares every value of every row through its field (about 10 µs per
value) and, on SQLite, cuts the rows into statements of 999 parameters: the police's apply of
1,000 reported rows spent four fifths of its time there (benchmarks/reporting_apply.py), and
the portal's roster of a 1,000-row chunk five times the CPU of one statement. Callers prepare
their values themselves, once where they are the same for every row (the time of the report),
and each table's rows go as one statement with the same meaning on both databases: on SQLite
(3.35+) `INSERT … VALUES (…), (…) [ON CONFLICT …] [RETURNING …]`; on PostgreSQL
`INSERT … SELECT * FROM unnest(<one array per column>) …`, the arrays sent in binary with
server-side binding. There a VALUES list of 20,000 parameters cost more in the driver's parsing
of the query than the insert itself, and Django's client-side binding spent 20 ms per 1,000 rows
quoting the arrays as text, against 2 ms to send them in binary. The same holds for reads:
`select_rows` with `member_of` looks rows up by a thousand keys sent as one binary array
(`= ANY(…)`), not a thousand `IN` parameters.

The statements go through a cursor wrapped as Django wraps its own, so query logging, execute
wrappers and `django_assert_num_queries` see them like any other.

Callers pass values the database driver takes as they are: text (already encrypted where the
field is an `EncryptedTextField`), numbers (a foreign key is its target's primary key),
booleans, and dates and times adapted by the connection's `ops.adapt_datefield_value` and
`ops.adapt_datetimefield_value`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, models

from onetrip.common.db import db_for

# SQLite takes at most 32,766 parameters in one statement unless built with more (PostgreSQL's
# unnest takes one per column): 1,000 rows of 21 columns still fit in one.
MAX_PARAMETERS = 32_000


def _connection(model: type[models.Model]) -> Any:
    return connections[db_for(model)]


@contextmanager
def _binary_cursor(connection: Any) -> Iterator[Any]:
    """A PostgreSQL cursor with server-side binding (so `%b` parameters travel in binary),
    wrapped as `connection.cursor()` wraps Django's own."""
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    try:
        yield cursor
    finally:
        cursor.close()


def _column(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
    shared: Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (values in the order of `fields`) into `model`'s table.

    `shared` gives fields whose value is the same for every row (the time of a report, the
    organisation): on PostgreSQL each goes once, beside the arrays, instead of as an array of
    a thousand copies to dump. With `update_fields`, a row whose `conflict_fields` match an
    existing one updates those fields instead (`ON CONFLICT (…) DO UPDATE`); with
    `ignore_conflicts` it is skipped (`ON CONFLICT DO NOTHING`, any unique index). `returning`
    names fields whose values come back for every row inserted or updated, in no promised
    order. One statement per `MAX_PARAMETERS` values."""
    if not rows:
        return []
    connection = _connection(model)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    shared = shared or {}
    columns = [quote(_column(model, name)) for name in (*fields, *shared)]
    tail = ""
    if update_fields:
        targets = ", ".join(quote(_column(model, name)) for name in conflict_fields)
        sets = ", ".join(
            f"{quote(_column(model, name))} = EXCLUDED.{quote(_column(model, name))}"
            for name in update_fields
        )
        tail = f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
    elif ignore_conflicts:
        tail = " ON CONFLICT DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(_column(model, name)) for name in returning)
    found: list[tuple[Any, ...]] = []
    if connection.vendor == "postgresql":
        types = [
            model._meta.get_field(name).db_type(connection)  # type: ignore[union-attr]
            for name in fields
        ]
        arrays = ", ".join(f"%b::{kind}[]" for kind in types)
        constants = "".join(
            f", %s::{model._meta.get_field(name).db_type(connection)}"  # type: ignore[union-attr]
            for name in shared
        )
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (model names)
            f"SELECT u.*{constants} FROM unnest({arrays}) AS u{tail}"
        )
        with _binary_cursor(connection) as cursor:
            cursor.execute(
                sql, [*shared.values(), *(list(column) for column in zip(*rows, strict=True))]
            )
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
        return found
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    same = tuple(shared.values())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 (model names)
                + ", ".join([one] * len(part))
                + tail
            )
            cursor.execute(sql, [value for row in part for value in (*row, *same)])
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
    return found


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `fields` of many rows of `model`'s table in one statement: each row is the primary
    key followed by the values of `fields` (`UPDATE … FROM` a list of values, SQLite 3.33+ and
    PostgreSQL). `QuerySet.bulk_update` writes a CASE per field and, on SQLite, one statement per
    124 rows of 7 fields."""
    if not rows:
        return
    connection = _connection(model)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(str(model._meta.pk.column))
    columns = [quote(_column(model, name)) for name in fields]
    if connection.vendor == "postgresql":
        types = [model._meta.pk.db_type(connection)] + [
            model._meta.get_field(name).db_type(connection)  # type: ignore[union-attr]
            for name in fields
        ]
        names = ["k", *(f"v{i}" for i in range(len(fields)))]
        arrays = ", ".join(f"%b::{kind}[]" for kind in types)
        sets = ", ".join(f"{c} = v.{n}" for c, n in zip(columns, names[1:], strict=True))
        sql = (
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "  # noqa: S608
            f"WHERE {table}.{pk} = v.k"
        )
        with _binary_cursor(connection) as cursor:
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        return
    one = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    sets = ", ".join(f"{c} = v.column{i + 2}" for i, c in enumerate(columns))
    per_statement = max(1, MAX_PARAMETERS // (len(fields) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES "  # noqa: S608 (model names)
                + ", ".join([one] * len(part))
                + f") AS v WHERE {table}.{pk} = v.column1"
            )
            cursor.execute(sql, [value for row in part for value in row])


def member_of(
    model: type[models.Model], column: str, name: str, values: Collection[Any]
) -> tuple[str, list[Any]]:
    """A condition "`column` is one of `values`" for `select_rows`, and its parameters: on
    PostgreSQL `column = ANY(<one array>)`, sent in binary, instead of a list of a thousand
    parameters that the driver parses and quotes one by one; on SQLite `column IN (…)`.
    `column` is the column as the query names it (with its table's alias), `name` the model
    field it holds, for its type. At most `MAX_PARAMETERS` values."""
    connection = _connection(model)
    if connection.vendor == "postgresql":
        kind = model._meta.get_field(name).db_type(connection)  # type: ignore[union-attr]
        return f"{column} = ANY(%b::{kind}[])", [list(values)]
    if len(values) > MAX_PARAMETERS:
        raise ValueError(f"at most {MAX_PARAMETERS} values, not {len(values)}")
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def select_rows(
    model: type[models.Model], sql: str, params: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """The rows of one SELECT on the database `model` lives in, with the conditions of
    `member_of`. Values come back as the driver gives them (dates as dates, on SQLite too:
    Django declares its converters), not through the fields: no decryption."""
    connection = _connection(model)
    if connection.vendor == "postgresql":
        with _binary_cursor(connection) as cursor:
            cursor.execute(sql, list(params))
            return [tuple(row) for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(row) for row in cursor.fetchall()]
