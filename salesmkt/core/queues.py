"""Work queues as list filters: a list page (`salesmkt.core.ui.RecordViews`) offers its queues
as one "work queue" choice among its filters, so that a clerk picks it on the page and a
role-centre cue opens the list with it in the URL (`?queue=late`). The queue's queryset comes
from the app's cue selectors, the same function the cue counts with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

QUEUE_PARAMETER = "queue"


@dataclass(frozen=True)
class Queue:
    key: str
    label: Any  # a lazy translation
    narrow: Callable[[QuerySet], QuerySet]


def queue_filter(queues: list[Queue]) -> django_filters.ChoiceFilter:
    by_key = {queue.key: queue for queue in queues}

    def narrow(queryset, name, value):
        queue = by_key.get(value)
        return queue.narrow(queryset) if queue else queryset

    return django_filters.ChoiceFilter(
        label=_("work queue"),
        choices=[(queue.key, queue.label) for queue in queues],
        method=narrow,
    )


def with_filters(base: type[django_filters.FilterSet], **filters) -> type:
    """The list's filter set with more filters declared (shown as controls on the list)."""
    return type(base.__name__, (base,), dict(filters))
