"""Redis stopped: the web app (gunicorn, its own process, with the broker and the cache on a Redis
of the test's own) still takes orders and posts invoices; the documents and mails asked for
meanwhile wait in PostgreSQL and go out once Redis is back, each once."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from salesmkt.core.cache import ResilientRedisCache
from salesmkt.core.models import Document
from tests import factories as f
from tests.faults.conftest import free_port, wait_for
from tests.invoicing.conftest import accounts  # noqa: F401  (a fixture)


class Api:
    """An integrator's HTTP client with a token, timing every call."""

    def __init__(self, base: str, token: str):
        self.base, self.token, self.timings = base, token, []

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        self.timings.append((path, time.monotonic() - started))
        return status, json.loads(raw) if raw else {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_orders_and_invoices_post_and_their_mails_go_out_once_it_is_back(
    services,
    broker,
    redis_server,
    smtp_sink,
    accounts,  # noqa: F811
):
    services.env.update(
        CACHE_URL=redis_server.cache_url,  # API throttling counts there, as in production
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_sink.port),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    clerk = f.UserFactory(groups=["sales manager", "accountant"])
    api_token = Token.objects.create(user=clerk).key
    customer = f.CustomerFactory(
        posting_profile=accounts.profile, party=f.PartyFactory(email="innkjop@fjord.no")
    )
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    web, base = services.web()
    worker = services.worker()  # running through the outage, as in production
    api = Api(base, api_token)

    redis_server.stop()
    status, order = api.post(
        "/api/v1/sales-orders/",
        {
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "3"}],
        },
    )
    assert status == 201, order
    assert api.post(f"/api/v1/sales-orders/{order['id']}/confirm/")[0] == 200
    slip = {"order": order["id"], "lines": [{"order_line": order["lines"][0]["id"], "quantity": 3}]}
    assert api.post("/api/v1/packing-slips/", slip)[0] == 201
    status, invoice = api.post("/api/v1/invoices/from-order/", {"order": order["id"]})
    assert status == 201, invoice
    status, posted = api.post(f"/api/v1/invoices/{invoice['id']}/post/")
    assert status == 200 and posted["number"] == "INV000001", posted
    assert api.post(f"/api/v1/invoices/{invoice['id']}/send/")[0] == 202

    # Everything asked for waits in PostgreSQL: the confirmation (mailed), the packing slip,
    # the posted invoice and the invoice sent to the customer (mailed).
    waiting = Document.objects.order_by("pk")
    assert [d.status for d in waiting] == ["pending"] * 4
    assert [d.mail_status for d in waiting].count("pending") == 2
    assert smtp_sink.messages == []
    assert "broker unavailable" in web.output()  # the messages were refused, the work recorded
    slowest = max(seconds for _, seconds in api.timings)
    print(f"\nRedis down: {len(api.timings)} API calls, slowest {slowest:.2f} s")

    redis_server.start()  # the worker reconnects by itself
    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    broker.send("salesmkt.core.tasks.resume_pending_documents")  # what beat does every minute
    wait_for(
        lambda: (
            not Document.objects.exclude(status="rendered").exists()
            and not Document.objects.filter(mail_status__in=["pending", "sending"]).exists()
        ),
        timeout=120,
        what="the queued documents to render and mail",
    )

    assert smtp_sink.recipients() == ["innkjop@fjord.no", "innkjop@fjord.no"]
    assert worker.alive
    subjects = sorted(str(message["Subject"]) for _, message in smtp_sink.messages)
    assert any(order["number"] in subject for subject in subjects)
    assert any("INV000001" in subject for subject in subjects)


def test_the_cache_answers_as_empty_when_redis_is_unreachable():
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/1",  # nobody listens there
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )

    assert cache.get("throttle_user_1", []) == []
    assert cache.add("login:1", 0) is False
    assert cache.incr("login:1") == 1
    assert cache.set("throttle_user_1", [1.0], 60) is None


def test_after_one_failure_the_cache_leaves_redis_alone_for_the_backoff(monkeypatch):
    """A frozen Redis costs one cache call one timeout, not every call of every request."""
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/1",  # nobody listens there
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    asked = []
    real_client = cache._cache.get_client
    monkeypatch.setattr(
        cache._cache, "get_client", lambda *a, **k: asked.append(1) or real_client(*a, **k)
    )

    assert cache.get("throttle_user_1", []) == []
    assert cache.get("throttle_user_2", []) == []
    assert cache.incr("login:1") == 1

    assert len(asked) == 1
