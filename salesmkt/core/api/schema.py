"""OpenAPI: every operation declares its error responses and the Idempotency-Key header."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import is_serializer
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from ..actions import actions_of


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation.")


@extend_schema_field(
    {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            {"type": "object", "additionalProperties": True},
        ]
    }
)
class FieldErrorsField(serializers.JSONField):
    """A field's messages, or for a nested record or list of lines, the same shape nested."""


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=FieldErrorsField(),
        help_text=(
            "Messages per field; `non_field_errors` for the record as a whole. A nested record "
            "or list of lines has its own `errors` shape under its field name."
        ),
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description=(
        "Makes a POST safe to retry: a retry with the same key and body returns the first "
        "response without doing the work twice (kept 24 hours per user). The same key with "
        "another body answers 422; a retry while the first is running answers 409."
    ),
)


class AutoSchema(openapi.AutoSchema):
    def _refusal_codes(self) -> list[str]:
        """The refusal codes of the document action this operation runs, when its model
        declares its actions (`salesmkt.core.actions`): the same codes `allowed_actions`
        gives, and the ones the view names in `refusal_codes` {view action: codes}."""
        queryset = getattr(self.view, "queryset", None)
        declared = actions_of(queryset.model) if queryset is not None else None
        view_action = getattr(self.view, "action", None)
        name = {"destroy": "delete", "update": "update", "partial_update": "update"}.get(
            view_action, view_action
        )
        codes = set(getattr(self.view, "refusal_codes", {}).get(view_action, ()))
        if declared is not None and name in declared:
            action = declared.actions[name]
            codes.update(action.codes)
            if action.transition:
                codes.add(action.status_code)
        return sorted(codes)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and not self._public():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses

        def add(code: str, serializer, description: str) -> None:
            if code not in responses:
                response = self._get_response_for_code(serializer, code)
                response["description"] = description
                responses[code] = response

        if not self._public():
            add("401", ErrorSerializer, "Not authenticated.")
            add("403", ErrorSerializer, "Authenticated, but not allowed.")
        if self.method in ("POST", "PUT", "PATCH") or self._has_query_params():
            add("400", ValidationErrorSerializer, "Invalid input; `errors` names the fields.")
        if "{" in self.path:
            add("404", ErrorSerializer, "Not found.")
        elif self._has_filter_params():
            add("404", ErrorSerializer, "No such page.")
        if self.method in ("POST", "PUT", "PATCH", "DELETE") and not self._public():
            codes = self._refusal_codes()
            add(
                "409",
                ErrorSerializer,
                "The record's current state does not allow this."
                + (
                    " `code` is one of: " + ", ".join(f"`{code}`" for code in codes) + "."
                    if codes
                    else ""
                ),
            )
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            add("415", ErrorSerializer, "The body's Content-Type is not one the operation reads.")
        if self.method == "POST" and not self._public():
            add("422", ErrorSerializer, "Idempotency-Key reused with a different body.")
        add("429", ErrorSerializer, "Too many requests; retry after `Retry-After` seconds.")
        add(
            "503",
            ErrorSerializer,
            "The database is unavailable; nothing was saved. Retry after `Retry-After` seconds.",
        )
        return responses

    def _public(self) -> bool:
        """An operation open to anonymous callers (the token endpoint): no sign-in, no
        Idempotency-Key, no record state."""
        return not getattr(self.view, "authentication_classes", True)

    def _has_filter_params(self) -> bool:
        return self.method == "GET" and self._is_list_view()

    def _has_query_params(self) -> bool:
        """A list's filters and paging, or a GET that declares query parameters of its own."""
        if self._has_filter_params():
            return True
        return self.method == "GET" and any(
            is_serializer(parameter)
            or (isinstance(parameter, OpenApiParameter) and parameter.location == "query")
            for parameter in self.get_override_parameters()
        )
