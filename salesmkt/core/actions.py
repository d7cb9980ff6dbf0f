"""What may happen next to a document: each action's conditions, declared once.

Every document with a status declares its actions in its app's `actions.py`: the action's name,
the status transition it runs (its source statuses are the first condition) and one predicate
that names the reason it is refused now, or nothing. The same declaration is used by

- the service, which calls `refuse(obj, action)` on the locked row before it acts (and
  `run_transition` does for every transition that is declared as an action);
- the page, which shows the action's button when it is allowed, shows it disabled with the
  reason as a tooltip when the status allows it but a condition does not, and hides it when the
  status does not allow it;
- the admin's actions, which run the same services;
- the API, which returns `allowed_actions` on each document, with the refusal code of every
  action that is not allowed now.

So an integrator never has to guess, and no page re-states a service's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .errors import ConflictError, TransitionNotAllowed

# The refusal of an action the document's status does not allow (the button is hidden).
STATUS_CODE = "transition_not_allowed"


@dataclass(frozen=True)
class Refusal:
    """Why an action is not allowed now: a stable `code`, a message for the clerk, and whether
    the document's status rules it out altogether (`status`: the page hides the button) or a
    condition that may change does (the page shows the button disabled, with the message)."""

    code: str
    message: Any
    params: dict[str, Any] = field(default_factory=dict)
    status: bool = False

    def error(self) -> ConflictError:
        kind = TransitionNotAllowed if self.code == STATUS_CODE else ConflictError
        return kind(str(self.message), code=self.code, params=self.params or None)


Check = Callable[[Any], "Refusal | None"]


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    check: Check | None = None
    transition: str | None = None
    status_field: str = "status"
    # The refusal codes the check can give, beside `transition_not_allowed` (for the schema).
    codes: tuple[str, ...] = ()
    permission: str = ""  # "app_label.codename" the actor needs, when not the model's change
    # The code and message of the refusal when the status rules the action out.
    status_code: str = STATUS_CODE
    status_message: Any = None


def first(*checks: Check) -> Check:
    """One predicate of several: the first refusal of `checks`, in order."""

    def check(obj) -> Refusal | None:
        for one in checks:
            refusal = one(obj)
            if refusal is not None:
                return refusal
        return None

    return check


def never(code: str, message: Any) -> Check:
    """A check that always refuses, as the status would (a record that is never edited or
    deleted); `message` is lazy text, translated when asked."""

    def check(obj) -> Refusal:
        return Refusal(code, str(message), status=True)

    return check


class DocumentActions:
    """The actions of one model. Declare each with `add` (or the `action` decorator on its
    predicate); ask with `refusal`, `refuse`, `allowed`."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.actions: dict[str, Action] = {}
        self.preparers: list[Callable[[list], None]] = []
        REGISTRY[model] = self

    def preparer(self, prepare: Callable[[list], None]) -> Callable[[list], None]:
        """Register `prepare(documents)`, which loads what the predicates need for a page of a
        list at once (one query, not one per document) and leaves it on the documents; a
        predicate given a document without it asks for its own."""
        self.preparers.append(prepare)
        return prepare

    def prepare(self, documents: list) -> None:
        for prepare in self.preparers:
            prepare(documents)

    def add(
        self,
        name: str,
        label: Any,
        *,
        check: Check | None = None,
        transition: str | None = None,
        status_field: str = "status",
        codes: tuple[str, ...] = (),
        permission: str = "",
        status_code: str = STATUS_CODE,
        status_message: Any = None,
    ) -> Action:
        action = Action(
            name,
            label,
            check,
            transition,
            status_field,
            codes,
            permission,
            status_code,
            status_message,
        )
        self.actions[name] = action
        return action

    def action(self, name: str, label: Any, **kwargs) -> Callable[[Check], Check]:
        """Decorator form of `add` for the action's predicate."""

        def register(check: Check) -> Check:
            self.add(name, label, check=check, **kwargs)
            return check

        return register

    def __contains__(self, name: str) -> bool:
        return name in self.actions

    def refusal(self, obj, name: str) -> Refusal | None:
        """Why `obj` may not undergo `name` now, or None when it may."""
        action = self.actions[name]
        if action.transition and not can_proceed(
            getattr(obj, action.transition), check_conditions=False
        ):
            status = getattr(obj, action.status_field)
            display = getattr(obj, f"get_{action.status_field}_display", lambda: status)()
            return Refusal(
                action.status_code,
                action.status_message
                or _("%(record)s is %(status)s: “%(action)s” is not allowed now.")
                % {"record": obj, "status": display, "action": action.label},
                params={"status": status, "action": name},
                status=True,
            )
        return action.check(obj) if action.check else None

    def refuse(self, obj, name: str) -> None:
        """Raise the refusal (409 with its code) when `obj` may not undergo `name` now."""
        refusal = self.refusal(obj, name)
        if refusal is not None:
            raise refusal.error()

    def allowed(self, obj, user=None) -> list[dict[str, Any]]:
        """Every action with, for the ones not allowed now, its refusal code and message: the
        API's `allowed_actions`."""
        entries = []
        for name in self.actions:
            refusal = self.refusal(obj, name)
            if refusal is None and user is not None and not user.has_perm(self.permission(name)):
                refusal = Refusal("permission_denied", _("You do not have permission to do this."))
            entry: dict[str, Any] = {"action": name}
            if refusal is not None:
                entry["refusal"] = refusal.code
                entry["detail"] = str(refusal.message)
            entries.append(entry)
        return entries

    def permission(self, name: str) -> str:
        meta = self.model._meta
        return self.actions[name].permission or f"{meta.app_label}.change_{meta.model_name}"

    def for_transition(self, transition: str, status_field: str) -> Action | None:
        return next(
            (
                action
                for action in self.actions.values()
                if action.transition == transition and action.status_field == status_field
            ),
            None,
        )

    def codes(self) -> list[str]:
        """Every refusal code the model's actions can give (documented in the API schema)."""
        found = {"permission_denied"}
        for action in self.actions.values():
            found.update(action.codes)
            if action.transition:
                found.add(action.status_code)
        return sorted(found)


REGISTRY: dict[type[models.Model], DocumentActions] = {}


def actions_of(model_or_obj) -> DocumentActions | None:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return REGISTRY.get(model)


def refuse(obj, name: str) -> None:
    """Raise the declared refusal of action `name` on `obj`, if any (the service's check)."""
    REGISTRY[type(obj)].refuse(obj, name)


def refusal(obj, name: str) -> Refusal | None:
    return REGISTRY[type(obj)].refusal(obj, name)
