"""Document numbers, never duplicated even under concurrent use. Never max()+1.

Two kinds of series (`NumberSeries.gapless`):

- **Gapless** (invoices, credit notes, vouchers, payments, packing slips: the default): the
  counter row is locked (an UPDATE) inside the caller's transaction, so the number is only
  consumed if that transaction commits and a rolled-back document gives its number back. The row
  stays locked until the transaction ends: take the number at the end of the transaction, after
  the work, so that the next document waits microseconds, not for the whole entry.
- **From a sequence** (sales orders, quotations, RMA numbers: the law asks no gaplessness there):
  on PostgreSQL each such series has a database sequence `number_series_<id>`, created on first
  use, which hands out numbers without a lock; concurrent entries never wait for each other, and
  a rolled-back entry leaves a gap. The admin moves it forward with `setval`. Elsewhere (SQLite,
  the embedded default) these series use the locked counter too.

Either way a number costs one statement in the usual case, and `assign_number` writes it to
its document in that same statement.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from .models import NumberSeries

# Series the product uses; created on first use with these defaults, adjustable in the admin.
DEFAULT_SERIES: dict[str, tuple[str, str, int]] = {
    "customer": ("Customer accounts", "C", 5),
    "vendor": ("Vendor accounts", "V", 5),
    "item": ("Item numbers", "I", 5),
    "lead": ("Leads", "L", 6),
    "opportunity": ("Opportunities", "OP", 6),
    "campaign": ("Campaigns", "CMP", 5),
    "sales-agreement": ("Sales agreements", "SA", 5),
    "sales-order": ("Sales orders", "SO", 6),
    "quotation": ("Sales quotations", "SQ", 6),
    "project": ("Projects", "PRJ", 5),
    "invoice": ("Invoices", "INV", 6),
    "credit-note": ("Credit notes", "CN", 6),
    "payment": ("Customer payments", "PAY", 6),
    "voucher": ("Ledger vouchers", "GL", 7),
    "rma": ("Return merchandise authorisations", "RMA", 6),
    "packing-slip": ("Packing slips", "PS", 6),
    "purchase-order": ("Purchase orders", "PO", 6),
}
# Series whose numbers may have gaps: they are created drawing from a sequence.
GAPS_ALLOWED = frozenset({"sales-order", "quotation", "rma"})

SEQUENCE_PREFIX = "number_series_"
# pg_advisory_xact_lock(key, series id): one transaction at a time creates a series' sequence.
_SEQUENCE_LOCK = 0x4E554D  # "NUM"

# One statement takes the next number of either kind: the counter row's UPDATE for a gapless
# series, the sequence's nextval otherwise (NULL while the sequence does not exist yet). No row
# at all: the series does not exist yet.
_TAKE = """
WITH series AS (
    SELECT id, gapless FROM core_numberseries WHERE code = %s
), counter AS (
    UPDATE core_numberseries AS counter_row SET next_value = counter_row.next_value + 1
    FROM series WHERE counter_row.id = series.id AND series.gapless
    RETURNING counter_row.prefix, counter_row.padding, counter_row.next_value - 1 AS value
)
SELECT prefix, padding, value FROM counter
UNION ALL
SELECT ns.prefix, ns.padding,
    CASE WHEN to_regclass('number_series_' || ns.id) IS NOT NULL
    THEN nextval(('number_series_' || ns.id)::regclass) END
FROM core_numberseries AS ns JOIN series ON series.id = ns.id
WHERE NOT series.gapless
"""


def format_number(prefix: str, padding: int, value: int) -> str:
    return f"{prefix}{value:0{padding}d}"


def sequence_name(series: NumberSeries) -> str:
    return f"{SEQUENCE_PREFIX}{int(series.pk)}"


def uses_sequence(series: NumberSeries) -> bool:
    """Whether the series' numbers come from a database sequence (PostgreSQL only)."""
    return not series.gapless and connection.vendor == "postgresql"


def _ensure_series(code: str) -> None:
    if NumberSeries.objects.filter(code=code).exists():
        return
    name, prefix, padding = DEFAULT_SERIES.get(code, (code, "", 6))
    try:
        with transaction.atomic():
            series = NumberSeries.objects.create(
                code=code,
                name=name,
                prefix=prefix,
                padding=padding,
                gapless=code not in GAPS_ALLOWED,
            )
            sync_sequence(series)
    except IntegrityError:
        pass  # another transaction created it first


def sync_sequence(series: NumberSeries) -> None:
    """Make the series' sequence (when it has one) hand out `next_value` next: created when
    missing, moved with setval when it exists. Inside a transaction."""
    if not uses_sequence(series):
        return
    name = connection.ops.quote_name(sequence_name(series))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_SEQUENCE_LOCK, series.pk])
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} AS bigint MINVALUE 1")
        cursor.execute("SELECT setval(%s, %s, false)", [name, series.next_value])


def sequence_next_value(series: NumberSeries) -> int:
    """The number a sequence series hands out next (the row's `next_value` for a counter, or
    before the sequence is first used)."""
    if not uses_sequence(series):
        return series.next_value
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence_name(series)])
        if not cursor.fetchone()[0]:
            return series.next_value
        name = connection.ops.quote_name(sequence_name(series))
        cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608 (our own name)
        last_value, is_called = cursor.fetchone()
    return last_value + 1 if is_called else last_value


def _take_postgresql(series: str) -> tuple[str, int, int] | None:
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [series])
        row = cursor.fetchone()
    if row is None or row[2] is None:
        return None
    return row


def _take_from_counter(series: str) -> str:
    """The locked counter, through the ORM (any database)."""
    _ensure_series(series)
    counter = NumberSeries.objects.select_for_update().get(code=series)
    value = counter.next_value
    counter.next_value = value + 1
    counter.save(update_fields=["next_value"])
    return counter.format(value)


def next_number(series: str) -> str:
    """Take the next number of `series`. Must run inside the transaction that uses the number;
    take it as late in that transaction as the work allows (a gapless series stays locked until
    the transaction ends)."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must be called inside the transaction that uses it")
    if connection.vendor != "postgresql":
        return _take_from_counter(series)
    taken = _take_postgresql(series)
    if taken is None:  # first use: the series or its sequence is made now
        _ensure_series(series)
        _create_missing_sequence(NumberSeries.objects.get(code=series))
        taken = _take_postgresql(series)
    prefix, padding, value = taken
    return format_number(prefix, padding, value)


# The same take, written to the document's row in the same statement (the number formatted as
# `format_number` does: padded with zeros, never cut). No row updated: the series or its
# sequence does not exist yet.
_ASSIGN = """
WITH series AS (
    SELECT id, gapless FROM core_numberseries WHERE code = %s
), counter AS (
    UPDATE core_numberseries AS counter_row SET next_value = counter_row.next_value + 1
    FROM series WHERE counter_row.id = series.id AND series.gapless
    RETURNING counter_row.prefix, counter_row.padding, counter_row.next_value - 1 AS value
), taken AS (
    SELECT prefix, padding, value FROM counter
    UNION ALL
    SELECT ns.prefix, ns.padding,
        CASE WHEN to_regclass('number_series_' || ns.id) IS NOT NULL
        THEN nextval(('number_series_' || ns.id)::regclass) END
    FROM core_numberseries AS ns JOIN series ON series.id = ns.id
    WHERE NOT series.gapless
)
UPDATE {table} AS document SET {column} = taken.prefix || CASE
    WHEN length(taken.value::text) >= taken.padding THEN taken.value::text
    ELSE lpad(taken.value::text, taken.padding, '0') END
FROM taken WHERE document.{pk} = %s AND taken.value IS NOT NULL
RETURNING document.{column}
"""


def assign_number(instance, field: str, series: str) -> str:
    """Take the next number of `series` and write it to `field` of the stored `instance`: one
    statement on PostgreSQL (the take and the document's UPDATE together), else `next_number`
    and a save. Inside the transaction that uses the number, as late in it as the work allows.
    Returns the number, also set on `instance`."""
    if connection.vendor != "postgresql":
        setattr(instance, field, next_number(series))
        instance.save(update_fields=[field])
        return getattr(instance, field)
    if not connection.in_atomic_block:
        raise RuntimeError("assign_number must be called inside the transaction that uses it")
    meta = instance._meta
    quote = connection.ops.quote_name
    sql = _ASSIGN.format(
        table=quote(meta.db_table),
        column=quote(meta.get_field(field).column),
        pk=quote(meta.pk.column),
    )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [series, instance.pk])
            row = cursor.fetchone()
        if row is not None:
            setattr(instance, field, row[0])
            return row[0]
        # first use: the series or its sequence is made now
        _ensure_series(series)
        _create_missing_sequence(NumberSeries.objects.get(code=series))
    raise RuntimeError(f"no number could be taken from series {series!r}")


def _create_missing_sequence(series: NumberSeries) -> None:
    """A series switched to a sequence outside the admin's service (or whose sequence was
    dropped) gets it now, from its row's next value."""
    if not uses_sequence(series):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_SEQUENCE_LOCK, series.pk])
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence_name(series)])
        exists = cursor.fetchone()[0]
    if not exists:
        sync_sequence(series)


# --- the admin's services ---------------------------------------------------------------------


def number_series_create(*, data: dict[str, Any], actor) -> NumberSeries:
    """A new series; one that may have gaps gets its sequence, starting at `next_value`."""
    from .services import record_save

    with transaction.atomic():
        series = record_save(instance=NumberSeries(**data), actor=actor)
        sync_sequence(series)
        return series


def number_series_update(*, instance: NumberSeries, data: dict[str, Any], actor) -> NumberSeries:
    """Change a series. Its next value only moves forward (never a number given out twice), and
    a gapless series' not at all (skipping numbers would leave a gap); a sequence is moved with
    setval. Switching kinds carries the next value over."""
    from .services import record_save

    data = dict(data)
    with transaction.atomic():
        series = NumberSeries.objects.select_for_update().get(pk=instance.pk)
        current = sequence_next_value(series)
        wanted = data.pop("next_value", current)
        if wanted != current and series.gapless:
            raise ValidationError(
                {"next_value": _("A gapless series moves on only by the numbers it gives out.")}
            )
        if wanted < current:
            raise ValidationError(
                {
                    "next_value": _(
                        "Numbers up to %(taken)d have been given out: the next value cannot go "
                        "back."
                    )
                    % {"taken": current - 1}
                }
            )
        for field, value in data.items():
            setattr(series, field, value)
        series.next_value = wanted
        series = record_save(instance=series, actor=actor)
        sync_sequence(series)
        return series
