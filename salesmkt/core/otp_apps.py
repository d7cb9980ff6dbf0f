from django.contrib.admin.apps import AdminConfig


class SignInAdminConfig(AdminConfig):
    """django.contrib.admin, with `admin.site` an instance of `otp_admin.SignInAdminSite`."""

    default_site = "salesmkt.core.otp_admin.SignInAdminSite"
