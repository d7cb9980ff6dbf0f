"""Sales stages: the steps of the pipeline an open opportunity moves through, each with the
probability it stands for; the board shows them as columns with their sums."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Opportunity, SalesStage
from crm.selectors import pipeline_board
from crm.services.relationships import opportunity_create, opportunity_lose, opportunity_win
from crm.services.stages import opportunity_move_stage
from salesmkt.core.errors import ConflictError
from salesmkt.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def events_of(record, action):
    return AuditEvent.objects.filter(
        content_type__app_label=record._meta.app_label,
        content_type__model=record._meta.model_name,
        object_id=str(record.pk),
        action=action,
    )


@pytest.fixture
def stages():
    return {s.code: s for s in SalesStage.objects.all()}


def test_the_default_stages_come_with_the_database(stages):
    defaults = [(s.name, s.probability, s.active) for s in SalesStage.objects.order_by("sequence")]
    assert defaults == [
        ("Qualification", Decimal("10.00"), True),
        ("Needs analysis", Decimal("25.00"), True),
        ("Proposal", Decimal("50.00"), True),
        ("Negotiation", Decimal("75.00"), True),
    ]


def test_a_new_opportunity_starts_in_the_first_active_stage(stages):
    stages["QUALIFY"].active = False
    stages["QUALIFY"].save()

    opportunity = opportunity_create(
        data={"party": f.PartyFactory(), "topic": "Salmon", "estimated_revenue": "100"},
        actor=None,
    )

    assert opportunity.stage == stages["ANALYSIS"]


def test_moving_an_opportunity_sets_its_stage_and_the_stages_probability(stages):
    actor = f.UserFactory()
    opportunity = f.OpportunityFactory(probability=Decimal("10"))

    opportunity_move_stage(opportunity=opportunity, stage=stages["PROPOSAL"], actor=actor)

    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == (stages["PROPOSAL"], Decimal("50"))
    event = events_of(opportunity, "stage_changed").get()
    assert event.actor == actor
    assert event.data["stage"] == {"old": "Qualification", "new": "Proposal"}
    assert event.data["probability"] == {"old": "10.00", "new": "50.00"}


def test_moving_to_the_stage_it_is_in_changes_nothing(stages):
    opportunity = f.OpportunityFactory(stage=stages["PROPOSAL"], probability=Decimal("60"))

    opportunity_move_stage(opportunity=opportunity, stage=stages["PROPOSAL"], actor=None)

    opportunity.refresh_from_db()
    assert opportunity.probability == Decimal("60")
    assert not events_of(opportunity, "stage_changed").exists()


@pytest.mark.parametrize("close", ["win", "lose"])
def test_a_won_or_lost_opportunity_cannot_change_stage(stages, close):
    f.CustomerTemplateFactory()
    opportunity = f.OpportunityFactory(stage=stages["NEGOTIATE"])
    if close == "win":
        opportunity_win(opportunity=opportunity, actor=None)
    else:
        opportunity_lose(opportunity=opportunity, reason="Price", actor=None)

    with pytest.raises(ConflictError) as refused:
        opportunity_move_stage(opportunity=opportunity, stage=stages["QUALIFY"], actor=None)

    assert refused.value.code == "opportunity_closed"
    opportunity.refresh_from_db()
    assert opportunity.stage == stages["NEGOTIATE"]


def test_the_api_refuses_moving_a_lost_opportunity_with_409(manager_api, stages):
    opportunity = f.OpportunityFactory(stage=stages["PROPOSAL"])
    opportunity_lose(opportunity=opportunity, reason="Price", actor=None)

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/move-stage/",
        {"stage": stages["QUALIFY"].pk},
        format="json",
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "opportunity_closed"


def test_the_api_moves_an_open_opportunity(manager_api, stages):
    opportunity = f.OpportunityFactory()

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/move-stage/",
        {"stage": stages["NEGOTIATE"].pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"], body["stage_name"], body["probability"]) == (
        stages["NEGOTIATE"].pk,
        "Negotiation",
        "75.00",
    )
    move = next(a for a in body["allowed_actions"] if a["action"] == "move_stage")
    assert "refusal" not in move


def test_an_opportunity_cannot_be_moved_to_an_inactive_stage(manager_api, stages):
    stages["ANALYSIS"].active = False
    stages["ANALYSIS"].save()
    opportunity = f.OpportunityFactory(stage=stages["QUALIFY"])

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/move-stage/",
        {"stage": stages["ANALYSIS"].pk},
        format="json",
    )

    assert response.status_code == 400
    opportunity.refresh_from_db()
    assert opportunity.stage == stages["QUALIFY"]


def test_stages_are_kept_through_the_api(clients):
    _page, manager_api = clients
    created = manager_api.post(
        "/api/v1/sales-stages/",
        {"code": "DEMO", "name": "Demo given", "sequence": 35, "probability": "60"},
        format="json",
    )
    assert created.status_code == 201, created.json()

    listed = manager_api.get("/api/v1/sales-stages/?ordering=sequence").json()
    names = [row["name"] for row in listed.get("results", listed)]
    assert names.index("Demo given") == names.index("Proposal") + 1

    stage = SalesStage.objects.get(code="DEMO")
    changed = manager_api.patch(
        f"/api/v1/sales-stages/{stage.pk}/", {"probability": "150"}, format="json"
    )
    assert changed.status_code == 400


def test_a_stage_with_opportunities_cannot_be_deleted(clients, stages):
    _page, manager_api = clients
    f.OpportunityFactory(stage=stages["PROPOSAL"])

    response = manager_api.delete(f"/api/v1/sales-stages/{stages['PROPOSAL'].pk}/")

    assert response.status_code == 409
    assert SalesStage.objects.filter(pk=stages["PROPOSAL"].pk).exists()


# --- the board ----------------------------------------------------------------------------------
def test_the_board_sums_revenue_and_weighted_revenue_per_stage(stages):
    f.OpportunityFactory(
        stage=stages["PROPOSAL"], estimated_revenue=Decimal("1000"), probability=Decimal("50")
    )
    f.OpportunityFactory(
        stage=stages["PROPOSAL"], estimated_revenue=Decimal("300"), probability=Decimal("10")
    )
    lost = f.OpportunityFactory(stage=stages["PROPOSAL"], estimated_revenue=Decimal("9999"))
    opportunity_lose(opportunity=lost, reason="Price", actor=None)

    columns = {c["stage"].code: c for c in pipeline_board()}

    assert list(columns) == ["QUALIFY", "ANALYSIS", "PROPOSAL", "NEGOTIATE"]
    proposal = columns["PROPOSAL"]
    assert (proposal["count"], proposal["revenue"], proposal["weighted"]) == (
        2,
        Decimal("1300.00"),
        Decimal("530.00"),
    )
    assert columns["QUALIFY"]["count"] == 0


def test_the_board_page_takes_the_same_queries_however_many_cards(
    client, user_in, stages, django_assert_max_num_queries
):
    user = user_in("sales manager")
    client.force_login(user)
    for stage in stages.values():
        f.OpportunityFactory.create_batch(8, stage=stage)
    client.get(reverse("crm:pipeline"))  # warm the caches (content types, session)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("crm:pipeline"))

    assert response.status_code == 200
    assert response.content.count(b'class="card mb-2 pipeline-card"') == 32


def test_a_card_moved_on_the_board_comes_back_in_its_new_column(client, user_in, stages):
    user = user_in("sales manager")
    client.force_login(user)
    opportunity = f.OpportunityFactory(stage=stages["QUALIFY"], estimated_revenue=Decimal("800"))

    response = client.post(
        reverse("crm:pipeline-move", args=[opportunity.pk]),
        {"stage": stages["NEGOTIATE"].pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    columns = {c["stage"].code: c for c in response.context["columns"]}
    assert [o.pk for o in columns["NEGOTIATE"]["cards"]] == [opportunity.pk]
    assert columns["NEGOTIATE"]["weighted"] == Decimal("600.00")
    assert events_of(opportunity, "stage_changed").get().actor == user


def test_a_closed_opportunity_moved_on_the_board_shows_why_not(client, user_in, stages):
    client.force_login(user_in("sales manager"))
    opportunity = f.OpportunityFactory(stage=stages["QUALIFY"])
    opportunity_lose(opportunity=opportunity, reason="Price", actor=None)

    response = client.post(
        reverse("crm:pipeline-move", args=[opportunity.pk]),
        {"stage": stages["PROPOSAL"].pk},
        HTTP_HX_REQUEST="true",
    )

    assert "cannot change stage" in response.context["error"]
    opportunity.refresh_from_db()
    assert opportunity.stage == stages["QUALIFY"]


def test_a_marketing_user_sees_the_board_but_cannot_move_cards(client, user_in, stages):
    client.force_login(user_in("marketing"))
    opportunity = f.OpportunityFactory(stage=stages["QUALIFY"])

    page = client.get(reverse("crm:pipeline"))
    move = client.post(
        reverse("crm:pipeline-move", args=[opportunity.pk]), {"stage": stages["PROPOSAL"].pk}
    )

    assert page.status_code == 200 and b'draggable="true"' not in page.content
    assert move.status_code == 403


def test_stages_are_set_up_on_their_pages(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("crm:sales-stages-create"),
        {
            "code": "TRIAL",
            "name": "Trial order",
            "sequence": "45",
            "probability": "85",
            "active": "on",
        },
    )

    assert response.status_code == 302
    stage = SalesStage.objects.get(code="TRIAL")
    assert stage.probability == Decimal("85")
    assert client.get(reverse("crm:sales-stages-list")).status_code == 200
    assert Opportunity.objects.count() == 0
