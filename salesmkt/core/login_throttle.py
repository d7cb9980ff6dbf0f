"""Sign-in attempts are limited: after LOGIN_FAILURE_LIMIT failed attempts for one username from
one address within LOGIN_FAILURE_WINDOW, that pair is refused with 429 until the window ends,
right password or not. The same counters guard the sign-in page and the API's token endpoint.
They live in the cache, shared by all web processes when CACHE_URL points at Redis.
"""

import hashlib
import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.utils.translation import gettext as _


def client_address(request) -> str:
    """The client's address: the connection's, or behind NUM_PROXIES reverse proxies the one the
    outermost proxy saw (the entry it appended to X-Forwarded-For). Never an entry the client
    wrote itself, or counting by address could be dodged with a new value every attempt."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(settings.NUM_PROXIES, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


def failure_key(request, username: str) -> str:
    username = username.strip().lower()
    digest = hashlib.sha256(f"{client_address(request)}|{username}".encode()).hexdigest()
    return f"login-failures:{digest}"


def locked_out(key: str) -> bool:
    return cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(key: str) -> None:
    window = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)


def retry_after() -> str:
    return str(int(settings.LOGIN_FAILURE_WINDOW.total_seconds()))


def lockout_message() -> str:
    minutes = math.ceil(settings.LOGIN_FAILURE_WINDOW.total_seconds() / 60)
    return _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        key = failure_key(request, request.POST.get("username", ""))
        if locked_out(key):
            return self._locked_out()
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back with errors: a failed attempt
            record_failure(key)
        else:
            cache.delete(key)
        return response

    def _locked_out(self):
        context = self.get_context_data(
            form=self.get_form_class()(self.request), locked_out=lockout_message()
        )
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = retry_after()
        return response
