"""Sign-in attempts are limited per username and address; the API is throttled per user."""

import pytest
from django.core.cache import cache
from django.db.models import F
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests import factories as f

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_the_eleventh_failed_sign_in_is_refused_and_so_is_the_right_password(client):
    f.UserFactory(username="clerk")
    for _ in range(10):
        assert sign_in(client, "clerk", "wrong").status_code == 200

    locked = sign_in(client, "clerk", "wrong")
    right_password = sign_in(client, "clerk", PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_out_username_does_not_lock_out_another(client):
    f.UserFactory(username="clerk")
    f.UserFactory(username="manager")
    for _ in range(11):
        sign_in(client, "clerk", "wrong")

    response = sign_in(client, "manager", PASSWORD)

    assert response.status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_starts_the_count_again(client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    f.UserFactory(username="clerk")
    for _ in range(2):
        sign_in(client, "clerk", "wrong")
    assert sign_in(client, "clerk", PASSWORD).status_code == 302
    client.logout()

    for _ in range(2):
        assert sign_in(client, "clerk", "wrong").status_code == 200
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_sign_in_works_again_when_the_window_has_passed(client, settings):
    from salesmkt.core.models import SignInFailure

    f.UserFactory(username="clerk")
    for _ in range(11):
        sign_in(client, "clerk", "wrong")
    assert sign_in(client, "clerk", PASSWORD).status_code == 429

    # the 15 minutes pass: the failures leave the window, the cached lockout expires
    SignInFailure.objects.update(occurred_at=F("occurred_at") - settings.LOGIN_FAILURE_WINDOW)
    cache.clear()

    assert sign_in(client, "clerk", PASSWORD).status_code == 302


@pytest.fixture
def tiny_user_rate(monkeypatch):
    # DRF reads the rates once at import; the test swaps them in where the throttles look.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"}
    )


@pytest.mark.django_db
def test_the_api_answers_429_past_the_users_rate(api_as, tiny_user_rate):
    busy = api_as("sales clerk")
    other = api_as("sales clerk")
    for _ in range(3):
        assert busy.get("/api/v1/items/").status_code == 200

    refused = busy.get("/api/v1/items/")

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other.get("/api/v1/items/").status_code == 200


@pytest.mark.django_db
def test_an_api_token_is_throttled_like_a_session(tiny_user_rate):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=f.UserFactory(groups=["integrator"]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    statuses = [client.get("/api/v1/items/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def ask_token(client, username, password):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


@pytest.mark.django_db
def test_the_token_endpoint_gives_the_users_token_for_the_right_password_only():
    user = f.UserFactory(username="integrator")
    client = APIClient()

    wrong = ask_token(client, "integrator", "wrong")
    right = ask_token(client, "integrator", PASSWORD)
    again = ask_token(client, "integrator", PASSWORD)

    assert wrong.status_code == 400 and "non_field_errors" in wrong.json()["errors"]
    assert right.status_code == 200 and right.json() == again.json()  # one token per user
    token = right.json()["token"]
    assert user.auth_token.key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/currencies/").status_code in (200, 403)  # authenticated


@pytest.mark.django_db
def test_the_eleventh_failed_token_request_is_refused_and_so_is_the_right_password():
    f.UserFactory(username="integrator")
    client = APIClient()
    for _ in range(10):
        assert ask_token(client, "integrator", "wrong").status_code == 400

    locked = ask_token(client, "integrator", "wrong")
    right_password = ask_token(client, "integrator", PASSWORD)

    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert right_password.status_code == 429
    assert "token" not in right_password.json()


@pytest.mark.django_db
def test_failed_token_requests_and_sign_ins_count_together(client):
    f.UserFactory(username="clerk")
    for _ in range(10):
        sign_in(client, "clerk", "wrong")

    assert ask_token(APIClient(), "clerk", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_forwarded_for_header_written_by_the_client_does_not_dodge_the_sign_in_limit(client):
    f.UserFactory(username="clerk")
    for attempt in range(10):
        client.post(
            reverse("login"),
            {"username": "clerk", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
        )

    response = client.post(
        reverse("login"),
        {"username": "clerk", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )

    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_each_client_address_counts_on_its_own(client, settings):
    settings.NUM_PROXIES = 1
    f.UserFactory(username="clerk")
    for _ in range(10):  # the proxy appends the attacker's address (after what it wrote)
        client.post(
            reverse("login"),
            {"username": "clerk", "password": "wrong"},
            headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.5"},
        )

    attacker = client.post(
        reverse("login"),
        {"username": "clerk", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5"},
    )
    colleague = client.post(
        reverse("login"),
        {"username": "clerk", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )

    assert attacker.status_code == 429  # what it wrote before the proxy's entry is ignored
    assert colleague.status_code == 302  # the real user elsewhere is not locked out


@pytest.mark.django_db
def test_the_anonymous_api_rate_is_not_dodged_with_a_forwarded_for_header(tiny_user_rate):
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": f"guess{n}", "password": "x"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(3)
    ]

    assert answers == [400, 400, 429]
