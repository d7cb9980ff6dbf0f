"""The relationship flow on one party: lead -> opportunity -> customer, and its activities."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from crm.models import Activity, Customer, Lead, Opportunity, Party, Prospect
from crm.services.relationships import (
    lead_qualify,
    opportunity_cancel,
    party_convert_to_customer,
)
from salesmkt.core.errors import TransitionNotAllowed
from salesmkt.core.models import AuditEvent
from tests import factories as f


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


def events_of(record):
    return AuditEvent.objects.filter(
        content_type__app_label=record._meta.app_label,
        content_type__model=record._meta.model_name,
        object_id=str(record.pk),
    )


# --- leads ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_qualifying_an_open_lead_opens_a_numbered_opportunity_for_the_same_party(manager_api):
    lead = f.LeadFactory(topic="Kitchen for 40 stores")

    response = manager_api.post(
        f"/api/v1/leads/{lead.pk}/qualify/", {"estimated_revenue": "120000.00"}, format="json"
    )

    assert response.status_code == 201, response.json()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED
    assert lead.closed_at is not None
    opportunity = lead.opportunity
    assert opportunity.pk == response.json()["id"]
    assert opportunity.number == "OP000001"
    assert opportunity.party == lead.party
    assert opportunity.topic == "Kitchen for 40 stores"
    assert opportunity.status == Opportunity.Status.OPEN
    assert opportunity.estimated_revenue == Decimal("120000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lead_qualified_twice_at_once_opens_one_opportunity():
    lead = f.LeadFactory()
    actor = f.UserFactory()  # no groups: an earlier transactional test may have flushed them

    def qualify():
        return lead_qualify(lead=lead, actor=actor)

    outcomes = at_once(qualify, qualify)

    opened = [outcome for outcome in outcomes if isinstance(outcome, Opportunity)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, TransitionNotAllowed)]
    assert (len(opened), len(refused)) == (1, 1), outcomes
    assert Opportunity.objects.filter(lead=lead).count() == 1
    assert list(Opportunity.objects.values_list("number", flat=True)) == ["OP000001"]


@pytest.mark.django_db
def test_disqualifying_a_lead_needs_a_reason(manager_api):
    lead = f.LeadFactory()

    response = manager_api.post(
        f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": ""}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPEN


@pytest.mark.django_db
def test_disqualifying_an_open_lead_stores_the_reason(manager_api):
    lead = f.LeadFactory()

    response = manager_api.post(
        f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "No budget this year"}, format="json"
    )

    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.DISQUALIFIED
    assert lead.disqualify_reason == "No budget this year"
    assert lead.closed_at is not None
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "action", "payload"),
    [
        ("qualified", "qualify", {}),
        ("qualified", "disqualify", {"reason": "Changed our mind"}),
        ("disqualified", "qualify", {}),
    ],
)
def test_a_closed_lead_refuses_further_transitions(manager_api, status, action, payload):
    lead = f.LeadFactory(status=status)
    events_before = AuditEvent.objects.count()

    response = manager_api.post(f"/api/v1/leads/{lead.pk}/{action}/", payload, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    lead.refresh_from_db()
    assert lead.status == status
    assert lead.disqualify_reason == ""
    assert not Opportunity.objects.exists()
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["qualified", "disqualified"])
def test_a_closed_lead_cannot_be_edited(manager_api, status):
    lead = f.LeadFactory(status=status, topic="Original topic")

    response = manager_api.patch(
        f"/api/v1/leads/{lead.pk}/", {"topic": "Rewritten topic"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "lead_closed"
    lead.refresh_from_db()
    assert lead.topic == "Original topic"


@pytest.mark.django_db
def test_an_open_lead_can_be_edited(manager_api):
    lead = f.LeadFactory(topic="Original topic")

    response = manager_api.patch(
        f"/api/v1/leads/{lead.pk}/", {"topic": "Rewritten topic"}, format="json"
    )

    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.topic == "Rewritten topic"


# --- opportunities ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_winning_an_open_opportunity_sets_probability_to_100(manager_api):
    f.NewCustomerTemplateFactory(is_default=True)
    opportunity = f.OpportunityFactory(probability=Decimal("40.00"))

    response = manager_api.post(f"/api/v1/opportunities/{opportunity.pk}/win/", {}, format="json")

    assert response.status_code == 200, response.json()
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.WON
    assert opportunity.probability == Decimal("100")
    assert opportunity.closed_at is not None


@pytest.mark.django_db
def test_losing_an_opportunity_needs_a_reason(manager_api):
    opportunity = f.OpportunityFactory(probability=Decimal("40.00"))

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/lose/", {"reason": ""}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.OPEN
    assert opportunity.probability == Decimal("40.00")


@pytest.mark.django_db
def test_losing_an_open_opportunity_stores_the_reason_and_sets_probability_to_0(manager_api):
    opportunity = f.OpportunityFactory(probability=Decimal("40.00"))

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/lose/",
        {"reason": "Competitor was cheaper"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.LOST
    assert opportunity.lost_reason == "Competitor was cheaper"
    assert opportunity.probability == Decimal("0")
    assert opportunity.closed_at is not None


@pytest.mark.django_db
def test_canceling_an_open_opportunity_closes_it(manager_api):
    opportunity = f.OpportunityFactory()

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/cancel/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.CANCELED
    assert opportunity.closed_at is not None
    assert not Customer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["won", "lost", "canceled"])
@pytest.mark.parametrize(
    ("action", "payload"),
    [("win", {}), ("lose", {"reason": "Too late"}), ("cancel", {})],
)
def test_a_closed_opportunity_refuses_every_transition(manager_api, status, action, payload):
    f.NewCustomerTemplateFactory(is_default=True)
    opportunity = f.OpportunityFactory(status=status, probability=Decimal("60.00"))

    response = manager_api.post(
        f"/api/v1/opportunities/{opportunity.pk}/{action}/", payload, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    opportunity.refresh_from_db()
    assert opportunity.status == status
    assert opportunity.probability == Decimal("60.00")
    assert opportunity.lost_reason == ""
    assert not Customer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["won", "lost", "canceled"])
def test_a_closed_opportunity_cannot_be_edited(manager_api, status):
    opportunity = f.OpportunityFactory(status=status, estimated_revenue=Decimal("20000.00"))

    response = manager_api.patch(
        f"/api/v1/opportunities/{opportunity.pk}/",
        {"estimated_revenue": "99999.00"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "opportunity_closed"
    opportunity.refresh_from_db()
    assert opportunity.estimated_revenue == Decimal("20000.00")


@pytest.mark.django_db
def test_an_open_opportunity_can_be_edited(manager_api):
    opportunity = f.OpportunityFactory(estimated_revenue=Decimal("20000.00"))

    response = manager_api.patch(
        f"/api/v1/opportunities/{opportunity.pk}/",
        {"estimated_revenue": "25000.00"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    opportunity.refresh_from_db()
    assert opportunity.estimated_revenue == Decimal("25000.00")


# --- prospect to customer ---------------------------------------------------------------------
@pytest.mark.django_db
def test_winning_a_prospects_opportunity_makes_the_same_party_a_customer_from_its_template(
    manager_api,
):
    f.NewCustomerTemplateFactory(is_default=True)
    wholesale = f.NewCustomerTemplateFactory(
        code="WHOLESALE",
        customer_group=f.CustomerGroupFactory(code="WHOLESALE", name="Wholesale"),
        credit_limit=Decimal("250000.00"),
    )
    prospect = f.ProspectFactory(customer_template=wholesale)
    opportunity = f.OpportunityFactory(party=prospect.party)
    parties_before = Party.objects.count()

    response = manager_api.post(f"/api/v1/opportunities/{opportunity.pk}/win/", {}, format="json")

    assert response.status_code == 200, response.json()
    customer = Customer.objects.get()
    assert customer.party_id == prospect.party_id  # the same row, not a copy
    assert customer.account_number == "C00001"
    assert customer.customer_group.code == "WHOLESALE"
    assert customer.credit_limit == Decimal("250000.00")
    assert not Prospect.objects.filter(party=prospect.party).exists()
    assert Party.objects.count() == parties_before


@pytest.mark.django_db
def test_winning_a_prospect_without_a_template_of_its_own_uses_the_default_template(
    manager_api,
):
    default = f.NewCustomerTemplateFactory(
        code="DEFAULT", is_default=True, credit_limit=Decimal("7500.00")
    )
    prospect = f.ProspectFactory(customer_template=None)
    opportunity = f.OpportunityFactory(party=prospect.party)

    response = manager_api.post(f"/api/v1/opportunities/{opportunity.pk}/win/", {}, format="json")

    assert response.status_code == 200, response.json()
    customer = Customer.objects.get(party=prospect.party)
    assert customer.account_number == "C00001"
    assert customer.customer_group == default.customer_group
    assert customer.payment_terms == default.payment_terms
    assert customer.credit_limit == Decimal("7500.00")
    assert not Prospect.objects.exists()


@pytest.mark.django_db
def test_winning_for_a_party_that_already_is_a_customer_keeps_its_account(manager_api):
    f.NewCustomerTemplateFactory(is_default=True, credit_limit=Decimal("1.00"))
    customer = f.CustomerFactory(account_number="C04711", credit_limit=Decimal("10000.00"))
    opportunity = f.OpportunityFactory(party=customer.party)

    response = manager_api.post(f"/api/v1/opportunities/{opportunity.pk}/win/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert list(Customer.objects.values_list("pk", "account_number")) == [(customer.pk, "C04711")]
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("10000.00")


@pytest.mark.django_db
def test_winning_without_any_customer_template_is_refused_and_nothing_is_written(manager_api):
    prospect = f.ProspectFactory(customer_template=None)
    opportunity = f.OpportunityFactory(party=prospect.party, probability=Decimal("80.00"))
    events_before = AuditEvent.objects.count()

    response = manager_api.post(f"/api/v1/opportunities/{opportunity.pk}/win/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_customer_template"
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.OPEN
    assert opportunity.probability == Decimal("80.00")
    assert opportunity.closed_at is None
    assert not Customer.objects.exists()
    assert Prospect.objects.filter(pk=prospect.pk).exists()
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_converting_a_party_twice_returns_the_same_customer(user_in):
    f.NewCustomerTemplateFactory(is_default=True)
    prospect = f.ProspectFactory()
    actor = user_in("sales manager")

    first = party_convert_to_customer(party=prospect.party, actor=actor)
    second = party_convert_to_customer(party=prospect.party, actor=actor)

    assert second.pk == first.pk
    assert second.account_number == first.account_number == "C00001"
    assert Customer.objects.count() == 1


# --- audit ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_transition_is_audited_with_its_from_and_to_status_and_the_actor(user_in):
    opportunity = f.OpportunityFactory()
    actor = user_in("sales manager")

    opportunity_cancel(opportunity=opportunity, actor=actor)

    event = events_of(opportunity).get(action="cancel")
    assert event.from_status == "open"
    assert event.to_status == "canceled"
    assert event.actor == actor


# --- activities -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_activity_created_on_a_lead_belongs_to_the_leads_party(api_as):
    clerk_api = api_as("sales clerk")
    lead = f.LeadFactory()

    response = clerk_api.post(
        "/api/v1/activities/",
        {
            "kind": "call",
            "subject": "Call back about the quote",
            "lead": lead.pk,
            "due_at": "2030-01-15T10:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.party == lead.party
    assert activity.owner == clerk_api.user
    assert activity.done is False


@pytest.mark.django_db
def test_completing_an_activity_marks_it_done_with_the_time(manager_api):
    activity = f.ActivityFactory()
    before = timezone.now()

    response = manager_api.post(f"/api/v1/activities/{activity.pk}/complete/", {}, format="json")

    assert response.status_code == 200, response.json()
    activity.refresh_from_db()
    assert activity.done is True
    assert activity.done_at is not None and activity.done_at >= before


@pytest.mark.django_db
def test_an_activity_is_completed_only_once(manager_api):
    activity = f.ActivityFactory()
    manager_api.post(f"/api/v1/activities/{activity.pk}/complete/", {}, format="json")
    activity.refresh_from_db()
    first_done_at = activity.done_at

    response = manager_api.post(f"/api/v1/activities/{activity.pk}/complete/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "activity_done"
    activity.refresh_from_db()
    assert activity.done_at == first_done_at


@pytest.mark.django_db
def test_my_open_activities_are_the_owner_and_not_done_filter(manager_api):
    me = manager_api.user
    mine_open = f.ActivityFactory(owner=me)
    f.ActivityFactory(owner=me, done=True, done_at=timezone.now())
    f.ActivityFactory()  # someone else's

    response = manager_api.get(f"/api/v1/activities/?owner={me.pk}&done=false")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine_open.pk]
