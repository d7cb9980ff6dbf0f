"""E-invoices: the CII (Factur-X EN16931) and UBL (Peppol BIS Billing 3.0) XML of posted invoices
pass the official XSD and the EN 16931 business rules, carry the invoice's own totals, and the
validator can fail.

The rules are Schematron compiled to XSLT 2.0; compiling takes seconds, so the validation module
compiles each stylesheet once per process and every test here reuses it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from invoicing.einvoice import validation
from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.facturx import xml_from_pdf
from invoicing.einvoice.model import from_invoice
from invoicing.einvoice.ubl import to_ubl
from invoicing.einvoice.validation import ValidatorUnavailable, validate
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import (
    free_text_invoice_create,
    invoice_from_order,
    invoice_post,
)
from orders.services.orders import sales_order_create
from salesmkt.core.documents import document_request, render
from salesmkt.finance.models import SalesTaxCode
from tests import factories as f

INVOICE_DATE = date(2026, 3, 2)
PRODUCTS = ["Rugbrød 750 g", "Brunost 500 g", "Tørrfisk 1 kg"]

WRITERS = {"cii": to_cii, "ubl": to_ubl}

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_TOTALS = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
UBL_TOTALS = "/*/cac:LegalMonetaryTotal/cbc:"
# Where each syntax carries the invoice's totals (BT-106, BT-110, BT-112, BT-115).
TOTAL_PATHS = {
    "cii": {
        "line_total": CII_TOTALS + "LineTotalAmount",
        "tax_total": CII_TOTALS + "TaxTotalAmount",
        "grand_total": CII_TOTALS + "GrandTotalAmount",
        "payable": CII_TOTALS + "DuePayableAmount",
    },
    "ubl": {
        "line_total": UBL_TOTALS + "LineExtensionAmount",
        "tax_total": "/*/cac:TaxTotal/cbc:TaxAmount",
        "grand_total": UBL_TOTALS + "TaxInclusiveAmount",
        "payable": UBL_TOTALS + "PayableAmount",
    },
}


# --- given: a Norwegian seller (settings) and realistic buyers ---------------------------------
@pytest.fixture
def einvoice_data(accounts):
    """Tax codes and accounts of a Norwegian seller: 25 % standard, 15 % reduced (food), an
    exempt code with its reason; a domestic and a German customer with addresses and VAT
    numbers."""
    reduced = f.SalesTaxCodeFactory(
        code="S15", name="VAT 15 % (food)", rate=Decimal("15.00"), tax_account=accounts.vat
    )
    exempt = f.SalesTaxCodeFactory(
        code="E0",
        name="Exempt",
        rate=Decimal("0.00"),
        category=SalesTaxCode.Category.EXEMPT,
        exemption_reason="Exempt from VAT under the Norwegian VAT Act section 3-5",
    )
    domestic = _customer(
        name="Fjellbakeriet AS",
        vat_number="NO912345678MVA",
        street="Kirkegata 15",
        postal_code="7013",
        city="Trondheim",
        country="NO",
        profile=accounts.profile,
        currency=f.CurrencyFactory(code="NOK"),
    )
    german = _customer(
        name="Nordsee Feinkost GmbH",
        vat_number="DE123456789",
        street="Hafenstraße 12",
        postal_code="20457",
        city="Hamburg",
        country="DE",
        profile=accounts.profile,
        currency=f.CurrencyFactory(code="EUR", name="Euro"),
    )
    return {
        "standard": accounts.tax_code,
        "reduced": reduced,
        "exempt": exempt,
        "domestic": domestic,
        "german": german,
        "revenue": accounts.revenue,
        "warehouse": f.WarehouseFactory(),
    }


def _customer(*, name, vat_number, street, postal_code, city, country, profile, currency):
    party = f.PartyFactory(name=name, vat_number=vat_number, email="invoices@example.com")
    f.PartyAddressFactory(
        party=party, street=street, postal_code=postal_code, city=city, country=country
    )
    return f.CustomerFactory(
        party=party, posting_profile=profile, currency=currency, credit_limit=Decimal("0.00")
    )


def _posted_order_invoice(einvoice_data, *, customer, rows, **order):
    """An order of `rows` (quantity, unit price, tax code, discounts), invoiced and posted."""
    lines = [
        {
            "item": f.ItemFactory(name=row.pop("name", None) or PRODUCTS[index % len(PRODUCTS)]),
            "warehouse": einvoice_data["warehouse"],
            "sales_tax_code": row.pop("tax", einvoice_data["standard"]),
            **row,
        }
        for index, row in enumerate(rows)
    ]
    sales_order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": date(2026, 3, 1),
            "customer_reference": "PO-4711",
            "lines": lines,
            **order,
        },
        actor=None,
    )
    draft = invoice_from_order(order=sales_order, actor=None, ordered_quantities=True)
    return invoice_post(invoice=draft, actor=None, invoice_date=INVOICE_DATE)


def one_tax_rate(einvoice_data):
    return _posted_order_invoice(
        einvoice_data,
        customer=einvoice_data["domestic"],
        rows=[
            {"quantity": Decimal("3"), "unit_price": Decimal("149.90")},
            {"quantity": Decimal("2.5"), "unit_price": Decimal("12.3450")},
        ],
    )


def mixed_standard_and_reduced_rates(einvoice_data):
    return _posted_order_invoice(
        einvoice_data,
        customer=einvoice_data["domestic"],
        rows=[
            {"quantity": Decimal("4"), "unit_price": Decimal("249.00")},
            {
                "quantity": Decimal("12"),
                "unit_price": Decimal("33.33"),
                "tax": einvoice_data["reduced"],
            },
            {
                "quantity": Decimal("7"),
                "unit_price": Decimal("19.99"),
                "tax": einvoice_data["reduced"],
            },
        ],
    )


def exempt_line_with_reason(einvoice_data):
    return _posted_order_invoice(
        einvoice_data,
        customer=einvoice_data["domestic"],
        rows=[
            {"quantity": Decimal("1"), "unit_price": Decimal("1200.00")},
            {
                "name": "Course: food safety",
                "quantity": Decimal("2"),
                "unit_price": Decimal("850.00"),
                "tax": einvoice_data["exempt"],
            },
        ],
    )


def line_discounts(einvoice_data):
    return _posted_order_invoice(
        einvoice_data,
        customer=einvoice_data["domestic"],
        rows=[
            {
                "quantity": Decimal("10"),
                "unit_price": Decimal("99.90"),
                "discount_percent": Decimal("12.50"),
            },
            {
                "quantity": Decimal("3"),
                "unit_price": Decimal("45.00"),
                "discount_amount": Decimal("5.55"),
            },
            {
                "quantity": Decimal("7"),
                "unit_price": Decimal("13.3333"),
                "discount_amount": Decimal("1.1111"),
                "discount_percent": Decimal("3.00"),
                "tax": einvoice_data["reduced"],
            },
        ],
    )


def credit_note(einvoice_data):
    invoice = _posted_order_invoice(
        einvoice_data,
        customer=einvoice_data["domestic"],
        rows=[
            {"quantity": Decimal("5"), "unit_price": Decimal("80.00")},
            {
                "quantity": Decimal("8"),
                "unit_price": Decimal("24.50"),
                "tax": einvoice_data["reduced"],
            },
        ],
    )
    first, second = invoice.lines.order_by("line_number")
    note = credit_note_create(
        invoice=invoice,
        actor=None,
        lines=[
            {"invoice_line": first, "quantity": Decimal("2")},
            {"invoice_line": second, "quantity": Decimal("8")},
        ],
    )
    return invoice_post(invoice=note, actor=None, invoice_date=date(2026, 3, 9))


def foreign_currency(einvoice_data):
    german = einvoice_data["german"]
    return _posted_order_invoice(
        einvoice_data,
        customer=german,
        currency=german.currency,
        rows=[
            {"quantity": Decimal("20"), "unit_price": Decimal("14.75")},
            {
                "quantity": Decimal("6"),
                "unit_price": Decimal("8.40"),
                "tax": einvoice_data["reduced"],
            },
        ],
    )


def free_text(einvoice_data):
    draft = free_text_invoice_create(
        data={
            "customer": einvoice_data["domestic"],
            "invoice_date": INVOICE_DATE,
            "notes": "Consulting in February 2026.",
            "lines": [
                {
                    "ledger_account": einvoice_data["revenue"],
                    "description": "Shelf planning workshop",
                    "quantity": Decimal("6.5"),
                    "unit_price": Decimal("1150.00"),
                    "sales_tax_code": einvoice_data["standard"],
                },
                {
                    "ledger_account": einvoice_data["revenue"],
                    "description": "Travel (flat)",
                    "quantity": Decimal("1"),
                    "unit_price": Decimal("900.00"),
                    "discount_percent": Decimal("10"),
                    "sales_tax_code": einvoice_data["standard"],
                },
            ],
        },
        actor=None,
    )
    return invoice_post(invoice=draft, actor=None)


CASES = [
    one_tax_rate,
    mixed_standard_and_reduced_rates,
    exempt_line_with_reason,
    line_discounts,
    credit_note,
    foreign_currency,
    free_text,
]
CASE_IDS = [case.__name__ for case in CASES]


def _xml(invoice, syntax: str) -> bytes:
    return WRITERS[syntax](from_invoice(invoice))


def _amount(document: etree._Element, path: str) -> Decimal:
    found = document.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return Decimal(found[0].text)


# --- the rules ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_einvoice_passes_the_xsd_and_the_en16931_rules(einvoice_data, case, syntax):
    invoice = case(einvoice_data)

    result = validate(_xml(invoice, syntax), syntax)

    assert result.ok, str(result)
    assert result.xsd_errors == [] and result.fatal == []


@pytest.mark.django_db
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_einvoice_totals_equal_the_invoice_totals_to_the_cent(einvoice_data, case, syntax):
    invoice = case(einvoice_data)

    document = etree.fromstring(_xml(invoice, syntax))

    paths = TOTAL_PATHS[syntax]
    assert _amount(document, paths["line_total"]) == invoice.net_amount
    assert _amount(document, paths["tax_total"]) == invoice.tax_amount
    assert _amount(document, paths["grand_total"]) == invoice.total_amount
    assert _amount(document, paths["payable"]) == invoice.total_amount


@pytest.mark.django_db
def test_a_credit_note_refers_to_the_invoice_it_credits(einvoice_data):
    note = credit_note(einvoice_data)

    cii = etree.fromstring(_xml(note, "cii"))
    ubl = etree.fromstring(_xml(note, "ubl"))

    credited = note.credited_invoice.number
    assert (
        cii.xpath("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)[
            0
        ].text
        == "381"
    )
    assert cii.xpath(
        "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=NS
    ) == [credited]
    assert etree.QName(ubl).localname == "CreditNote"
    assert ubl.xpath(
        "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()", namespaces=NS
    ) == [credited]


def _tamper_tax_total(xml: bytes, syntax: str) -> bytes:
    """The tax total raised by 1.00 without touching the breakdown: BR-CO-14/BR-CO-15 break."""
    document = etree.fromstring(xml)
    path = TOTAL_PATHS[syntax]["tax_total"]
    element = document.xpath(path, namespaces=NS)[0]
    element.text = f"{Decimal(element.text) + Decimal('1.00'):.2f}"
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


@pytest.mark.django_db
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_the_validator_fails_on_an_invoice_with_a_wrong_tax_total(einvoice_data, syntax):
    xml = _xml(mixed_standard_and_reduced_rates(einvoice_data), syntax)

    result = validate(_tamper_tax_total(xml, syntax), syntax)

    assert not result.ok
    assert result.xsd_errors == []  # still well-formed and schema-valid: the rules caught it
    assert {"BR-CO-14", "BR-CO-15"} & {message.id for message in result.fatal}, str(result)
    assert "INVALID" in str(result)


@pytest.mark.django_db
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_the_validator_reports_an_element_out_of_schema_order(einvoice_data, syntax):
    document = etree.fromstring(_xml(one_tax_rate(einvoice_data), syntax))
    first, second = document[0], document[1]
    document.remove(first)
    second.addnext(first)  # the first two children swapped

    result = validate(etree.tostring(document), syntax)

    assert not result.ok and result.xsd_errors, str(result)


@pytest.mark.django_db
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_the_validator_raises_when_its_rules_cannot_run(
    einvoice_data, syntax, monkeypatch, tmp_path
):
    xml = _xml(one_tax_rate(einvoice_data), syntax)
    files = {key: tmp_path / path.name for key, path in validation._files().items()}
    files.update({k: v for k, v in validation._files().items() if k.endswith("-xsd")})
    monkeypatch.setattr(validation, "_files", lambda: files)
    monkeypatch.setattr(validation, "_stylesheets", {})  # nothing compiled yet in this process

    with pytest.raises(ValidatorUnavailable):
        validate(xml, syntax)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_xml_in_the_factur_x_pdf_is_the_generated_xml(einvoice_data, case):
    invoice = case(einvoice_data)
    document = render(document_request(obj=invoice, kind="invoice", title=invoice.number).pk)

    pdf = (Path(settings.MEDIA_ROOT) / document.file).read_bytes()
    assert xml_from_pdf(pdf) == _xml(invoice, "cii")
