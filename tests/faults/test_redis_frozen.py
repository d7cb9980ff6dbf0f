"""Redis frozen (SIGSTOP: the kernel still accepts connections, Redis never answers): the web app
(gunicorn, its own process) answers every call within its bound, as committed; the documents
asked for meanwhile wait in PostgreSQL and, once Redis answers again, beat's sweep sends each of
them once."""

from __future__ import annotations

import time

import pytest
from rest_framework.authtoken.models import Token

from salesmkt.core.models import Document
from tests import factories as f
from tests.faults.conftest import Api, wait_for
from tests.invoicing.conftest import accounts  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# What the integrator may wait for any call while the broker is frozen: the publish gives up
# after CELERY_PUBLISH_TIMEOUT (0.5 s) once, and is skipped for a while after that. On a loaded
# machine the same call is slower with Redis healthy too: the bound is then that call's healthy
# time (measured just before, the same calls on a twin order, which also warms the web worker up)
# times LOAD_FACTOR. A call that waits on the frozen Redis (a socket timeout of 10 s, gunicorn's
# 60 s) still fails it.
CALL_BOUND_SECONDS = 2.0
LOAD_FACTOR = 3
# The recovery bound, with the sweeps shortened: the sweep (every 2 s) takes a document older
# than 1 s; the rest is rendering four PDFs and reconnecting the worker.
SWEEPS = {"SWEEP_INTERVAL_SECONDS": "2", "DOCUMENT_SWEEP_AFTER_SECONDS": "1"}
RECOVERY_BOUND_SECONDS = 60


def test_with_redis_frozen_every_call_answers_in_time_and_each_document_goes_out_once_later(
    services,
    redis_server,
    smtp_sink,
    accounts,  # noqa: F811
):
    services.env.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_sink.port),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        **SWEEPS,
    )
    integrator = f.UserFactory(groups=["sales manager", "accountant"])
    api = Api(services.web()[1], Token.objects.create(user=integrator).key)
    customer = f.CustomerFactory(
        posting_profile=accounts.profile, party=f.PartyFactory(email="innkjop@fjord.no")
    )
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    worker = services.worker()
    services.beat()
    wait_for(lambda: "ready." in worker.output(), timeout=60, what="the worker to start")
    for warm_up in ("/api/v1/sales-orders/", "/api/v1/packing-slips/", "/api/v1/invoices/"):
        assert api.get(warm_up) == 200  # a running web app, not one loading its code

    healthy = _ship_and_bill(api, customer, item, warehouse, key="healthy")
    wait_for(_all_out, timeout=RECOVERY_BOUND_SECONDS, what="the healthy round's documents")
    smtp_sink.messages.clear()
    before = set(Document.objects.values_list("pk", flat=True))

    redis_server.freeze()
    try:
        frozen = _ship_and_bill(api, customer, item, warehouse, key="frozen")

        print(f"\nRedis healthy: {_rounded(healthy)}\nRedis frozen: {_rounded(frozen)}")
        bounds = {step: max(CALL_BOUND_SECONDS, LOAD_FACTOR * healthy[step]) for step in frozen}
        assert {step: s for step, s in frozen.items() if s >= bounds[step]} == {}, healthy
        # Everything asked for waits in PostgreSQL: the confirmation (mailed), the packing slip,
        # the posted invoice and the invoice sent to the customer (mailed).
        asked = Document.objects.exclude(pk__in=before)
        assert list(asked.values_list("status", flat=True)) == ["pending"] * 4
        assert smtp_sink.messages == []
    finally:
        redis_server.thaw()
    thawed = time.monotonic()

    wait_for(
        _all_out,
        timeout=RECOVERY_BOUND_SECONDS,
        what="beat's sweep to render and mail the documents",
    )
    print(f"Redis thawed: every document out after {time.monotonic() - thawed:.1f} s")

    assert smtp_sink.recipients() == ["innkjop@fjord.no", "innkjop@fjord.no"]  # each mail once
    message_ids = sorted(str(message["Message-ID"]) for _, message in smtp_sink.messages)
    assert len(set(message_ids)) == 2
    assert Document.objects.exclude(pk__in=before).filter(mail_status="sent").count() == 2
    assert worker.alive


def _all_out() -> bool:
    return (
        not Document.objects.exclude(status="rendered").exists()
        and not Document.objects.filter(mail_status__in=["pending", "sending"]).exists()
    )


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {path: round(seconds, 2) for path, seconds in timings.items()}


def _ship_and_bill(api: Api, customer, item, warehouse, *, key: str) -> dict[str, float]:
    """An integrator's day for one order: enter, confirm, ship, invoice, post and send it, each
    call with an Idempotency-Key and answered as committed. Each step's seconds, by step."""
    api.timings.clear()
    status, order, _ = api.post(
        "/api/v1/sales-orders/",
        {
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "3"}],
        },
        key=f"{key}-order",
    )
    assert status == 201, order
    confirmed = api.post(f"/api/v1/sales-orders/{order['id']}/confirm/", key=f"{key}-confirm")
    line = order["lines"][0]["id"]
    slip = {"order": order["id"], "lines": [{"order_line": line, "quantity": 3}]}
    shipped = api.post("/api/v1/packing-slips/", slip, key=f"{key}-ship")
    status, invoice, _ = api.post(
        "/api/v1/invoices/from-order/", {"order": order["id"]}, key=f"{key}-invoice"
    )
    assert status == 201, invoice
    posted = api.post(f"/api/v1/invoices/{invoice['id']}/post/", key=f"{key}-post")
    sent = api.post(f"/api/v1/invoices/{invoice['id']}/send/", key=f"{key}-send")
    assert [confirmed[0], shipped[0], posted[0], sent[0]] == [200, 201, 200, 202], (posted, sent)
    assert posted[1]["number"].startswith("INV")
    steps = ["order", "confirm", "ship", "invoice", "post", "send"]
    return {step: seconds for step, (_path, seconds) in zip(steps, api.timings, strict=True)}
