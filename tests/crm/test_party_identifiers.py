"""A party's e-invoice identifiers (legal registration, electronic address, VAT number) are
refused unless their registries would accept them; a Peppol receiver needs its address."""

import pytest

from crm.models import Customer, Party
from tests import factories as f

BRREG = "974760673"  # Brønnøysundregistrene's own organisation number


def customer_payload(party: dict) -> dict:
    return {
        "customer_group": f.CustomerGroupFactory().pk,
        "payment_terms": f.PaymentTermsFactory().pk,
        "currency": f.CurrencyFactory().pk,
        "sales_tax_group": f.SalesTaxGroupFactory().pk,
        "posting_profile": f.PostingProfileFactory().pk,
        "credit_limit": "10000.00",
        "party": party,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("identifiers", "field"),
    [
        ({"endpoint_scheme": "0192", "endpoint_id": "974760672"}, "endpoint_id"),
        ({"endpoint_scheme": "0088", "endpoint_id": "5901234123458"}, "endpoint_id"),
        ({"endpoint_scheme": "EM", "endpoint_id": "post@fjord.no"}, "endpoint_id"),
        ({"endpoint_scheme": "0192"}, "endpoint_id"),
        ({"registration_scheme": "0192"}, "registration_id"),
        ({"registration_id": BRREG}, "registration_scheme"),
        ({"vat_number": "NO974760672MVA"}, "vat_number"),
        ({"peppol_receiver": True}, "endpoint_id"),
    ],
    ids=[
        "org-number-check-digit",
        "gln-check-digit",
        "email-is-no-endpoint",
        "endpoint-scheme-without-id",
        "registration-scheme-without-id",
        "registration-id-without-scheme",
        "vat-number-check-digit",
        "peppol-receiver-without-address",
    ],
)
def test_an_invalid_party_identifier_is_refused_naming_the_field(manager_api, identifiers, field):
    response = manager_api.post(
        "/api/v1/parties/", {"name": "Fjordkjøkken AS", **identifiers}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Party.objects.filter(name="Fjordkjøkken AS").exists()


@pytest.mark.django_db
def test_an_invalid_electronic_address_on_a_new_customers_party_is_refused(manager_api):
    response = manager_api.post(
        "/api/v1/customers/",
        customer_payload(
            {"name": "Fjordkjøkken AS", "endpoint_scheme": "0192", "endpoint_id": "1"}
        ),
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert "endpoint_id" in response.json()["errors"]
    assert not Customer.objects.filter(party__name="Fjordkjøkken AS").exists()


@pytest.mark.django_db
def test_an_invalid_identifier_is_refused_when_a_party_is_changed(manager_api):
    party = f.PartyFactory()

    response = manager_api.patch(
        f"/api/v1/parties/{party.pk}/",
        {"endpoint_scheme": "0088", "endpoint_id": "5901234123458"},
        format="json",
    )

    assert response.status_code == 400
    assert "endpoint_id" in response.json()["errors"]
    party.refresh_from_db()
    assert (party.endpoint_scheme, party.endpoint_id) == ("", "")


@pytest.mark.django_db
def test_a_peppol_receiver_with_valid_identifiers_is_saved(manager_api):
    identifiers = {
        "vat_number": f"NO{BRREG}MVA",
        "registration_scheme": "0192",
        "registration_id": BRREG,
        "endpoint_scheme": "0192",
        "endpoint_id": BRREG,
        "peppol_receiver": True,
    }

    response = manager_api.post(
        "/api/v1/parties/", {"name": "Brønnøysundregistrene", **identifiers}, format="json"
    )

    assert response.status_code == 201, response.json()
    party = Party.objects.get(pk=response.json()["id"])
    assert {field: getattr(party, field) for field in identifiers} == identifiers


@pytest.mark.django_db
def test_a_gln_with_a_correct_check_digit_is_a_valid_electronic_address(manager_api):
    response = manager_api.post(
        "/api/v1/parties/",
        {"name": "GS1 Test AS", "endpoint_scheme": "0088", "endpoint_id": "5901234123457"},
        format="json",
    )

    assert response.status_code == 201, response.json()
