"""A 10-line order over HTTP through gunicorn (2 sync workers) on PostgreSQL, beside the minimal
Django + DRF baseline on the same server and database (run with `make bench`).

Each round posts salesmkt's `/api/v1/sales-orders/` (an integrator's token) and the baseline's
`/baseline/orders/` with the same body, from 1 and from 4 client connections (a thread with its
own `requests.Session` each), interleaved so that the machine's noise hits both. Reported: orders
per second (the median of the rounds), p50 and p95 of every request's time, and the SQL
statements one order takes (one request of each through the Django test client, counted with
`CaptureQueriesContext`). The targets are shown by the report, not asserted: salesmkt at 4
connections at least 1/4 of the baseline's orders per second, at most 15 statements per order,
and 4 connections at least 1.6 times the orders per second of 1.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from inventory.models import Item
from tests import factories as f
from tests.benchmarks.conftest import note_database

pytestmark = [
    pytest.mark.benchmark,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

LINES = 10
ROUNDS = 3
# A round is bounded in count and in time: each connection posts this many orders, or as many
# as it starts within ROUND_SECONDS (a loaded machine then measures fewer, never longer).
PER_CONNECTION = {1: 100, 4: 60}
ROUND_SECONDS = 5.0
WARM_UP_PER_CONNECTION = 2
PRODUCT, BASELINE = "/api/v1/sales-orders/", "/baseline/orders/"


@dataclass
class Measured:
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        return {
            "orders_per_second": round(statistics.median(self.rates), 1),
            "p50_ms": round(percentile(ordered, 50) * 1000, 1),
            "p95_ms": round(percentile(ordered, 95) * 1000, 1),
            "orders": len(ordered),
            "rates": [round(rate, 2) for rate in self.rates],
        }


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def drive(
    url: str,
    body: dict,
    headers: dict,
    connections: int,
    measured: Measured,
    per_connection: int | None = None,
) -> float:
    """Post orders from `connections` threads at once, each `PER_CONNECTION[connections]` or
    as many as it starts within `ROUND_SECONDS`; the round's wall time is returned, its rate
    and each request's time recorded."""
    per_connection = per_connection or PER_CONNECTION[connections]
    payload = json.dumps(body)
    start = threading.Barrier(connections + 1)
    failures: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def client():
        with requests.Session() as session:
            session.headers.update(headers)
            start.wait()
            deadline = time.monotonic() + ROUND_SECONDS
            for _ in range(per_connection):
                if time.monotonic() > deadline:
                    return
                began = time.perf_counter()
                response = session.post(url, data=payload, timeout=60)
                took = time.perf_counter() - began
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.text[:300]}")
                    return
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    assert not failures, failures[:3]
    measured.rates.append(len(latencies) / seconds)
    measured.counts.append(len(latencies))
    measured.latencies.extend(latencies)
    return seconds


def statements_per_order(path: str, body: dict, headers: dict) -> int:
    """One request through the Django test client (the whole stack but the socket), its SQL
    statements counted."""
    client = Client(**{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content[:500]
    print(f"\n{path}: {len(queries)} statements")
    for query in queries.captured_queries:
        print("   ", query["sql"][:100])
    return len(queries.captured_queries)


@pytest.fixture
def order_body(role_groups):
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"H{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(LINES)
    )
    customer, warehouse = f.CustomerFactory(credit_limit=0), f.WarehouseFactory()
    integrator = f.UserFactory(groups=["integrator"])
    headers = {
        "Authorization": f"Token {Token.objects.create(user=integrator).key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    body = {
        "customer": customer.pk,
        "requested_ship_date": "2026-12-01",
        "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "5"} for item in items],
    }
    return body, headers


def test_http_order_of_10_lines_1_and_4_connections(
    benchmark, baseline_app, postgres, order_body, gunicorn
):
    """The benchmark's own rounds time salesmkt at 4 connections; its setup runs, just before
    each, salesmkt at 1 connection and the baseline at 1 and 4."""
    body, headers = order_body
    product, baseline = gunicorn.base + PRODUCT, gunicorn.base + BASELINE
    runs = {(who, n): Measured() for who in ("salesmkt", "baseline") for n in (1, 4)}
    for url in (product, baseline):  # both workers warm: code loaded, connections open
        drive(url, body, headers, 4, Measured(), per_connection=WARM_UP_PER_CONNECTION)
    # Counted once warm: the first order of a database also creates its number series.
    queries = {
        "salesmkt": statements_per_order(PRODUCT, body, headers),
        "baseline": statements_per_order(BASELINE, body, headers),
    }

    def setup():
        drive(baseline, body, headers, 4, runs["baseline", 4])
        drive(product, body, headers, 1, runs["salesmkt", 1])
        drive(baseline, body, headers, 1, runs["baseline", 1])
        return (), {}

    benchmark.pedantic(
        lambda: drive(product, body, headers, 4, runs["salesmkt", 4]),
        setup=setup,
        rounds=ROUNDS,
        iterations=1,
    )

    note_database()
    connections = []
    for n in (1, 4):
        salesmkt, floor = runs["salesmkt", n].summary(), runs["baseline", n].summary()
        connections.append({"connections": n, "salesmkt": salesmkt, "baseline": floor})
    benchmark.extra_info.update(
        label=f"{LINES}-line order over HTTP, a round of 4 connections",
        count=round(statistics.median(runs["salesmkt", 4].counts)),
        unit="orders",
        http={
            "what": f"{LINES}-line order over HTTP (gunicorn, 2 sync workers)",
            "baseline": "minimal Django + DRF nested POST, same server and database",
            "rounds": ROUNDS,
            "connections": connections,
            "queries_per_order": queries,
        },
    )
    for row in connections:
        print(
            f"\n{row['connections']} connection(s): salesmkt"
            f" {row['salesmkt']['orders_per_second']} orders/s"
            f" (p50 {row['salesmkt']['p50_ms']} ms, p95 {row['salesmkt']['p95_ms']} ms),"
            f" baseline {row['baseline']['orders_per_second']} orders/s"
            f" (p50 {row['baseline']['p50_ms']} ms, p95 {row['baseline']['p95_ms']} ms)"
        )
    print(f"SQL statements per order: {queries}")
    assert benchmark.stats.stats.rounds == ROUNDS
