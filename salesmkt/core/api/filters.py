"""Filtering of every list: django-filter, with date-time filters PostgreSQL can always run.

A date-time such as `1383-11-11T21:20:21+23:42` is valid ISO 8601 and a valid Python datetime,
but PostgreSQL refuses its offset (more than 15:59) and answered it with an error inside the
request. The filter converts the value to UTC first; one that has no UTC equivalent is a 400
naming the filter.

A query parameter no filter, search, ordering, paging or query serializer of the view reads is a
400 naming it: a misspelt filter (`?custmer=7`) would otherwise be ignored and answer every row.
django-filter has no such check (its strictness covers the values of known filters, not unknown
keys), so the list's known parameters are gathered from the same places the OpenAPI schema reads
them: the filterset's form fields, each other backend's and the paginator's schema parameters.
"""

from collections.abc import Iterable
from datetime import UTC

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import fields, filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as BaseFilterSet
from django_filters.widgets import SuffixedMultiWidget
from rest_framework import exceptions, mixins, serializers
from rest_framework.settings import api_settings

UNKNOWN_QUERY_PARAMETER = _("Unknown query parameter.")
BLANK_QUERY_PARAMETER = _("Give a value, or leave the parameter out.")


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

    def filter_queryset(self, request, queryset, view):
        if _is_list(view):
            refuse_unknown_query_parameters(request, view, queryset=queryset)
            self.refuse_blank_values(request, view, queryset)
        return super().filter_queryset(request, queryset, view)

    def refuse_blank_values(self, request, view, queryset) -> None:
        """A filter on a choice, number, date or reference given an empty value (`?status=`)
        is a 400 naming it, not a filter silently dropped (django-filter reads it as absent and
        answers every row). Free-text filters may be empty."""
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return
        blank = [
            key
            for name, field in filterset_class(queryset=queryset).form.fields.items()
            if not isinstance(field, forms.CharField)
            for key in _query_keys(name, field.widget)
            if key in request.query_params and not request.query_params[key].strip()
        ]
        if blank:
            raise exceptions.ValidationError({key: [BLANK_QUERY_PARAMETER] for key in blank})

    def query_parameters(self, view, queryset) -> set[str]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return set()
        return {
            key
            for name, field in filterset_class(queryset=queryset).form.fields.items()
            for key in _query_keys(name, field.widget)
        }


def refuse_unknown_query_parameters(
    request, view, *declared: type[serializers.Serializer] | str, queryset=None
) -> None:
    """400 naming each query parameter the view does not read: `format`, a list's filters,
    search, ordering and paging, and what the view `declared` it reads itself (query serializers
    or parameter names). A list's filters made from `filterset_fields` need its `queryset`; the
    filter backend passes it."""
    known = {api_settings.URL_FORMAT_OVERRIDE}
    for query in declared:
        known.update([query] if isinstance(query, str) else query().fields)
    if _is_list(view):
        known.update(_list_query_parameters(view, queryset))
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        raise exceptions.ValidationError({name: [UNKNOWN_QUERY_PARAMETER] for name in unknown})


def _is_list(view) -> bool:
    # Imported here: rest_framework.viewsets reads DEFAULT_FILTER_BACKENDS, this module.
    from rest_framework.viewsets import ViewSetMixin

    if isinstance(view, ViewSetMixin):
        return view.action == "list"
    return isinstance(view, mixins.ListModelMixin)


def _list_query_parameters(view, queryset) -> set[str]:
    known = set()
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, FilterBackend):
            known |= backend.query_parameters(view, queryset)
        else:
            known |= {p["name"] for p in backend.get_schema_operation_parameters(view)}
    if getattr(view, "paginator", None) is not None:
        known |= {p["name"] for p in view.paginator.get_schema_operation_parameters(view)}
    return known


def _query_keys(name: str, widget: forms.Widget) -> Iterable[str]:
    """The query keys a filter's widget reads: `price_min`, `price_max` for a range."""
    if isinstance(widget, SuffixedMultiWidget):
        return [widget.suffixed(name, suffix) for suffix in widget.suffixes]
    if isinstance(widget, forms.MultiWidget):
        return [f"{name}{suffix}" for suffix in widget.widgets_names]
    return [name]
