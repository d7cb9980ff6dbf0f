"""The Content-Security-Policy header.

Django 5.2 sets HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy (SecurityMiddleware)
and X-Frame-Options (XFrameOptionsMiddleware), but has no CSP before Django 6.0. The policy is
one string in settings; the UI keeps to it by having no inline script or event handler
attributes (static/js/ui.js reads data attributes instead), so no nonce is needed.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        # A view that needs another policy sets the header itself; it is kept.
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response
