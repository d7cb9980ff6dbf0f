"""Small helpers around settings used by several areas."""

from django.conf import settings


def site_url(path: str = "") -> str:
    """Absolute URL of `path` on the site (for links in emails and documents)."""
    return f"{settings.SITE_URL}{path}"
