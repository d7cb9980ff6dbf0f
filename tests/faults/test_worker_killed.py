"""A real Celery worker (its own process, prefork pool, on a Redis of the test's own) is killed
with SIGKILL in the middle of its work: the work is redone, nothing is lost, no mail goes out
twice and no PDF is left half written where a reader would find it.

The fault is armed in the worker (tests/faults/worker.py): it hangs at the chosen point until the
test kills it, so the kill lands exactly there.
"""

from __future__ import annotations

import io
import os
import signal
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from crm.models import CampaignSend
from crm.services import mailing
from crm.services.campaigns import campaign_launch
from orders.services.orders import sales_order_confirm
from salesmkt.core.models import Document
from salesmkt.core.tasks import resume_pending_documents
from tests import factories as f
from tests.crm.test_campaign_mail import email_campaign, make_parties
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mail_env(services, smtp_sink):
    services.env.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_sink.port),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        # A dead worker's render lease runs out in seconds, not the minute of production.
        DOCUMENT_LEASE_SECONDS="5",
    )
    return smtp_sink


def test_a_worker_killed_mid_pdf_write_leaves_no_corrupt_pdf_and_the_render_is_redone_once(
    services, broker, mail_env, make_order
):
    from pypdf import PdfReader

    order = make_order(customer=f.CustomerFactory(party=f.PartyFactory(email="buyer@fjord.no")))
    task = "salesmkt.core.tasks.render_document"
    with mock.patch("salesmkt.core.documents._queue", lambda pk: broker.send(task, pk)):
        sales_order_confirm(order=order, actor=None)
    document = Document.objects.get()
    folder = Path(settings.MEDIA_ROOT) / "documents"

    worker = services.worker(fault="render-mid-write")
    child = services.hanging()  # the pool process, halfway through writing the PDF

    [part] = folder.glob("*.part")
    assert list(folder.glob("*.pdf")) == []  # a reader finds no PDF at all, not half of one
    assert Document.objects.get().status == "pending"
    os.kill(child, signal.SIGKILL)

    wait_for(
        lambda: Document.objects.filter(pk=document.pk, mail_status="sent").exists(),
        timeout=90,
        what="the redelivered task to render and mail the document",
    )
    assert "SIGKILL" in worker.output()  # the pool process really died mid-task
    document.refresh_from_db()
    pdf = (Path(settings.MEDIA_ROOT) / document.file).read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1 and pdf.rstrip().endswith(b"%%EOF")
    assert 0 < part.stat().st_size < len(pdf)  # the killed write really was half a PDF
    assert mail_env.recipients() == ["buyer@fjord.no"]  # mailed once

    hours_ago = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(part, (hours_ago, hours_ago))
    resume_pending_documents.apply().get()  # the sweep clears the dead render's leftover
    assert list(folder.glob("*.part")) == []


def test_a_worker_killed_mid_campaign_batch_loses_no_mail_and_sends_none_twice(
    services, broker, mail_env
):
    services.env["CAMPAIGN_SEND_BATCH_SIZE"] = "10"
    parties = make_parties(40)
    campaign = email_campaign(parties)
    task = "crm.tasks.send_campaign_emails"
    with mock.patch.object(mailing, "schedule_sending", lambda c: broker.send(task, c.pk)):
        campaign_launch(campaign=campaign, actor=None)

    worker = services.worker(fault="mail-after-smtp:15")
    services.hanging()  # the 15th mail is on the server, its row not yet marked sent
    worker.kill()  # the whole worker: main process and pool at once
    assert len(mail_env.recipients()) == 15
    assert CampaignSend.objects.filter(campaign=campaign, status="sending").count() == 6

    # The beat's sweep, once the dead batch is stale; then a new worker takes the campaign.
    resumable = mailing.recover_stale_batches(older_than=timedelta(0))
    assert resumable == [campaign.pk]
    broker.send(task, campaign.pk)
    broker.send(task, campaign.pk)  # and a duplicate message, for good measure
    services.worker(name="replacement")
    wait_for(
        lambda: (
            not CampaignSend.objects.filter(
                campaign=campaign, status__in=["pending", "sending"]
            ).exists()
        ),
        timeout=90,
        what="the replacement worker to send the rest",
    )

    received = mail_env.recipients()
    assert sorted(received) == sorted(p.email for p in parties)  # everyone once, nobody twice
    sends = CampaignSend.objects.filter(campaign=campaign)
    assert sends.filter(status="interrupted").count() == 1  # delivered, unconfirmed: not resent
    assert sends.filter(status="sent").count() == 39
