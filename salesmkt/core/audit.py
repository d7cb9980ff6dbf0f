"""The one place that writes audit events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, FieldFile):  # a stored file by its name
        return value.name or ""
    return value


def record_event(
    *,
    actor,
    obj: models.Model,
    action: str,
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event for `obj`. Call it inside the transaction that made the change."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        from_status=from_status or "",
        to_status=to_status or "",
        data={key: _jsonable(value) for key, value in (data or {}).items()},
    )


def field_changes(before: dict[str, Any], instance: models.Model) -> dict[str, Any]:
    """Old/new values of the concrete fields that differ from `before` (a snapshot)."""
    changes = {}
    for field in instance._meta.concrete_fields:
        old = before.get(field.attname)
        new = _stored(getattr(instance, field.attname))
        if old != new:
            changes[field.name] = {"old": _jsonable(old), "new": _jsonable(new)}
    return changes


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The stored values (a file by its name: the file object is shared with the instance)."""
    return {
        field.attname: _stored(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
    }


def _stored(value: Any) -> Any:
    return value.name if isinstance(value, FieldFile) else value


def events_for(obj: models.Model):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
    ).select_related("actor")
