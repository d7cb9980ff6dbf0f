"""Set-based writes of many rows, for documents of thousands of lines.

`update_from_values` gives many rows each their own new values in one UPDATE joined to a list
of VALUES: Django's `bulk_update` builds one CASE WHEN per field and row instead, which the
database is slow to plan for thousands of rows. `insert_rows` inserts rows without making a
model instance of each, `insert_instances` unsaved instances (their ids set): on PostgreSQL
each column goes as one array, unnested, and the database answers the ids in order. Django's
`bulk_create` binds every value of every row as its own parameter instead (a 5,000-line order:
some 100,000), which the driver and the database spend most of the insert on.

`update_from_values` and `insert_rows` take the values of fields' attributes (`order_id`: an
id); they call no `save()`, send no signals and fill in no `auto_now` fields: the caller gives
every column it needs. `insert_instances` takes each field's value as a save would (`auto_now`
and `auto_now_add` filled in), sending no signals either."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter

from django.db import connection, models

# Fields whose attribute value is what the database driver takes: passed on as they are (a
# document's thousands of rows spend no time converting them); others go through the field.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
    models.BooleanField,
    models.ForeignKey,
)


def _columns(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in names]


def _prepared(columns: list[models.Field], rows: list[tuple]) -> list[tuple]:
    """`rows` with the values of the fields that need it converted for the database."""
    converted = [index for index, field in enumerate(columns) if not isinstance(field, _PLAIN)]
    if not converted:
        return rows
    prepared = []
    for row in rows:
        row = list(row)
        for index in converted:
            row[index] = columns[index].get_db_prep_value(row[index], connection)
        prepared.append(tuple(row))
    return prepared


def update_from_values(
    model: type[models.Model],
    *,
    fields: Sequence[str],
    rows: Iterable[Sequence],
    key: str = "pk",
    add: Sequence[str] = (),
) -> int:
    """Write `fields` of the `model` rows whose `key` is each row's first value: the row's other
    values, in the order of `fields`; a field named in `add` is increased by its value instead
    of set to it. Each key comes once. One statement (one per batch where the database limits
    the parameters of a statement, as SQLite does). The number of rows updated."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return 0
    columns = _columns(model, [key, *fields])
    rows = _prepared(columns, rows)
    for field in columns[1:]:
        if field.name in add and not isinstance(field, models.DecimalField | models.IntegerField):
            raise ValueError(f"{field.name}: only a number can be added to")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # A list of VALUES names its columns column1, column2, ... (PostgreSQL and SQLite alike).
    names = [f"v.column{index}" for index in range(1, len(columns) + 1)]
    # The first row names each value's type, so that the database types the whole list as the
    # columns it updates (a list of NULLs or of text literals would be typed as text).
    first = "(" + ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in columns) + ")"
    other = "(" + ", ".join(["%s"] * len(columns)) + ")"
    assignments = ", ".join(
        f"{quote(field.column)} = "
        + (f"{table}.{quote(field.column)} + " if field.name in add else "")
        + name
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    condition = f"{table}.{quote(columns[0].column)} = {names[0]}"
    batch = max(1, connection.ops.bulk_batch_size(columns, rows))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values = ", ".join([first, *([other] * (len(chunk) - 1))])
            # Names come from the model's meta, quoted; every value is a parameter.
            sql = f"UPDATE {table} SET {assignments} "  # noqa: S608
            sql += f"FROM (VALUES {values}) AS v WHERE {condition}"
            cursor.execute(sql, [value for row in chunk for value in row])
            updated += cursor.rowcount
    return updated


def _insert(
    model: type[models.Model], columns: list[models.Field], values: list[list], *, ids: bool
) -> list:
    """One INSERT of `values` (one list per column of `columns`), unnested; the new ids in row
    order when asked."""
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    # Names come from the model's meta, quoted; every column is one array parameter.
    names = ", ".join(quote(field.column) for field in columns)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
    sql += f"SELECT * FROM unnest({arrays})"  # noqa: S608
    if ids:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()] if ids else []


def insert_rows(
    model: type[models.Model], *, fields: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """Insert rows of `model`: each row the values of `fields` (attribute names: `order_id`).
    One statement; on other databases than PostgreSQL, Django's `bulk_create`."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return
    columns = _columns(model, fields)
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(
            model(**dict(zip((field.attname for field in columns), row, strict=True)))
            for row in rows
        )
        return
    rows = _prepared(columns, rows)
    _insert(model, columns, [list(column) for column in zip(*rows, strict=True)], ids=False)


def _value_of(field: models.Field):
    if isinstance(field, _PLAIN) and type(field).pre_save is models.Field.pre_save:
        return attrgetter(field.attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def insert_instances(instances: Sequence[models.Model]) -> None:
    """Insert the unsaved `instances` (of one model, without ids) in one statement and set
    their ids, as `bulk_create` does (which it is on other databases than PostgreSQL)."""
    if not instances:
        return
    model = type(instances[0])
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(instances)
        return
    columns = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = [[getter(obj) for obj in instances] for getter in map(_value_of, columns)]
    ids = _insert(model, columns, values, ids=True)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
