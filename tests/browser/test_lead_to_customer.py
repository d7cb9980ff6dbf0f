import re

import pytest

from crm.models import Customer, Lead, Opportunity, Prospect
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_walks_from_open_to_qualified_to_a_won_opportunity(page, login):
    f.UserFactory(username="seller", groups=["sales manager"])
    f.CustomerTemplateFactory()
    prospect = Prospect.objects.create(party=f.PartyFactory(name="Bergen Hotelldrift AS"))

    login("seller")
    page.goto("/crm/leads/new/")
    page.select_option("#id_party", str(prospect.party.pk))
    page.fill("#id_topic", "Seafood for the breakfast buffet")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=L000001 Seafood for the breakfast buffet")

    page.get_by_role("button", name=re.compile("Qualify")).first.click()
    page.fill("#id_qualify-estimated_revenue", "180000")
    page.fill("#id_qualify-probability", "60")
    page.locator("form[action$='/do/qualify/'] button[type=submit]").click()

    page.wait_for_selector("text=OP000001 Seafood for the breakfast buffet")
    assert Lead.objects.get().status == "qualified"
    page.get_by_role("button", name=re.compile("Won")).first.click()
    page.locator("form[action$='/do/win/'] button[type=submit]").click()

    page.wait_for_selector(".alert-success")
    opportunity = Opportunity.objects.get()
    assert opportunity.status == "won"
    assert opportunity.lead.status == "qualified"
    customer = Customer.objects.get(party=prospect.party)
    assert customer.account_number == "C00001"
    assert not Prospect.objects.exists()
    assert page.get_by_role("button", name=re.compile("Won")).count() == 0  # no longer allowed
