import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from salesmkt.celery import app
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
