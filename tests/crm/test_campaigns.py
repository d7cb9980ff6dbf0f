"""Campaigns: numbering, targets, launch and status, responses and calls, converting positive
responses, unsubscribing. Sending the mail itself is tested elsewhere."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from crm.models import Campaign, CampaignCall, CampaignSend, CampaignTarget, Lead, Opportunity
from crm.services.campaigns import (
    campaign_add_targets,
    campaign_convert_responses,
    unsubscribe,
    unsubscribe_token,
)
from tests import factories as f

MAIL = {"subject": "Spring offer for {{ company }}", "body_text": "Hello {{ name }}"}


@pytest.fixture(autouse=True)
def no_mail_sending(monkeypatch):
    """Launching an email campaign queues the sending; no mail leaves in these tests."""
    queued = []
    monkeypatch.setattr(
        "crm.services.mailing.schedule_sending", lambda campaign: queued.append(campaign.pk)
    )
    return queued


def at_once(*calls):
    """Run each call in its own thread (own database connection), all released together;
    returns what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def add_targets(api, campaign, **payload):
    response = api.post(f"/api/v1/campaigns/{campaign.pk}/add-targets/", payload, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["added"]


# --- numbering and permissions ----------------------------------------------------------------
@pytest.mark.django_db
def test_campaigns_are_numbered_from_the_campaign_series(manager_api):
    first = manager_api.post("/api/v1/campaigns/", {"name": "Spring", "kind": "email"})
    second = manager_api.post("/api/v1/campaigns/", {"name": "Autumn", "kind": "telemarketing"})

    assert first.status_code == 201, first.json()
    assert first.json()["number"] == "CMP00001"
    assert second.json()["number"] == "CMP00002"
    assert first.json()["status"] == "draft"


@pytest.mark.django_db
def test_a_sales_clerk_cannot_create_campaigns(api_as):
    response = api_as("sales clerk").post("/api/v1/campaigns/", {"name": "Rogue", "kind": "email"})

    assert response.status_code == 403
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_marketing_can_create_campaigns(api_as):
    marketing_api = api_as("marketing")

    response = marketing_api.post("/api/v1/campaigns/", {"name": "Fair", "kind": "mailing"})

    assert response.status_code == 201, response.json()
    assert Campaign.objects.get().owner == marketing_api.user


# --- targets ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_targets_are_added_by_hand_as_parties_and_contacts(manager_api):
    campaign = f.CampaignFactory()
    party = f.PartyFactory()
    contact = f.ContactPersonFactory()

    added = add_targets(manager_api, campaign, parties=[party.pk], contacts=[contact.pk])

    assert added == 2
    targets = {(t.party_id, t.contact_id, t.origin) for t in campaign.targets.all()}
    assert targets == {(party.pk, None, "manual"), (contact.party_id, contact.pk, "manual")}


@pytest.mark.django_db
def test_customers_chosen_by_group_are_targeted_with_their_primary_contact(manager_api):
    campaign = f.CampaignFactory()
    retail = f.CustomerGroupFactory(code="RETAIL")
    with_contacts = f.CustomerFactory(customer_group=retail)
    f.ContactPersonFactory(party=with_contacts.party, is_primary=False)
    primary = f.ContactPersonFactory(party=with_contacts.party, is_primary=True)
    without_contacts = f.CustomerFactory(customer_group=retail)
    f.CustomerFactory(customer_group=f.CustomerGroupFactory(code="WHOLESALE"))

    added = add_targets(
        manager_api, campaign, source="customer", filters={"customer_group": retail.pk}
    )

    assert added == 2
    targets = {(t.party_id, t.contact_id, t.origin) for t in campaign.targets.all()}
    assert targets == {
        (with_contacts.party_id, primary.pk, "customer"),
        (without_contacts.party_id, None, "customer"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "chosen", "left_out"),
    [
        ("prospect", lambda: f.ProspectFactory().party, lambda: f.CustomerFactory().party),
        (
            "lead",
            lambda: f.LeadFactory(status="open").party,
            lambda: f.LeadFactory(status="disqualified").party,
        ),
        (
            "opportunity",
            lambda: f.OpportunityFactory(status="open").party,
            lambda: f.OpportunityFactory(status="lost").party,
        ),
    ],
)
def test_prospects_open_leads_and_open_opportunities_are_chosen_by_filter(
    manager_api, source, chosen, left_out
):
    campaign = f.CampaignFactory()
    party = chosen()
    left_out()

    added = add_targets(manager_api, campaign, source=source)

    assert added == 1
    target = campaign.targets.get()
    assert (target.party_id, target.origin) == (party.pk, source)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "choices",
    [
        pytest.param(["by hand", "by hand"], id="by-hand-twice"),
        pytest.param(["by hand", "as customer"], id="by-hand-and-by-filter"),
        pytest.param(["as lead", "as opportunity"], id="two-filters"),
        pytest.param(["by contact", "by hand", "as customer"], id="contact-hand-and-filter"),
    ],
)
def test_a_party_is_a_target_once_however_it_is_chosen(manager_api, choices):
    campaign = f.CampaignFactory()
    customer = f.CustomerFactory()
    contact = f.ContactPersonFactory(party=customer.party, is_primary=True)
    f.LeadFactory(party=customer.party)
    f.OpportunityFactory(party=customer.party)
    payloads = {
        "by hand": {"parties": [customer.party_id]},
        "by contact": {"contacts": [contact.pk]},
        "as customer": {"source": "customer"},
        "as lead": {"source": "lead"},
        "as opportunity": {"source": "opportunity"},
    }
    add_targets(manager_api, campaign, **payloads[choices[0]])

    added = [add_targets(manager_api, campaign, **payloads[choice]) for choice in choices[1:]]

    assert added == [0] * len(added)
    target = campaign.targets.get()
    assert (target.party_id, target.contact_id) == (customer.party_id, contact.pk)


@pytest.mark.django_db
def test_a_party_targeted_before_it_had_a_contact_is_not_targeted_again(manager_api):
    campaign = f.CampaignFactory()
    customer = f.CustomerFactory()
    add_targets(manager_api, campaign, parties=[customer.party_id])
    f.ContactPersonFactory(party=customer.party, is_primary=True)

    added = add_targets(manager_api, campaign, source="customer")

    assert added == 0
    assert campaign.targets.filter(party=customer.party).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_targets_chosen_by_the_same_filter_at_once_are_added_once():
    campaign = f.CampaignFactory()
    customers = f.CustomerFactory.create_batch(3)
    actor = f.UserFactory()  # no groups: an earlier transactional test may have flushed them

    def choose_customers():
        return campaign_add_targets(campaign=campaign, actor=actor, source="customer")

    outcomes = at_once(choose_customers, choose_customers)

    assert sorted(outcomes) == [0, 3]
    assert sorted(campaign.targets.values_list("party_id", flat=True)) == sorted(
        c.party_id for c in customers
    )


# --- launch and status ------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_campaign_without_targets_cannot_be_launched(manager_api):
    campaign = f.CampaignFactory(kind="telemarketing")

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/launch/")

    assert response.status_code == 409
    assert response.json()["code"] == "campaign_has_no_targets"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [{}, {"subject": "Offer"}, {"body_text": "Hello"}, {"subject": "  ", "body_text": "Hello"}],
)
def test_an_email_campaign_needs_a_subject_and_a_body_to_launch(manager_api, content):
    campaign = f.CampaignFactory(kind="email", **content)
    f.CampaignTargetFactory(campaign=campaign)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/launch/")

    assert response.status_code == 400
    assert "subject" in response.json()["errors"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not CampaignSend.objects.exists()


@pytest.mark.django_db
def test_a_telemarketing_campaign_with_targets_is_launched(manager_api):
    campaign = f.CampaignFactory(kind="telemarketing")
    f.CampaignTargetFactory(campaign=campaign)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/launch/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.launched_at is not None
    assert not CampaignSend.objects.exists()  # nothing is mailed on a telemarketing campaign


@pytest.mark.django_db
def test_launching_an_email_campaign_records_one_pending_send_per_target(
    manager_api, no_mail_sending
):
    campaign = f.CampaignFactory(kind="email", **MAIL)
    f.CampaignTargetFactory.create_batch(2, campaign=campaign)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/launch/")

    assert response.status_code == 200, response.json()
    assert list(campaign.sends.values_list("status", flat=True)) == ["pending", "pending"]
    assert no_mail_sending == [campaign.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "action"),
    [("draft", "complete"), ("active", "launch"), ("completed", "cancel"), ("canceled", "launch")],
)
def test_a_campaign_refuses_transitions_its_status_does_not_allow(manager_api, status, action):
    campaign = f.CampaignFactory(kind="telemarketing", status=status)
    f.CampaignTargetFactory(campaign=campaign)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/{action}/")

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    campaign.refresh_from_db()
    assert campaign.status == status


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "active"])
def test_a_draft_or_active_campaign_can_be_canceled(manager_api, status):
    campaign = f.CampaignFactory(kind="telemarketing", status=status)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/cancel/")

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED
    assert campaign.closed_at is not None


@pytest.mark.django_db
def test_an_active_campaign_is_completed(manager_api):
    campaign = f.CampaignFactory(kind="telemarketing", status="active")

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/complete/")

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert campaign.closed_at is not None


@pytest.mark.django_db
def test_canceling_an_email_campaign_skips_its_pending_sends(manager_api):
    campaign = f.CampaignFactory(kind="email", **MAIL)
    f.CampaignTargetFactory.create_batch(3, campaign=campaign)
    manager_api.post(f"/api/v1/campaigns/{campaign.pk}/launch/")
    already_sent = campaign.sends.order_by("pk").first()
    CampaignSend.objects.filter(pk=already_sent.pk).update(status=CampaignSend.Status.SENT)

    response = manager_api.post(f"/api/v1/campaigns/{campaign.pk}/cancel/")

    assert response.status_code == 200, response.json()
    rows = list(campaign.sends.order_by("pk").values_list("status", "error"))
    assert rows == [
        ("sent", ""),
        ("skipped", "campaign canceled"),
        ("skipped", "campaign canceled"),
    ]


# --- responses and calls ----------------------------------------------------------------------
@pytest.mark.django_db
def test_a_targets_response_is_recorded(manager_api):
    target = f.CampaignTargetFactory(campaign=f.CampaignFactory(status="active"))

    response = manager_api.patch(
        f"/api/v1/campaign-targets/{target.pk}/", {"response": "positive"}, format="json"
    )

    assert response.status_code == 200, response.json()
    target.refresh_from_db()
    assert target.response == CampaignTarget.Response.POSITIVE
    assert target.responded_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "response"), [("interested", "positive"), ("not_interested", "negative")]
)
def test_a_telemarketing_call_records_outcome_follow_up_and_response(
    manager_api, outcome, response
):
    campaign = f.CampaignFactory(kind="telemarketing", status="active")
    target = f.CampaignTargetFactory(campaign=campaign)

    answer = manager_api.post(
        f"/api/v1/campaign-targets/{target.pk}/record-call/",
        {"outcome": outcome, "follow_up_date": "2030-03-01", "notes": "Spoke to the owner"},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    call = CampaignCall.objects.get()
    assert (call.target, call.outcome, call.caller) == (target, outcome, manager_api.user)
    assert call.follow_up_date == datetime.date(2030, 3, 1)
    target.refresh_from_db()
    assert target.call_outcome == outcome
    assert target.follow_up_date == datetime.date(2030, 3, 1)
    assert target.response == response


@pytest.mark.django_db
def test_a_call_without_an_answer_leaves_the_response_open(manager_api):
    campaign = f.CampaignFactory(kind="telemarketing", status="active")
    target = f.CampaignTargetFactory(campaign=campaign)

    manager_api.post(
        f"/api/v1/campaign-targets/{target.pk}/record-call/",
        {"outcome": "no_answer", "follow_up_date": "2030-03-02"},
        format="json",
    )

    target.refresh_from_db()
    assert (target.call_outcome, target.response) == ("no_answer", "none")


@pytest.mark.django_db
def test_calls_are_recorded_only_on_telemarketing_campaigns(manager_api):
    target = f.CampaignTargetFactory(campaign=f.CampaignFactory(kind="email", status="active"))

    response = manager_api.post(
        f"/api/v1/campaign-targets/{target.pk}/record-call/",
        {"outcome": "interested"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_telemarketing"
    assert not CampaignCall.objects.exists()


@pytest.mark.django_db
def test_calls_are_recorded_only_while_the_campaign_is_active(manager_api):
    campaign = f.CampaignFactory(kind="telemarketing", status="draft")
    target = f.CampaignTargetFactory(campaign=campaign)

    response = manager_api.post(
        f"/api/v1/campaign-targets/{target.pk}/record-call/",
        {"outcome": "interested"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "campaign_not_active"
    assert not CampaignCall.objects.exists()
    target.refresh_from_db()
    assert target.response == CampaignTarget.Response.NONE


# --- converting responses ---------------------------------------------------------------------
@pytest.mark.django_db
def test_each_positive_response_becomes_one_lead_linked_to_the_campaign(manager_api):
    campaign = f.CampaignFactory(name="Spring fair", status="active")
    positive = f.CampaignTargetFactory(campaign=campaign, response="positive")
    f.CampaignTargetFactory(campaign=campaign, response="negative")
    f.CampaignTargetFactory(campaign=campaign, response="none")

    response = manager_api.post(
        f"/api/v1/campaigns/{campaign.pk}/convert-responses/", {"into": "lead"}, format="json"
    )

    assert response.status_code == 200, response.json()
    lead = Lead.objects.get()
    assert response.json() == {"leads": [lead.pk], "opportunities": []}
    assert (lead.party_id, lead.campaign, lead.source) == (positive.party_id, campaign, "campaign")
    assert lead.topic == "Spring fair"
    positive.refresh_from_db()
    assert positive.lead == lead


@pytest.mark.django_db
def test_converting_responses_again_creates_nothing_more(manager_api):
    campaign = f.CampaignFactory(status="active")
    f.CampaignTargetFactory.create_batch(2, campaign=campaign, response="positive")
    url = f"/api/v1/campaigns/{campaign.pk}/convert-responses/"
    manager_api.post(url, {"into": "lead"}, format="json")

    again = manager_api.post(url, {"into": "lead"}, format="json")
    as_opportunities = manager_api.post(url, {"into": "opportunity"}, format="json")

    assert again.json()["leads"] == []
    assert as_opportunities.json()["opportunities"] == []
    assert Lead.objects.count() == 2
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_positive_responses_can_become_opportunities(manager_api):
    campaign = f.CampaignFactory(status="active", currency=f.CurrencyFactory())
    positive = f.CampaignTargetFactory(campaign=campaign, response="positive")
    f.CampaignTargetFactory(campaign=campaign, response="negative")

    response = manager_api.post(
        f"/api/v1/campaigns/{campaign.pk}/convert-responses/",
        {"into": "opportunity"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    opportunity = Opportunity.objects.get()
    assert response.json() == {"leads": [], "opportunities": [opportunity.pk]}
    assert (opportunity.party_id, opportunity.campaign) == (positive.party_id, campaign)
    assert opportunity.number == "OP000001"
    positive.refresh_from_db()
    assert positive.opportunity == opportunity
    assert not Lead.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_responses_converted_twice_at_once_give_one_lead_per_target():
    campaign = f.CampaignFactory(status="active")
    f.CampaignTargetFactory.create_batch(3, campaign=campaign, response="positive")
    actor = f.UserFactory()  # no groups: an earlier transactional test may have flushed them

    def convert():
        return campaign_convert_responses(campaign=campaign, actor=actor, into="lead")

    outcomes = at_once(convert, convert)

    assert sorted(len(created) for created in outcomes) == [0, 3]
    assert Lead.objects.count() == 3
    assert not campaign.targets.filter(lead__isnull=True).exists()


# --- unsubscribe ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_unsubscribing_opts_the_party_out():
    target = f.CampaignTargetFactory()

    unsubscribe(token=unsubscribe_token(target))

    target.refresh_from_db()
    target.party.refresh_from_db()
    assert target.response == CampaignTarget.Response.UNSUBSCRIBED
    assert target.party.email_opt_out is True


@pytest.mark.django_db
def test_unsubscribing_a_contacts_target_opts_out_the_contact_only():
    contact = f.ContactPersonFactory(email="kari@example.com")
    target = f.CampaignTargetFactory(party=contact.party, contact=contact)

    unsubscribe(token=unsubscribe_token(target))

    contact.refresh_from_db()
    contact.party.refresh_from_db()
    target.refresh_from_db()
    assert target.response == CampaignTarget.Response.UNSUBSCRIBED
    assert contact.email_opt_out is True
    assert contact.party.email_opt_out is False


@pytest.mark.django_db
def test_a_tampered_unsubscribe_token_is_refused():
    mine = f.CampaignTargetFactory()
    victim = f.CampaignTargetFactory(campaign=mine.campaign)
    _, my_signature = unsubscribe_token(mine).rsplit(":", 1)
    victims_payload, _ = unsubscribe_token(victim).rsplit(":", 1)

    with pytest.raises(ValidationError):
        unsubscribe(token=f"{victims_payload}:{my_signature}")

    victim.refresh_from_db()
    victim.party.refresh_from_db()
    assert victim.response == CampaignTarget.Response.NONE
    assert victim.party.email_opt_out is False


@pytest.mark.django_db
def test_an_unsubscribed_party_is_skipped_by_a_later_email_campaign(manager_api):
    earlier = f.CampaignTargetFactory()
    unsubscribe(token=unsubscribe_token(earlier))
    still_subscribed = f.PartyFactory()
    later = f.CampaignFactory(kind="email", **MAIL)
    campaign_add_targets(
        campaign=later, actor=manager_api.user, parties=[earlier.party, still_subscribed]
    )

    response = manager_api.post(f"/api/v1/campaigns/{later.pk}/launch/")

    assert response.status_code == 200, response.json()
    sends = {s.target.party_id: (s.status, s.error) for s in later.sends.select_related("target")}
    assert sends == {
        earlier.party_id: ("skipped", "unsubscribed"),
        still_subscribed.pk: ("pending", ""),
    }
