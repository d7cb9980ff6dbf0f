"""Generic services for master and reference data without rules of their own.

Entities with rules (customers get an account number, parties refuse deletion while referenced)
have their own services in their app; those build on these two functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin

from .actions import actions_of
from .audit import field_changes, record_event, snapshot
from .errors import RecordInUse

M = TypeVar("M", bound=models.Model)


def record_save(*, instance: M, actor, exclude_validation: Iterable[str] = ()) -> M:
    """Validate and save `instance` (created or changed) and append an audit event."""
    with transaction.atomic():
        creating = instance._state.adding
        before = {}
        if not creating:
            stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            before = snapshot(stored)
        # A protected status field changes only through its transitions; full_clean would
        # re-assign it and be refused.
        protected = [
            f.name
            for f in instance._meta.concrete_fields
            if isinstance(f, FSMFieldMixin) and f.protected
        ]
        instance.full_clean(exclude=[*exclude_validation, *protected] or None)
        instance.save()
        if creating:
            record_event(actor=actor, obj=instance, action="created")
        else:
            changes = field_changes(before, instance)
            if changes:
                record_event(actor=actor, obj=instance, action="changed", data=changes)
    return instance


def save_changes(*, instance: models.Model, before: dict[str, Any]) -> dict[str, Any]:
    """Validate and write the fields of `instance` that changed since `before` (its stored
    snapshot, `audit.snapshot` of the row the caller locked) and nothing else, with no event:
    the changes (field -> old and new), for the one event the caller writes for the whole
    change. Only what changed is validated, so an unchanged reference is not looked up again."""
    changes = field_changes(before, instance)
    if not changes:
        return {}
    changed = {field.name for field in instance._meta.concrete_fields if field.name in changes}
    unchanged = [
        field.name for field in instance._meta.concrete_fields if field.name not in changed
    ]
    protected = [
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(field, FSMFieldMixin) and field.protected
    ]
    instance.full_clean(exclude=[*unchanged, *protected])
    instance.save(update_fields=sorted(changed))
    return changes


def describe_references(objects: Iterable[models.Model], limit: int = 3) -> str:
    objects = list(objects)
    names = [f"{obj._meta.verbose_name} {obj}" for obj in objects[:limit]]
    more = len(objects) - limit
    text = ", ".join(names)
    if more > 0:
        text += " " + _("and %(count)d more") % {"count": more}
    return text


def record_delete(*, instance: models.Model, actor) -> None:
    """Delete `instance`, or refuse with `RecordInUse` naming what still references it, or with
    the declared refusal of its `delete` action (`salesmkt.core.actions`)."""
    declared = actions_of(instance)
    if declared is not None and "delete" in declared:
        declared.refuse(instance, "delete")
    label = str(instance)
    try:
        with transaction.atomic():
            record_event(actor=actor, obj=instance, action="deleted", data={"record": label})
            instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        referencing = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        raise RecordInUse(
            _("%(record)s cannot be deleted: it is used by %(references)s.")
            % {"record": label, "references": describe_references(referencing)},
            code="in_use",
        ) from exc
