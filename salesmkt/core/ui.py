"""The clerk UI's building blocks: one `RecordViews` per resource gives its list (search, filters,
ordering, pagination, htmx partial refresh), detail (with history), create, edit and delete pages.

Writes go through the resource's services, exactly as the API's do; a refused change shows the
service's message on the form and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.forms.formsets import BaseFormSet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from . import services
from .actions import actions_of
from .audit import events_for
from .documents import documents_for
from .errors import DomainError


def error_text(exc: DomainError | ValidationError) -> str:
    """What a page tells the clerk when a service refuses: the domain error's message, or all
    the messages of a validation error."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.message)


def form_error_messages(request, form) -> None:
    """A form's errors as messages, each prefixed with its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def parse_number(raw: str) -> Decimal:
    """A number a clerk typed into a page ("3", "2,5"). InvalidOperation when it is none; NaN
    and Infinity parse as decimals but are no quantity, so they are refused too."""
    value = Decimal(raw.strip().replace(",", "."))
    if not value.is_finite():
        raise InvalidOperation(raw)
    return value


@dataclass
class Column:
    label: Any
    accessor: str | Callable[[Any], Any]
    link: bool = False
    align: str = ""
    sort: str = ""  # the field to order by when the clerk clicks the column's header

    def value(self, obj):
        if callable(self.accessor):
            return self.accessor(obj)
        value = obj
        for part in self.accessor.split("."):
            value = getattr(value, part, None)
            if value is None:
                return ""
        display = getattr(obj, f"get_{self.accessor}_display", None)
        if display is not None and "." not in self.accessor:
            return display()
        return value


@dataclass
class RecordAction:
    """A button on a record's page that runs one service (a status transition, mostly).

    `run(obj, actor, data)` calls the service; `available(obj)` says whether the button shows
    (for transitions: `can_proceed`); `form_class` asks for input (a reason) first.
    """

    name: str
    label: Any
    run: Callable[[Any, Any, dict], Any]
    available: Callable[[Any], bool] = lambda obj: True
    permission: str = "change"
    form_class: type[forms.Form] | None = None
    style: str = "outline-primary"
    icon: str = ""
    confirm: Any = ""
    redirect: Callable[[Any, Any], str] | None = None


def transition_available(transition: str) -> Callable[[Any], bool]:
    from django_fsm import can_proceed

    return lambda obj: can_proceed(getattr(obj, transition))


class RecordViews:
    """Declare a resource once; `urls()` gives its five pages and its actions."""

    model: type[models.Model]
    slug: str
    namespace: str
    columns: list[Column] = []
    search_fields: list[str] = []
    filter_fields: list[str] = []
    default_ordering: str = ""
    detail_fields: list[str | tuple[Any, Callable]] = []
    form_class: type[forms.ModelForm] | None = None
    create_service: Callable | None = None
    update_service: Callable | None = None
    delete_service: Callable | None = None
    page_size = 25
    icon = "bi-card-list"
    actions: list[RecordAction] = []
    detail_template = "ui/record_detail.html"
    list_template = "ui/record_list.html"  # may extend it and fill `list_buttons`

    # --- hooks ----------------------------------------------------------------------------------
    @classmethod
    def get_queryset(cls):
        return cls.model._default_manager.all()

    @classmethod
    def get_forms(cls, request, instance=None) -> dict[str, Any]:
        data = request.POST if request.method == "POST" else None
        return {"form": cls.form_class(data, instance=instance)}

    @classmethod
    def forms_to_data(cls, bound: dict[str, Any], instance=None) -> dict[str, Any]:
        return dict(bound["form"].cleaned_data)

    @classmethod
    def related_sections(cls, obj) -> list[dict[str, Any]]:
        """Tables shown under the detail: [{'title', 'columns', 'rows'}]."""
        return []

    @classmethod
    def list_queryset(cls, request, queryset):
        """Narrow the list for the request (e.g. `?mine=1`); names in `keep_params` survive
        searching and filtering."""
        return queryset

    keep_params: list[str] = []

    @classmethod
    def list_title(cls, request):
        return cls.model._meta.verbose_name_plural

    @classmethod
    def editable(cls, obj) -> bool:
        """Whether the record's page offers Edit and Delete (a closed document does not): the
        declared `update` action's refusal, when the model declares its actions."""
        declared = actions_of(cls.model)
        if declared is not None and "update" in declared:
            return declared.refusal(obj, "update") is None
        return True

    @classmethod
    def deletable(cls, obj) -> bool:
        declared = actions_of(cls.model)
        if declared is not None and "delete" in declared:
            return declared.refusal(obj, "delete") is None
        return cls.editable(obj)

    @classmethod
    def detail_context(cls, request, obj) -> dict[str, Any]:
        """More context for a custom detail template."""
        return {}

    @classmethod
    def visible_actions(cls, request, obj) -> list[dict[str, Any]]:
        """The buttons of the record's actions the user may run. An action the model declares
        (`salesmkt.core.actions`) shows when its refusal is None, shows disabled with the
        reason when a condition refuses it, and is hidden when the status rules it out; an
        undeclared one shows when its `available(obj)` says so."""
        declared = actions_of(cls.model)
        visible = []
        for action in cls.actions:
            if not request.user.has_perm(cls.perm(action.permission)):
                continue
            key = action.name.replace("-", "_")
            refusal = None
            if declared is not None and key in declared:
                refusal = declared.refusal(obj, key)
                if refusal is not None and refusal.status:
                    continue
            elif not action.available(obj):
                continue
            visible.append(
                {
                    "action": action,
                    "url": reverse(cls.url_name("action"), args=[obj.pk, action.name]),
                    "form": action.form_class(prefix=action.name)
                    if action.form_class and refusal is None
                    else None,
                    "refusal": refusal,
                }
            )
        return visible

    # --- plumbing -------------------------------------------------------------------------------
    @classmethod
    def perm(cls, action: str) -> str:
        """The model permission of `action` (view, add, change, delete), or a full permission
        name given as "app_label.codename"."""
        if "." in action:
            return action
        return f"{cls.model._meta.app_label}.{action}_{cls.model._meta.model_name}"

    @classmethod
    def url_name(cls, page: str) -> str:
        return f"{cls.namespace}:{cls.slug}-{page}"

    @classmethod
    def filterset_class(cls):
        any_yes_no = forms.Select(
            choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))]
        )
        overrides = {
            models.BooleanField: {
                "filter_class": django_filters.BooleanFilter,
                "extra": lambda field: {"widget": any_yes_no},
            }
        }
        meta = type(
            "Meta",
            (),
            {"model": cls.model, "fields": cls.filter_fields, "filter_overrides": overrides},
        )
        return type(f"{cls.model.__name__}UIFilter", (django_filters.FilterSet,), {"Meta": meta})

    @classmethod
    def run_create(cls, data, actor):
        if cls.create_service is not None:
            return cls.create_service(data=data, actor=actor)
        return services.record_save(instance=cls.model(**data), actor=actor)

    @classmethod
    def run_update(cls, instance, data, actor):
        if cls.update_service is not None:
            return cls.update_service(instance=instance, data=data, actor=actor)
        for name, value in data.items():
            setattr(instance, name, value)
        return services.record_save(instance=instance, actor=actor)

    @classmethod
    def run_delete(cls, instance, actor):
        if cls.delete_service is not None:
            return cls.delete_service(instance=instance, actor=actor)
        return services.record_delete(instance=instance, actor=actor)

    @classmethod
    def urls(cls) -> list:
        return [
            path(f"{cls.slug}/", RecordListView.as_view(resource=cls), name=f"{cls.slug}-list"),
            path(
                f"{cls.slug}/new/", RecordFormView.as_view(resource=cls), name=f"{cls.slug}-create"
            ),
            path(
                f"{cls.slug}/<int:pk>/",
                RecordDetailView.as_view(resource=cls),
                name=f"{cls.slug}-detail",
            ),
            path(
                f"{cls.slug}/<int:pk>/edit/",
                RecordFormView.as_view(resource=cls),
                name=f"{cls.slug}-update",
            ),
            path(
                f"{cls.slug}/<int:pk>/delete/",
                RecordDeleteView.as_view(resource=cls),
                name=f"{cls.slug}-delete",
            ),
            path(
                f"{cls.slug}/<int:pk>/do/<slug:action>/",
                RecordActionView.as_view(resource=cls),
                name=f"{cls.slug}-action",
            ),
        ]


class ResourceView(LoginRequiredMixin, View):
    resource: type[RecordViews] = RecordViews
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(self.resource.perm(self.action)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_context(self) -> dict[str, Any]:
        r = self.resource
        user = self.request.user
        return {
            "resource": r,
            "verbose_name": r.model._meta.verbose_name,
            "verbose_name_plural": r.model._meta.verbose_name_plural,
            "list_url": reverse(r.url_name("list")),
            "create_url": reverse(r.url_name("create")),
            "can_add": user.has_perm(r.perm("add")),
            "can_change": user.has_perm(r.perm("change")),
            "can_delete": user.has_perm(r.perm("delete")),
        }


class RecordListView(ResourceView):
    def get(self, request):
        r = self.resource
        queryset = r.list_queryset(request, r.get_queryset())
        query = request.GET.get("q", "").strip()
        if query and r.search_fields:
            condition = Q()
            for field in r.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        filterset = r.filterset_class()(request.GET or None, queryset=queryset)
        if r.filter_fields:
            queryset = filterset.qs
        ordering = request.GET.get("o", "")
        sortable = {column.sort for column in r.columns if column.sort}
        if ordering.lstrip("-") in sortable:
            queryset = queryset.order_by(ordering, "pk")
        elif r.default_ordering:
            queryset = queryset.order_by(r.default_ordering, "pk")
        page = Paginator(queryset, r.page_size).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("o", None)
        headers = [
            {
                "column": column,
                "state": "asc"
                if ordering == column.sort
                else "desc"
                if column.sort and ordering == f"-{column.sort}"
                else "",
                "next": f"-{column.sort}" if ordering == column.sort else column.sort,
            }
            for column in r.columns
        ]
        context = {
            **self.base_context(),
            "page": page,
            "rows": [
                {
                    "obj": obj,
                    "url": reverse(r.url_name("detail"), args=[obj.pk]),
                    "cells": [c.value(obj) for c in r.columns],
                }
                for obj in page.object_list
            ],
            "columns": r.columns,
            "headers": headers,
            "query": query,
            "filterset": filterset if r.filter_fields else None,
            "ordering": ordering,
            "querystring": params.urlencode(),
            "kept_params": {
                name: request.GET[name] for name in r.keep_params if request.GET.get(name)
            },
            "list_title": r.list_title(request),
        }
        template = (
            "ui/_record_table.html"
            if request.htmx and not request.htmx.boosted
            else r.list_template
        )
        return render(request, template, context)


class RecordDetailView(ResourceView):
    def get(self, request, pk):
        r = self.resource
        obj = get_object_or_404(r.get_queryset(), pk=pk)
        fields = []
        for spec in r.detail_fields:
            if isinstance(spec, tuple):
                label, getter = spec
                fields.append((label, getter(obj)))
            else:
                field = r.model._meta.get_field(spec)
                display = getattr(obj, f"get_{spec}_display", None)
                value = display() if display else getattr(obj, spec)
                fields.append((field.verbose_name, value))
        context = {
            **self.base_context(),
            "obj": obj,
            "fields": fields,
            "sections": r.related_sections(obj),
            "events": events_for(obj)[:50],
            "update_url": reverse(r.url_name("update"), args=[obj.pk]),
            "delete_url": reverse(r.url_name("delete"), args=[obj.pk]),
            "actions": r.visible_actions(request, obj),
            "documents": documents_for(obj)[:20],
            "editable": r.editable(obj),
            "deletable": r.deletable(obj),
            **r.detail_context(request, obj),
        }
        return render(request, r.detail_template, context)


class RecordFormView(ResourceView):
    @property
    def action(self):
        return "change" if "pk" in self.kwargs else "add"

    def get_instance(self):
        if "pk" in self.kwargs:
            return get_object_or_404(self.resource.get_queryset(), pk=self.kwargs["pk"])
        return None

    def render_forms(self, bound, instance, status=200):
        context = {
            **self.base_context(),
            "obj": instance,
            "forms": bound,
            "form": bound["form"],
            "plain_forms": [f for f in bound.values() if not isinstance(f, BaseFormSet)],
            "formsets": [
                (f.model._meta.verbose_name_plural, f)
                for f in bound.values()
                if isinstance(f, BaseFormSet)
            ],
            "cancel_url": (
                reverse(self.resource.url_name("detail"), args=[instance.pk])
                if instance
                else reverse(self.resource.url_name("list"))
            ),
        }
        return render(self.request, "ui/record_form.html", context, status=status)

    def get(self, request, pk=None):
        instance = self.get_instance()
        return self.render_forms(self.resource.get_forms(request, instance), instance)

    def post(self, request, pk=None):
        r = self.resource
        instance = self.get_instance()
        bound = r.get_forms(request, instance)
        if all(f.is_valid() for f in bound.values()):
            try:
                data = r.forms_to_data(bound, instance)
                if instance is None:
                    obj = r.run_create(data, request.user)
                    messages.success(request, _("%(name)s created.") % {"name": obj})
                else:
                    obj = r.run_update(instance, data, request.user)
                    messages.success(request, _("%(name)s saved.") % {"name": obj})
                return HttpResponseRedirect(reverse(r.url_name("detail"), args=[obj.pk]))
            except ValidationError as exc:
                self.place_validation_error(bound, exc)
            except DomainError as exc:
                self.place_domain_error(bound, exc)
            if instance is not None:
                instance.refresh_from_db()
        return self.render_forms(bound, instance, status=400)

    def place_validation_error(self, bound: dict[str, Any], exc: ValidationError) -> None:
        """A service's validation refusal on the form: next to the field it names, else on top."""
        form = bound["form"]
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, field_errors in errors.items():
            target = field if field in form.fields else None
            for message in field_errors:
                if target is None and field not in (None, "__all__"):
                    message = f"{field}: {message}"
                form.add_error(target, message)

    def place_domain_error(self, bound: dict[str, Any], exc: DomainError) -> None:
        bound["form"].add_error(None, str(exc.message))


class RecordActionView(ResourceView):
    """POST: run one of the resource's actions on a record, then back to its page."""

    def dispatch(self, request, *args, **kwargs):
        self.record_action = next(
            (a for a in self.resource.actions if a.name == kwargs["action"]), None
        )
        if self.record_action is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def action(self):
        return self.record_action.permission

    def post(self, request, pk, action):
        r, record_action = self.resource, self.record_action
        obj = get_object_or_404(r.get_queryset(), pk=pk)
        detail = reverse(r.url_name("detail"), args=[pk])
        data: dict[str, Any] = {}
        if record_action.form_class is not None:
            form = record_action.form_class(request.POST, prefix=record_action.name)
            if not form.is_valid():
                for field, errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    messages.error(
                        request, f"{label}: {' '.join(errors)}" if label else " ".join(errors)
                    )
                return HttpResponseRedirect(detail)
            data = form.cleaned_data
        try:
            result = record_action.run(obj, request.user, data)
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(detail)
        messages.success(request, _("%(action)s: done.") % {"action": record_action.label})
        target = record_action.redirect(obj, result) if record_action.redirect else detail
        return HttpResponseRedirect(target)


class RecordDeleteView(ResourceView):
    action = "delete"

    def post(self, request, pk):
        r = self.resource
        obj = get_object_or_404(r.get_queryset(), pk=pk)
        try:
            r.run_delete(obj, request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(reverse(r.url_name("detail"), args=[pk]))
        messages.success(request, _("%(name)s deleted.") % {"name": obj})
        return HttpResponseRedirect(reverse(r.url_name("list")))


def simple_views(
    model: type[models.Model],
    *,
    namespace: str,
    slug: str,
    fields: list[str],
    list_fields: list[str] | None = None,
    search_fields: list[str] | None = None,
    filter_fields: list[str] | None = None,
    icon: str = "bi-card-list",
) -> type[RecordViews]:
    """RecordViews for reference data without rules of its own (generic save, audit, delete)."""
    list_fields = list_fields or fields[:4]
    columns = [
        Column(model._meta.get_field(name).verbose_name, name, link=index == 0, sort=name)
        for index, name in enumerate(list_fields)
    ]
    return type(
        f"{model.__name__}Views",
        (RecordViews,),
        {
            "model": model,
            "namespace": namespace,
            "slug": slug,
            "columns": columns,
            "search_fields": search_fields or [list_fields[0]],
            "filter_fields": filter_fields or [],
            "default_ordering": list_fields[0],
            "detail_fields": fields,
            "form_class": forms.modelform_factory(model, fields=fields),
            "icon": icon,
        },
    )
