from decimal import Decimal

import pytest

from crm.models import Customer, Party, Vendor
from salesmkt.core.models import AuditEvent
from tests import factories as f


def customer_payload(**extra):
    return {
        "customer_group": f.CustomerGroupFactory().pk,
        "payment_terms": f.PaymentTermsFactory().pk,
        "currency": f.CurrencyFactory().pk,
        "sales_tax_group": f.SalesTaxGroupFactory().pk,
        "posting_profile": f.PostingProfileFactory().pk,
        "credit_limit": "50000.00",
        **extra,
    }


@pytest.mark.django_db
def test_new_customer_and_its_party_are_created_in_one_call(manager_api):
    payload = customer_payload(
        party={
            "name": "Fjordkjøkken AS",
            "email": "post@fjord.no",
            "addresses": [
                {
                    "purpose": "invoice",
                    "street": "Bryggen 1",
                    "postal_code": "5003",
                    "city": "Bergen",
                    "country": "NO",
                }
            ],
            "contacts": [{"first_name": "Kari", "last_name": "Nordmann"}],
        }
    )

    response = manager_api.post("/api/v1/customers/", payload, format="json")

    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.party.name == "Fjordkjøkken AS"
    assert customer.party.invoice_address.city == "Bergen"
    assert customer.party.contacts.get().last_name == "Nordmann"
    assert response.json()["party"]["addresses"][0]["city"] == "Bergen"


@pytest.mark.django_db
def test_customers_are_numbered_from_the_customer_series(manager_api):
    first = manager_api.post(
        "/api/v1/customers/", customer_payload(party={"name": "A AS"}), format="json"
    )
    second = manager_api.post(
        "/api/v1/customers/", customer_payload(party={"name": "B AS"}), format="json"
    )

    assert first.json()["account_number"] == "C00001"
    assert second.json()["account_number"] == "C00002"


@pytest.mark.django_db
def test_posted_account_number_and_created_at_are_ignored(manager_api):
    payload = customer_payload(
        party={"name": "Sneaky AS"}, account_number="HACK-1", created_at="2000-01-01T00:00:00Z"
    )

    response = manager_api.post("/api/v1/customers/", payload, format="json")

    assert response.status_code == 201
    assert response.json()["account_number"] == "C00001"
    assert not response.json()["created_at"].startswith("2000")
    changed = manager_api.patch(
        f"/api/v1/customers/{response.json()['id']}/", {"account_number": "HACK-2"}, format="json"
    )
    assert changed.json()["account_number"] == "C00001"


@pytest.mark.django_db
def test_an_existing_party_takes_the_customer_role_without_a_copy(manager_api):
    party = f.PartyFactory(name="Once Only AS")
    f.VendorFactory(party=party)

    response = manager_api.post(
        "/api/v1/customers/", customer_payload(party_id=party.pk), format="json"
    )

    assert response.status_code == 201, response.json()
    assert Party.objects.filter(name="Once Only AS").count() == 1
    assert manager_api.get(f"/api/v1/parties/{party.pk}/").json()["roles"] == ["customer", "vendor"]


@pytest.mark.django_db
def test_a_party_is_a_customer_only_once(manager_api):
    customer = f.CustomerFactory()

    response = manager_api.post(
        "/api/v1/customers/", customer_payload(party_id=customer.party.pk), format="json"
    )

    assert response.status_code == 400
    assert "party" in response.json()["errors"]
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_credit_limit_cannot_be_negative(manager_api):
    response = manager_api.post(
        "/api/v1/customers/",
        customer_payload(party={"name": "Neg AS"}, credit_limit="-1.00"),
        format="json",
    )

    assert response.status_code == 400
    assert "credit_limit" in response.json()["errors"]
    assert not Party.objects.filter(name="Neg AS").exists()  # nothing half-written


@pytest.mark.django_db
def test_party_referenced_by_other_records_cannot_be_deleted(manager_api):
    vendor = f.VendorFactory(party=f.PartyFactory(name="Lofoten Sjømat AS"))
    f.ItemFactory(primary_vendor=vendor)

    response = manager_api.delete(f"/api/v1/parties/{vendor.party.pk}/")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "in_use"
    assert "Lofoten Sjømat AS" in body["detail"] and "item" in body["detail"]
    assert Party.objects.filter(pk=vendor.party.pk).exists()
    assert Vendor.objects.filter(pk=vendor.pk).exists()


@pytest.mark.django_db
def test_party_nobody_references_can_be_deleted_with_its_roles(manager_api):
    customer = f.CustomerFactory()

    response = manager_api.delete(f"/api/v1/parties/{customer.party.pk}/")

    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db
def test_addresses_sent_with_a_party_replace_its_addresses(manager_api):
    party = f.PartyAddressFactory(city="Oslo").party
    kept = party.addresses.get()
    f.PartyAddressFactory(party=party, purpose="delivery", city="Drammen")

    response = manager_api.patch(
        f"/api/v1/parties/{party.pk}/",
        {
            "addresses": [
                {
                    "id": kept.pk,
                    "purpose": "invoice",
                    "street": "Ny gate 2",
                    "postal_code": "0150",
                    "city": "Oslo",
                    "country": "NO",
                },
                {
                    "purpose": "delivery",
                    "street": "Havna 1",
                    "postal_code": "5003",
                    "city": "Bergen",
                    "country": "NO",
                },
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    cities = sorted(a.city for a in party.addresses.all())
    assert cities == ["Bergen", "Oslo"]
    assert party.addresses.get(city="Oslo").pk == kept.pk


@pytest.mark.django_db
def test_country_must_be_an_iso_code(manager_api):
    response = manager_api.post(
        "/api/v1/parties/",
        {
            "name": "X AS",
            "addresses": [
                {
                    "purpose": "invoice",
                    "street": "a",
                    "postal_code": "1",
                    "city": "b",
                    "country": "no",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "addresses" in response.json()["errors"]


@pytest.mark.django_db
def test_every_change_to_a_customer_is_audited_with_old_and_new_values(manager_api):
    created = manager_api.post(
        "/api/v1/customers/", customer_payload(party={"name": "Audit AS"}), format="json"
    ).json()

    manager_api.patch(
        f"/api/v1/customers/{created['id']}/", {"credit_limit": "75000.00"}, format="json"
    )

    events = AuditEvent.objects.filter(object_id=str(created["id"]), content_type__model="customer")
    assert [e.action for e in events.order_by("id")] == ["created", "changed"]
    change = events.get(action="changed")
    assert change.actor == manager_api.user
    assert change.data == {"credit_limit": {"old": "50000.00", "new": "75000.00"}}


@pytest.mark.django_db
def test_primary_address_per_purpose_falls_back_to_any_address():
    party = f.PartyAddressFactory(purpose="invoice", city="Oslo").party

    assert party.invoice_address.city == "Oslo"
    assert party.delivery_address.city == "Oslo"
    f.PartyAddressFactory(party=party, purpose="delivery", city="Bergen")
    assert party.delivery_address.city == "Bergen"


@pytest.mark.django_db
def test_vendor_is_numbered_from_the_vendor_series(manager_api):
    response = manager_api.post(
        "/api/v1/vendors/",
        {"party": {"name": "Supplier AB"}, "currency": f.CurrencyFactory().pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["account_number"] == "V00001"
    assert Decimal("0") == Decimal(0)
