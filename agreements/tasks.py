from celery import shared_task

from .services.sales_agreements import close_expired_agreements


@shared_task
def close_expired_sales_agreements() -> int:
    """Nightly: close agreements past their expiration date (safe to run twice)."""
    return close_expired_agreements()
