"""The admin site behind the same sign-in limit and second factor as the clerk UI.

`otp_apps.SignInAdminConfig` makes this the class of `django.contrib.admin.site`, so every app
keeps registering on `admin.site`.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from .login_throttle import SignInLimitFormMixin, lockout_of, refuse
from .otp import second_factor_satisfied


class SignInAdminForm(SignInLimitFormMixin, AdminAuthenticationForm):
    pass


class SignInAdminSite(admin.AdminSite):
    login_form = SignInAdminForm

    def has_permission(self, request):
        # A user who must use a second factor is no admin until the session is verified (the
        # second-factor middleware sends such a session to the code page first).
        return super().has_permission(request) and second_factor_satisfied(request)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        locked = lockout_of(request)
        if locked is not None:
            return refuse(response, locked)
        return response
