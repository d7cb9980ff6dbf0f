"""Campaigns, leads and opportunities: in every status, for every declared action, the page shows
the action's button exactly when the service accepts it, and the API's `allowed_actions` says
the same (issue 15: one definition of what may happen next, `crm/actions.py`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.actions import CAMPAIGN, LEAD, OPPORTUNITY
from crm.models import SalesStage
from crm.services import campaigns, relationships, stages
from tests import factories as f
from tests.action_table import allowed_on_the_page_and_api

MAIL = {"subject": "Spring offer for {{ company }}", "body_text": "Hello {{ name }}"}


# --- campaigns ----------------------------------------------------------------------------------


def campaign_runs(campaign, actor) -> dict:
    target = campaign.targets.order_by("pk").first()
    on_target = (lambda run: run) if target is not None else (lambda run: None)
    return {
        "update": lambda: campaigns.campaign_update(
            instance=campaign, data={"description": "Changed"}, actor=actor
        ),
        "delete": lambda: campaigns.campaign_delete(instance=campaign, actor=actor),
        "launch": lambda: campaigns.campaign_launch(campaign=campaign, actor=actor),
        "complete": lambda: campaigns.campaign_complete(campaign=campaign, actor=actor),
        "cancel": lambda: campaigns.campaign_cancel(campaign=campaign, actor=actor),
        "convert_responses": lambda: campaigns.campaign_convert_responses(
            campaign=campaign, actor=actor, into="lead"
        ),
        "add_targets": lambda: campaigns.campaign_add_targets(
            campaign=campaign, actor=actor, parties=[f.PartyFactory()]
        ),
        "remove_targets": on_target(
            lambda: campaigns.campaign_remove_target(target=target, actor=actor)
        ),
        "record_response": on_target(
            lambda: campaigns.target_record_response(
                target=target, response="positive", actor=actor
            )
        ),
        "record_call": on_target(
            lambda: campaigns.target_record_call(target=target, outcome="interested", actor=actor)
        ),
    }


def make_campaign(actor, *, kind="email", mail=True, targets=True, then=()):
    campaign = campaigns.campaign_create(
        data={"name": "Spring", "kind": kind, **(MAIL if mail else {})}, actor=actor
    )
    if targets:
        campaigns.campaign_add_targets(campaign=campaign, actor=actor, parties=[f.PartyFactory()])
    for step in then:
        campaign = getattr(campaigns, f"campaign_{step}")(campaign=campaign, actor=actor)
    return campaign


OPEN_CAMPAIGN = {"update", "cancel", "add_targets"}
CAMPAIGN_TABLE = [
    # (state, how to make it, the actions allowed in it)
    (
        "email draft without targets",
        {"targets": False},
        OPEN_CAMPAIGN | {"delete"},
    ),
    (
        "email draft without mail content",
        {"mail": False},
        OPEN_CAMPAIGN | {"delete", "remove_targets"},
    ),
    ("email draft", {}, OPEN_CAMPAIGN | {"delete", "launch", "remove_targets"}),
    (
        "telemarketing draft",
        {"kind": "telemarketing", "mail": False},
        OPEN_CAMPAIGN | {"delete", "launch", "remove_targets"},
    ),
    (
        "email active",
        {"then": ["launch"]},
        OPEN_CAMPAIGN | {"complete", "convert_responses", "record_response"},
    ),
    (
        "telemarketing active",
        {"kind": "telemarketing", "mail": False, "then": ["launch"]},
        OPEN_CAMPAIGN | {"complete", "convert_responses", "record_response", "record_call"},
    ),
    ("completed", {"then": ["launch", "complete"]}, {"convert_responses"}),
    ("canceled after launch", {"then": ["launch", "cancel"]}, {"convert_responses"}),
    ("canceled draft", {"then": ["cancel"]}, set()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "make", "expected"), CAMPAIGN_TABLE, ids=[row[0] for row in CAMPAIGN_TABLE]
)
def test_campaign_page_service_and_api_agree_on_what_may_happen_next(
    clients, superuser, state, make, expected
):
    campaign = make_campaign(superuser, **make)
    runs = campaign_runs(campaign, superuser)
    assert set(runs) == set(CAMPAIGN.actions), "every declared action is in the table"

    allowed = allowed_on_the_page_and_api(
        obj=campaign,
        runs=runs,
        page_url=reverse("crm:campaigns-detail", args=[campaign.pk]),
        api_url=f"/api/v1/campaigns/{campaign.pk}/",
        clients=clients,
        label=state,
        api_only={"remove_targets"},  # DELETE /campaign-targets/{id}/; no page removes targets
    )

    assert allowed == expected


@pytest.mark.django_db
def test_a_campaign_without_mail_content_shows_launch_disabled_with_the_reason(clients, superuser):
    campaign = make_campaign(superuser, mail=False)
    page_client, api_client = clients

    html = page_client.get(reverse("crm:campaigns-detail", args=[campaign.pk])).content.decode()
    entries = api_client.get(f"/api/v1/campaigns/{campaign.pk}/").json()["allowed_actions"]

    assert 'data-refusal="campaign_has_no_mail_content"' in html
    assert "An email campaign needs a subject and a text or HTML body." in html
    launch = next(entry for entry in entries if entry["action"] == "launch")
    assert launch["refusal"] == "campaign_has_no_mail_content"


# --- leads --------------------------------------------------------------------------------------


def lead_runs(lead, actor) -> dict:
    return {
        "update": lambda: relationships.lead_update(
            instance=lead, data={"notes": "Changed"}, actor=actor
        ),
        "delete": lambda: relationships.lead_delete(instance=lead, actor=actor),
        "qualify": lambda: relationships.lead_qualify(lead=lead, actor=actor),
        "disqualify": lambda: relationships.lead_disqualify(
            lead=lead, reason="No budget", actor=actor
        ),
    }


LEAD_TABLE = [
    ("open", None, {"update", "delete", "qualify", "disqualify"}),
    ("qualified", lambda lead, actor: relationships.lead_qualify(lead=lead, actor=actor), set()),
    (
        "disqualified",
        lambda lead, actor: relationships.lead_disqualify(lead=lead, reason="No", actor=actor),
        set(),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "step", "expected"), LEAD_TABLE, ids=[r[0] for r in LEAD_TABLE])
def test_lead_page_service_and_api_agree_on_what_may_happen_next(
    clients, superuser, state, step, expected
):
    lead = relationships.lead_create(
        data={"party": f.PartyFactory(), "topic": "Seafood"}, actor=superuser
    )
    if step is not None:
        step(lead, superuser)
    runs = lead_runs(lead, superuser)
    assert set(runs) == set(LEAD.actions)

    allowed = allowed_on_the_page_and_api(
        obj=lead,
        runs=runs,
        page_url=reverse("crm:leads-detail", args=[lead.pk]),
        api_url=f"/api/v1/leads/{lead.pk}/",
        clients=clients,
        label=f"lead {state}",
    )

    assert allowed == expected


# --- opportunities ------------------------------------------------------------------------------


def opportunity_runs(opportunity, actor) -> dict:
    return {
        "update": lambda: relationships.opportunity_update(
            instance=opportunity, data={"notes": "Changed"}, actor=actor
        ),
        "delete": lambda: relationships.opportunity_delete(instance=opportunity, actor=actor),
        "win": lambda: relationships.opportunity_win(opportunity=opportunity, actor=actor),
        "lose": lambda: relationships.opportunity_lose(
            opportunity=opportunity, reason="Price", actor=actor
        ),
        "cancel": lambda: relationships.opportunity_cancel(opportunity=opportunity, actor=actor),
        "move_stage": lambda: stages.opportunity_move_stage(
            opportunity=opportunity,
            stage=SalesStage.objects.order_by("-sequence", "-id").first(),
            actor=actor,
        ),
    }


OPPORTUNITY_TABLE = [
    ("open", None, {"update", "delete", "win", "lose", "cancel", "move_stage"}),
    ("won", "win", set()),
    ("lost", "lose", set()),
    ("canceled", "cancel", set()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "step", "expected"), OPPORTUNITY_TABLE, ids=[r[0] for r in OPPORTUNITY_TABLE]
)
def test_opportunity_page_service_and_api_agree_on_what_may_happen_next(
    clients, superuser, state, step, expected
):
    f.CustomerTemplateFactory()  # the default: winning makes the party a customer
    opportunity = relationships.opportunity_create(
        data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=superuser
    )
    if step is not None:
        opportunity_runs(opportunity, superuser)[step]()
    runs = opportunity_runs(opportunity, superuser)
    assert set(runs) == set(OPPORTUNITY.actions)

    allowed = allowed_on_the_page_and_api(
        obj=opportunity,
        runs=runs,
        page_url=reverse("crm:opportunities-detail", args=[opportunity.pk]),
        api_url=f"/api/v1/opportunities/{opportunity.pk}/",
        clients=clients,
        label=f"opportunity {state}",
    )

    assert allowed == expected


# --- the admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_launches_only_the_campaigns_the_declaration_allows_and_tells_the_others(
    client, superuser
):
    client.force_login(superuser)
    ready = make_campaign(superuser)
    completed = make_campaign(superuser, then=["launch", "complete"])
    without_targets = make_campaign(superuser, targets=False)

    response = client.post(
        reverse("admin:crm_campaign_changelist"),
        {"action": "launch", "_selected_action": [ready.pk, completed.pk, without_targets.pk]},
        follow=True,
    )

    told = [str(message) for message in response.context["messages"]]
    assert "1 campaigns launched." in told
    assert f"{without_targets}: Add targets before launching the campaign." in told
    assert any(message.startswith(f"{completed}: ") for message in told)
    for campaign in (ready, completed, without_targets):
        campaign.refresh_from_db()
    assert (ready.status, completed.status, without_targets.status) == (
        "active",
        "completed",
        "draft",
    )


@pytest.mark.django_db
def test_the_admin_shows_a_closed_lead_read_only_and_does_not_delete_it(client, superuser):
    client.force_login(superuser)
    lead = relationships.lead_create(
        data={"party": f.PartyFactory(), "topic": "Seafood"}, actor=superuser
    )
    relationships.lead_disqualify(lead=lead, reason="No budget", actor=superuser)

    change = client.get(reverse("admin:crm_lead_change", args=[lead.pk]))
    delete = client.post(reverse("admin:crm_lead_delete", args=[lead.pk]), {"post": "yes"})

    assert change.status_code == 200
    assert 'name="topic"' not in change.content.decode()
    assert delete.status_code == 403
    assert type(lead).objects.filter(pk=lead.pk).exists()
