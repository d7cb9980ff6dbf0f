"""The second step of signing in: the code from the authenticator app, and enrolling one.

Both pages are for a session signed in with the password that still needs its code. A wrong code
counts as a failed sign-in toward the same limit as a wrong password; once the limit is reached
the session is signed out and the page answers 429.
"""

from __future__ import annotations

import base64
import io

import django_otp
from django import forms
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from .login_throttle import clear_failures, lockout, record_failure, refuse
from .otp import must_use_second_factor, second_factor_satisfied, verify_code


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Authentication code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the 6-digit code from your app.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "form-control",
            }
        ),
    )


@method_decorator([never_cache, csrf_protect], name="dispatch")
class SecondStepView(View):
    template_name = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if second_factor_satisfied(request):
            return HttpResponseRedirect(self.next_url())
        return super().dispatch(request, *args, **kwargs)

    def next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return candidate
        return reverse("dashboard")

    def _query(self) -> str:
        return f"?{self.request.META['QUERY_STRING']}" if self.request.META["QUERY_STRING"] else ""

    def render_page(self, form, status=200, **context):
        context = {
            "form": form,
            "next": self.next_url(),
            "signing_in_as": self.request.user.get_username(),
            # base.html shows the menu to a signed-in user; this session may not use it yet.
            "user": AnonymousUser(),
            **context,
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request, *args, **kwargs):
        username = request.user.get_username()
        locked = lockout(request, username)
        if locked is not None:
            logout(request)
            return refuse(self.render_page(CodeForm(), locked_out=locked.message), locked)
        form = CodeForm(request.POST)
        if not form.is_valid():
            return self.render_page(form)
        device = self.verify(form.cleaned_data["code"])
        if device is None:
            record_failure(request, username)
            form.add_error("code", _("That code is not right. Enter the code your app shows now."))
            return self.render_page(form)
        django_otp.login(request, device)
        clear_failures(request, username)
        return HttpResponseRedirect(self.next_url())

    def verify(self, code: str):
        """The device `code` is right for, or None. Each step defines it: the sign-in step asks
        the enrolled device, the enrolment step the device being set up."""
        raise NotImplementedError(f"{type(self).__name__} defines which device verifies the code")


class SignInCodeView(SecondStepView):
    """Asks for the code of an enrolled authenticator app."""

    template_name = "registration/second_factor.html"

    def dispatch(self, request, *args, **kwargs):
        if must_use_second_factor(request.user) and not user_has_device(request.user):
            return HttpResponseRedirect(reverse("sign-in-enrol") + self._query())
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_page(CodeForm())

    def verify(self, code: str):
        return verify_code(self.request.user, code)


class EnrolView(SecondStepView):
    """Sets up an authenticator app: shows the secret (as a QR code and as text) and takes the
    first code to confirm it. Only for a user with no confirmed device: one who has one must give
    its code, or a stolen password would be enough to add the thief's app."""

    template_name = "registration/enrol_second_factor.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and user_has_device(request.user):
            return HttpResponseRedirect(reverse("sign-in-code") + self._query())
        return super().dispatch(request, *args, **kwargs)

    def device(self) -> TOTPDevice:
        device = (
            TOTPDevice.objects.filter(user=self.request.user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            device = TOTPDevice.objects.create(
                user=self.request.user, name=_("Authenticator app"), confirmed=False
            )
        return device

    def render_page(self, form, status=200, **context):
        if self.request.user.is_authenticated:
            device = self.device()
            image = io.BytesIO()
            write_qrcode_image(device.config_url, image)
            context["qr_code"] = "data:image/svg+xml;base64," + base64.b64encode(
                image.getvalue()
            ).decode("ascii")
            context["secret"] = base64.b32encode(device.bin_key).decode("ascii")
        return super().render_page(form, status, **context)

    def get(self, request, *args, **kwargs):
        return self.render_page(CodeForm())

    def verify(self, code: str):
        device = self.device()
        if not device.verify_token(code):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=self.request.user, confirmed=False).delete()
        return device
