"""Celery tasks of the CRM area: thin, safe to run twice; the services hold the rules."""

import smtplib

from celery import shared_task

from .services import mailing


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def send_campaign_emails(self, campaign_id: int) -> int:
    """Mail every pending send of a campaign. Running it twice sends nothing twice."""
    return mailing.send_all(campaign_id)


@shared_task
def resume_campaign_sends() -> list[int]:
    """Periodic sweep: recover batches of dead workers and resume campaigns with pending mail."""
    from salesmkt.core.queueing import enqueue_each

    campaigns = mailing.recover_stale_batches()
    enqueue_each(send_campaign_emails, campaigns)
    return campaigns
