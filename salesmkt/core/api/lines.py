"""The lines of a document in the API, at most settings.MAX_DOCUMENT_LINES of them, validated
in a constant number of queries.

A line's references (item, warehouse, tax code, unit...) are `PrimedRelatedField`s: before the
lines are validated, `DocumentLines` reads every record the lines name, one query per table
(`in_bulk`), and each line's field takes its record from there. An unknown id is still refused
naming its line and field (`lines[3].item`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


class PrimedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by primary key that takes its record from the ones its list read for all
    the lines at once (`prime`), else looks it up itself."""

    primed: dict[Any, Any] | None = None

    def prime(self, records: dict[Any, Any]) -> None:
        self.primed = records

    def to_internal_value(self, data):
        if self.primed is None or isinstance(data, bool):
            return super().to_internal_value(data)
        key = _key(self, data)
        if key is None:
            return super().to_internal_value(data)  # the refusal of a malformed id
        record = self.primed.get(key)
        if record is None:
            self.fail("does_not_exist", pk_value=data)
        return record


def _key(field: serializers.PrimaryKeyRelatedField, value) -> Any:
    """The primary key `value` stands for, or None when it is not one."""
    if field.pk_field is not None:
        try:
            value = field.pk_field.to_internal_value(value)
        except serializers.ValidationError:
            return None
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    try:
        return field.get_queryset().model._meta.pk.to_python(value)
    except (DjangoValidationError, TypeError, ValueError):
        return None


class DocumentLines(serializers.ListSerializer):
    """A longer list is refused with a 400 naming `lines` before any line is read, so a
    10,000-line body costs no per-line lookups and writes nothing. The lines' references are
    read in one query per table for the whole list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", settings.MAX_DOCUMENT_LINES)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        self.max_length = settings.MAX_DOCUMENT_LINES
        primed = self._prime(data)
        try:
            return super().to_internal_value(data)
        finally:
            for field in primed:
                field.prime(None)

    def _prime(self, data) -> list[PrimedRelatedField]:
        if not isinstance(data, list) or len(data) > self.max_length:
            return []  # refused by the list's own checks, before any line is read
        primed = []
        for name, field in self.child.fields.items():
            if not isinstance(field, PrimedRelatedField) or field.read_only:
                continue
            keys = {
                key
                for row in data
                if isinstance(row, dict)
                and row.get(name) is not None
                and (key := _key(field, row[name])) is not None
            }
            field.prime(field.get_queryset().in_bulk(keys) if keys else {})
            primed.append(field)
        return primed


def document_lines(child: serializers.Serializer, **kwargs) -> DocumentLines:
    return DocumentLines(child=child, **kwargs)
