from celery import shared_task

from .api.idempotency import purge_expired


@shared_task
def purge_expired_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than their time to live (periodic, safe to run twice)."""
    return purge_expired()
