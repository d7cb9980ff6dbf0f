"""Deployment security: the security headers every response carries, a Content-Security-Policy
without inline script, and CSRF protection on every form of the clerk UI."""

import os
import subprocess
import sys
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from orders.models import PackingSlip, SalesOrder
from salesmkt.core.navigation import MENU
from tests import factories as f


class Forms(HTMLParser):
    """The POST forms of a page (with whether each carries the CSRF token), its links and its
    inline scripts and event handler attributes."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.inline: list[str] = []
        self._form = None
        self._script_src: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.inline += [f"{tag} {name}" for name in attrs if name.startswith("on")]
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action"), "id": attrs.get("id"), "csrf": False}
            self.forms.append(self._form)
        elif tag == "input" and self._form and attrs.get("name") == "csrfmiddlewaretoken":
            self._form["csrf"] = bool(attrs.get("value"))
        elif tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"].split("#")[0])
        elif tag == "script":
            self._script_src = attrs.get("src") or ""
            if not self._script_src and attrs.get("type") not in ("application/json",):
                self.inline.append("inline script")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def parse(response) -> Forms:
    forms = Forms()
    forms.feed(response.content.decode())
    return forms


@pytest.fixture
def boss_client(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(f.UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


# --- Headers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(settings, boss_client):
    settings.SECURE_HSTS_SECONDS = 31_536_000  # the production value (DEBUG off)
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    for url in (reverse("dashboard"), reverse("crm:customers-list"), reverse("api-docs")):
        response = boss_client.get(url, secure=True)

        assert response.status_code == 200, url
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_content_security_policy_allows_no_inline_or_foreign_script():
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in settings.CONTENT_SECURITY_POLICY.split("; ")
    )

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_the_api_docs_start_swagger_ui_from_a_script_file(boss_client):
    page = boss_client.get(reverse("api-docs"))
    script = boss_client.get(reverse("api-docs") + "?script=")

    assert parse(page).inline == []
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


# --- CSRF on every UI form -------------------------------------------------------------------

SKIPPED_URL_NAMES = {"logout", "set_language", "unsubscribe"}


def ui_page(path: str) -> str | None:
    """The URL name of a clerk UI page, or None for the API, the admin and downloads."""
    if path.startswith(("/api/", "/admin/", "/i18n/", "/static/", "/media/")):
        return None
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    name = ":".join(filter(None, [*match.namespaces, match.url_name]))
    if match.url_name in SKIPPED_URL_NAMES or any(
        word in (match.url_name or "") for word in ("pdf", "download", "export", "csv", "xml")
    ):
        return None
    return name


@pytest.mark.django_db
def test_every_post_form_of_the_ui_carries_the_csrf_token(boss_client):
    # Given the demo data (customers, quotations, orders, packing slips, invoices, payments)
    call_command("load_demo", stdout=StringIO())
    # When every menu page is opened, and from each page one page of every kind it links to
    # (create, detail, edit, sub-pages), two levels deep
    queue = [reverse(url_name) for _, _, entries in MENU for _, url_name, _ in entries]
    queue.append(reverse("dashboard"))
    seen_names: set[str] = set()
    checked_pages, checked_forms, missing = 0, 0, []
    for depth in range(3):
        following = []
        for path in queue:
            name = ui_page(path)
            if name is None or name in seen_names:
                continue
            seen_names.add(name)
            response = boss_client.get(path)
            assert response.status_code in (200, 302), (path, response.status_code)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            page = parse(response)
            checked_pages += 1
            checked_forms += len(page.forms)
            missing += [
                (path, form["action"] or form["id"]) for form in page.forms if not form["csrf"]
            ]
            # Then no page has inline script the Content-Security-Policy would refuse
            assert page.inline == [], (path, page.inline)
            if depth < 2:
                following += page.links
        queue = following

    # Then every POST form carries the token
    assert missing == []
    assert checked_pages >= 60 and checked_forms >= 60, (checked_pages, checked_forms)
    for name in (
        "orders:sales-orders-detail",
        "orders:sales-orders-create",
        "crm:customers-update",
        "crm:customers-detail",
        "invoicing:invoices-detail",
        "invoicing:packing-slips",
        "orders:allocation",
    ):
        assert name in seen_names, name


@pytest.mark.django_db
def test_the_login_form_refuses_a_post_without_the_csrf_token():
    f.UserFactory(username="clerk")
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "clerk", "password": "secret-pass-123"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert parse(client.get(reverse("login"))).forms[0]["csrf"]


@pytest.mark.django_db
def test_a_record_action_refuses_a_post_without_the_csrf_token(boss_client, make_order):
    order = make_order(quantities=["10"])

    response = boss_client.post(reverse("orders:sales-orders-action", args=[order.pk, "confirm"]))

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.confirmed_at is None
    assert order.document_status != SalesOrder.DocumentStatus.CONFIRMATION


@pytest.mark.django_db
def test_the_packing_slip_form_refuses_a_post_without_the_csrf_token(boss_client, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = boss_client.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]), {f"deliver-{line.pk}": "4"}
    )

    assert response.status_code == 403
    assert not PackingSlip.objects.filter(order=order).exists()
    line.refresh_from_db()
    assert line.deliver_remainder == line.quantity


@pytest.mark.django_db
def test_the_same_post_with_the_token_is_accepted(boss_client, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    detail = boss_client.get(reverse("orders:sales-orders-detail", args=[order.pk]))
    token = boss_client.cookies[settings.CSRF_COOKIE_NAME].value

    response = boss_client.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]),
        {f"deliver-{line.pk}": "4", "confirm": "1", "csrfmiddlewaretoken": token},
    )

    assert detail.status_code == 200 and response.status_code == 302
    assert PackingSlip.objects.filter(order=order).count() == 1
    assert SalesOrder.objects.get(pk=order.pk).lines.get().deliver_remainder == 6


# --- No production on the development secret key ---------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "x9#" + "production-secret-key-with-plenty-of-entropy-0123456789abcdef"


def production_env(tmp_path, secret_key: str | None) -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DEBUG="0",
        ALLOWED_HOSTS="sales.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return env


def run(args, env):
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("secret_key", "problem"),
    [
        (None, "development key"),
        ("django-insecure-development-only-key-set-SECRET_KEY-in-production", "development key"),
        ("short-key", "too weak"),
        ("a" * 60, "too weak"),
    ],
)
@pytest.mark.parametrize(
    "command", [["check"], ["migrate", "--no-input"], ["runserver", "--noreload", "127.0.0.1:8799"]]
)
def test_production_refuses_to_run_on_a_missing_or_weak_secret_key(
    tmp_path, secret_key, problem, command
):
    result = run([sys.executable, "manage.py", *command], production_env(tmp_path, secret_key))

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "core.E001" in output and "SECRET_KEY" in output and problem in output


def test_gunicorn_refuses_to_start_on_the_development_secret_key(tmp_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    args = [str(gunicorn), "salesmkt.wsgi:application", "--bind", "127.0.0.1:0", "--workers", "1"]

    result = run(args, production_env(tmp_path, None))

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "SECRET_KEY is the development key" in output


def test_with_a_strong_secret_key_the_check_passes(tmp_path):
    result = run([sys.executable, "manage.py", "check"], production_env(tmp_path, STRONG_KEY))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "core.E001" not in result.stdout + result.stderr


def test_the_wsgi_application_starts_with_a_strong_secret_key(tmp_path):
    code = "from salesmkt.wsgi import application; print(application.__class__.__name__)"

    result = run([sys.executable, "-c", code], production_env(tmp_path, STRONG_KEY))

    assert result.returncode == 0 and "WSGIHandler" in result.stdout, result.stderr
