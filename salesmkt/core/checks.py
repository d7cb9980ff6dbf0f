"""System checks that stop the app from running in production with what is only fit for
development. They are errors, not warnings: `manage.py check`, `runserver` and `migrate` refuse to
go on, and `wsgi.py` runs the secret key check so gunicorn does not start either."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

# Keys that were ever written in this repository: anyone can read them.
KNOWN_KEYS = {
    "django-insecure-development-only-key-set-SECRET_KEY-in-production",
    "change-me-in-production-please-0123456789abcdefghijklmnop",
}
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
HINT = (
    "Set the SECRET_KEY environment variable to a long random value, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
)


def secret_key_errors() -> list[Error]:
    if settings.DEBUG:
        return []
    key = getattr(settings, "SECRET_KEY", "") or ""
    if not key:
        problem = "SECRET_KEY is not set"
    elif key in KNOWN_KEYS or key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        problem = "SECRET_KEY is the development key from the repository (SECRET_KEY is not set)"
    elif key.startswith("django-insecure-"):
        problem = "SECRET_KEY is a development key (it starts with 'django-insecure-')"
    elif len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        problem = (
            f"SECRET_KEY is too weak: it needs at least {MIN_LENGTH} characters and "
            f"{MIN_UNIQUE_CHARACTERS} different ones"
        )
    else:
        return []
    return [Error(f"{problem}, and DEBUG is off.", hint=HINT, id="core.E001")]


@register(Tags.security)
def check_secret_key(app_configs, **kwargs):
    return secret_key_errors()


@register(Tags.security)
def check_second_factor_setting(app_configs, **kwargs):
    from .otp import REQUIRED_FOR_CHOICES

    if settings.OTP_REQUIRED_FOR in REQUIRED_FOR_CHOICES:
        return []
    return [
        Error(
            f"OTP_REQUIRED_FOR is {settings.OTP_REQUIRED_FOR!r}.",
            hint=f"Use one of {', '.join(REQUIRED_FOR_CHOICES)}.",
            id="core.E002",
        )
    ]


def refuse_development_secret_key() -> None:
    """For servers that run no system checks (gunicorn): stop at start-up."""
    errors = secret_key_errors()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
