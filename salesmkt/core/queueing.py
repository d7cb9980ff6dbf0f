"""Queue background work without letting the broker hold up or fail the request that asked for it.

The work itself is always recorded in PostgreSQL first (a pending document, pending campaign
sends, pending invoice-run rows) and its message is queued once that transaction committed; the
message only wakes a worker early. Publishing is one try on a connection of its own whose connect
and every answer are bounded by `CELERY_PUBLISH_TIMEOUT`, never retried: a Redis that is down,
or frozen (it accepts the connection and never answers), costs the request that much once, and
then the process leaves the broker alone for `CELERY_PUBLISH_BACKOFF` seconds. The message is
dropped with a warning and the periodic sweeps queue the pending work once the broker is back,
so nothing is lost and the clerk's order or invoice is answered as the committed change it is.

Without a broker the tasks run in the process (eagerly); work too slow for the request that asked
for it (a document's PDF) goes to an `InProcessQueue` instead, a thread that does it after the
response.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

_broker_down_until = 0.0


def _eager(task) -> bool:
    return bool(task.app.conf.task_always_eager)


@contextlib.contextmanager
def broker_connection(app) -> Iterator[object]:
    """A connection for publishing from a request (or a sweep): short timeouts, no retries."""
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    with app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 0,
        },
    ) as connection:
        yield connection


def enqueue(task, *args, connection=None) -> bool:
    """Queue `task(*args)`; False (and a warning) when the broker did not take the message.

    Never raises for the broker: whatever the publish failed with (refused, timed out, a dropped
    connection) the work is left for the sweep. `connection` shares one broker connection across
    several messages (a sweep); by default each call opens its own.
    """
    global _broker_down_until
    if _eager(task):
        try:
            task.delay(*args)
        except (OperationalError, ConnectionError, OSError) as exc:
            log.warning("broker unavailable, %s%r left for the sweep: %s", task.name, args, exc)
            return False
        return True
    if time.monotonic() < _broker_down_until:
        log.warning("broker unavailable (backing off), %s%r left for the sweep", task.name, args)
        return False
    try:
        if connection is not None:
            _publish(task, args, connection)
        else:
            with broker_connection(task.app) as own:
                _publish(task, args, own)
    except Exception as exc:  # any broker failure: the sweep sends the work
        _broker_down_until = time.monotonic() + settings.CELERY_PUBLISH_BACKOFF
        log.warning(
            "broker unavailable, %s%r left for the sweep: %s: %s",
            task.name,
            args,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def enqueue_each(task, ids) -> int:
    """Queue `task(id)` for each id over one broker connection (a sweep); how many were queued."""
    ids = list(ids)
    if not ids:
        return 0
    if _eager(task):
        return sum(enqueue(task, pk) for pk in ids)
    queued = 0
    try:
        with broker_connection(task.app) as connection:
            for pk in ids:
                queued += enqueue(task, pk, connection=connection)
    except Exception as exc:  # closing a connection to a broker gone away
        log.warning("broker connection closed badly after a sweep: %s", exc)
    return queued


def _publish(task, args: tuple, connection) -> None:
    # No result is read back, so the result backend is never spoken to from here either.
    task.apply_async(args, connection=connection, retry=False, ignore_result=True)


def broker_back() -> None:
    """Forget a failure seen before (tests, and a sweep that found the broker answering)."""
    global _broker_down_until
    _broker_down_until = 0.0


class InProcessQueue:
    """Work for later in this process, when there is no broker: one worker thread takes the
    queued ids in turn and runs `work(id)` on each, after the request that queued it answered.

    The work itself is recorded in PostgreSQL first, as for the broker, so a job lost with its
    process (a restart, a crash) is done again by the next one who asks for it. The thread has
    its own database connection, closed after each job (a connection left open would outlive
    the job that needed it, and Django never closes a thread's connections itself). An id
    already waiting is not queued twice. A forked child starts a thread of its own.
    """

    def __init__(self, name: str, work) -> None:
        self.name, self.work = name, work
        self._lock = threading.Lock()
        self._jobs: queue.Queue | None = None
        self._waiting: set = set()
        self._thread: threading.Thread | None = None
        self._pid = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        # Whatever the parent's lock and thread were doing, the child has neither.
        self._lock = threading.Lock()
        self._jobs, self._thread, self._waiting = None, None, set()

    def submit(self, job_id) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._jobs, self._waiting, self._pid = queue.Queue(), set(), os.getpid()
                self._thread = threading.Thread(
                    target=self._run, args=(self._jobs,), name=self.name, daemon=True
                )
                self._thread.start()
            if job_id in self._waiting:
                return
            self._waiting.add(job_id)
            self._jobs.put(job_id)

    def _run(self, jobs: queue.Queue) -> None:
        from django.db import connections

        while True:
            job_id = jobs.get()
            with self._lock:
                self._waiting.discard(job_id)
            try:
                self.work(job_id)
            except Exception:
                log.exception("%s: job %r failed", self.name, job_id)
            finally:
                connections.close_all()  # this thread's connections only
                jobs.task_done()

    def wait(self, timeout: float) -> bool:
        """Wait until every queued job is done (tests, and a process on its way out); False when
        `timeout` seconds passed first."""
        jobs = self._jobs
        if jobs is None:
            return True
        deadline = time.monotonic() + timeout
        with jobs.all_tasks_done:
            while jobs.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                jobs.all_tasks_done.wait(left)
        return True
