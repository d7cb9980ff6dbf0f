"""Real processes for fault injection: a private Redis that a test can stop and start, Celery
workers and a gunicorn web app on the test database, each its own process that a test can kill.

The processes share the test's PostgreSQL database, so the tests that use them are
`transaction=True` (what they write is committed and visible to the others) and PostgreSQL-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.1):
    """Poll until `condition()` is truthy; fail naming `what` when it never becomes so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    """A redis-server of the test's own on a free port, stopped and started at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.cache_url = f"redis://127.0.0.1:{self.port}/1"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=15, what="redis-server to answer")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill it as an outage would (SIGKILL: no goodbye to its clients)."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)  # a frozen one dies as well
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def freeze(self) -> None:
        """Stop it answering without closing anything (SIGSTOP): the kernel still accepts
        connections and takes what clients send, and no answer ever comes, as from a Redis
        stuck on a full disk or a swapped-out host."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def llen(self, queue: str = "celery") -> int:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), "LLEN", queue],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.strip() or 0)


class Service:
    """A child process in its own session (so that it and its children die together)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its children at once, as a crash or the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):  # the group, even if the leader is gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(15)
        self.handle.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Broker:
    """Sends task messages to the private Redis, as the web app or beat would.

    The URL is passed on every send: Celery prefers the CELERY_BROKER_URL environment variable
    (CI's shared Redis) to an app's configured broker, and a message sent there would be lost to
    these tests and left for other tests' workers."""

    def __init__(self, url: str):
        from celery import Celery

        self.url = url
        self.app = Celery("faults", set_as_current=False)  # the tasks keep the real app

    def send(self, task: str, *args) -> None:
        with self.app.connection_for_write(self.url) as connection:
            self.app.send_task(task, args=list(args), connection=connection)


class Api:
    """An integrator's HTTP client with a token, timing every call; `key` sends an
    Idempotency-Key. `post` answers (status, body, headers)."""

    def __init__(self, base: str, token: str):
        self.base, self.token, self.timings = base, token, []

    def post(self, path: str, body: dict | None = None, *, key: str = "", timeout: float = 30):
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body or {}).encode(), method="POST", headers=headers
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, answered = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, answered = error.code, error.read(), error.headers
        self.timings.append((path, time.monotonic() - started))
        return status, json.loads(raw) if raw else {}, answered

    def get(self, path: str) -> int:
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(autouse=True)
def role_groups(request):
    """Transactional tests flush the database, data migrations included: put the groups back."""
    if "transactional_db" not in request.fixturenames and not any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    ):
        return
    from django.apps import apps

    from salesmkt.core.roles import sync_role_groups

    request.getfixturevalue("transactional_db")
    sync_role_groups(apps)


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server on PATH (CI installs and runs Redis)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    return Broker(redis_server.url)


@pytest.fixture
def services(tmp_path, redis_server):
    """Start workers and web apps on the test database and the private Redis; all are killed at
    the end of the test. `services.env` is what they run with (the test may add to it)."""

    class Services:
        def __init__(self):
            self.started: list[Service] = []
            self.env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "salesmkt.settings",
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": redis_server.url,
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "SALESMKT_FAULT_DIR": str(tmp_path),
            }
            self.fault_dir = tmp_path

        def worker(self, *, fault: str = "", name: str = "worker") -> Service:
            env = {**self.env, "SALESMKT_FAULT": fault}
            args = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.faults.worker",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"{name}-{len(self.started)}@%h",
            ]
            service = Service(args, env, self.fault_dir / f"{name}.log")
            self.started.append(service)
            return service

        def web(self, *, fault: str = "") -> tuple[Service, str]:
            """gunicorn with one worker process; `fault` arms one in it (tests/faults/web.py)."""
            port = free_port()
            args = [
                sys.executable,
                "-m",
                "gunicorn",
                "salesmkt.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--timeout",
                "60",
                "--config",
                "python:tests.faults.web",
            ]
            env = {**self.env, "SALESMKT_FAULT": fault}
            service = Service(args, env, self.fault_dir / "web.log")
            self.started.append(service)
            base = f"http://127.0.0.1:{port}"

            def up():
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    return True
                except OSError:
                    assert service.alive, service.output()
                    return False

            wait_for(up, timeout=60, what="gunicorn to listen")
            return service, base

        def beat(self) -> Service:
            """Celery beat, sending the periodic sweeps on the schedule in the settings (the
            test shortens it through the environment)."""
            args = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.faults.worker",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.fault_dir / "beat-schedule"),
            ]
            service = Service(args, self.env, self.fault_dir / "beat.log")
            self.started.append(service)
            return service

        def hanging(self, timeout: float = 90) -> int:
            """Wait until a worker hangs at the injected fault; the hanging process's pid."""
            marker = self.fault_dir / "hanging"

            def hung():
                for service in self.started:
                    assert service.alive, service.output()[-3000:]
                return marker.exists() and marker.read_text().split()[0]

            return int(wait_for(hung, timeout=timeout, what="the worker to reach the fault"))

    started = Services()
    yield started
    for service in started.started:
        service.kill()
