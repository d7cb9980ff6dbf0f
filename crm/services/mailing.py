"""Sending email campaigns: never twice to a target, resumable after a crash.

1. Launch records one `CampaignSend` per target (`pending`, or `skipped` for unsubscribed,
   bounced or address-less targets) in the launching transaction.
2. A worker claims a batch of pending sends (row locks, SKIP LOCKED, so parallel workers never
   claim the same rows), marks them `sending`, and mails them in id order over one reused SMTP
   connection, marking each row `sent` (or `bounced`/`failed`) as soon as the server answered.
3. The claim is a lease (`CAMPAIGN_SEND_STALE_AFTER`): the worker renews it (`claimed_at`) as
   it mails and, before each message after a renewal, makes sure the batch is still its own. A
   batch whose lease ran out belonged to a dead worker: its first unconfirmed row may have
   reached the server, so it becomes `interrupted` and is never resent; the rows after it were
   never attempted and go back to `pending`. A live worker whose batch was taken over (it stalled
   past its lease) stops at once, so nothing is mailed twice.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone

from ..models import Campaign, CampaignSend, CampaignTarget, ContactPerson, Party

log = logging.getLogger(__name__)
Status = CampaignSend.Status


def record_pending_sends(campaign: Campaign) -> int:
    """One send row per target that has none yet (inside the launching transaction)."""
    targets = (
        campaign.targets.filter(send__isnull=True).select_related("party", "contact").order_by("pk")
    )
    rows = []
    for target in targets.iterator(chunk_size=2000):
        email = target.email
        opted_out = target.party.email_opt_out or (
            target.contact_id and target.contact.email_opt_out
        )
        bounced = target.contact.email_bounced if target.contact_id else target.party.email_bounced
        if (
            not email
            or opted_out
            or bounced
            or target.response == CampaignTarget.Response.UNSUBSCRIBED
        ):
            reason = (
                "no address"
                if not email
                else "unsubscribed"
                if opted_out
                else "address bounced before"
            )
            rows.append(
                CampaignSend(
                    campaign=campaign,
                    target=target,
                    email=email,
                    status=Status.SKIPPED,
                    error=reason,
                )
            )
        else:
            rows.append(CampaignSend(campaign=campaign, target=target, email=email))
    CampaignSend.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def schedule_sending(campaign: Campaign) -> None:
    from salesmkt.core.queueing import enqueue

    from ..tasks import send_campaign_emails

    campaign_id = campaign.pk
    transaction.on_commit(lambda: enqueue(send_campaign_emails, campaign_id))


class Renderer:
    """The campaign's subject and bodies compiled once, rendered per target with merge fields."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.subject = Template(campaign.subject)
        self.text = Template(campaign.body_text) if campaign.body_text.strip() else None
        self.html = Template(campaign.body_html) if campaign.body_html.strip() else None
        self.domain = urlsplit(settings.SITE_URL).hostname or "localhost"

    def message(self, send: CampaignSend, connection) -> EmailMultiAlternatives:
        from .campaigns import unsubscribe_url

        target = send.target
        contact = str(target.contact) if target.contact_id else ""
        fields = {
            "name": contact or target.party.name,
            "contact": contact,
            "company": target.party.name,
        }
        link = unsubscribe_url(target)
        subject = " ".join(self.subject.render(Context(fields, autoescape=False)).split())
        text = self.text.render(Context(fields, autoescape=False)) if self.text else ""
        text = f"{text.rstrip()}\n\n--\nUnsubscribe: {link}\n"
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[send.email],
            connection=connection,
            headers={
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                # Stable per send: a receiving server can recognise a message it already has.
                "Message-ID": f"<campaign-{self.campaign.pk}-send-{send.pk}@{self.domain}>",
                "X-Campaign": self.campaign.number,
            },
        )
        if self.html is not None:
            html = self.html.render(Context(fields))
            html += f'<p style="font-size:small"><a href="{link}">Unsubscribe</a></p>'
            message.attach_alternative(html, "text/html")
        return message


def claim_batch(campaign_id: int, size: int) -> tuple[str, list[int]]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.ACTIVE).exists():
            return token, []
        ids = list(
            CampaignSend.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, status=Status.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if ids:
            CampaignSend.objects.filter(id__in=ids).update(
                status=Status.SENDING, batch=token, claimed_at=timezone.now()
            )
    return token, ids


def _mark_sent(send: CampaignSend) -> None:
    CampaignSend.objects.filter(pk=send.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now()
    )


def _mark(send: CampaignSend, status: str, error: str) -> None:
    CampaignSend.objects.filter(pk=send.pk, status=Status.SENDING).update(
        status=status, error=error[:500]
    )


class BatchTakenOver(Exception):
    """The batch's lease ran out and the sweep recovered it: this worker must send no more."""


class _Lease:
    """A worker's hold on its batch, renewed once a third of the lease has passed."""

    def __init__(self, token: str, size: int) -> None:
        self.token, self.held = token, size
        self.renewed = timezone.now()
        self.every = settings.CAMPAIGN_SEND_STALE_AFTER / 3

    def keep(self) -> None:
        """Renew when due; raise `BatchTakenOver` when the batch is no longer all ours."""
        now = timezone.now()
        if now - self.renewed < self.every:
            return  # renewed lately: the sweep cannot have taken it
        renewed = CampaignSend.objects.filter(batch=self.token, status=Status.SENDING).update(
            claimed_at=now
        )
        if renewed != self.held:
            raise BatchTakenOver(self.token)
        self.renewed = now

    def done_with_one(self) -> None:
        self.held -= 1


def _mark_bounced(send: CampaignSend, error: str) -> None:
    _mark(send, Status.BOUNCED, error)
    target = send.target
    CampaignTarget.objects.filter(pk=target.pk).update(
        response=CampaignTarget.Response.BOUNCED, responded_at=timezone.now()
    )
    if target.contact_id:
        ContactPerson.objects.filter(pk=target.contact_id, email=send.email).update(
            email_bounced=True
        )
    else:
        Party.objects.filter(pk=target.party_id, email=send.email).update(email_bounced=True)


def send_batch(campaign_id: int, *, size: int | None = None, connection=None) -> int:
    """Claim and mail one batch. Returns how many sends it handled (0: nothing left).

    A connection-level SMTP failure fails the message it hit, puts the rest of the batch back to
    pending and re-raises, so that the task retries with backoff.
    """
    connection = connection or get_connection(fail_silently=False)
    opened = connection.open()  # an unreachable server raises here, before anything is claimed
    try:
        token, ids = claim_batch(campaign_id, size or settings.CAMPAIGN_SEND_BATCH_SIZE)
        if not ids:
            return 0
        renderer = Renderer(Campaign.objects.get(pk=campaign_id))
        sends = list(
            CampaignSend.objects.filter(id__in=ids, batch=token)
            .select_related("target__party", "target__contact")
            .order_by("id")
        )
        lease = _Lease(token, len(sends))
        for index, send in enumerate(sends):
            try:
                lease.keep()
            except BatchTakenOver:
                log.warning("campaign %s: batch %s was taken over; stopping", campaign_id, token)
                return index
            lease.done_with_one()
            try:
                connection.send_messages([renderer.message(send, connection)])
            except smtplib.SMTPRecipientsRefused as exc:
                _mark_bounced(send, str(exc.recipients))
                continue
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                _mark(send, Status.FAILED, str(exc))
                continue
            except (smtplib.SMTPException, OSError) as exc:
                # The connection broke: this message failed; the ones after it were never
                # attempted and go back to pending for the task's retry.
                _mark(send, Status.FAILED, str(exc))
                CampaignSend.objects.filter(
                    pk__in=[s.pk for s in sends[index + 1 :]], status=Status.SENDING
                ).update(status=Status.PENDING, batch="", claimed_at=None)
                raise
            _mark_sent(send)
        return len(sends)
    finally:
        if opened:
            connection.close()


def send_all(campaign_id: int, *, size: int | None = None, connection=None) -> int:
    """Mail every pending send of the campaign, batch after batch."""
    total = 0
    while True:
        handled = send_batch(campaign_id, size=size, connection=connection)
        if not handled:
            return total
        total += handled


def recover_stale_batches(*, older_than: timedelta | None = None) -> list[int]:
    """Recover batches whose worker died; returns the campaigns that have pending sends again."""
    cutoff = timezone.now() - (
        older_than if older_than is not None else settings.CAMPAIGN_SEND_STALE_AFTER
    )
    with transaction.atomic():
        stale = (
            CampaignSend.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, claimed_at__lte=cutoff)
            .order_by("batch", "id")
        )
        first_of_batch: dict[str, int] = {}
        rest: list[int] = []
        for send in stale.only("id", "batch", "campaign_id"):
            if send.batch not in first_of_batch:
                first_of_batch[send.batch] = send.pk
            else:
                rest.append(send.pk)
        if first_of_batch:
            CampaignSend.objects.filter(pk__in=first_of_batch.values()).update(
                status=Status.INTERRUPTED,
                error="worker stopped while sending; may have been delivered, not resent",
            )
        if rest:
            CampaignSend.objects.filter(pk__in=rest).update(
                status=Status.PENDING, batch="", claimed_at=None
            )
    pending = set(
        CampaignSend.objects.filter(status=Status.PENDING, campaign__status=Campaign.Status.ACTIVE)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    if first_of_batch:
        log.warning("recovered %d interrupted campaign batches", len(first_of_batch))
    return sorted(pending)
