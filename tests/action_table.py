"""The table-driven check that a document's page, service and API agree on what may happen next
(issue 15): for a document in one status and one declared action, the page shows the action's
button (enabled) exactly when the service accepts the action, and the API's `allowed_actions`
lists it without a refusal exactly then.

The service is run inside a transaction that is rolled back, so each action is tried on the
same document state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from salesmkt.core.actions import actions_of
from salesmkt.core.errors import DomainError


class _RollBack(Exception):
    pass


def service_accepts(run: Callable[[], Any]) -> tuple[bool, str]:
    """Whether `run()` (a service call) goes through; its refusal code when it does not. Any
    change it made is rolled back."""
    try:
        with transaction.atomic():
            run()
            raise _RollBack
    except _RollBack:
        return True, ""
    except DomainError as exc:
        return False, exc.code
    except ValidationError as exc:
        return False, f"validation: {exc}"


def enabled_button(html: str, name: str) -> bool:
    """An enabled action button on the page: the record actions' `name="run" value="<name>"`,
    or any element marked `data-action-button="<name>"` that is not disabled."""
    if re.search(rf'name="run" value="{re.escape(name)}"', html):
        return True
    return any(
        "disabled" not in tag
        for tag in re.findall(rf'<[^>]*data-action-button="{re.escape(name)}"[^>]*>', html)
    )


def api_entry(payload: dict, action: str) -> dict:
    entries = {entry["action"]: entry for entry in payload["allowed_actions"]}
    return entries[action]


def assert_agree(
    *,
    obj,
    action: str,
    run: Callable[[], Any],
    page_html: str | None,
    api_payload: dict,
    button: str | None = None,
    label: str = "",
) -> bool:
    """Assert the page's button (`button`, default the action with `_` as `-`), the service and
    the API agree for `obj` in its current state; returns whether the action is allowed."""
    obj.refresh_from_db()
    declared = actions_of(obj).refusal(obj, action)
    pk = obj.pk
    accepted, code = service_accepts(run)
    obj.pk = pk  # a delete that was rolled back leaves the instance without its key
    where = f"{label or obj} [{getattr(obj, 'status', '')}] {action}"
    assert accepted == (declared is None), (
        f"{where}: the service {'accepts' if accepted else f'refuses ({code})'} but the "
        f"declaration says {declared.code if declared else 'allowed'}"
    )
    if not accepted and declared is not None and not code.startswith("validation"):
        assert code == declared.code, f"{where}: service refused {code}, declared {declared.code}"
    entry = api_entry(api_payload, action)
    assert ("refusal" not in entry) == accepted, f"{where}: API says {entry}"
    if page_html is not None:
        shown = enabled_button(page_html, button or action.replace("_", "-"))
        assert shown == accepted, f"{where}: button {'shown' if shown else 'hidden'}"
    return accepted


def allowed_on_the_page_and_api(
    *, obj, runs, page_url, api_url, clients, label, api_only=()
) -> set[str]:
    """Check every action in `runs` ({action: service call}) on `obj` with `assert_agree` (its
    service, its button on the page at `page_url`, its entry in the API's representation at
    `api_url`) and return the ones allowed. The actions in `api_only` have no button on the
    page; an action whose run is None has nothing to run on in this state and is skipped."""
    page_client, api_client = clients
    html = page_client.get(page_url).content.decode()
    payload = api_client.get(api_url).json()
    allowed = set()
    for action, run in runs.items():
        if run is None:
            continue
        accepted = assert_agree(
            obj=obj,
            action=action,
            run=run,
            page_html=None if action in api_only else html,
            api_payload=payload,
            label=label,
        )
        if accepted:
            allowed.add(action)
    return allowed
