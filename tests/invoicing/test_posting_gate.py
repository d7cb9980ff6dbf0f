"""Posting judges the invoice as the e-invoice it becomes: one that breaks a fatal EN 16931 rule
(or, for a Peppol receiver, a Peppol rule) is refused and nothing is posted."""

from decimal import Decimal

import pytest

from crm.models import Party
from invoicing.models import CustomerTransaction, Invoice, LedgerVoucher
from invoicing.services.invoices import free_text_invoice_create, invoice_post
from salesmkt.core.models import NumberSeries
from salesmkt.finance.company import company_profile_update
from tests import factories as f


@pytest.fixture
def intra_community():
    return f.SalesTaxCodeFactory(
        code="K0",
        name="Intra-community supply",
        rate=Decimal("0"),
        category="K",
        exemption_reason="Intra-community supply, article 138 of the VAT Directive",
    )


@pytest.fixture
def swedish_customer(accounts):
    """A VAT-registered buyer in another EU country (as intra-community supply requires)."""
    party = f.PartyFactory(name="Göta Kök AB", vat_number="SE556012579001")
    customer = f.CustomerFactory(
        party=party, posting_profile=accounts.profile, invoice_address=None, credit_limit=0
    )
    f.PartyAddressFactory(
        party=party, street="Drottninggatan 1", postal_code="11151", city="Stockholm", country="SE"
    )
    return customer


@pytest.fixture
def peppol_customer(accounts):
    party = f.PartyFactory(
        name="Brønnøysundregistrene",
        email="post@brreg.no",
        vat_number="NO974760673MVA",
        registration_scheme="0192",
        registration_id="974760673",
        endpoint_scheme="0192",
        endpoint_id="974760673",
        peppol_receiver=True,
    )
    return f.CustomerFactory(party=party, posting_profile=accounts.profile)


def free_text_draft(customer, tax_code) -> Invoice:
    return free_text_invoice_create(
        data={
            "customer": customer,
            "lines": [
                {
                    "ledger_account": f.LedgerAccountFactory(
                        number="3100", name="Sales EU", account_type="revenue"
                    ),
                    "description": "Kitchen consulting",
                    "quantity": "2",
                    "unit_price": "500",
                    "sales_tax_code": tax_code,
                }
            ],
        },
        actor=None,
    )


@pytest.mark.django_db
def test_an_invoice_to_a_peppol_receiver_with_a_valid_electronic_address_posts(
    accounts, peppol_customer
):
    invoice = invoice_post(invoice=free_text_draft(peppol_customer, accounts.tax_code), actor=None)

    assert invoice.status == Invoice.Status.POSTED
    assert (invoice.buyer_endpoint_scheme, invoice.buyer_endpoint_id) == ("0192", "974760673")


@pytest.mark.django_db
def test_an_intra_community_supply_without_delivery_data_is_refused_and_nothing_is_posted(
    api_as, accounts, swedish_customer, intra_community
):
    earlier = invoice_post(invoice=free_text_draft(swedish_customer, accounts.tax_code), actor=None)
    series = NumberSeries.objects.get(code="invoice")
    number_it_would_get = series.format(series.next_value)
    vouchers = LedgerVoucher.objects.count()
    draft = free_text_draft(swedish_customer, intra_community)

    response = api_as("accountant").post(f"/api/v1/invoices/{draft.pk}/post/", {}, format="json")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "einvoice_invalid"
    rule_ids = {rule["id"] for rule in response.json()["params"]["rules"]}
    assert rule_ids == {"BR-IC-11", "BR-IC-12"}  # delivery date or period; deliver-to country
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.voucher_id) == (Invoice.Status.DRAFT, "", None)
    assert LedgerVoucher.objects.count() == vouchers
    assert not CustomerTransaction.objects.filter(invoice=draft).exists()
    later = invoice_post(invoice=free_text_draft(swedish_customer, accounts.tax_code), actor=None)
    assert earlier.number != later.number == number_it_would_get


@pytest.mark.django_db
def test_seller_identifiers_typed_with_spaces_still_make_a_valid_peppol_invoice(
    accounts, peppol_customer
):
    company_profile_update(
        data={
            "org_number": "999 888 771",
            "vat_number": "NO 999 888 771 MVA",
            "endpoint_id": "999 888 771",
        },
        actor=None,
    )

    invoice = invoice_post(invoice=free_text_draft(peppol_customer, accounts.tax_code), actor=None)

    assert invoice.status == Invoice.Status.POSTED
    assert invoice.seller["vat_number"] == "NO999888771MVA"


@pytest.mark.django_db
def test_buyer_identifiers_typed_with_spaces_still_make_a_valid_peppol_invoice(
    manager_api, accounts
):
    created = manager_api.post(
        "/api/v1/parties/",
        {
            "name": "Brønnøysundregistrene",
            "registration_scheme": "0192",
            "registration_id": "974 760 673",
            "endpoint_scheme": "0192",
            "endpoint_id": "974 760 673",
            "peppol_receiver": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()  # accepted as valid
    customer = f.CustomerFactory(
        party=Party.objects.get(pk=created.json()["id"]), posting_profile=accounts.profile
    )

    invoice = invoice_post(invoice=free_text_draft(customer, accounts.tax_code), actor=None)

    assert invoice.status == Invoice.Status.POSTED
    assert invoice.buyer_endpoint_id == "974760673"
