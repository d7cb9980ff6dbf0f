from decimal import Decimal

from django import forms, template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def bs(bound_field):
    """Render a form field's widget with Bootstrap's class for its kind."""
    widget = bound_field.field.widget
    if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def cell(value):
    """Display a value in a table or detail list: booleans as icons, decimals localised."""
    if value is True:
        return format_html('<i class="bi bi-check-lg text-success" title="{}"></i>', _("Yes"))
    if value is False:
        return format_html('<i class="bi bi-dash text-muted" title="{}"></i>', _("No"))
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if value is None:
        return ""
    return value


@register.simple_tag
def column_value(column, obj):
    return cell(column.value(obj))


@register.filter
def event_summary(data) -> str:
    """An audit event's parameters in one line: `field: old → new; reason: …`."""
    parts = []
    for key, value in (data or {}).items():
        if key == "at":
            continue
        if isinstance(value, dict) and {"old", "new"} <= set(value):
            parts.append(
                f"{key}: {value['old'] if value['old'] not in (None, '') else '–'} → {value['new'] if value['new'] not in (None, '') else '–'}"
            )
        elif value not in (None, "", [], {}):
            parts.append(f"{key}: {value}")
    return "; ".join(parts)
