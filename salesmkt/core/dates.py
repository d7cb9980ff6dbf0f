"""Sane bounds for the dates documents and payments carry, and date arithmetic that never
overflows.

A date is taken from 2000-01-01 (`EARLIEST_DOCUMENT_DATE`) up to ten years after today
(`MAX_DOCUMENT_YEARS_AHEAD`): enough for old open items entered late, long agreements and far
promised dates, and no more. 9999-12-31 or 1900-01-01 is a typing slip or a probe, and a due date
computed from it would overflow. The bounds are applied at input: serializers and forms get them
on every date field they take (`bound_date_fields`), services that take a date from elsewhere
call `check_date` with the field's name.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework import serializers


def earliest_date() -> date:
    return date.fromisoformat(settings.EARLIEST_DOCUMENT_DATE)


def latest_date(today: date | None = None) -> date:
    today = today or timezone.localdate()
    year = today.year + settings.MAX_DOCUMENT_YEARS_AHEAD
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February, and the year is not a leap year: the day before
        return today.replace(year=year, day=28)


def validate_document_date(value: date | None) -> None:
    """Refuse a date before the earliest or more than the allowed years ahead."""
    if value is None:
        return
    earliest, latest = earliest_date(), latest_date()
    if value < earliest:
        raise ValidationError(
            _("Give a date on or after %(date)s.") % {"date": date_format(earliest)},
            code="date_out_of_range",
        )
    if value > latest:
        raise ValidationError(
            _("Give a date on or before %(date)s.") % {"date": date_format(latest)},
            code="date_out_of_range",
        )


def check_date(value: date | None, *, field: str) -> None:
    """`validate_document_date`, its error naming `field` (for services)."""
    try:
        validate_document_date(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def bound_date_fields(fields):
    """Give every writable date field of a serializer's or a form's `fields` the bounds; returns
    `fields`. Call it from `get_fields` (serializers) or `__init__` (forms): both copy their
    fields per instance, so the class's declared fields stay as they are."""
    for field in fields.values():
        writable = not getattr(field, "read_only", False) and not getattr(field, "disabled", False)
        dated = isinstance(field, serializers.DateField | forms.DateField)
        if dated and writable and validate_document_date not in field.validators:
            field.validators.append(validate_document_date)
    return fields


class BoundedDatesMixin:
    """A serializer whose writable date fields take only dates within the bounds."""

    def get_fields(self):
        return bound_date_fields(super().get_fields())


class BoundedDatesFormMixin:
    """A form whose date fields take only dates within the bounds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_date_fields(self.fields)


def add_days(start: date, days: int) -> date:
    """`start` and `days` later (or earlier), held at the calendar's ends instead of raising
    OverflowError: a due date or an expiry is never a 500."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min
