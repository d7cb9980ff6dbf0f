"""One exception handler: every API error has a stable `code` and a `detail`.

Every 400 adds `errors` (field -> messages, `non_field_errors` for the request as a whole, such as
a body that is not JSON); 409 is a transition or state conflict; 503 with `Retry-After` is a
database that is not answering (the service's transaction was rolled back: nothing was saved).
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from ..database_outage import (
    API_CODE,
    API_DETAIL,
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    close_dead_connections,
)
from ..errors import DomainError

log = logging.getLogger(__name__)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = 409
    default_code = "idempotency_key_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than the server accepts."


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_code = API_CODE
    default_detail = API_DETAIL


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {key: value for key, value in detail.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: detail if isinstance(detail, list) else [detail]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = exc.as_dict()
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            body.setdefault("errors", _field_errors([str(exc.message)]))
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # a broken multipart body, too many fields
        exc = exceptions.ParseError(str(exc) or None)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DATABASE_ERRORS):
        request = context.get("request")
        log.warning(
            "Database unavailable during %s %s; answered 503",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        close_dead_connections()
        exc = ServiceUnavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": "Invalid input.",
            "errors": _field_errors(exc.detail),
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "detail": str(exc.detail)
            if not isinstance(exc.detail, (list, dict))
            else exc.default_detail,
        }
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            response.data["errors"] = _field_errors([response.data["detail"]])
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def not_found(request, exception=None):
    """Django's 404 for a URL no route matches (`/api/v1/invoices/x.y/post/`): in the API's JSON
    shape under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
