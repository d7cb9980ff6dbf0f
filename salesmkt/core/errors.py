"""Domain errors: what a service raises when a rule refuses a change.

Every error carries a stable machine-readable `code`; the API maps them to HTTP statuses in
`salesmkt.core.api.exceptions`, the UI shows their message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the change. Nothing was written."""

    status_code = 400
    default_code = "invalid"
    default_message = _("The request breaks a business rule.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.field = field
        self.params = params or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "detail": str(self.message)}
        if self.field:
            body["errors"] = {self.field: [str(self.message)]}
        if self.params:
            body["params"] = self.params
        return body


class ConflictError(DomainError):
    """The record's current state does not allow the change (HTTP 409)."""

    status_code = 409
    default_code = "conflict"
    default_message = _("The record's current state does not allow this change.")


class TransitionNotAllowed(ConflictError):
    default_code = "transition_not_allowed"
    default_message = _("This action is not allowed in the document's current status.")


class RecordInUse(ConflictError):
    default_code = "in_use"
    default_message = _("The record is referenced by other records and cannot be deleted.")
