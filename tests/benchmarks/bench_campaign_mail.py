"""Email campaign throughput against a local SMTP sink (aiosmtpd), beside raw smtplib (run with
`make bench`).

Each round sends one campaign of `TARGETS` targets with our sender (claim batches, render merge
fields and the unsubscribe link, one reused SMTP connection per batch, mark each send); just
before it, the baseline sends as many messages to the same sink with raw smtplib over one
reused connection and no database: the sink's own rate. emails/s = TARGETS / the round's time.
"""

import smtplib
from email.message import EmailMessage

import pytest

from crm.services import mailing
from crm.services.campaigns import campaign_add_targets, campaign_create, campaign_launch
from tests.benchmarks.conftest import Rounds, record_baseline
from tests.crm.test_campaign_mail import make_parties

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
TARGETS = 1_000
ROUNDS = 3


def launched_campaign(round_number: int) -> int:
    campaign = campaign_create(
        data={
            "name": f"Bench {round_number}",
            "kind": "email",
            "subject": "{{ company }} news",
            "body_text": "Dear {{ name }}",
        },
        actor=None,
    )
    campaign_add_targets(
        campaign=campaign,
        actor=None,
        parties=make_parties(TARGETS, prefix=f"b{round_number}-"),
    )
    campaign_launch(campaign=campaign, actor=None)
    return campaign.pk


def send_raw(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(TARGETS):
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = (
                "a@example.com",
                f"r{n}@example.com",
                "x",
            )
            message.set_content("Dear you")
            smtp.send_message(message)


def test_campaign_send_beside_raw_smtplib(benchmark, smtp_sink, monkeypatch):
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    baseline, rounds = Rounds(), iter(range(ROUNDS))

    def raw_then_campaign():
        baseline.time(send_raw, smtp_sink.port)
        return (launched_campaign(next(rounds)),), {}

    sent = benchmark.pedantic(mailing.send_all, setup=raw_then_campaign, rounds=ROUNDS)

    assert sent == TARGETS
    assert len(smtp_sink.recipients()) == 2 * ROUNDS * TARGETS
    record_baseline(
        benchmark,
        label=f"email campaign of {TARGETS:,} targets (batches, merge fields, one send marked"
        " each)",
        baseline="raw smtplib, one reused connection, no database (the sink's own rate)",
        rounds=baseline,
        count=TARGETS,
        unit="emails",
    )
