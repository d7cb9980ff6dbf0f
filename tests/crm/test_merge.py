"""Merging duplicate parties: one survives, every reference moves to it, the duplicates go."""

import pytest

from crm.models import (
    Activity,
    CampaignTarget,
    ContactPerson,
    Customer,
    Lead,
    Opportunity,
    Party,
    PartyAddress,
    Prospect,
    Vendor,
)
from crm.services.campaigns import campaign_add_targets
from salesmkt.core.models import AuditEvent
from tests import factories as f


def merge(api, survivor, *duplicates):
    return api.post(
        f"/api/v1/parties/{survivor.pk}/merge/",
        {"duplicates": [d.pk for d in duplicates]},
        format="json",
    )


@pytest.mark.django_db
def test_merging_moves_contacts_addresses_and_the_relationship_flow_to_the_survivor(manager_api):
    survivor = f.PartyFactory(name="Fjordkjøkken AS")
    duplicate = f.PartyFactory(name="Fjordkjokken A/S")
    contact = f.ContactPersonFactory(party=duplicate)
    address = f.PartyAddressFactory(party=duplicate, city="Bergen")
    lead = f.LeadFactory(party=duplicate, contact=contact)
    opportunity = f.OpportunityFactory(party=duplicate, lead=lead)
    activity = f.ActivityFactory(party=duplicate, lead=lead)
    target = f.CampaignTargetFactory(party=duplicate, contact=contact)

    response = merge(manager_api, survivor, duplicate)

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == survivor.pk
    assert not Party.objects.filter(pk=duplicate.pk).exists()
    for model, pk in [
        (ContactPerson, contact.pk),
        (PartyAddress, address.pk),
        (Lead, lead.pk),
        (Opportunity, opportunity.pk),
        (Activity, activity.pk),
        (CampaignTarget, target.pk),
    ]:
        assert model.objects.get(pk=pk).party_id == survivor.pk, model.__name__
    assert Lead.objects.get(pk=lead.pk).contact_id == contact.pk
    assert CampaignTarget.objects.get(pk=target.pk).contact_id == contact.pk


@pytest.mark.django_db
def test_roles_the_survivor_lacks_move_to_it_with_their_accounts(manager_api):
    survivor = f.PartyFactory()
    duplicate = f.PartyFactory()
    customer = f.CustomerFactory(party=duplicate, account_number="C00042")
    vendor = f.VendorFactory(party=duplicate, account_number="V00007")

    response = merge(manager_api, survivor, duplicate)

    assert response.status_code == 200, response.json()
    assert response.json()["roles"] == ["customer", "vendor"]
    assert Customer.objects.get(pk=customer.pk).party_id == survivor.pk
    assert Customer.objects.get(pk=customer.pk).account_number == "C00042"
    assert Vendor.objects.get(pk=vendor.pk).party_id == survivor.pk
    assert Vendor.objects.get(pk=vendor.pk).account_number == "V00007"


@pytest.mark.django_db
def test_the_prospect_role_moves_to_the_survivor(manager_api):
    survivor = f.PartyFactory()
    prospect = f.ProspectFactory(segment="Restaurants")

    response = merge(manager_api, survivor, prospect.party)

    assert response.status_code == 200, response.json()
    assert Prospect.objects.get(pk=prospect.pk).party_id == survivor.pk
    assert Prospect.objects.get().segment == "Restaurants"


@pytest.mark.django_db
def test_when_both_are_customers_the_survivor_keeps_its_own_account(manager_api):
    kept = f.CustomerFactory(account_number="C00001")
    gone = f.CustomerFactory(account_number="C00002")

    response = merge(manager_api, kept.party, gone.party)

    assert response.status_code == 200, response.json()
    assert list(Customer.objects.values_list("pk", "party_id", "account_number")) == [
        (kept.pk, kept.party_id, "C00001")
    ]


@pytest.mark.django_db
def test_when_both_are_targets_of_a_campaign_the_survivor_keeps_one_target(manager_api):
    campaign = f.CampaignFactory()
    other_campaign = f.CampaignFactory()
    survivor_target = f.CampaignTargetFactory(campaign=campaign, response="positive")
    duplicate = f.CampaignTargetFactory(campaign=campaign).party
    moved = f.CampaignTargetFactory(campaign=other_campaign, party=duplicate)

    response = merge(manager_api, survivor_target.party, duplicate)

    assert response.status_code == 200, response.json()
    assert list(campaign.targets.values_list("pk", "party_id", "response")) == [
        (survivor_target.pk, survivor_target.party_id, "positive")
    ]
    assert list(other_campaign.targets.values_list("pk", "party_id")) == [
        (moved.pk, survivor_target.party_id)
    ]


@pytest.mark.django_db
def test_when_both_are_targets_with_contacts_the_survivor_keeps_one_target(manager_api):
    campaign = f.CampaignFactory()
    survivor = f.CustomerFactory().party
    duplicate = f.CustomerFactory().party
    f.ContactPersonFactory(party=survivor, is_primary=True)
    f.ContactPersonFactory(party=duplicate, is_primary=True)
    campaign_add_targets(campaign=campaign, actor=manager_api.user, source="customer")

    response = merge(manager_api, survivor, duplicate)

    assert response.status_code == 200, response.json()
    assert campaign.targets.filter(party=survivor).count() == 1


@pytest.mark.django_db
def test_a_merge_is_audited_on_the_survivor(manager_api):
    survivor = f.PartyFactory()
    duplicate = f.PartyFactory(name="Duplicate AS")
    f.ContactPersonFactory(party=duplicate)

    merge(manager_api, survivor, duplicate)

    event = AuditEvent.objects.get(
        content_type__model="party", object_id=str(survivor.pk), action="merged"
    )
    assert event.actor == manager_api.user
    assert event.data["duplicate"] == duplicate.pk
    assert event.data["duplicate_name"] == "Duplicate AS"
    assert event.data["moved"] == {"crm.ContactPerson": 1}


@pytest.mark.django_db
def test_a_party_cannot_be_merged_into_itself(manager_api):
    party = f.PartyFactory()

    response = merge(manager_api, party, party)

    assert response.status_code == 400
    assert "duplicates" in response.json()["errors"]
    assert Party.objects.filter(pk=party.pk).exists()


@pytest.mark.django_db
def test_a_sales_clerk_cannot_merge_parties(api_as):
    survivor = f.PartyFactory()
    duplicate = f.PartyFactory()
    f.ContactPersonFactory(party=duplicate)

    response = merge(api_as("sales clerk"), survivor, duplicate)

    assert response.status_code == 403
    assert Party.objects.filter(pk=duplicate.pk).exists()
    assert ContactPerson.objects.get().party_id == duplicate.pk


@pytest.mark.django_db
def test_the_surviving_target_takes_over_the_duplicates_response(manager_api):
    campaign = f.CampaignFactory()
    survivor, duplicate = f.PartyFactory(), f.PartyFactory()
    f.CampaignTargetFactory(campaign=campaign, party=survivor)
    f.CampaignTargetFactory(campaign=campaign, party=duplicate, response="positive")

    merge(manager_api, survivor, duplicate)

    assert campaign.targets.get().response == "positive"
    assert campaign.targets.get().party == survivor


@pytest.mark.django_db
def test_merging_a_prospect_into_a_customer_ends_the_prospect_role(manager_api):
    survivor = f.CustomerFactory().party
    duplicate = f.ProspectFactory().party

    merge(manager_api, survivor, duplicate)

    assert not Prospect.objects.exists()
    assert Customer.objects.get().party == survivor
