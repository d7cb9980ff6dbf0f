"""Claims are leases: work a live worker holds (renewing its lease) is never taken over, so never
done twice; work whose lease ran out (the worker died) is taken up by the sweep within the lease
and the sweep interval. The clock is moved instead of waited for."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from crm.models import CampaignSend
from crm.services import mailing
from crm.services.campaigns import campaign_launch
from orders.services.orders import sales_order_confirm
from salesmkt.core import documents
from salesmkt.core.models import Document
from tests.crm.test_campaign_mail import email_campaign, make_parties

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=60)


class Clock:
    """`timezone.now()` moved forward at will."""

    def __init__(self):
        self.offset, self.real = timedelta(0), timezone.now

    def now(self):
        return self.real() + self.offset


class SlowSmtp:
    """An SMTP connection on which each message takes `seconds` of the clock; `during(n)` runs
    while the n-th message (from 1) is being sent."""

    def __init__(self, clock: Clock, seconds: float, during=None):
        self.clock, self.seconds, self.during = clock, timedelta(seconds=seconds), during or {}
        self.sent: list[str] = []

    def open(self):
        return False

    def close(self):
        pass

    def send_messages(self, messages):
        self.clock.offset += self.seconds
        self.sent.extend(address for message in messages for address in message.to)
        if len(self.sent) in self.during:
            self.during[len(self.sent)]()
        return len(messages)


@pytest.fixture
def clock(settings):
    settings.CAMPAIGN_SEND_STALE_AFTER = LEASE
    moved = Clock()
    with mock.patch("django.utils.timezone.now", moved.now):
        yield moved


@pytest.fixture
def campaign():
    campaign = email_campaign(make_parties(10))
    with mock.patch.object(mailing, "schedule_sending"):
        campaign_launch(campaign=campaign, actor=None)
    return campaign


def test_a_batch_whose_worker_renews_its_lease_is_never_taken_over_by_the_sweep(clock, campaign):
    # Each mail takes 25 s: the batch of 10 outlives its 60 s lease four times over, and the
    # sweep runs after every mail.
    sweeps = {n: mailing.recover_stale_batches for n in range(1, 11)}
    smtp = SlowSmtp(clock, seconds=25, during=sweeps)

    mailing.send_batch(campaign.pk, size=10, connection=smtp)

    assert len(smtp.sent) == len(set(smtp.sent)) == 10
    sends = CampaignSend.objects.filter(campaign=campaign)
    assert sends.filter(status="sent").count() == 10


def test_a_worker_whose_batch_was_taken_over_sends_no_more_of_it(clock, campaign):
    # The worker stalls on its 3rd mail past the lease: the sweep takes the batch over.
    def stall_then_sweep():
        clock.offset += LEASE
        mailing.recover_stale_batches()

    stalled = SlowSmtp(clock, seconds=1, during={3: stall_then_sweep})
    mailing.send_batch(campaign.pk, size=10, connection=stalled)
    replacement = SlowSmtp(clock, seconds=1)
    mailing.send_all(campaign.pk, size=10, connection=replacement)

    assert len(stalled.sent) == 3
    assert len(replacement.sent) == 7
    assert set(stalled.sent).isdisjoint(replacement.sent)  # nobody mailed twice
    sends = CampaignSend.objects.filter(campaign=campaign)
    assert sends.filter(status="interrupted").count() == 1  # the stalled one: may have arrived


def test_a_pending_document_is_swept_once_its_render_lease_ran_out(clock, make_order, settings):
    settings.DOCUMENT_LEASE, settings.DOCUMENT_SWEEP_AFTER = LEASE, timedelta(seconds=30)
    with mock.patch("salesmkt.core.documents._queue"):  # the task message is lost
        sales_order_confirm(order=make_order(), actor=None)
    document = Document.objects.get()
    assert document.pk not in pending()  # younger than 30 s: its own task is on the way
    clock.offset += timedelta(seconds=31)
    assert documents._take_render_lease(document.pk)  # a worker starts rendering it

    held = pending()
    clock.offset += LEASE + timedelta(seconds=1)  # the worker died: nobody renews the lease

    assert document.pk not in held
    assert document.pk in pending()


def pending() -> set[int]:
    return set(documents.pending_documents().values_list("pk", flat=True))
