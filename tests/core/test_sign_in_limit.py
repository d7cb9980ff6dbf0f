"""One sign-in limit for every door (clerk page, admin, API token), counted in the database so
that neither a Redis outage nor a Redis restart lifts a lockout."""

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from salesmkt.core.models import SignInFailure
from salesmkt.core.tasks import purge_old_sign_in_failures
from tests import factories as f

PASSWORD = "secret-pass-123"  # UserFactory's
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, username, password, **kwargs):
    return client.post(reverse("login"), {"username": username, "password": password}, **kwargs)


def admin_sign_in(client, username, password):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def ask_token(username, password):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


@pytest.fixture
def boss(db):
    return f.UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_after_the_clerk_page_locked_the_pair_the_admin_refuses_the_right_password(client, boss):
    for _ in range(10):
        sign_in(client, "boss", "wrong")

    response = admin_sign_in(client, "boss", PASSWORD)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still the login page


@pytest.mark.django_db
def test_failed_admin_sign_ins_alone_lock_every_door(client, boss):
    for _ in range(10):
        assert admin_sign_in(client, "boss", "wrong").status_code == 200

    admin = admin_sign_in(client, "boss", PASSWORD)
    clerk_page = sign_in(client, "boss", PASSWORD)
    token = ask_token("boss", PASSWORD)

    assert admin.status_code == 429
    assert clerk_page.status_code == 429
    assert token.status_code == 429 and token.json()["code"] == "too_many_attempts"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_right_password_at_the_admin_still_signs_in_below_the_limit(client, boss):
    for _ in range(9):
        admin_sign_in(client, "boss", "wrong")

    response = admin_sign_in(client, "boss", PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.fixture
def redis_down(settings):
    # Nothing listens on port 1: every cache call fails, and the resilient backend answers as an
    # empty cache would, as it does when Redis is down.
    settings.CACHES = {
        "default": {
            "BACKEND": "salesmkt.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert cache.get("anything", "nothing there") == "nothing there"


@pytest.mark.django_db
def test_a_lockout_holds_while_the_cache_is_down(client, redis_down):
    f.UserFactory(username="clerk")
    for _ in range(10):
        assert sign_in(client, "clerk", "wrong").status_code == 200

    page = sign_in(client, "clerk", PASSWORD)
    token = ask_token("clerk", PASSWORD)

    assert page.status_code == 429
    assert token.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_cache_restart_does_not_lift_a_lockout(client):
    f.UserFactory(username="clerk")
    for _ in range(11):
        sign_in(client, "clerk", "wrong")

    cache.clear()  # what a Redis restart leaves

    assert sign_in(client, "clerk", PASSWORD).status_code == 429
    assert ask_token("clerk", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_token_endpoint_counts_toward_the_same_limit_as_the_pages(client):
    f.UserFactory(username="integrator")
    for _ in range(10):
        assert ask_token("integrator", "wrong").status_code == 400

    assert sign_in(client, "integrator", PASSWORD).status_code == 429
    assert admin_sign_in(client, "integrator", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_an_attacker_rotating_addresses_is_stopped_by_the_limit_per_username(client, settings):
    settings.NUM_PROXIES = 1
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 5
    f.UserFactory(username="clerk")
    for attempt in range(5):  # a new address every attempt: no pair reaches its limit of 10
        response = sign_in(
            client, "clerk", "wrong", headers={"X-Forwarded-For": f"203.0.113.{attempt}"}
        )
        assert response.status_code == 200

    from_a_new_address = sign_in(
        client, "clerk", PASSWORD, headers={"X-Forwarded-For": "198.51.100.9"}
    )

    assert from_a_new_address.status_code == 429


@pytest.mark.django_db
def test_failures_are_stored_without_the_username_typed(client):
    sign_in(client, "my-secret-password", "wrong")

    failure = SignInFailure.objects.get()

    assert "my-secret-password" not in failure.username_digest
    assert failure.address == "127.0.0.1"


@pytest.mark.django_db
def test_the_purge_forgets_only_failures_that_no_longer_count(settings):
    now = timezone.now()
    SignInFailure.objects.create(username_digest="a", address="x", occurred_at=now)
    SignInFailure.objects.create(
        username_digest="b",
        address="x",
        occurred_at=now - settings.LOGIN_FAILURE_WINDOW - timedelta(minutes=1),
    )

    purged = purge_old_sign_in_failures()

    assert purged == 1
    assert list(SignInFailure.objects.values_list("username_digest", flat=True)) == ["a"]


def test_the_purge_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "salesmkt.core.tasks.purge_old_sign_in_failures" in tasks


@pytest.mark.django_db
def test_a_users_permissions_are_their_own_and_their_groups_read_in_one_query(
    django_assert_num_queries,
):
    from django.contrib.auth.models import Group, Permission

    from salesmkt.core.login_throttle import SignInLimitBackend

    own = Permission.objects.get(codename="view_customer")
    of_group = Permission.objects.get(codename="add_salesorder")
    group = Group.objects.create(name="order desk")
    group.permissions.add(of_group)
    user = f.UserFactory()
    user.user_permissions.add(own)
    user.groups.add(group)
    backend = SignInLimitBackend()

    with django_assert_num_queries(1):
        permissions = backend.get_all_permissions(user)
        assert backend.has_perm(user, "orders.add_salesorder")

    assert permissions == {"crm.view_customer", "orders.add_salesorder"}
    assert permissions == ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    user.is_active = False
    assert backend.get_all_permissions(user) == set()
