"""Many new rows of a model in one statement, their ids set: the insert of a document's lines.

Django's `bulk_create` binds every value of every row as its own parameter (a 5,000-line order:
some 100,000), which the driver and the database spend most of the insert on. On PostgreSQL the
rows go as one array per column instead (`INSERT ... SELECT FROM unnest(...)`), in order, and
the database answers their ids in that order; elsewhere `bulk_create` does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from django.db import connection, models

# Fields whose attribute is what the database stores (no conversion, no value of their own
# made at save time).
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
    models.BooleanField,
    models.ForeignKey,
)


def _value_of(field: models.Field):
    if isinstance(field, _PLAIN) and type(field).pre_save is models.Field.pre_save:
        return attrgetter(field.attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def insert_instances(instances: Sequence[models.Model]) -> None:
    """Insert the unsaved `instances` (of one model, without ids) in one statement and set
    their ids, as `bulk_create` does."""
    if not instances:
        return
    model = type(instances[0])
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(instances)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    getters = [_value_of(field) for field in fields]
    columns = [[getter(obj) for obj in instances] for getter in getters]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    # Names and types come from the model's meta, quoted; every column is one array parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
