"""Notes and scheduled activities on a record (the htmx panel the record pages include), and
the clerk's own list of open activities."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesmkt.core.errors import DomainError
from salesmkt.core.ui import error_text

from .. import selectors
from ..forms import DateTimeInput
from ..models import Activity
from ..services import activities

SCHEDULED_KINDS = [(k, label) for k, label in Activity.Kind.choices if k != Activity.Kind.NOTE]


class NoteForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=10000
    )


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("type"), choices=SCHEDULED_KINDS)
    subject = forms.CharField(label=gettext_lazy("subject"), max_length=200)
    due_at = forms.DateTimeField(label=gettext_lazy("due"), widget=DateTimeInput())
    owner = forms.ModelChoiceField(
        label=gettext_lazy("owner"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        help_text=gettext_lazy("Empty: you."),
    )
    notes = forms.CharField(
        label=gettext_lazy("notes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=10000,
    )


def panel_context(request, record, *, error: str = "", note_form=None, schedule_form=None):
    """What `crm/_activity_panel.html` shows for `record`: open activities (soonest due first),
    then notes and done activities (latest first). Two queries."""
    content_type = ContentType.objects.get_for_model(record)
    rows = list(selectors.activities_about(record))
    open_rows = sorted((a for a in rows if not a.done), key=lambda a: (a.due_at, a.pk))
    done_rows = sorted(
        (a for a in rows if a.done), key=lambda a: (a.done_at or a.created_at, a.pk), reverse=True
    )
    now = timezone.now()
    return {
        "record": record,
        "panel_url": reverse("crm:activity-panel", args=[content_type.pk, record.pk]),
        "open_activities": open_rows,
        "done_activities": done_rows,
        "now": now,
        "note_form": note_form or NoteForm(prefix="note"),
        "schedule_form": schedule_form
        or ScheduleForm(prefix="schedule", initial={"kind": Activity.Kind.CALL}),
        "can_add": request.user.has_perm("crm.add_activity"),
        "can_change": request.user.has_perm("crm.change_activity"),
        "error": error,
    }


def _record(content_type_id: int, object_id: int):
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    try:
        return activities.record_for(content_type=content_type, object_id=object_id)
    except ValidationError as exc:
        raise Http404(error_text(exc)) from exc


def _panel(request, record, **kwargs):
    if not request.htmx:
        return HttpResponseRedirect(request.headers.get("referer") or reverse("crm:my-activities"))
    return render(request, "crm/_activity_panel.html", panel_context(request, record, **kwargs))


@login_required
@permission_required("crm.view_activity", raise_exception=True)
def activity_panel(request, content_type_id: int, object_id: int):
    return render(
        request,
        "crm/_activity_panel.html",
        panel_context(request, _record(content_type_id, object_id)),
    )


@login_required
@permission_required("crm.add_activity", raise_exception=True)
@require_POST
def activity_note(request, content_type_id: int, object_id: int):
    record = _record(content_type_id, object_id)
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return _panel(request, record, note_form=form)
    try:
        activities.activity_add_note(
            about=record, notes=form.cleaned_data["notes"], actor=request.user
        )
    except (DomainError, ValidationError) as exc:
        return _panel(request, record, note_form=form, error=error_text(exc))
    return _panel(request, record)


@login_required
@permission_required("crm.add_activity", raise_exception=True)
@require_POST
def activity_schedule(request, content_type_id: int, object_id: int):
    record = _record(content_type_id, object_id)
    form = ScheduleForm(request.POST, prefix="schedule")
    if not form.is_valid():
        return _panel(request, record, schedule_form=form)
    try:
        activities.activity_schedule(about=record, actor=request.user, **form.cleaned_data)
    except (DomainError, ValidationError) as exc:
        return _panel(request, record, schedule_form=form, error=error_text(exc))
    return _panel(request, record)


@login_required
@permission_required("crm.change_activity", raise_exception=True)
@require_POST
def activity_done(request, pk: int):
    """Mark an activity done from its record's panel or from "my activities"."""
    activity = get_object_or_404(Activity, pk=pk)
    error = ""
    try:
        activities.activity_mark_done(activity=activity, actor=request.user)
    except (DomainError, ValidationError) as exc:
        error = error_text(exc)
    if request.POST.get("from") == "mine":
        if request.htmx:
            return render(request, "crm/_my_activities.html", my_activities_context(request, error))
        return HttpResponseRedirect(reverse("crm:my-activities"))
    if activity.content_type_id is None or activity.object_id is None:
        raise PermissionDenied
    record = _record(activity.content_type_id, activity.object_id)
    return _panel(request, record, error=error)


def my_activities_context(request, error: str = "") -> dict:
    today = timezone.localdate()
    rows = list(selectors.my_open_activities(request.user))
    for row in rows:
        row.record_url = activities.record_url(row.content_type_id, row.object_id)
    overdue = [a for a in rows if timezone.localdate(a.due_at) < today]
    due_today = [a for a in rows if timezone.localdate(a.due_at) == today]
    upcoming = [a for a in rows if timezone.localdate(a.due_at) > today]
    return {
        "groups": [
            ("overdue", _("Overdue"), overdue),
            ("today", _("Today"), due_today),
            ("upcoming", _("Upcoming"), upcoming),
        ],
        "count": len(rows),
        "can_change": request.user.has_perm("crm.change_activity"),
        "error": error,
    }


@login_required
@permission_required("crm.view_activity", raise_exception=True)
def my_activities(request):
    """The clerk's open calls, meetings and to-dos: overdue, today, upcoming."""
    return render(request, "crm/my_activities.html", my_activities_context(request))
