from datetime import date
from decimal import Decimal

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
def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def clients(superuser):
    """A page client and an API client signed in as `superuser`: (page, api)."""
    from django.test import Client

    page, api = Client(), APIClient()
    page.force_login(superuser)
    api.force_authenticate(superuser)
    return page, api


@pytest.fixture
def manager_api(api_as):
    return api_as("sales manager")


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Tasks run in-process in tests, even where CI sets a broker; tests marked `broker` use the
    real broker and a real worker."""
    from salesmkt.celery import app

    if request.node.get_closest_marker("broker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port that keeps what it receives.

    Recipients containing "bounce" are refused with 550, as a mailbox that does not exist.
    """

    def __init__(self):
        import threading

        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for rcpts, _ in self.messages for rcpt in rcpts]


@pytest.fixture
def smtp_sink(settings):
    import logging
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    sink.port = port
    yield sink
    controller.stop()


@pytest.fixture
def make_order():
    """An order through the service: make_order(quantities=[10], order_type="sales")."""
    from orders.services.orders import sales_order_create
    from tests import factories as f

    warehouse = f.WarehouseFactory()

    def make(
        *,
        quantities=(Decimal("10"),),
        order_type="sales",
        customer=None,
        items=None,
        actor=None,
        **extra,
    ):
        customer = customer or f.CustomerFactory()
        items = items or [f.ItemFactory() for _ in quantities]
        return sales_order_create(
            data={
                "customer": customer,
                "order_type": order_type,
                "requested_ship_date": date(2026, 12, 1),
                "lines": [
                    {"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}
                    for item, quantity in zip(items, quantities, strict=True)
                ],
                **extra,
            },
            actor=actor,
        )

    return make


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Rendered documents go to a temporary folder, never into the working tree."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def documents_rendered_in_request(settings):
    """Without a broker a document renders on a thread after the response, which cannot see a
    test's uncommitted rows: tests render it in the call that asked for it, as a worker would
    have by the time they look. tests/core/test_documents_outside_request.py proves the thread."""
    settings.DOCUMENT_RENDER_IN_REQUEST = True


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttling and sign-in failure counters start at zero in every test."""
    from django.core.cache import cache

    from salesmkt.core import cache as resilient_cache
    from salesmkt.core import queueing

    # A test that met a dead Redis or broker must not leave the next one backing off from it.
    resilient_cache._down_until = 0.0
    queueing._broker_down_until = 0.0
    cache.clear()
    yield
    cache.clear()
    resilient_cache._down_until = 0.0
    queueing._broker_down_until = 0.0
