"""The e-invoice of a posted invoice or credit note, downloaded: UBL (Peppol BIS Billing 3.0) and
the Factur-X CII XML from the API and the clerk UI; `validate_einvoice` for support staff."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.model import from_invoice
from invoicing.einvoice.ubl import to_ubl
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post

UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"


@pytest.fixture
def credit_note(invoice_for):
    invoice = invoice_for("4")
    return invoice_post(invoice=credit_note_create(invoice=invoice, actor=None), actor=None)


@pytest.fixture
def pro_forma(make_order, accounts):
    order = make_order(quantities=["3"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("3")}], actor=None
    )
    return invoice_from_order(order=order, actor=None, pro_forma=True)


@pytest.mark.django_db
def test_the_api_returns_the_ubl_of_a_posted_invoice(api_as, invoice_for):
    invoice = invoice_for("4")

    response = api_as("accountant").get(f"/api/v1/invoices/{invoice.pk}/ubl/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == (f'attachment; filename="{invoice.number}-ubl.xml"')
    assert response.content == to_ubl(from_invoice(invoice))
    assert etree.fromstring(response.content).tag == UBL_INVOICE


@pytest.mark.django_db
def test_the_api_returns_the_ubl_of_a_posted_credit_note(api_as, credit_note):
    response = api_as("accountant").get(
        f"/api/v1/credit-notes/{credit_note.pk}/ubl/", HTTP_ACCEPT="application/xml"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{credit_note.number}-ubl.xml"' in response["Content-Disposition"]
    assert etree.fromstring(response.content).tag == UBL_CREDIT_NOTE


@pytest.mark.django_db
def test_the_api_returns_the_factur_x_xml_its_pdf_carries(api_as, invoice_for):
    invoice = invoice_for("4")

    response = api_as("accountant").get(f"/api/v1/invoices/{invoice.pk}/cii/")

    assert response.status_code == 200
    assert f'filename="{invoice.number}-factur-x.xml"' in response["Content-Disposition"]
    assert response.content == to_cii(from_invoice(invoice))


@pytest.mark.django_db
def test_a_draft_has_no_ubl(api_as, invoice_for):
    draft = credit_note_create(invoice=invoice_for("4"), actor=None)

    response = api_as("accountant").get(
        f"/api/v1/credit-notes/{draft.pk}/ubl/", HTTP_ACCEPT="application/xml"
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_posted"


@pytest.mark.django_db
def test_a_pro_forma_has_no_e_invoice(api_as, pro_forma):
    client = api_as("accountant")

    for syntax in ("ubl", "cii"):
        response = client.get(f"/api/v1/invoices/{pro_forma.pk}/{syntax}/")
        assert (response.status_code, response.json()["code"]) == (409, "not_posted")


@pytest.mark.django_db
def test_a_posted_invoices_page_offers_its_ubl_and_factur_x_xml(client, user_in, invoice_for):
    invoice = invoice_for("4")
    client.force_login(user_in("accountant"))

    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()
    ubl = client.get(reverse("invoicing:invoice-ubl", args=[invoice.pk]))
    cii = client.get(reverse("invoicing:invoice-cii", args=[invoice.pk]))

    assert reverse("invoicing:invoice-ubl", args=[invoice.pk]) in page
    assert reverse("invoicing:invoice-cii", args=[invoice.pk]) in page
    assert (ubl.status_code, ubl.content) == (200, to_ubl(from_invoice(invoice)))
    assert (cii.status_code, cii.content) == (200, to_cii(from_invoice(invoice)))


@pytest.mark.django_db
def test_a_pro_forma_page_offers_no_e_invoice(client, user_in, pro_forma):
    client.force_login(user_in("accountant"))

    page = client.get(reverse("invoicing:invoices-detail", args=[pro_forma.pk])).content.decode()
    refused = client.get(reverse("invoicing:invoice-ubl", args=[pro_forma.pk]))

    assert reverse("invoicing:invoice-ubl", args=[pro_forma.pk]) not in page
    assert refused.status_code == 302


@pytest.mark.django_db
def test_validate_einvoice_reports_a_valid_invoice_in_both_syntaxes(invoice_for, capsys):
    # A Peppol buyer: its electronic address is its organisation number (Brønnøysundregistrene's
    # own, 974760673), never its e-mail.
    party = invoice_for.customer.party
    party.endpoint_scheme, party.endpoint_id = "0192", "974760673"
    party.save()
    invoice = invoice_for("4")

    call_command("validate_einvoice", invoice.number)

    output = capsys.readouterr().out
    assert invoice.number in output
    assert "CII: valid" in output and "UBL: valid" in output
    assert "UBL / CEN EN 16931" in output and "UBL / Peppol BIS Billing 3.0" in output


@pytest.mark.django_db
def test_validate_einvoice_fails_on_a_broken_invoice_naming_the_rule(invoice_for, capsys):
    invoice = invoice_for("4")
    # The frozen seller altered behind the application's back (BR-CO-26: the seller needs a
    # VAT number, a legal registration or an identifier).
    seller = {**invoice.seller, "vat_number": "", "org_number": "", "endpoint_id": ""}
    type(invoice).objects.filter(pk=invoice.pk).update(seller=seller)

    with pytest.raises(CommandError, match="not a valid e-invoice"):
        call_command("validate_einvoice", invoice.number)

    output = capsys.readouterr().out
    assert "CII: INVALID" in output and "UBL: INVALID" in output
    assert "BR-CO-26" in output


@pytest.mark.django_db
def test_validate_einvoice_of_an_unknown_number_is_an_error():
    with pytest.raises(CommandError, match="INV999999"):
        call_command("validate_einvoice", "INV999999")


@pytest.mark.django_db
def test_a_buyer_without_an_address_is_refused_at_posting_not_made_up(invoice_for):
    from invoicing.einvoice.checks import EInvoiceInvalid
    from invoicing.models import Invoice

    invoice_for.customer.party.addresses.all().delete()

    with pytest.raises(EInvoiceInvalid) as refused:
        invoice_for("1")

    assert "BR-11" in [rule["id"] for rule in refused.value.params["rules"]]
    assert not Invoice.objects.filter(status=Invoice.Status.POSTED).exists()
