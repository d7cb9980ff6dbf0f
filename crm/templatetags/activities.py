"""`{% activity_panel record %}`: the notes and activities panel of a record's page."""

from django import template

register = template.Library()


@register.inclusion_tag("crm/_activity_panel.html", takes_context=True)
def activity_panel(context, record):
    from ..views.activities import panel_context

    request = context["request"]
    if record is None or not request.user.has_perm("crm.view_activity"):
        return {"hidden": True}
    return {**panel_context(request, record), "csrf_token": context.get("csrf_token")}
