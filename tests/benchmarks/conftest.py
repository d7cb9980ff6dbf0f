"""What the benchmarks share: the baseline app's guard, a gunicorn on the test database, pairs
measured in the same rounds, and the run's date and commit in the saved JSON.

`make bench` runs these with `--ds=tests.benchmarks.settings` (the baseline app installed) and
`--benchmark-json=.benchmarks/last.json`; `python -m tests.benchmarks.report` reads that file.

What a benchmark may put in `benchmark.extra_info` for the report (all optional):

- `label`: what the row says in the README (default: the test's name);
- `count` and `unit`: the work one round does ("50", "invoices"): the rate is count / median;
- `baseline`: a baseline measured in the same rounds (`record_baseline`): its label, its
  round times and median, count and unit;
- `max_gap`: the target, at most this many times the baseline's time;
- `target_seconds`: an absolute target for the median;
- `http`: the HTTP figures of `bench_http.py`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.benchmarks.report import git_commit

ROOT = Path(settings.BASE_DIR)
BASELINE_APP = "tests.benchmarks.baseline"
# What the run was on, filled in by the benchmarks that talk to the database.
RUN_INFO: dict[str, str] = {}
# This module is loaded as the benchmarks are collected, before the first one runs.
STARTED = time.monotonic()


# --- the saved run -----------------------------------------------------------------------------


def pytest_benchmark_update_json(config, benchmarks, output_json):
    output_json["salesmkt"] = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "seconds": round(time.monotonic() - STARTED),
        **RUN_INFO,
    }


def note_database() -> None:
    """The database's version, for the report's header (from a test that uses it)."""
    from django.db import connection

    if "postgresql" not in RUN_INFO and connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        RUN_INFO["postgresql"] = f"{major}.{minor}"


# --- pairs measured in the same rounds ---------------------------------------------------------


class Rounds:
    """Round times of a baseline run in the setup of `benchmark.pedantic`, so that each of its
    rounds sits next to one of the product's and the machine's noise hits both."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def time(self, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        self.times.append(time.perf_counter() - started)
        return result


def record_baseline(
    benchmark,
    *,
    label: str,
    baseline: str,
    rounds: Rounds,
    count: int | None = None,
    unit: str = "",
    max_gap: float | None = None,
) -> float:
    """Put the product's label and the baseline's rounds in `extra_info`; the gap (product's
    median / baseline's median) is returned and printed."""
    note_database()
    median = statistics.median(rounds.times)
    info = benchmark.extra_info
    info["label"] = label
    info["baseline"] = {"label": baseline, "median": median, "times": rounds.times}
    if count:
        info["count"] = info["baseline"]["count"] = count
        info["unit"] = info["baseline"]["unit"] = unit
    if max_gap:
        info["max_gap"] = max_gap
    gap = benchmark.stats.stats.median / median
    print(f"\n{label}: {gap:.1f}x the time of {baseline}")
    return gap


# --- guards ------------------------------------------------------------------------------------


@pytest.fixture
def baseline_app():
    """The baseline app is installed by the benchmark settings only (`make bench`)."""
    from django.apps import apps

    if not apps.is_installed(BASELINE_APP):
        pytest.skip("the baseline app needs --ds=tests.benchmarks.settings (make bench)")


@pytest.fixture
def postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the baselines run on PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def role_groups(db):
    """The user groups, which a transactional test's flush takes away with the rest of the
    data migrations' rows (`--reuse-db` keeps a flushed database)."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from salesmkt.core.roles import ROLE_GROUPS, sync_role_groups

    if Group.objects.filter(name__in=ROLE_GROUPS).count() < len(ROLE_GROUPS):
        sync_role_groups(apps)


# --- gunicorn on the test database -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Gunicorn:
    """gunicorn with `workers` sync workers serving the benchmark settings on the test
    database, as in production (DEBUG off, no broker: what a request queues runs in-process)."""

    def __init__(self, workdir: Path, *, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "gunicorn.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "CELERY_BROKER_URL": "",
            "CACHE_URL": "",
            # The throttle still counts every request; its limit is not what is measured.
            "API_THROTTLE_USER": "1000000/minute",
            "MEDIA_ROOT": str(workdir / "media"),
        }
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "salesmkt.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "sync",
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()[-3000:]
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not listen within {timeout:.0f} s")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """A running gunicorn (2 sync workers) on the test database; stopped before the test's data
    is flushed."""
    server = Gunicorn(tmp_path)
    try:
        server.wait_listening()
        yield server
    finally:
        server.stop()
