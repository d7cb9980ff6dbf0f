"""Every error under /api/ answers the API's JSON shape with a `code`, whoever raised it.

DRF's exception handler shapes what a view raises; this covers what happens outside it: a URL
no route matches (`/api/v1/parties/abc/contacts/`, Django's 404 page, the technical one with
DEBUG), a body too big or a broken multipart read before the view (Django's 400 page), a CSRF
refusal (its 403 page), an unhandled exception (the 500 page). Each request gets an id
(`request.id`, the `X-Request-ID` header) that the 500 body names and the log records, so a
caller's report finds its traceback. Pages outside /api/ keep their HTML.
"""

from __future__ import annotations

import logging
import sys
import uuid

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse

from . import database_outage

log = logging.getLogger(__name__)

HEADER = "X-Request-ID"

CODES = {
    400: ("bad_request", "Bad request."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "Could not satisfy the request Accept header."),
    413: ("request_too_large", "The request body is larger than the server accepts."),
    415: ("unsupported_media_type", "Unsupported media type in request."),
    429: ("throttled", "Request was throttled."),
    500: ("server_error", "Server error."),
    503: (database_outage.API_CODE, database_outage.API_DETAIL),
}


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def request_id(request) -> str:
    if not getattr(request, "id", None):
        request.id = uuid.uuid4().hex
    return request.id


def api_error(request, status: int, code: str | None = None, detail: str | None = None):
    default_code, default_detail = CODES.get(status, ("error", "Error."))
    body = {"code": code or default_code, "detail": detail or default_detail}
    if status == 400:
        body["errors"] = {"non_field_errors": [body["detail"]]}
    if status >= 500:
        body["request_id"] = request_id(request)
    return JsonResponse(body, status=status)


def _is_json(response) -> bool:
    # A DRF response (`data`) is shaped by the API's exception handler already, whatever it
    # is rendered as (the browsable API renders it as a page).
    return hasattr(response, "data") or response.get("Content-Type", "").startswith(
        "application/json"
    )


class ApiErrorMiddleware:
    """Gives each request its id and turns an error page under /api/ into the JSON shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id(request)
        response = self.get_response(request)
        if is_api(request) and response.status_code >= 400 and not _is_json(response):
            status = response.status_code
            retry_after = response.get("Retry-After")
            response = api_error(request, status)
            if retry_after:
                response["Retry-After"] = retry_after
        response[HEADER] = request.id
        return response

    def process_exception(self, request, exception):
        """A body too big or a broken body read by a view outside DRF's handling."""
        if not is_api(request) or not isinstance(exception, SuspiciousOperation):
            return None
        return suspicious_response(request, exception)


def suspicious_response(request, exception):
    if isinstance(exception, RequestDataTooBig):
        return api_error(request, 413)
    return api_error(request, 400, detail=str(exception) or None)


def bad_request(request, exception):
    """handler400: the API's JSON under /api/ (413 for a body too big), else as before."""
    if is_api(request) and database_outage._database_error(exception) is None:
        return suspicious_response(request, exception)
    return database_outage.bad_request(request, exception)


def server_error(request):
    """handler500: under /api/ the JSON shape with the request's id, which the log names."""
    exception = sys.exc_info()[1]
    if is_api(request) and database_outage._database_error(exception) is None:
        identifier = request_id(request)
        log.error(
            "Unhandled error during %s %s (request id %s)",
            request.method,
            request.path,
            identifier,
            exc_info=exception is not None,
        )
        return api_error(request, 500)
    return database_outage.server_error(request)
