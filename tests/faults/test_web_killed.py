"""The gunicorn worker is killed (SIGKILL) in the middle of a request that carries an
Idempotency-Key: the key dies with the request's transaction, so the client's retry with the same
key is served (well within the key's lease) and the work is done once.

The fault is armed in the web worker (tests/faults/web.py): it hangs after writing the order and
before its transaction commits, until the test kills it.
"""

from __future__ import annotations

import os
import signal
import threading
import urllib.error

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from orders.models import SalesOrder
from tests import factories as f
from tests.faults.conftest import Api, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_web_worker_killed_holding_an_idempotency_key_lets_the_retry_make_the_order_once(
    services,
):
    integrator = f.UserFactory(groups=["sales clerk"])
    api = Api("", Token.objects.create(user=integrator).key)
    body = {
        "customer": f.CustomerFactory().pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {"item": f.ItemFactory().pk, "warehouse": f.WarehouseFactory().pk, "quantity": 2}
        ],
    }
    web, api.base = services.web(fault="order-created-uncommitted")
    first: list = []

    def first_attempt():
        try:
            first.append(api.post("/api/v1/sales-orders/", body, key="order-7", timeout=120))
        except (urllib.error.URLError, ConnectionError) as exc:  # the worker died under it
            first.append(exc)

    attempt = threading.Thread(target=first_attempt)
    attempt.start()
    holder = services.hanging()  # the web worker, the order written and not committed
    os.kill(holder, signal.SIGKILL)
    attempt.join(30)

    def retried():
        try:
            return api.post("/api/v1/sales-orders/", body, key="order-7", timeout=10)
        except (urllib.error.URLError, ConnectionError):
            return None  # gunicorn is starting the replacement worker

    status, order, headers = wait_for(
        retried,
        timeout=settings.IDEMPOTENCY_LEASE.total_seconds(),
        what="the retry with the same key to be served",
        interval=0.5,
    )

    assert not isinstance(first[0], tuple), first  # the first attempt got no answer
    assert status == 201, order
    assert "Idempotent-Replayed" not in headers  # the work was done by the retry...
    assert SalesOrder.objects.count() == 1  # ...once
    replay = api.post("/api/v1/sales-orders/", body, key="order-7")
    assert replay[0] == 201 and replay[1]["number"] == order["number"]
    assert replay[2]["Idempotent-Replayed"] == "true"
    assert web.alive
