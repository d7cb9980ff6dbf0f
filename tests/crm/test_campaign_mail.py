"""Email campaigns sent through Django's real SMTP backend to a local SMTP server."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections

from crm.models import Campaign, CampaignSend, CampaignTarget, Party
from crm.services import mailing
from crm.services.campaigns import campaign_add_targets, campaign_create, campaign_launch
from crm.tasks import send_campaign_emails
from tests.factories import UserFactory


def make_parties(count: int, *, prefix: str = "t", opted_out_every: int = 0) -> list[Party]:
    parties = [
        Party(
            name=f"Target {prefix}{n} AS",
            email=f"{prefix}{n}@example.com",
            email_opt_out=bool(opted_out_every and n % opted_out_every == 0),
        )
        for n in range(count)
    ]
    return Party.objects.bulk_create(parties, batch_size=1000)


def unsubscribe_path(message) -> str:
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def email_campaign(parties, actor=None) -> Campaign:
    campaign = campaign_create(
        data={
            "name": "Skrei season",
            "kind": "email",
            "subject": "{{ company }}: skrei is here",
            "body_text": "Dear {{ name }},\nthe skrei season starts.",
            "body_html": "<p>Dear {{ name }},</p><p>the skrei season starts.</p>",
        },
        actor=actor,
    )
    campaign_add_targets(campaign=campaign, actor=actor, parties=parties)
    return campaign


@pytest.mark.django_db
def test_a_campaign_of_2000_targets_mails_each_subscribed_target_exactly_once(
    smtp_sink, django_capture_on_commit_callbacks
):
    parties = make_parties(2000, opted_out_every=10)  # 200 have unsubscribed before
    campaign = email_campaign(parties)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=None)

    subscribed = {p.email for p in parties if not p.email_opt_out}
    received = smtp_sink.recipients()
    assert len(received) == len(subscribed) == 1800
    assert set(received) == subscribed  # none to an unsubscribed party, none twice
    assert campaign.sends.filter(status="sent").count() == 1800
    assert campaign.sends.filter(status="skipped", error="unsubscribed").count() == 200

    assert send_campaign_emails.apply(args=[campaign.pk]).get() == 0  # the task again: nothing more
    assert len(smtp_sink.recipients()) == 1800


@pytest.mark.django_db
def test_every_email_carries_merge_fields_and_a_signed_unsubscribe_link(
    smtp_sink, django_capture_on_commit_callbacks, client
):
    party = Party.objects.create(name="Fjordkjøkken AS", email="post@fjord.no")
    campaign = email_campaign([party])

    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=None)

    [(_recipients, message)] = smtp_sink.messages
    assert message["Subject"] == "Fjordkjøkken AS: skrei is here"
    text = message.get_body(("plain",)).get_content()
    assert "Dear Fjordkjøkken AS," in text
    path = unsubscribe_path(message)
    assert path in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    client.post(path)  # one click, as a mail client does (RFC 8058)

    party.refresh_from_db()
    assert party.email_opt_out is True
    assert CampaignTarget.objects.get(party=party).response == "unsubscribed"


@pytest.mark.django_db
def test_an_unsubscribed_party_is_never_mailed_again_by_any_campaign(
    smtp_sink, django_capture_on_commit_callbacks, client
):
    party = Party.objects.create(name="Leaving AS", email="leaving@example.com")
    first = email_campaign([party])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=first, actor=None)
    client.post(unsubscribe_path(smtp_sink.messages[0][1]))

    second = email_campaign([party])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=second, actor=None)

    assert smtp_sink.recipients() == ["leaving@example.com"]
    assert second.sends.get().status == "skipped"


@pytest.mark.django_db
def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(client):
    party = Party.objects.create(name="Stay AS", email="stay@example.com")

    response = client.post("/unsubscribe/not-a-valid-token/")

    assert response.status_code == 400
    party.refresh_from_db()
    assert party.email_opt_out is False


@pytest.mark.django_db
def test_a_bounced_address_is_marked_and_skipped_by_later_campaigns(
    smtp_sink, django_capture_on_commit_callbacks
):
    good = Party.objects.create(name="Good AS", email="good@example.com")
    bad = Party.objects.create(name="Gone AS", email="bounce@example.com")
    campaign = email_campaign([good, bad])

    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=campaign, actor=None)

    assert smtp_sink.recipients() == ["good@example.com"]
    assert campaign.sends.get(target__party=bad).status == "bounced"
    assert CampaignTarget.objects.get(campaign=campaign, party=bad).response == "bounced"
    bad.refresh_from_db()
    assert bad.email_bounced is True
    later = email_campaign([bad])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_launch(campaign=later, actor=None)
    assert later.sends.get().status == "skipped"


@pytest.mark.django_db
def test_a_worker_killed_mid_batch_resumes_without_mailing_anyone_twice(smtp_sink, monkeypatch):
    parties = make_parties(30)
    campaign = email_campaign(parties)
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    campaign_launch(campaign=campaign, actor=None)
    real_mark_sent = mailing._mark_sent
    calls = {"n": 0}

    class WorkerKilled(BaseException):
        pass

    def dies_after_the_fifth_delivery(send):
        calls["n"] += 1
        if calls["n"] == 5:
            raise WorkerKilled  # the 5th mail reached the server; its row was never marked
        real_mark_sent(send)

    monkeypatch.setattr(mailing, "_mark_sent", dies_after_the_fifth_delivery)
    with pytest.raises(WorkerKilled):
        mailing.send_all(campaign.pk, size=10)
    monkeypatch.setattr(mailing, "_mark_sent", real_mark_sent)
    assert len(smtp_sink.recipients()) == 5

    resumable = mailing.recover_stale_batches(older_than=timedelta(0))
    assert resumable == [campaign.pk]
    mailing.send_all(campaign.pk, size=10)

    received = smtp_sink.recipients()
    assert sorted(received) == sorted(p.email for p in parties)  # everyone once, nobody twice
    assert campaign.sends.filter(status="interrupted").count() == 1
    assert campaign.sends.filter(status="sent").count() == 29


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_every_mail_pending_for_the_retry(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    campaign = email_campaign(make_parties(3))
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    campaign_launch(campaign=campaign, actor=None)

    with pytest.raises(OSError):
        mailing.send_batch(campaign.pk)

    assert campaign.sends.filter(status="pending").count() == 3  # never attempted: retried later


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_mail_a_target_twice(smtp_sink, monkeypatch):
    parties = make_parties(600)
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    campaign = email_campaign(parties)
    campaign_launch(campaign=campaign, actor=None)
    errors = []

    def worker():
        try:
            mailing.send_all(campaign.pk, size=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    received = smtp_sink.recipients()
    assert len(received) == 600 and len(set(received)) == 600


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_launched_campaign_is_sent_by_a_real_worker_through_redis(smtp_sink, settings):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker: set CELERY_BROKER_URL (CI runs Redis)")
    from celery.contrib.testing.worker import start_worker

    from salesmkt.celery import app

    parties = make_parties(300)
    campaign = email_campaign(parties, actor=UserFactory())

    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        campaign_launch(campaign=campaign, actor=None)  # queues the task on commit
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and CampaignSend.objects.filter(
                campaign=campaign, status__in=["pending", "sending"]
            ).exists()
        ):
            time.sleep(0.2)
        send_campaign_emails.delay(campaign.pk)  # a duplicate message: must send nothing more
        time.sleep(1)

    received = smtp_sink.recipients()
    assert len(received) == 300 and len(set(received)) == 300
