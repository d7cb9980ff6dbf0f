"""The one recipe every status change follows (STYLE.md rule 4):

lock the header row -> check the transition is allowed from the current status -> run it ->
save the changed fields -> write the audit event. The caller's service owns the transaction and
queues side effects with `transaction.on_commit`.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, models
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .actions import actions_of
from .audit import record_event, snapshot
from .errors import TransitionNotAllowed

log = logging.getLogger(__name__)
M = TypeVar("M", bound=models.Model)
P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL's SQLSTATEs for a transaction the server rolled back to break a lock cycle or a
# conflict between concurrent transactions: running the same transaction again is the cure.
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
ATTEMPTS = 5


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) in (
        RETRYABLE_SQLSTATES
    )


def retry_on_conflict(service: Callable[P, R]) -> Callable[P, R]:
    """Run the service's transaction again (a few times, after a short random pause) when the
    database rolled it back for a deadlock or a serialization failure. Only a call that is the
    outermost transaction retries: inside a caller's transaction the whole of that transaction
    is lost, so the error goes up to where it began (whose service retries, if it is one)."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            return service(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except OperationalError as exc:
                if attempt == ATTEMPTS or not _retryable(exc):
                    raise
                log.info(
                    "%s: %s; running it again (attempt %d)", service.__name__, exc, attempt + 1
                )
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    return run


def lock(instance: M) -> M:
    """Re-read `instance` with its row locked for the rest of the transaction, with the related
    records its model names in `LOCK_RELATED` (what its `str()` shows in the audit event) read
    in the same statement, without locking them."""
    model = type(instance)
    related = getattr(model, "LOCK_RELATED", ())
    rows = model._default_manager.all()
    if related:
        rows = rows.select_related(*related).select_for_update(of=("self",))
    else:
        rows = rows.select_for_update()
    return rows.get(pk=instance.pk)


def run_transition(
    *,
    instance: M,
    transition: str,
    actor,
    params: dict[str, Any] | None = None,
    status_field: str = "status",
    event_data: dict[str, Any] | None = None,
    locked: bool = False,
) -> M:
    """Run `transition` on a freshly locked copy of `instance` and return that copy; with
    `locked`, on `instance` itself, which the caller locked in this transaction (`lock`).

    Refused with 409 `transition_not_allowed` when the current status does not allow it, and
    with the declared refusal (`salesmkt.core.actions`) when the transition is a declared
    action whose condition does not hold.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("run_transition must be called inside the service's transaction")
    locked = instance if locked else lock(instance)
    method = getattr(locked, transition)
    before = getattr(locked, status_field)
    declared = actions_of(locked)
    action = declared.for_transition(transition, status_field) if declared else None
    if action is not None:
        declared.refuse(locked, action.name)
    elif not can_proceed(method):
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
