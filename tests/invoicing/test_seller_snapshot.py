"""Posting freezes the seller (the company profile) on the invoice, covers it with the chain hash,
and gives the invoice the structured payment reference the profile asks for, with the account
it is paid into."""

import pytest
from lxml import etree

from invoicing.einvoice.exports import einvoice_file
from invoicing.models import Invoice
from invoicing.services.credit_notes import invoice_cancel
from invoicing.services.invoices import free_text_invoice_create
from invoicing.services.ledger_chain import verify
from salesmkt.finance import payment_references
from salesmkt.finance.company import company_profile_update
from salesmkt.finance.models import CompanyProfile

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
SEEDED_IBAN = "NO9386011117947"


def ubl_of(invoice: Invoice) -> etree._Element:
    return etree.fromstring(einvoice_file(invoice=invoice, syntax="ubl").content)


def text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, NS)
    return None if found is None else found.text


def files_of(invoice: Invoice) -> tuple[bytes, bytes]:
    fresh = Invoice.objects.get(pk=invoice.pk)
    return (
        einvoice_file(invoice=fresh, syntax="ubl").content,
        einvoice_file(invoice=fresh, syntax="cii").content,
    )


def rename_the_company() -> None:
    """A new legal name, organisation and VAT number, endpoint and bank account."""
    company_profile_update(
        data={
            "legal_name": "Nordlys Grossist AS",
            "org_number": "974760673",
            "vat_number": "NO974760673MVA",
            "endpoint_id": "974760673",
        },
        bank_accounts=[{"kind": "iban", "iban": "NO5015032080119", "is_default": True}],
        actor=None,
    )


def set_payment_reference(kind: str, length: int | None = None) -> None:
    company_profile_update(
        data={"payment_reference": kind, "payment_reference_length": length}, actor=None
    )


# --- the seller as posted --------------------------------------------------------------------
@pytest.mark.django_db
def test_a_posted_invoice_keeps_the_seller_it_was_posted_with(invoice_for):
    posted = invoice_for("1")
    ubl_before, cii_before = files_of(posted)

    rename_the_company()

    assert files_of(posted) == (ubl_before, cii_before)
    kept = ubl_of(Invoice.objects.get(pk=posted.pk))
    assert text(kept, f"{SUPPLIER}/cac:PartyLegalEntity/cbc:RegistrationName") == (
        "Nordlys Engros AS"
    )


@pytest.mark.django_db
def test_an_invoice_posted_after_a_profile_change_shows_the_new_seller(invoice_for):
    invoice_for("1")
    rename_the_company()

    later = ubl_of(invoice_for("1"))

    assert text(later, f"{SUPPLIER}/cac:PartyLegalEntity/cbc:RegistrationName") == (
        "Nordlys Grossist AS"
    )
    assert text(later, f"{SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID") == "974760673"
    assert text(later, f"{SUPPLIER}/cac:PartyTaxScheme/cbc:CompanyID") == "NO974760673MVA"
    assert text(later, f"{SUPPLIER}/cbc:EndpointID") == "974760673"
    assert text(later, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "NO5015032080119"


@pytest.mark.django_db
def test_the_chain_still_verifies_after_the_company_profile_changes(invoice_for):
    invoice_for("1")
    invoice_for("2")

    rename_the_company()
    invoice_for("3")

    assert verify() == []


@pytest.mark.django_db
def test_altering_a_posted_invoices_seller_breaks_the_chain(invoice_for):
    invoice_for("1")
    posted = invoice_for("2")
    invoice_for("3")

    Invoice.objects.filter(pk=posted.pk).update(
        seller={**posted.seller, "vat_number": "NO974760673MVA"}
    )

    [finding] = verify()
    assert (finding.series, finding.number, finding.problem) == (
        "invoice",
        posted.number,
        "altered",
    )


# --- the payment reference -------------------------------------------------------------------
@pytest.mark.django_db
def test_a_norwegian_seller_posts_a_kid_carried_in_the_payment_means_with_the_iban(invoice_for):
    invoice = invoice_for("1")

    ubl = ubl_of(invoice)

    assert payment_references.kid_valid(invoice.payment_reference, "mod10")
    assert invoice.number[-6:] in invoice.payment_reference  # built from the invoice number
    assert text(ubl, "cac:PaymentMeans/cbc:PaymentID") == invoice.payment_reference
    assert text(ubl, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == SEEDED_IBAN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "length", "valid"),
    [
        ("ocr_length", 12, lambda ref: payment_references.ocr_valid(ref, length_digit=True)),
        ("kid_mod11", 10, lambda ref: payment_references.kid_valid(ref, "mod11")),
        ("kid_mod10", 15, lambda ref: payment_references.kid_valid(ref, "mod10")),
    ],
    ids=["ocr-with-length-digit", "kid-mod11", "kid-mod10"],
)
def test_a_fixed_length_reference_is_valid_under_its_algorithm_and_has_the_set_length(
    invoice_for, kind, length, valid
):
    set_payment_reference(kind, length)

    references = [invoice_for("1").payment_reference for _ in range(3)]

    assert all(valid(reference) for reference in references), references
    assert {len(reference) for reference in references} == {length}
    assert len(set(references)) == 3  # one per invoice


@pytest.mark.django_db
def test_an_rf_creditor_reference_is_valid_and_carried_in_the_ubl(invoice_for):
    set_payment_reference("rf")

    invoice = invoice_for("1")

    assert invoice.payment_reference.startswith("RF")
    assert payment_references.rf_valid(invoice.payment_reference)
    assert text(ubl_of(invoice), "cac:PaymentMeans/cbc:PaymentID") == invoice.payment_reference


@pytest.mark.django_db
def test_a_kid_length_the_invoice_number_does_not_fit_refuses_posting_with_a_conflict(
    api_as, invoice_for, accounts
):
    # Six-digit invoice numbers (INV000001) need a KID of at least seven digits.
    CompanyProfile.objects.filter(pk=1).update(
        payment_reference="kid_mod10", payment_reference_length=5
    )
    draft = free_text_invoice_create(
        data={
            "customer": invoice_for.customer,
            "lines": [
                {
                    "ledger_account": accounts.revenue,
                    "description": "Kitchen consulting",
                    "quantity": "1",
                    "unit_price": "100",
                    "sales_tax_code": accounts.tax_code,
                }
            ],
        },
        actor=None,
    )

    response = api_as("accountant").post(f"/api/v1/invoices/{draft.pk}/post/", {}, format="json")

    assert response.status_code == 409
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (Invoice.Status.DRAFT, "")


@pytest.mark.django_db
def test_a_credit_note_gets_no_payment_reference(invoice_for):
    invoice = invoice_for("1")

    credit_note = invoice_cancel(invoice=invoice, actor=None)

    assert credit_note.status == Invoice.Status.POSTED
    assert invoice.payment_reference
    assert credit_note.payment_reference == ""


@pytest.mark.django_db
def test_a_swedish_bankgiro_account_is_the_payee_account_with_the_bankgiro_branch(invoice_for):
    company_profile_update(
        data={
            "country": "SE",
            "org_number_scheme": "0007",
            "org_number": "5560125790",
            "vat_number": "SE556012579001",
            "endpoint_scheme": "0007",
            "endpoint_id": "5560125790",
            "f_tax_approved": True,
            "payment_reference": "ocr_length",
        },
        bank_accounts=[{"kind": "se_bankgiro", "account_number": "5050-1055", "is_default": True}],
        actor=None,
    )

    ubl = ubl_of(invoice_for("1"))

    account = "cac:PaymentMeans/cac:PayeeFinancialAccount"
    assert text(ubl, f"{account}/cbc:ID") == "50501055"
    assert text(ubl, f"{account}/cac:FinancialInstitutionBranch/cbc:ID") == "SE:BANKGIRO"
