"""The database went away mid-request (restart, failover, a dropped connection): a 503 with
`Retry-After`, never a 500 and never a half-written document.

Nothing half-written survives because every service writes inside `transaction.atomic()`: when
the connection dies the server aborts the open transaction, and Django's atomic block, unable to
roll back on the dead connection, closes it, so the next query opens a fresh one.
`ATOMIC_REQUESTS` is not used, so no request-wide transaction is left open either.

The middleware answers for the views: the clerk's pages get a page of their own that touches no
database (it does not extend base.html, whose menu and messages read the user, the session and
the permissions), htmx requests a short fragment, and under /api/ the API's JSON error shape (the
API's exception handler answers the same for errors raised inside a DRF view; this catches what
escapes it, such as storing an Idempotency-Key's answer).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views import defaults

log = logging.getLogger(__name__)

# OperationalError: the server closed the connection or cannot be reached; InterfaceError: the
# driver's connection was already closed ("connection already closed").
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5

API_CODE = "service_unavailable"
API_DETAIL = "The database is unavailable right now; nothing was saved. Retry later."


def close_dead_connections() -> None:
    """Close connections the error left unusable (outside any atomic block), so that what still
    runs in this request (the session, a later request on this thread) connects afresh instead
    of failing on the dead one. Django does the same when the request finishes."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        if not connection.is_usable():
            connection.close()


class DatabaseOutageMiddleware:
    """A database error raised by a view answers 503 with `Retry-After`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        return outage_response(request, exception)


def outage_response(request, exception) -> HttpResponse:
    """The 503 for a request that lost the database, in the shape its caller reads."""
    log.warning(
        "Database unavailable during %s %s; answered 503",
        request.method,
        request.path,
        exc_info=exception,
    )
    close_dead_connections()
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": API_CODE, "detail": API_DETAIL}, status=503)
    elif request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            format_html(
                '<div class="alert alert-warning" role="alert">{}</div>',
                gettext(
                    "The database is unavailable right now; nothing was saved. "
                    "Please try again in a moment."
                ),
            ),
            status=503,
        )
    else:
        # No request and so no context processors: the page must not query the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_error(exception) -> BaseException | None:
    """The database error that caused `exception` (itself, or one it was raised from)."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, DATABASE_ERRORS):
            return exception
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return None


def bad_request(request, exception):
    """handler400: the session middleware turns a database that failed while saving the session
    (after the view returned) into "session interrupted", a 400; it is an outage, so a 503."""
    cause = _database_error(exception)
    if cause is not None:
        return outage_response(request, cause)
    return defaults.bad_request(request, exception)


def server_error(request):
    """handler500: a database error that escaped the views and the middleware's handling is a
    503 too; anything else is the 500 page, or the API's JSON shape under /api/."""
    cause = _database_error(sys.exc_info()[1])
    if cause is not None:
        return outage_response(request, cause)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "detail": "Server error."}, status=500)
    return defaults.server_error(request)
