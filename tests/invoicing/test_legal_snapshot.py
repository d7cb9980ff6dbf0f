"""A posted invoice never changes: its buyer and its lines' tax rates and categories are fixed at
posting, so editing a tax code or a customer afterwards leaves its totals, tax breakdown, PDF,
e-invoice and chain hash as they were; a draft follows the master data until it is posted."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.template.loader import render_to_string

from crm.models import PartyAddress
from invoicing.documents import invoice_document
from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.model import from_invoice
from invoicing.einvoice.ubl import to_ubl
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.credit_notes import invoice_cancel
from invoicing.services.invoices import invoice_from_order, invoice_post
from invoicing.services.ledger_chain import verify
from orders.services.delivery import packing_slip_post
from salesmkt.core.documents import company
from salesmkt.core.services import record_save
from salesmkt.core.tax import document_totals
from tests import factories as f


def printed(invoice: Invoice) -> str:
    """The HTML the invoice's PDF is rendered from, as the document renderer builds it."""
    template, context, _subject = invoice_document(Invoice.objects.get(pk=invoice.pk))
    return render_to_string(template, {**context, "document": None, "company": company()})


def legal_view(invoice: Invoice) -> dict:
    """Everything that shows or derives the invoice, read afresh from the database."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    lines = list(invoice.lines.select_related("sales_tax_code").order_by("line_number"))
    einvoice = from_invoice(invoice)
    return {
        "stored_totals": (invoice.net_amount, invoice.tax_amount, invoice.total_amount),
        "breakdown": document_totals(lines),
        "pdf": printed(invoice),
        "cii": to_cii(einvoice),
        "ubl": to_ubl(einvoice),
    }


@pytest.fixture
def buyer(invoice_for):
    """The invoiced customer with a VAT number and an invoice address."""
    party = invoice_for.customer.party
    party.name, party.vat_number = "Fjordkjøkken AS", "NO912345678MVA"
    party.save()
    f.PartyAddressFactory(party=party, street="Storgata 1", postal_code="0155", city="Oslo")
    return party


@pytest.mark.django_db
def test_changing_a_tax_codes_rate_after_posting_leaves_the_posted_invoice_unchanged(
    invoice_for, accounts, buyer
):
    invoice = invoice_for("4")
    before = legal_view(invoice)

    accounts.tax_code.rate = Decimal("15.00")
    record_save(instance=accounts.tax_code, actor=None)
    after = legal_view(invoice)

    assert after == before
    assert [(g.rate, g.tax) for g in after["breakdown"].breakdown] == [
        (Decimal("25.00"), Decimal("100.00"))
    ]
    assert InvoiceLine.objects.get(invoice=invoice).tax_rate == Decimal("25.00")
    assert verify() == []


@pytest.mark.django_db
def test_changing_a_tax_codes_category_after_posting_leaves_the_e_invoice_unchanged(
    invoice_for, accounts, buyer
):
    invoice = invoice_for("4")
    before = legal_view(invoice)

    accounts.tax_code.category, accounts.tax_code.rate = "Z", Decimal("0.00")
    record_save(instance=accounts.tax_code, actor=None)

    assert legal_view(invoice) == before
    assert from_invoice(invoice).tax_groups[0].category == "S"
    assert verify() == []


@pytest.mark.django_db
def test_renaming_and_moving_the_customer_after_posting_leaves_the_invoices_buyer_unchanged(
    invoice_for, buyer
):
    invoice = invoice_for("4")
    before = legal_view(invoice)

    buyer.name, buyer.vat_number = "Fjordkjøkken Holding AS", "NO999999999MVA"
    buyer.save()
    PartyAddress.objects.filter(party=buyer).update(
        street="Bryggen 7", postal_code="5003", city="Bergen"
    )
    after = legal_view(invoice)

    assert after == before
    assert "Fjordkjøkken AS" in after["pdf"] and "Storgata 1" in after["pdf"]
    assert "NO912345678MVA" in after["pdf"] and "Bergen" not in after["pdf"]
    einvoice = from_invoice(invoice)
    assert (einvoice.buyer.name, einvoice.buyer.vat_number, einvoice.buyer.address.city) == (
        "Fjordkjøkken AS",
        "NO912345678MVA",
        "Oslo",
    )
    assert verify() == []


@pytest.mark.django_db
def test_a_draft_follows_the_master_data_until_it_is_posted(
    make_order, invoice_for, accounts, buyer
):
    order = make_order(customer=invoice_for.customer, quantities=["4"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("4")}], actor=None
    )
    draft = invoice_from_order(order=order, actor=None)

    accounts.tax_code.rate = Decimal("15.00")
    record_save(instance=accounts.tax_code, actor=None)
    buyer.name = "Fjordkjøkken Holding AS"
    buyer.save()
    lines = list(draft.lines.select_related("sales_tax_code"))

    assert document_totals(lines).tax == Decimal("60.00")
    assert InvoiceLine.objects.get(invoice=draft).tax_rate is None
    assert "Fjordkjøkken Holding AS" in printed(draft)

    posted = invoice_post(invoice=draft, actor=None)

    assert (posted.tax_amount, posted.buyer_name) == (Decimal("60.00"), "Fjordkjøkken Holding AS")
    assert InvoiceLine.objects.get(invoice=posted).tax_rate == Decimal("15.00")
    assert verify() == []


@pytest.mark.django_db
def test_a_credit_note_credits_at_the_rate_its_invoice_was_posted_with(invoice_for, accounts):
    invoice = invoice_for("4")
    accounts.tax_code.rate = Decimal("15.00")
    record_save(instance=accounts.tax_code, actor=None)

    note = invoice_cancel(invoice=invoice, actor=None)

    assert (note.tax_amount, note.total_amount) == (invoice.tax_amount, invoice.total_amount)
    assert InvoiceLine.objects.get(invoice=note).tax_rate == Decimal("25.00")
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.PaymentState.CREDITED
    assert verify() == []


@pytest.mark.django_db
def test_the_migration_fills_the_snapshot_of_invoices_posted_before_it_and_the_chain_verifies(
    invoice_for, buyer
):
    # Given invoices posted (and chained) before the snapshot fields existed
    invoices = [invoice_for("1"), invoice_for("2")]
    views = [legal_view(invoice) for invoice in invoices]
    Invoice.objects.update(**{field: "" for field in _buyer_fields()})
    InvoiceLine.objects.update(tax_rate=None, tax_category="")

    # When the migration's data step runs
    migration = importlib.import_module("invoicing.migrations.0007_legal_snapshot")
    migration.fill_snapshot(apps, None)

    # Then they read as before and their chain hashes still verify
    assert [legal_view(invoice) for invoice in invoices] == views
    assert Invoice.objects.get(pk=invoices[0].pk).buyer_city == "Oslo"
    assert verify() == []


def _buyer_fields() -> list[str]:
    return [field.name for field in Invoice._meta.fields if field.name.startswith("buyer_")]


@pytest.mark.django_db
def test_renumbering_items_accounts_tax_codes_and_currencies_after_posting_alters_no_document(
    invoice_for, accounts
):
    invoice = invoice_for("3")
    line = invoice.lines.select_related("item").get()
    before = (line.item.item_number, accounts.tax_code.code, invoice.currency.code)

    for record, field, value in [
        (line.item, "item_number", "RENUMBERED-1"),
        (accounts.tax_code, "code", "NEW25"),
        (invoice.currency, "code", "XXX"),
        (accounts.revenue, "number", "3999"),
    ]:
        setattr(record, field, value)
        record.save()

    stored = Invoice.objects.get(pk=invoice.pk)
    stored_line = stored.lines.get()
    assert (stored_line.item_number, stored_line.tax_code, stored.currency_code) == before
    assert verify() == []


@pytest.mark.django_db
def test_the_migration_fills_the_identifiers_of_documents_posted_before_it(invoice_for):
    invoice = invoice_for("2")
    InvoiceLine.objects.update(item_number="", ledger_account_number="", tax_code="")
    Invoice.objects.update(currency_code="")
    assert verify() != []  # without the identifiers the hash no longer matches

    migration = importlib.import_module("invoicing.migrations.0009_identifier_snapshot")
    migration.fill_snapshot(apps, None)

    line = InvoiceLine.objects.select_related("item", "sales_tax_code").get(invoice=invoice)
    assert (line.item_number, line.tax_code) == (line.item.item_number, line.sales_tax_code.code)
    assert verify() == []
