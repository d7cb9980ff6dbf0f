import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, Opportunity, Party
from crm.services import mailing
from crm.services.campaigns import (
    campaign_add_targets,
    campaign_create,
    campaign_launch,
    unsubscribe_token,
)
from crm.services.relationships import activity_create, lead_create
from tests import factories as f


@pytest.fixture
def manager(client, user_in):
    user = user_in("sales manager")
    client.force_login(user)
    client.user = user
    return client


def action_url(slug, obj, action):
    return reverse(f"crm:{slug}-action", args=[obj.pk, action])


@pytest.mark.django_db
def test_only_the_transitions_the_status_allows_show_as_buttons(manager):
    lead = lead_create(data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=None)

    open_page = manager.get(reverse("crm:leads-detail", args=[lead.pk])).content.decode()
    manager.post(action_url("leads", lead, "qualify"), {"qualify-estimated_revenue": "1000"})
    closed_page = manager.get(reverse("crm:leads-detail", args=[lead.pk])).content.decode()

    assert "/do/qualify/" in open_page and "/do/disqualify/" in open_page
    assert "/do/qualify/" not in closed_page and "/do/disqualify/" not in closed_page


@pytest.mark.django_db
def test_qualifying_a_lead_in_the_ui_opens_its_opportunity_page(manager):
    lead = lead_create(data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=None)

    response = manager.post(
        action_url("leads", lead, "qualify"),
        {"qualify-estimated_revenue": "25000", "qualify-probability": "40"},
    )

    opportunity = Opportunity.objects.get(lead=lead)
    assert response["Location"] == reverse("crm:opportunities-detail", args=[opportunity.pk])
    assert str(opportunity.estimated_revenue) == "25000.00"


@pytest.mark.django_db
def test_a_refused_transition_in_the_ui_says_why_and_changes_nothing(manager):
    lead = lead_create(data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=None)
    manager.post(action_url("leads", lead, "disqualify"), {"disqualify-reason": "No budget"})

    response = manager.post(action_url("leads", lead, "qualify"), follow=True)

    assert "not allowed" in response.content.decode()
    assert Lead.objects.get().status == "disqualified"
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_disqualifying_without_a_reason_is_refused_in_the_ui(manager):
    lead = lead_create(data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=None)

    manager.post(action_url("leads", lead, "disqualify"), {"disqualify-reason": ""})

    assert Lead.objects.get().status == "open"


@pytest.mark.django_db
def test_targets_are_added_in_the_ui_by_filter_and_by_hand(manager):
    customer = f.CustomerFactory()
    other = f.PartyFactory()
    campaign = campaign_create(data={"name": "Autumn", "kind": "telemarketing"}, actor=None)
    url = reverse("crm:campaigns-add-targets", args=[campaign.pk])

    manager.post(url, {"targets-source": "customer"})
    manager.post(url, {"targets-parties": [other.pk, customer.party.pk]})

    assert set(campaign.targets.values_list("party_id", flat=True)) == {customer.party.pk, other.pk}


@pytest.mark.django_db
def test_a_call_and_a_response_are_recorded_in_the_call_list_row(manager):
    campaign = campaign_create(data={"name": "Calls", "kind": "telemarketing"}, actor=None)
    campaign_add_targets(campaign=campaign, actor=None, parties=[f.PartyFactory(name="Hotel AS")])
    campaign_launch(campaign=campaign, actor=None)
    target = campaign.targets.get()

    row = manager.post(
        reverse("crm:campaigns-target-call", args=[target.pk]),
        {"call-outcome": "call_back", "call-follow_up_date": "2026-12-01"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    manager.post(
        reverse("crm:campaigns-target-response", args=[target.pk]),
        {"response": "positive"},
        HTTP_HX_REQUEST="true",
    )

    target.refresh_from_db()
    assert f'id="target-{target.pk}"' in row and "<html" not in row
    assert (target.call_outcome, str(target.follow_up_date), target.response) == (
        "call_back",
        "2026-12-01",
        "positive",
    )


@pytest.mark.django_db
def test_the_progress_bar_polls_while_mail_remains_and_stops_when_all_is_sent(manager, monkeypatch):
    monkeypatch.setattr(mailing, "schedule_sending", lambda campaign: None)
    campaign = campaign_create(
        data={"name": "News", "kind": "email", "subject": "Hi", "body_text": "Hello"}, actor=None
    )
    campaign_add_targets(
        campaign=campaign, actor=None, parties=[f.PartyFactory(email="a@example.com")]
    )
    campaign_launch(campaign=campaign, actor=None)
    url = reverse("crm:campaigns-progress", args=[campaign.pk])

    running = manager.get(url)
    campaign.sends.update(status="sent")
    done = manager.get(url)

    assert running.status_code == 200 and 'data-count="remaining">1<' in running.content.decode()
    assert done.status_code == 286  # htmx stops polling
    assert 'data-count="sent">1<' in done.content.decode()


@pytest.mark.django_db
def test_my_open_activities_lists_only_mine_and_not_done(manager):
    mine = activity_create(
        data={
            "subject": "Mine",
            "party": f.PartyFactory(),
            "due_at": timezone.now(),
            "owner": manager.user,
        },
        actor=None,
    )
    activity_create(
        data={
            "subject": "Theirs",
            "party": f.PartyFactory(),
            "due_at": timezone.now(),
            "owner": f.UserFactory(),
        },
        actor=None,
    )
    activity_create(
        data={
            "subject": "Finished",
            "party": f.PartyFactory(),
            "due_at": timezone.now(),
            "owner": manager.user,
            "done": True,
        },
        actor=None,
    )

    page = manager.get(reverse("crm:my-activities"), follow=True).content.decode()

    assert "Mine" in page and "Theirs" not in page and "Finished" not in page
    assert mine.subject in page


@pytest.mark.django_db
def test_duplicates_are_merged_into_a_party_from_its_page(manager):
    survivor, duplicate = f.PartyFactory(name="Fjord AS"), f.PartyFactory(name="Fjord A/S")
    f.ContactPersonFactory(party=duplicate)

    manager.post(action_url("parties", survivor, "merge"), {"merge-duplicates": [duplicate.pk]})

    assert not Party.objects.filter(pk=duplicate.pk).exists()
    assert survivor.contacts.count() == 1


@pytest.mark.django_db
def test_opening_the_unsubscribe_link_asks_first_and_only_the_confirmation_unsubscribes(client):
    campaign = campaign_create(data={"name": "News", "kind": "email"}, actor=None)
    party = f.PartyFactory(email="reader@example.com")
    campaign_add_targets(campaign=campaign, actor=None, parties=[party])
    url = reverse("unsubscribe", args=[unsubscribe_token(campaign.targets.get())])

    page = client.get(url)
    party.refresh_from_db()
    assert "reader@example.com" in page.content.decode() and party.email_opt_out is False

    client.post(url)
    party.refresh_from_db()
    assert party.email_opt_out is True


@pytest.mark.django_db
def test_the_pipeline_board_sums_estimated_revenue_per_stage_and_keeps_closed_ones_apart(manager):
    from crm.services.relationships import opportunity_create, opportunity_lose

    opportunity_create(
        data={"party": f.PartyFactory(), "topic": "A", "estimated_revenue": "1000.00"}, actor=None
    )
    opportunity_create(
        data={"party": f.PartyFactory(), "topic": "B", "estimated_revenue": "500.00"}, actor=None
    )
    lost = opportunity_create(
        data={"party": f.PartyFactory(), "topic": "C", "estimated_revenue": "700.00"}, actor=None
    )
    opportunity_lose(opportunity=lost, reason="Price", actor=None)

    context = manager.get(reverse("crm:pipeline")).context
    first = context["columns"][0]

    assert (first["count"], str(first["revenue"])) == (2, "1500.00")
    assert (context["lost"]["count"], str(context["lost"]["revenue"])) == (1, "700.00")
    assert context["won"]["count"] == 0
