import pytest
from django.urls import reverse

from crm.models import Customer, Party
from salesmkt.core.navigation import MENU
from tests import factories as f


@pytest.fixture
def manager_client(client, user_in):
    client.force_login(user_in("sales manager"))
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(f.UserFactory(is_superuser=True, is_staff=True))
    return client


def menu_urls():
    return [url_name for _, _, entries in MENU for _, url_name, _ in entries]


@pytest.mark.django_db
def test_login_page_is_shown_to_anonymous_visitors(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "Log in" in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_demo_login_reaches_the_dashboard(client):
    f.UserFactory(username="demo-user", groups=["sales clerk"])

    response = client.post(
        reverse("login"), {"username": "demo-user", "password": "secret-pass-123"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Dashboard" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", menu_urls())
def test_every_menu_page_renders(superuser_client, url_name):
    f.CustomerFactory()
    f.ItemFactory()

    response = superuser_client.get(reverse(url_name), follow=True)

    assert response.status_code == 200


@pytest.mark.django_db
def test_user_without_the_permission_does_not_see_the_menu_item_and_cannot_open_it(client, user_in):
    client.force_login(user_in("marketing"))  # may not view vendors

    page = client.get(reverse("dashboard")).content.decode()

    assert reverse("crm:vendors-list") not in page
    assert reverse("crm:customers-list") in page
    assert client.get(reverse("crm:vendors-list")).status_code == 403


@pytest.mark.django_db
def test_list_search_refreshes_only_the_table_for_htmx(manager_client):
    f.CustomerFactory(party=f.PartyFactory(name="Fjordkjøkken AS"))
    f.CustomerFactory(party=f.PartyFactory(name="Göta Livs AB"))

    full = manager_client.get(reverse("crm:customers-list"), {"q": "fjord"})
    partial = manager_client.get(
        reverse("crm:customers-list"), {"q": "fjord"}, HTTP_HX_REQUEST="true"
    )

    assert "<nav" in full.content.decode()
    assert "<nav" not in partial.content.decode().split("<table")[0]
    assert "Fjordkjøkken AS" in partial.content.decode()
    assert "Göta Livs AB" not in partial.content.decode()


@pytest.mark.django_db
def test_list_filters_and_sorts_by_a_column(manager_client):
    f.CustomerFactory(party=f.PartyFactory(name="Small AS"), credit_limit="10.00")
    f.CustomerFactory(party=f.PartyFactory(name="Big AS"), credit_limit="99999.00", on_hold="all")

    on_hold = manager_client.get(reverse("crm:customers-list"), {"on_hold": "all"}).content.decode()
    by_credit = manager_client.get(
        reverse("crm:customers-list"), {"o": "-credit_limit"}
    ).content.decode()

    assert "Big AS" in on_hold and "Small AS" not in on_hold
    assert by_credit.index("Big AS") < by_credit.index("Small AS")


@pytest.mark.django_db
def test_clerk_creates_a_customer_with_a_new_party_through_the_form(client, user_in):
    client.force_login(user_in("sales clerk"))
    data = {
        "party-party_type": "organization",
        "party-name": "Nordlys Kafé AS",
        "party-email": "hei@nordlys.no",
        "party-language": "nb",
        "party-street": "Torget 1",
        "party-postal_code": "9008",
        "party-city": "Tromsø",
        "party-country": "no",
        "customer_group": f.CustomerGroupFactory().pk,
        "payment_terms": f.PaymentTermsFactory().pk,
        "credit_limit": "20000",
        "currency": f.CurrencyFactory().pk,
        "sales_tax_group": f.SalesTaxGroupFactory().pk,
        "posting_profile": f.PostingProfileFactory().pk,
        "on_hold": "no",
    }

    response = client.post(reverse("crm:customers-create"), data)

    customer = Customer.objects.get(party__name="Nordlys Kafé AS")
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:customers-detail", args=[customer.pk])
    assert customer.account_number == "C00001"
    assert customer.party.delivery_address.city == "Tromsø"
    assert customer.party.delivery_address.country == "NO"


@pytest.mark.django_db
def test_form_with_bad_input_shows_the_field_error_and_saves_nothing(client, user_in):
    client.force_login(user_in("sales clerk"))

    response = client.post(
        reverse("crm:customers-create"),
        {"party-party_type": "organization", "party-language": "nb", "credit_limit": "-5"},
    )

    assert response.status_code == 400
    assert response.context["forms"]["party"].errors["name"]
    assert response.context["form"].errors["credit_limit"]
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_deleting_a_referenced_party_in_the_ui_shows_why_and_keeps_it(manager_client):
    vendor = f.VendorFactory(party=f.PartyFactory(name="Lofoten Sjømat AS"))
    f.ItemFactory(primary_vendor=vendor)

    response = manager_client.post(
        reverse("crm:parties-delete", args=[vendor.party.pk]), follow=True
    )

    assert "cannot be deleted" in response.content.decode()
    assert Party.objects.filter(pk=vendor.party.pk).exists()


@pytest.mark.django_db
def test_party_addresses_and_contacts_are_edited_in_place(manager_client):
    party = f.PartyAddressFactory(city="Oslo").party
    address = party.addresses.get()
    data = {
        "party_type": "organization",
        "name": party.name,
        "language": "nb",
        "addresses-TOTAL_FORMS": "2",
        "addresses-INITIAL_FORMS": "1",
        "addresses-MIN_NUM_FORMS": "0",
        "addresses-MAX_NUM_FORMS": "1000",
        "addresses-0-id": address.pk,
        "addresses-0-party": party.pk,
        "addresses-0-purpose": "invoice",
        "addresses-0-is_primary": "on",
        "addresses-0-street": "Karl Johans gate 1",
        "addresses-0-postal_code": "0154",
        "addresses-0-city": "Oslo",
        "addresses-0-country": "NO",
        "addresses-1-party": party.pk,
        "addresses-1-purpose": "delivery",
        "addresses-1-is_primary": "on",
        "addresses-1-street": "Havnegata 3",
        "addresses-1-postal_code": "9008",
        "addresses-1-city": "Tromsø",
        "addresses-1-country": "NO",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-party": party.pk,
        "contacts-0-first_name": "Ola",
        "contacts-0-last_name": "Nordmann",
    }

    response = manager_client.post(reverse("crm:parties-update", args=[party.pk]), data)

    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["forms"].values()
    ]
    assert party.addresses.get(pk=address.pk).street == "Karl Johans gate 1"
    assert party.delivery_address.city == "Tromsø"
    assert str(party.contacts.get()) == "Ola Nordmann"


@pytest.mark.django_db
def test_every_model_has_an_admin_changelist_and_add_page(superuser_client):
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = superuser_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        )
        assert changelist.status_code == 200, opts.label
        if model_admin.has_add_permission(changelist.wsgi_request):
            add = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert add.status_code == 200, opts.label


@pytest.mark.django_db
def test_admin_creates_a_customer_through_the_service_with_a_number(superuser_client):
    party = f.PartyFactory(name="Admin Made AS")
    data = {
        "party": party.pk,
        "customer_group": f.CustomerGroupFactory().pk,
        "payment_terms": f.PaymentTermsFactory().pk,
        "credit_limit": "100",
        "currency": f.CurrencyFactory().pk,
        "sales_tax_group": f.SalesTaxGroupFactory().pk,
        "posting_profile": f.PostingProfileFactory().pk,
        "on_hold": "no",
    }

    response = superuser_client.post(reverse("admin:crm_customer_add"), data)

    assert response.status_code == 302
    assert Customer.objects.get(party=party).account_number == "C00001"


@pytest.mark.django_db
def test_yes_no_filters_offer_any_yes_and_no(manager_client):
    f.ItemFactory(name="Blocked item", blocked=True)
    f.ItemFactory(name="Open item")

    blocked = manager_client.get(
        reverse("inventory:items-list"), {"blocked": "true"}
    ).content.decode()
    any_state = manager_client.get(
        reverse("inventory:items-list"), {"blocked": ""}
    ).content.decode()

    assert "Blocked item" in blocked and "Open item" not in blocked
    assert "Blocked item" in any_state and "Open item" in any_state


@pytest.mark.django_db
def test_dashboard_pipeline_sums_open_opportunities_by_probability(manager_client):
    from decimal import Decimal

    from crm.services.relationships import opportunity_create

    for revenue, probability in [
        ("100.00", "10"),
        ("200.00", "25.50"),
        ("300.00", "90"),
        ("50.00", "90"),
    ]:
        opportunity_create(
            data={
                "party": f.PartyFactory(),
                "topic": "x",
                "estimated_revenue": Decimal(revenue),
                "probability": Decimal(probability),
            },
            actor=None,
        )

    pipeline = manager_client.get(reverse("dashboard")).context["pipeline"]

    assert pipeline["values"] == ["100.00", "200.00", "0.00", "350.00"]
