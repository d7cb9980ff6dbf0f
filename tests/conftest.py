import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (row locks, concurrency) skip with a reason on other databases."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        skip = pytest.mark.skip(
            reason="needs PostgreSQL (set DATABASE_URL); row locks are not testable on SQLite"
        )
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def user_in():
    """Make a user in the named groups: user_in("sales clerk")."""

    def make(*groups, **kwargs):
        return UserFactory(groups=list(groups), **kwargs)

    return make


@pytest.fixture
def api_as(user_in):
    """An API client authenticated as a new user of the named groups."""

    def make(*groups):
        client = APIClient()
        user = user_in(*groups)
        client.force_authenticate(user=user)
        client.user = user
        return client

    return make


@pytest.fixture
def manager_api(api_as):
    return api_as("sales manager")


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
