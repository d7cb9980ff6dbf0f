"""`{% load next_steps %}`: what happens next to a document, for the user who reads its page.

The next steps are the document's declared actions (`salesmkt.core.actions`) that its status
and conditions allow now. The ones this user may take show first among the page's buttons; the
ones only others may take read "Waiting for an accountant to “Invoice”", naming the groups whose
permissions allow them (`salesmkt.core.roles`).
"""

from __future__ import annotations

from django import template
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesmkt.core.actions import actions_of
from salesmkt.core.roles import ROLE_GROUPS, permission_codes

register = template.Library()

# Editing a document while it is open, and the optional detours, are no steps of its flow.
NOT_STEPS = {"update", "delete", "edit_lines", "change_type", "pro_forma", "return"}
# The groups a clerk can ask (the integrator is a machine).
WHO = {
    "sales clerk": gettext_lazy("a sales clerk"),
    "sales manager": gettext_lazy("a sales manager"),
    "marketing": gettext_lazy("someone in marketing"),
    "accountant": gettext_lazy("an accountant"),
}


def groups_allowed(permission: str) -> list[str]:
    """The groups (of `WHO`) whose permissions include `permission` ("app_label.codename")."""
    app_label, codename = permission.split(".", 1)
    return [
        group
        for group in ROLE_GROUPS
        if group in WHO and (app_label, codename) in permission_codes(group)
    ]


def waiting_for(obj, user) -> list[dict]:
    """The steps `obj` may take now that `user` may not, each with who may."""
    declared = actions_of(obj)
    if declared is None or user.is_superuser:
        return []
    waiting = []
    for name, action in declared.actions.items():
        if name in NOT_STEPS:
            continue
        permission = declared.permission(name)
        if user.has_perm(permission) or declared.refusal(obj, name) is not None:
            continue
        groups = groups_allowed(permission)
        if not groups:
            continue
        who = get_text_list([str(WHO[group]) for group in groups], _("or"))
        waiting.append(
            {
                "action": name,
                "groups": groups,
                "text": _("Waiting for %(who)s to “%(action)s”")
                % {"who": who, "action": action.label},
            }
        )
    return waiting


@register.simple_tag(takes_context=True)
def next_steps_waiting(context, obj):
    request = context.get("request")
    if request is None or not hasattr(request, "user"):
        return []
    return waiting_for(obj, request.user)


@register.filter
def allowed_first(actions):
    """The page's action buttons with the ones this user may take now first."""
    return sorted(actions or [], key=lambda item: item.get("refusal") is not None)


@register.filter
def ready_actions(actions):
    """The page's actions this user may take now (their buttons are enabled)."""
    return [
        item
        for item in actions or []
        if item.get("refusal") is None and item["action"].name.replace("-", "_") not in NOT_STEPS
    ]
