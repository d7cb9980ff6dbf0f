"""One sign-in limit for every door: the clerk sign-in page, the admin's and the API's token
endpoint.

After LOGIN_FAILURE_LIMIT failed attempts for one username from one address within
LOGIN_FAILURE_WINDOW, that pair is refused (429 with Retry-After) until the oldest of those
failures leaves the window, right password or not; after LOGIN_FAILURE_LIMIT_PER_USERNAME failures
for the username from any addresses, the username is, so an attacker rotating addresses is bounded
too. A wrong second-factor code is a failure like a wrong password.

The failures are rows in the database (`SignInFailure`), the only count. The cache (Redis when
CACHE_URL is set) only remembers a lockout found there, so a locked pair is refused without a query;
a cache miss, a Redis outage or a Redis restart falls back to counting the rows.

The hook every door shares is Django's `authenticate()`: `SignInLimitBackend` (the model backend,
the only one in AUTHENTICATION_BACKENDS) refuses a locked-out username before the password is
checked,
and the `user_login_failed` signal records the failure. The doors only turn a refusal into their
429 answer (`lockout_of(request)`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

LOCKOUT_ATTRIBUTE = "sign_in_lockout"


def client_address(request) -> str:
    """The client's address: the connection's, or behind NUM_PROXIES reverse proxies the one the
    outermost proxy saw (the entry it appended to X-Forwarded-For). Never an entry the client
    wrote itself, or counting by address could be dodged with a new value every attempt."""
    if request is None:
        return ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(settings.NUM_PROXIES, len(addresses))][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def username_digest(username: str) -> str:
    # Keyed, so the table does not hold guessable hashes of what was typed (sometimes a password).
    normalized = (username or "").strip().lower()
    return salted_hmac("sign-in-failure", normalized, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Lockout:
    retry_after: int  # whole seconds until the next attempt is taken

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        return _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {
            "minutes": minutes
        }


def _cache_keys(digest: str, address: str) -> tuple[str, str]:
    pair = salted_hmac("sign-in-lockout", f"{address}|{digest}", algorithm="sha256").hexdigest()
    return f"sign-in-lock:pair:{pair}", f"sign-in-lock:user:{digest}"


def _unlocks_at(failures, limit: int):
    """When the limit-th newest failure leaves the window, or None when fewer than limit count."""
    if limit <= 0:
        return None
    newest = failures.order_by("-occurred_at").values_list("occurred_at", flat=True)
    found = list(newest[limit - 1 : limit])
    return found[0] + settings.LOGIN_FAILURE_WINDOW if found else None


def lockout(request, username: str) -> Lockout | None:
    """The lockout on this username (at this request's address), or None when it may try."""
    from .models import SignInFailure

    digest, address = username_digest(username), client_address(request)
    keys = _cache_keys(digest, address)
    now = time.time()
    cached = [until for until in cache.get_many(keys).values() if until and until > now]
    if cached:
        return Lockout(retry_after=math.ceil(max(cached) - now))

    recent = SignInFailure.objects.filter(
        username_digest=digest, occurred_at__gt=timezone.now() - settings.LOGIN_FAILURE_WINDOW
    )
    locks = {
        keys[0]: _unlocks_at(recent.filter(address=address), settings.LOGIN_FAILURE_LIMIT),
        keys[1]: _unlocks_at(recent, settings.LOGIN_FAILURE_LIMIT_PER_USERNAME),
    }
    locks = {key: until.timestamp() for key, until in locks.items() if until is not None}
    if not locks:
        return None
    for key, until in locks.items():
        cache.set(key, until, timeout=max(1, math.ceil(until - now)))
    return Lockout(retry_after=max(1, math.ceil(max(locks.values()) - now)))


def record_failure(request, username: str) -> None:
    from .models import SignInFailure

    SignInFailure.objects.create(
        username_digest=username_digest(username),
        address=client_address(request),
        occurred_at=timezone.now(),
    )


def clear_failures(request, username: str) -> None:
    """A complete sign-in (password, and the code where one is required) starts the pair's count
    again; the failures from other addresses still count toward the username's limit."""
    from .models import SignInFailure

    digest, address = username_digest(username), client_address(request)
    SignInFailure.objects.filter(username_digest=digest, address=address).delete()
    cache.delete(_cache_keys(digest, address)[0])


def purge_failures() -> int:
    """Forget failures that no longer count (periodic)."""
    from .models import SignInFailure

    cutoff = timezone.now() - max(settings.LOGIN_FAILURE_WINDOW, timedelta(minutes=1))
    deleted, _by_model = SignInFailure.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted


def lockout_of(request) -> Lockout | None:
    """The lockout `SignInLimitBackend` refused this request's sign-in with, if it did."""
    return getattr(request, LOCKOUT_ATTRIBUTE, None)


def refuse(response, locked: Lockout):
    response.status_code = 429
    response["Retry-After"] = str(locked.retry_after)
    return response


class SignInLimitBackend(ModelBackend):
    """Django's model backend that first refuses a locked-out username, before the password is
    looked at. PermissionDenied makes `authenticate()` stop there and answer None."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None:
            locked = lockout(request, username)
            if locked is not None:
                if request is not None:
                    setattr(request, LOCKOUT_ATTRIBUTE, locked)
                raise PermissionDenied(locked.message)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        """The user's own and their groups' permissions in one query (Django's backend reads
        them in two), cached on the user for the request as Django caches them."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                user_model = type(user_obj)
                own = user_model.user_permissions.through.objects.filter(user_id=user_obj.pk)
                groups = user_model.groups.through.objects.filter(user_id=user_obj.pk)
                of_groups = Group.permissions.through.objects.filter(
                    group_id__in=groups.values("group_id")
                )
                permissions = permissions.filter(
                    Q(pk__in=own.values("permission_id"))
                    | Q(pk__in=of_groups.values("permission_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                )
            }
        return user_obj._perm_cache


@receiver(user_login_failed, dispatch_uid="salesmkt-sign-in-failure")
def count_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if username is None or lockout_of(request) is not None:
        return  # refused before the password was looked at: not an attempt
    record_failure(request, username)


@receiver(user_logged_in, dispatch_uid="salesmkt-sign-in-success")
def forget_failures_on_sign_in(sender, request, user, **kwargs):
    from .otp import must_use_second_factor

    # With a second factor still to come, the count goes on until the code is right.
    if request is not None and not must_use_second_factor(user):
        clear_failures(request, user.get_username())


class SignInLimitFormMixin:
    """An authentication form that shows the lockout instead of "wrong password"."""

    def get_invalid_login_error(self):
        locked = lockout_of(self.request)
        if locked is not None:
            return ValidationError(locked.message, code="too_many_attempts")
        return super().get_invalid_login_error()


class SignInForm(SignInLimitFormMixin, AuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """The clerk sign-in page. A user who must use a second factor is taken on to the code page
    (or to enrol an authenticator app) before anything else opens."""

    redirect_authenticated_user = True
    authentication_form = SignInForm

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        locked = lockout_of(request)
        if locked is not None:
            return refuse(response, locked)
        return response

    def form_valid(self, form):
        from .otp import must_use_second_factor, second_factor_url

        response = super().form_valid(form)
        if must_use_second_factor(form.get_user()):
            return HttpResponseRedirect(second_factor_url(self.request, self.get_success_url()))
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        locked = lockout_of(self.request)
        if locked is not None:
            context["locked_out"] = locked.message
        return context
