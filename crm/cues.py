"""The work queues of marketing and of everyone's activities, as the role centre counts them and
as the lists filter by them: one definition each, so that a cue's count and the list it opens
always agree."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesmkt.core.queues import Queue, queue_filter, with_filters

from .models import Activity, Campaign, Lead


def campaigns_running(queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    """Campaigns started and not completed or canceled."""
    return (Campaign.objects.all() if queryset is None else queryset).filter(
        status=Campaign.Status.ACTIVE
    )


def leads_to_qualify(queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """Open leads: neither qualified into an opportunity nor disqualified yet."""
    return (Lead.objects.all() if queryset is None else queryset).filter(status=Lead.Status.OPEN)


def end_of_day(day: date) -> datetime:
    """The first moment of the next day in the current time zone (what "due today" runs to)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def activities_due(
    queryset: QuerySet[Activity] | None = None, *, today: date
) -> QuerySet[Activity]:
    """Scheduled activities not done that are due today or were due before (overdue)."""
    return (Activity.objects.all() if queryset is None else queryset).filter(
        done=False, due_at__lt=end_of_day(today)
    )


def my_activities_due(user, *, today: date) -> QuerySet[Activity]:
    """The user's own activities due today or overdue (the activity list's `?mine=1`)."""
    return activities_due(Activity.objects.filter(owner=user), today=today)


ACTIVITY_QUEUES = [
    Queue(
        "due",
        _("due today or overdue"),
        lambda qs: activities_due(qs, today=timezone.localdate()),
    )
]


def activity_filterset(base):
    return with_filters(base, queue=queue_filter(ACTIVITY_QUEUES))
