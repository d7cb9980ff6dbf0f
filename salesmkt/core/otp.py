"""The second factor: a time-based code (TOTP, django-otp) from an authenticator app.

OTP_REQUIRED_FOR names who must use one: "none", "superusers" or "staff" (staff members and
superusers). Such a user signs in with the password, then the code (`otp_views`); until the
session is verified by a code, `SecondFactorMiddleware` opens nothing but the code page (or the
enrolment page for a user without an authenticator yet), the admin refuses the session
(`otp_admin`), and the API's token endpoint wants the code in `otp_token`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device

REQUIRED_FOR_CHOICES = ("none", "superusers", "staff")
CODE = "second_factor_required"


def must_use_second_factor(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    required_for = settings.OTP_REQUIRED_FOR
    if required_for == "superusers":
        return user.is_superuser
    if required_for == "staff":
        return user.is_staff or user.is_superuser
    return False


def second_factor_satisfied(request) -> bool:
    """Whether this session may go on: no code needed, or verified with one."""
    user = request.user
    if not must_use_second_factor(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_factor_url(request, next_url: str = "") -> str:
    """The page the user goes on to: the code page, or enrolment when there is no device yet."""
    name = "sign-in-code" if user_has_device(request.user) else "sign-in-enrol"
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return reverse(name) + query


def verify_code(user, code: str):
    """The user's confirmed device that accepts the code, or None. Each device counts its own
    failures too (django-otp's throttling) on top of the sign-in limit."""
    code = (code or "").strip()
    if not code.isdigit():
        return None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(code):
                return device
    return None


class SecondFactorMiddleware:
    """An authenticated session of a user who must use a second factor opens nothing else until
    the code is given: pages redirect to the code (or enrolment) page, the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not second_factor_satisfied(request) and not self._open(request.path_info):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": CODE,
                        "detail": _("Sign in with your authentication code first."),
                    },
                    status=403,
                )
            return HttpResponseRedirect(second_factor_url(request, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        """Paths a half-signed-in session may reach: signing in and out, the second step, the
        language switch, static files and the health check."""
        names = ("login", "logout", "sign-in-code", "sign-in-enrol", "set_language", "health")
        static_prefix = "/" + settings.STATIC_URL.lstrip("/")
        return path in {reverse(name) for name in names} or path.startswith(static_prefix)
