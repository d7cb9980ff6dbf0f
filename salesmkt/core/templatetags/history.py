from django import template
from django.db import models

from salesmkt.core.history import describe, describe_all

register = template.Library()


@register.simple_tag
def history_entries(events, obj=None):
    """The record's events as sentences in the active language (`salesmkt.core.history`)."""
    return describe_all(events, obj if isinstance(obj, models.Model) else None)


@register.filter
def event_sentence(event) -> str:
    """One event as its sentence (a list of events of different records, e.g. the dashboard)."""
    return describe(event).text
