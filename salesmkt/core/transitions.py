"""The one recipe every status change follows (STYLE.md rule 4):

lock the header row -> check the transition is allowed from the current status -> run it ->
save the changed fields -> write the audit event. The caller's service owns the transaction and
queues side effects with `transaction.on_commit`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection, models
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .audit import record_event, snapshot
from .errors import TransitionNotAllowed

M = TypeVar("M", bound=models.Model)


def lock(instance: M) -> M:
    """Re-read `instance` with its row locked for the rest of the transaction."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def run_transition(
    *,
    instance: M,
    transition: str,
    actor,
    params: dict[str, Any] | None = None,
    status_field: str = "status",
    event_data: dict[str, Any] | None = None,
) -> M:
    """Run `transition` on a freshly locked copy of `instance` and return that copy.

    Refused with 409 `transition_not_allowed` when the current status does not allow it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("run_transition must be called inside the service's transaction")
    locked = lock(instance)
    method = getattr(locked, transition)
    before = getattr(locked, status_field)
    if not can_proceed(method):
        status_label = dict(locked._meta.get_field(status_field).flatchoices).get(before, before)
        raise TransitionNotAllowed(
            _("%(record)s is %(status)s: “%(action)s” is not allowed now.")
            % {"record": locked, "status": status_label, "action": transition},
            params={"status": before, "action": transition},
        )
    before_fields = snapshot(locked)
    method(**(params or {}))
    changed = [
        field.name
        for field in locked._meta.concrete_fields
        if before_fields[field.attname] != getattr(locked, field.attname)
    ]
    locked.save(update_fields=changed)
    record_event(
        actor=actor,
        obj=locked,
        action=transition,
        from_status=before,
        to_status=getattr(locked, status_field),
        data={**(params or {}), **(event_data or {})},
    )
    return locked
