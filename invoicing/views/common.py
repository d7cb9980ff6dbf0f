"""What the invoicing pages share: a service's refusal or a form's errors shown as messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def error_text(exc) -> str:
    """The message of a domain error or of a validation error (all its messages)."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.message)


def form_error_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
