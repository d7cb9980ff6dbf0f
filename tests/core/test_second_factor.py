"""Staff accounts can be required to sign in with a code from an authenticator app (TOTP)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests import factories as f

PASSWORD = "secret-pass-123"  # UserFactory's
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def second_factor_for_superusers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_REQUIRED_FOR = "superusers"
    # django-otp's own per-device delay after a wrong code is left out: the sign-in limit is the
    # rule these tests are about.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device, steps_ahead=0) -> str:
    """The code the authenticator app shows (steps_ahead=1: the next one, still accepted, for a
    second sign-in within the same 30 seconds: a code is taken only once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def boss(db):
    return f.UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def boss_device(boss):
    return TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)


def sign_in(client, username="boss", password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def give_code(client, code, next_url=""):
    return client.post(reverse("sign-in-code"), {"code": code, "next": next_url})


@pytest.mark.django_db
def test_a_superuser_without_an_app_must_enrol_before_anything_else(client, boss):
    response = sign_in(client)

    assert response.status_code == 302 and response["Location"].startswith(reverse("sign-in-enrol"))
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("sign-in-enrol"))
    api = client.get("/api/v1/items/")
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"


@pytest.mark.django_db
def test_enrolling_shows_the_qr_code_and_key_and_the_first_code_confirms_the_app(client, boss):
    sign_in(client)

    page = client.get(reverse("sign-in-enrol"))
    device = TOTPDevice.objects.get(user=boss)
    confirmed = client.post(
        reverse("sign-in-enrol"), {"code": code_for(device), "next": "/crm/customers/"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    assert device.config_url.split("secret=")[1].split("&")[0] in html
    assert confirmed.status_code == 302 and confirmed["Location"] == "/crm/customers/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_enrolment_code_confirms_no_app(client, boss):
    sign_in(client)
    client.get(reverse("sign-in-enrol"))
    device = TOTPDevice.objects.get(user=boss)
    wrong = "000000" if code_for(device) != "000000" else "111111"

    response = client.post(reverse("sign-in-enrol"), {"code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_with_an_app_the_password_alone_does_not_open_the_enrolment_page(client, boss_device):
    sign_in(client)

    response = client.get(reverse("sign-in-enrol"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("sign-in-code"))
    assert TOTPDevice.objects.filter(user=boss_device.user).count() == 1


@pytest.mark.django_db
def test_a_superuser_with_an_app_signs_in_with_the_password_then_the_code(client, boss_device):
    after_password = sign_in(client, next_url="/crm/customers/")
    before_code = client.get(reverse("dashboard"))
    after_code = give_code(client, code_for(boss_device), next_url="/crm/customers/")

    assert after_password.status_code == 302
    assert after_password["Location"].startswith(reverse("sign-in-code"))
    assert before_code.status_code == 302
    assert after_code.status_code == 302 and after_code["Location"] == "/crm/customers/"
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_is_refused_and_counts_toward_the_sign_in_limit(client, settings, boss_device):
    settings.LOGIN_FAILURE_LIMIT = 3
    wrong = "000000" if code_for(boss_device) != "000000" else "111111"
    sign_in(client)
    for _ in range(3):
        refused = give_code(client, wrong)
        assert refused.status_code == 200
        assert "That code is not right" in refused.content.decode()
        assert client.get(reverse("dashboard")).status_code == 302

    locked = give_code(client, code_for(boss_device))

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session  # signed out
    assert sign_in(client).status_code == 429  # and the password does not start over


@pytest.mark.django_db
def test_the_admin_requires_the_session_verified_by_the_code(client, boss_device):
    sign_in(client)
    before = client.get("/admin/")
    give_code(client, code_for(boss_device))
    after = client.get("/admin/")

    assert before.status_code == 302 and not before["Location"].startswith("/admin/")
    assert after.status_code == 200


@pytest.mark.django_db
def test_the_admin_refuses_an_unverified_session_of_a_superuser(boss):
    from django.contrib import admin
    from django.test import RequestFactory
    from django_otp.middleware import OTPMiddleware

    request = RequestFactory().get("/admin/")
    request.user = boss
    request.session = {}
    OTPMiddleware(lambda r: None)(request)

    assert admin.site.has_permission(request) is False


@pytest.mark.django_db
def test_the_admin_sign_in_asks_for_the_code_next(client, boss_device):
    response = client.post(
        "/admin/login/", {"username": "boss", "password": PASSWORD, "next": "/admin/"}
    )
    admin_index = client.get("/admin/")

    assert response.status_code == 302
    assert admin_index.status_code == 302
    assert admin_index["Location"].startswith(reverse("sign-in-code"))


@pytest.mark.django_db
def test_a_user_who_need_not_use_a_code_signs_in_with_the_password_alone(client):
    f.UserFactory(username="clerk")

    response = sign_in(client, username="clerk")

    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_staff_must_use_a_code_when_required_for_staff(client, settings):
    settings.OTP_REQUIRED_FOR = "staff"
    f.UserFactory(username="manager", is_staff=True)

    sign_in(client, username="manager")

    assert client.get(reverse("dashboard")).status_code == 302


def ask_token(username="boss", password=PASSWORD, **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password, **extra}, format="json"
    )


@pytest.mark.django_db
def test_the_token_endpoint_wants_the_code_of_a_user_who_must_use_one(boss_device):
    wrong = "000000" if code_for(boss_device) != "000000" else "111111"

    missing = ask_token()
    wrong_code = ask_token(otp_token=wrong)
    right = ask_token(otp_token=code_for(boss_device))

    assert missing.status_code == 400 and "otp_token" in missing.json()["errors"]
    assert wrong_code.status_code == 400 and "otp_token" in wrong_code.json()["errors"]
    assert right.status_code == 200 and right.json()["token"]


@pytest.mark.django_db
def test_wrong_codes_at_the_token_endpoint_count_toward_the_sign_in_limit(settings, boss_device):
    settings.LOGIN_FAILURE_LIMIT = 2
    wrong = "000000" if code_for(boss_device) != "000000" else "111111"
    for _ in range(2):
        assert ask_token(otp_token=wrong).status_code == 400

    response = ask_token(otp_token=code_for(boss_device))

    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"


@pytest.mark.parametrize(("debug", "required_for"), [("1", "none"), ("0", "superusers")])
def test_the_second_factor_is_required_of_superusers_in_production_only(debug, required_for):
    env = {
        **os.environ,
        "DEBUG": debug,
        "SECRET_KEY": "x9#" + "production-secret-key-with-plenty-of-entropy-0123456789abcdef",
    }
    env.pop("OTP_REQUIRED_FOR", None)

    result = subprocess.run(
        [sys.executable, "-c", "from salesmkt import settings; print(settings.OTP_REQUIRED_FOR)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == required_for, result.stderr
