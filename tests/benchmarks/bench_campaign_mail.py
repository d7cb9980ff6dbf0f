"""Email campaign throughput against a local SMTP sink (run with `make bench`).

Two rounds of 10,000 messages each: our sender (claim batches, render merge fields, one reused
SMTP connection per batch, mark each send) and, for comparison, the sink's own rate with raw
smtplib over one reused connection. emails/s = 10,000 / the round's time.
"""

import smtplib
from email.message import EmailMessage

import pytest

from crm.services import mailing
from crm.services.campaigns import campaign_add_targets, campaign_create, campaign_launch
from tests.crm.test_campaign_mail import make_parties

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
TARGETS = 10_000


def report(benchmark, label):
    seconds = benchmark.stats.stats.min
    benchmark.extra_info["emails_per_second"] = round(TARGETS / seconds)
    print(f"\n{label}: {TARGETS} emails in {seconds:.2f} s = {TARGETS / seconds:.0f} emails/s")


def test_campaign_send_10000_targets(benchmark, smtp_sink, monkeypatch):
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    campaign = campaign_create(
        data={
            "name": "Bench",
            "kind": "email",
            "subject": "{{ company }} news",
            "body_text": "Dear {{ name }}",
        },
        actor=None,
    )
    campaign_add_targets(campaign=campaign, actor=None, parties=make_parties(TARGETS, prefix="b"))
    campaign_launch(campaign=campaign, actor=None)

    sent = benchmark.pedantic(mailing.send_all, args=(campaign.pk,), rounds=1, iterations=1)

    assert sent == TARGETS and len(smtp_sink.recipients()) == TARGETS
    report(benchmark, "salesmkt campaign sender")


def test_smtp_sink_raw_rate_one_connection_10000(benchmark, smtp_sink):
    def send_raw():
        with smtplib.SMTP("127.0.0.1", smtp_sink.port) as smtp:
            for n in range(TARGETS):
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = (
                    "a@example.com",
                    f"r{n}@example.com",
                    "x",
                )
                message.set_content("Dear you")
                smtp.send_message(message)

    benchmark.pedantic(send_raw, rounds=1, iterations=1)

    assert len(smtp_sink.recipients()) == TARGETS
    report(benchmark, "SMTP sink, raw smtplib, one connection")
