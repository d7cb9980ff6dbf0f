import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from salesmkt.celery import app
from salesmkt.core import queueing
from salesmkt.core.models import IdempotencyRecord
from salesmkt.core.tasks import purge_expired_idempotency_keys
from tests.factories import UserFactory


def test_without_a_broker_tasks_run_eagerly_in_process():
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_on_redis_runs_on_a_real_worker():
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker: set CELERY_BROKER_URL (CI runs Redis)")
    from celery.contrib.testing.worker import start_worker

    record = IdempotencyRecord.objects.create(
        user=UserFactory(), key="old", method="POST", path="/x", fingerprint="f"
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )

    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        purge_expired_idempotency_keys.delay()
        deadline = time.monotonic() + 20
        while (
            IdempotencyRecord.objects.filter(pk=record.pk).exists() and time.monotonic() < deadline
        ):
            time.sleep(0.2)

    assert not IdempotencyRecord.objects.filter(pk=record.pk).exists()


@pytest.fixture
def frozen_broker(monkeypatch):
    """A broker that accepts connections (the kernel does) and never answers, as a Redis stopped
    with SIGSTOP; tasks are published to it, not run in-process."""
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(16)  # never accepted: connects complete, nothing is ever read or answered
        monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{frozen.getsockname()[1]}/0")
        app.conf.task_always_eager = False  # the autouse `celery_eager` puts it back
        queueing.broker_back()
        yield
        queueing.broker_back()


def test_a_publish_to_a_broker_that_never_answers_gives_up_and_leaves_the_work_for_the_sweep(
    frozen_broker,
):
    failures = []
    publish = queueing._publish

    def watched(*args):
        try:
            return publish(*args)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            raise

    with mock.patch.object(queueing, "_publish", watched):
        queued = queueing.enqueue(purge_expired_idempotency_keys)

    assert queued is False
    assert len(failures) == 1 and "Timeout" in failures[0]  # one try, given up on the timeout
    assert queueing._broker_down_until > 0  # the process now backs off from the broker


def test_after_a_failed_publish_the_process_leaves_the_broker_alone_for_the_backoff(
    frozen_broker, settings
):
    settings.CELERY_PUBLISH_BACKOFF = 60
    queueing.enqueue(purge_expired_idempotency_keys)

    with mock.patch.object(queueing, "_publish") as publish:
        queued = queueing.enqueue(purge_expired_idempotency_keys)

    assert queued is False
    publish.assert_not_called()
