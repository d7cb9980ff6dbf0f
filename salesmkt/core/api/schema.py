"""OpenAPI: every operation declares its error responses and the Idempotency-Key header."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; `non_field_errors` for the record as a whole.",
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
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
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

        add("401", ErrorSerializer, "Not authenticated.")
        add("403", ErrorSerializer, "Authenticated, but not allowed.")
        if self.method in ("POST", "PUT", "PATCH") or self._has_filter_params():
            add("400", ValidationErrorSerializer, "Invalid input; `errors` names the fields.")
        if "{" in self.path:
            add("404", ErrorSerializer, "Not found.")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            add("409", ErrorSerializer, "The record's current state does not allow this.")
        if self.method == "POST":
            add("422", ErrorSerializer, "Idempotency-Key reused with a different body.")
        add("429", ErrorSerializer, "Too many requests; retry after `Retry-After` seconds.")
        return responses

    def _has_filter_params(self) -> bool:
        return self.method == "GET" and self._is_list_view()
