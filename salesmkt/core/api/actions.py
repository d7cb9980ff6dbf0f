"""`allowed_actions` on a document's API representation: what may happen next, from the same
declaration the services and pages use (`salesmkt.core.actions`)."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from ..actions import REGISTRY


def _schema(model: type[models.Model]) -> dict:
    declared = REGISTRY[model]
    return {
        "type": "array",
        "readOnly": True,
        "description": (
            "What may happen next to the document: every action, each with the code and reason "
            "of its refusal when it is not allowed now (`transition_not_allowed` when the "
            "status rules it out, `permission_denied` when the caller may not run it). An "
            "action without `refusal` is allowed."
        ),
        "items": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"type": "string", "enum": list(declared.actions)},
                "refusal": {"type": "string", "enum": declared.codes()},
                "detail": {"type": "string", "description": "The refusal, for a person."},
            },
        },
    }


class AllowedActionsField(serializers.Field):
    """Read-only: `[{"action": "confirm"}, {"action": "cancel", "refusal": "...", "detail":
    "..."}]` for the request's user."""

    def __init__(self, model: type[models.Model], **kwargs) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)
        self.model = model

    @property
    def _spectacular_annotation(self) -> dict:
        """drf-spectacular reads the field's schema from here."""
        return {"field": _schema(self.model)}

    def to_representation(self, value):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return REGISTRY[type(value)].allowed(value, user=user)
