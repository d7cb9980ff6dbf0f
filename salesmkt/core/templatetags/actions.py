"""`{% load actions %}`: a hand-written button asks the same declaration as the services
(`salesmkt.core.actions`): `{% with refused=obj|refusal:"invoice" %}`."""

from django import template

from salesmkt.core.actions import actions_of

register = template.Library()


@register.filter
def refusal(obj, action: str):
    """The refusal of `action` on `obj` now (with `.code`, `.message`, `.status`), or None when
    it is allowed."""
    declared = actions_of(obj)
    if declared is None or action not in declared:
        return None
    return declared.refusal(obj, action)
