import re

import pytest

from crm.models import Customer
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_creates_a_customer(page, login):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    group = f.CustomerGroupFactory(name="Retail")
    terms = f.PaymentTermsFactory()
    currency = f.CurrencyFactory()
    tax_group = f.SalesTaxGroupFactory()
    profile = f.PostingProfileFactory()

    login("clerk")
    page.get_by_role("button", name=re.compile("Customers")).click()
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name=re.compile("New customer")).click()
    page.fill("#id_party-name", "Nordlys Kafé AS")
    page.fill("#id_party-email", "hei@nordlys.no")
    page.fill("#id_party-street", "Torget 1")
    page.fill("#id_party-postal_code", "9008")
    page.fill("#id_party-city", "Tromsø")
    page.select_option("#id_customer_group", str(group.pk))
    page.select_option("#id_payment_terms", str(terms.pk))
    page.fill("#id_credit_limit", "25000")
    page.select_option("#id_currency", str(currency.pk))
    page.select_option("#id_sales_tax_group", str(tax_group.pk))
    page.select_option("#id_posting_profile", str(profile.pk))
    page.get_by_role("button", name="Save").click()

    page.wait_for_selector("text=C00001 Nordlys Kafé AS")
    customer = Customer.objects.get()
    assert customer.party.name == "Nordlys Kafé AS"
    assert customer.party.invoice_address.city == "Tromsø"


def test_search_narrows_the_customer_list_as_you_type(page, login):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    f.CustomerFactory(party=f.PartyFactory(name="Fjordkjøkken AS"))
    f.CustomerFactory(party=f.PartyFactory(name="Göta Livs AB"))

    login("clerk")
    page.goto("/crm/customers/")
    page.fill("#search", "göta")

    page.wait_for_function(
        "() => !document.querySelector('#record-table').innerText.includes('Fjordkjøkken')"
    )
    assert "Göta Livs AB" in page.inner_text("#record-table")
    assert "q=g%C3%B6ta" in page.url or "q=göta" in page.url
