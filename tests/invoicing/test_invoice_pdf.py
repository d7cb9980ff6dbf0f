"""The printed invoice and credit note read as a Nordic accountant expects them, all in the
customer's language: the seller's legal texts, the bank account and the payment reference the
invoice is paid with, the payment terms, the discounts as they were given, the VAT also in the
company's currency, and a credit note that says which invoice it credits."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.formats import number_format
from pypdf import PdfReader

from crm.models import PartyAddress
from invoicing.documents import (
    bank_account_rows,
    bankgiro,
    norwegian_account,
    payment_reference_label,
    plusgiro,
    printed_date,
    unit_label,
)
from invoicing.models import Invoice
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import (
    free_text_invoice_create,
    free_text_invoice_update,
    invoice_post,
)
from invoicing.services.payments import payment_register
from salesmkt.core.documents import document_request, render
from salesmkt.finance.models import ExchangeRate
from tests import factories as f

PREPAID = Decimal("200.00")
RATE = Decimal("11.50")
SEEDED_IBAN = "NO93 8601 1117 947"  # the company profile's account, seeded from the settings

# The customer's language, where it is, and what its printout says.
EXPECTED = {
    "nb": {
        "buyer_country": "NO",
        "title": "Faktura",
        "terms": "Netto 30 dager",
        "reference_label": "KID",
        "account": "Kontonummer 8601.11.17947",
        "seller_country": None,  # a Norwegian buyer of a Norwegian seller: no country printed
        "amount_due": "Å betale",
        "units": ["stk", "kg"],
        "price_base": "pr. 1 000",
        "percent": "7,5 %",
        "tax_in_kroner": "MVA i NOK",
        "rate": "(kurs 11,50)",
        "credit_title": "Kreditnota",
        "credits": "Krediterer faktura {number} datert {date}",
        "credited_total": "Til gode",
    },
    "sv": {
        "buyer_country": "SE",
        "title": "Faktura",
        "terms": "Netto 30 dagar",
        "reference_label": "KID",
        "account": "IBAN " + SEEDED_IBAN,
        "seller_country": "Norge",
        "amount_due": "Att betala",
        "units": ["st", "kg"],
        "price_base": "per 1 000",
        "percent": "7,5 %",
        "tax_in_kroner": "Moms i NOK",
        "rate": "(kurs 11,50)",
        "credit_title": "Kreditfaktura",
        "credits": "Krediterar faktura {number} daterad {date}",
        "credited_total": "Er tillgodo",
    },
    "nl": {
        "buyer_country": "NL",
        "title": "Factuur",
        "terms": "Netto 30 dagen",
        "reference_label": "Betalingskenmerk (KID)",
        "account": "IBAN " + SEEDED_IBAN,
        "seller_country": "Noorwegen",
        "amount_due": "Te betalen",
        "units": ["st", "kg"],
        "price_base": "per 1.000",
        "percent": "7,5%",
        "tax_in_kroner": "Btw in NOK",
        "rate": "(koers 11,50)",
        "credit_title": "Creditnota",
        "credits": "Creditering van factuur {number} van {date}",
        "credited_total": "Uw tegoed",
    },
}
ENGLISH_WORDS = ["Invoice", "Net", "days", "pcs", "Norway", "Total"]


def post_invoice_in_euros(*, language: str, buyer_country: str) -> Invoice:
    """A posted free text invoice in euros to a customer who reads `language` in
    `buyer_country`: a discount per unit, a discount percent, a price per 1,000, an allowance
    and a charge on the whole invoice, 200.00 paid in advance; its VAT also in kroner at 11.50."""
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    vat = f.SalesTaxCodeFactory()
    vat.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    vat.save()
    euro = f.CurrencyFactory(code="EUR", name="Euro")
    ExchangeRate.objects.create(currency=euro, valid_from=date(2020, 1, 1), rate=RATE)
    customer = f.CustomerFactory(
        posting_profile=profile,
        currency=euro,
        credit_limit=0,
        party=f.PartyFactory(name="Fjellheim Delikatesser", language=language),
    )
    PartyAddress.objects.filter(party=customer.party).update(country=buyer_country)
    line = {"ledger_account": revenue, "sales_tax_code": vat}
    draft = free_text_invoice_create(
        data={
            "customer": customer,
            "buyer_reference": "Innkjøp/Ola",
            "order_reference": "PO-4471",
            "delivery_date": date(2026, 11, 30),
            "lines": [
                {
                    **line,
                    "description": "Røykelaks, skivet 500 g",
                    "quantity": Decimal("30"),
                    "unit_price": Decimal("18.90"),
                    "discount_amount": Decimal("1.40"),
                },
                {
                    **line,
                    "description": "Tørrfisk fra Lofoten",
                    "quantity": Decimal("12.5"),
                    "unit_code": "KGM",
                    "unit_price": Decimal("32.90"),
                    "discount_percent": Decimal("7.5"),
                },
                {
                    **line,
                    "description": "Etiketter, trykte",
                    "quantity": Decimal("5000"),
                    "unit_price": Decimal("12.50"),
                    "price_base_quantity": Decimal("1000"),
                },
            ],
            "allowance_charges": [
                {
                    "is_charge": False,
                    "reason_code": "95",
                    "percent": Decimal("3"),
                    "base_amount": Decimal("500.00"),
                    "sales_tax_code": vat,
                },
                {
                    "is_charge": True,
                    "reason_code": "FC",
                    "amount": Decimal("45.00"),
                    "sales_tax_code": vat,
                },
            ],
        },
        actor=None,
    )
    payment_register(
        data={
            "customer": customer,
            "date": date(2026, 11, 20),
            "amount": PREPAID,
            "reference": "Forskudd",
        },
        actor=None,
    )
    draft = free_text_invoice_update(instance=draft, data={"prepaid_amount": PREPAID}, actor=None)
    return invoice_post(invoice=draft, actor=None, invoice_date=date(2026, 12, 2))


def pdf_text(invoice: Invoice, language: str) -> str:
    """The text of the invoice's PDF as the document worker renders it in `language`, read as
    one line: line breaks and the language's non-breaking spaces as plain spaces."""
    document = document_request(
        obj=invoice, kind="invoice", title=f"Invoice {invoice.number}", language=language
    )
    document = render(document.pk)
    reader = PdfReader(BytesIO((Path(settings.MEDIA_ROOT) / document.file).read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def localised(amount: Decimal, language: str) -> str:
    with translation.override(language):
        text = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return text.replace("\u00a0", " ")


@pytest.fixture(params=list(EXPECTED))
def language(request):
    return request.param


@pytest.mark.django_db
def test_the_invoice_shows_how_to_pay_it_in_the_customers_language(language):
    expected = EXPECTED[language]
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])

    text = pdf_text(invoice, language)

    assert expected["title"] in text
    assert expected["account"] in text
    assert "IBAN " + SEEDED_IBAN in text and "BIC DNBANOKK" in text
    assert invoice.payment_reference and expected["reference_label"] in text
    assert invoice.payment_reference in text
    assert expected["terms"] in text
    due = invoice.total_amount - PREPAID
    assert f"{expected['amount_due']} (EUR) {localised(due, language)}" in text
    assert f"EUR {localised(due, language)}" in text  # in the payment box


@pytest.mark.django_db
def test_the_invoice_carries_the_sellers_legal_texts_in_every_language(language):
    expected = EXPECTED[language]
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])

    text = pdf_text(invoice, language)

    assert "Org.nr. 999 888 771 MVA" in text
    assert "Foretaksregisteret" in text
    if expected["seller_country"]:
        assert expected["seller_country"] in text
    assert "Fjellheim Delikatesser" in text and invoice.buyer.account_number in text


@pytest.mark.django_db
def test_the_lines_show_the_discount_as_it_was_given_so_they_add_up(language):
    expected = EXPECTED[language]
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])

    text = pdf_text(invoice, language)

    # 30 × (18.90 − 1.40) = 525.00: the discount per unit is an amount, not "0 %"
    assert re.search(r"\b30 \w+ 18,90 1,40 25 ?% 525,00", text)
    # 12.5 × 32.90 less 7.5 % = 380.41
    assert f"12,5 kg 32,90 {expected['percent']}" in text and "380,41" in text
    assert "0,00 %" not in text and "0,00%" not in text
    # 5,000 labels at 12.50 per 1,000 = 62.50
    assert expected["price_base"] in text and "62,50" in text
    for unit in expected["units"]:
        assert re.search(rf"\b{unit}\b", text)


@pytest.mark.django_db
def test_a_foreign_currency_invoice_shows_its_vat_in_kroner_at_its_rate(language):
    expected = EXPECTED[language]
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])
    tax_in_kroner = (invoice.tax_amount * RATE).quantize(Decimal("0.01"))

    text = pdf_text(invoice, language)

    assert f"{expected['tax_in_kroner']}: {localised(tax_in_kroner, language)}" in text
    assert expected["rate"] in text
    assert f"-{localised(PREPAID, language)}" in text


@pytest.mark.django_db
def test_a_credit_note_says_it_credits_which_invoice_and_asks_for_no_payment(language):
    expected = EXPECTED[language]
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])
    note = invoice_post(invoice=credit_note_create(invoice=invoice, actor=None), actor=None)

    text = pdf_text(note, language)

    assert expected["credit_title"] in text
    with translation.override(language):
        credited_on = printed_date(invoice.invoice_date)
    assert expected["credits"].format(number=invoice.number, date=credited_on) in text
    assert note.number in text
    assert expected["credited_total"] in text
    assert expected["amount_due"] not in text and expected["reference_label"] not in text


@pytest.mark.django_db
def test_no_english_is_left_in_a_norwegian_invoice():
    invoice = post_invoice_in_euros(language="nb", buyer_country="SE")
    note = invoice_post(invoice=credit_note_create(invoice=invoice, actor=None), actor=None)

    for text in (pdf_text(invoice, "nb"), pdf_text(note, "nb")):
        english = [word for word in ENGLISH_WORDS if re.search(rf"\b{word}\b", text)]
        assert english == [], text
        assert "Norge" in text and "Sverige" in text  # country names in Norwegian


# --- how accounts and references are written ------------------------------------------------
def test_national_accounts_are_written_as_their_banks_print_them():
    assert norwegian_account("86011117947") == "8601.11.17947"
    assert bankgiro("1234567") == "123-4567" and bankgiro("12345678") == "1234-5678"
    assert plusgiro("1234567") == "12 34 56-7"


def test_a_norwegian_iban_also_shows_the_domestic_account_to_a_payer_in_norway():
    account = {"kind": "iban", "iban": "NO9386011117947", "bic": "DNBANOKK", "bank_name": ""}

    with translation.override("nb"):
        at_home = bank_account_rows(account, payer_country="NO")
        abroad = bank_account_rows(account, payer_country="SE")

    assert at_home[0] == ("Kontonummer", "8601.11.17947")
    assert [label for label, _value in abroad] == ["IBAN", "BIC"]


def test_the_payment_reference_is_named_as_the_payers_bank_knows_it():
    with translation.override("sv"):
        assert payment_reference_label("0000117", "NO") == ("KID", "0000117")
        assert payment_reference_label("1234567897", "SE") == ("OCR-nummer", "1234567897")
        assert payment_reference_label("RF18539007547034", "NL") == (
            "RF-referens",
            "RF18 5390 0754 7034",
        )
        assert payment_reference_label("INV000001", "NO")[0] == "Betalningsreferens"


def test_units_are_printed_in_the_documents_language():
    with translation.override("nb"):
        assert (unit_label("C62"), unit_label("HUR", Decimal(1)), unit_label("HUR")) == (
            "stk",
            "time",
            "timer",
        )
        assert (unit_label("KGM"), unit_label("ZZZ")) == ("kg", "ZZZ")
