"""Filtering of every list: django-filter, with date-time filters PostgreSQL can always run.

A date-time such as `1383-11-11T21:20:21+23:42` is valid ISO 8601 and a valid Python datetime,
but PostgreSQL refuses its offset (more than 15:59) and answered it with an error inside the
request. The filter converts the value to UTC first; one that has no UTC equivalent is a 400
naming the filter.
"""

from datetime import UTC

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import fields, filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as BaseFilterSet


class UtcDateTimeField(fields.IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None or timezone.is_naive(value):
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("Enter a valid date/time."), code="invalid") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class FilterSet(BaseFilterSet):
    FILTER_DEFAULTS = {
        **BaseFilterSet.FILTER_DEFAULTS,
        models.DateTimeField: {"filter_class": UtcDateTimeFilter},
    }


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet
