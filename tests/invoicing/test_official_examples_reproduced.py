"""The official example invoices, entered through the API as a clerk or an integrator would, come
out of posting with the example's amounts to the cent: every line amount, the document
allowances and charges, the VAT breakdown, the prepaid and payable amounts and the VAT in the
tax currency, in UBL and in CII, and our e-invoice passes the CEN and Peppol rules.

The examples are OpenPeppol's (tests/invoicing/peppol_examples/, vendored unchanged): "Vat-category-S"
(a document charge and allowance, two standard rates), "Allowance-example" (a percentage charge,
a price per 2, a prepaid amount, VAT also in SEK) and "base-creditnote-correction" (a credit
note with a negative correction line and a charge).
"""

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.model import from_invoice
from invoicing.einvoice.validation import validate
from invoicing.models import Invoice
from salesmkt.finance.models import CompanyProfile, ExchangeRate
from tests import factories as f

EXAMPLES = Path(__file__).parent / "peppol_examples"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def _amounts(root) -> dict:
    """What an accountant compares: the document totals, the VAT breakdown and the VAT in each
    currency, and every line's net amount."""
    total = root.find("cac:LegalMonetaryTotal", NS)
    amounts = {
        child.tag.split("}")[1]: Decimal(child.text)
        for child in total
        if child.tag.split("}")[1] != "PrepaidAmount" or Decimal(child.text)
    }
    for tax_total in root.findall("cac:TaxTotal", NS):
        currency = tax_total.find("cbc:TaxAmount", NS).get("currencyID")
        amounts[f"tax {currency}"] = Decimal(tax_total.findtext("cbc:TaxAmount", namespaces=NS))
        for subtotal in tax_total.findall("cac:TaxSubtotal", NS):
            key = (
                subtotal.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
                Decimal(
                    subtotal.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS) or "0"
                ).normalize(),
            )
            amounts[f"taxable {key}"] = Decimal(
                subtotal.findtext("cbc:TaxableAmount", namespaces=NS)
            )
            amounts[f"tax {key}"] = Decimal(subtotal.findtext("cbc:TaxAmount", namespaces=NS))
    lines = root.findall("cac:InvoiceLine", NS) + root.findall("cac:CreditNoteLine", NS)
    amounts["lines"] = [
        Decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS)) for line in lines
    ]
    return amounts


def _example(name: str) -> dict:
    return _amounts(etree.parse(str(EXAMPLES / f"{name}.xml")).getroot())


@pytest.fixture
def setup(db):
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    codes = {
        "S25": f.SalesTaxCodeFactory(code="S25", rate=Decimal("25"), tax_account=vat),
        "S15": f.SalesTaxCodeFactory(code="S15", rate=Decimal("15"), tax_account=vat),
        "E": f.SalesTaxCodeFactory(
            code="E0",
            rate=Decimal("0"),
            category="E",
            exemption_reason="Exempt from VAT",
            tax_account=vat,
        ),
    }
    customer = f.CustomerFactory(
        posting_profile=profile, currency=f.CurrencyFactory(code="EUR", name="Euro")
    )
    # A Peppol receiver (Brønnøysundregistrene's own organisation number as its address).
    party = customer.party
    party.endpoint_scheme, party.endpoint_id, party.peppol_receiver = "0192", "974760673", True
    party.save()
    return {"revenue": revenue, "codes": codes, "customer": customer}


def _line(setup, quantity, price, code, **extra):
    return {
        "ledger_account": setup["revenue"].pk,
        "description": extra.pop("description", "Service"),
        "quantity": str(quantity),
        "unit_price": str(price),
        "sales_tax_code": setup["codes"][code].pk,
        **{key: str(value) for key, value in extra.items()},
    }


def _allowance_charge(setup, *, is_charge, reason, code="S25", **extra):
    return {
        "is_charge": is_charge,
        "reason": reason,
        "sales_tax_code": setup["codes"][code].pk,
        **{key: str(value) for key, value in extra.items()},
    }


def _post(client, setup, lines, allowance_charges, **header) -> Invoice:
    response = client.post(
        "/api/v1/invoices/",
        {
            "kind": "free_text",
            "customer": setup["customer"].pk,
            "lines": lines,
            "allowance_charges": allowance_charges,
            **header,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    posted = client.post(f"/api/v1/invoices/{response.json()['id']}/post/", {}, format="json")
    assert posted.status_code == 200, posted.json()
    return Invoice.objects.get(pk=response.json()["id"])


def _ours(client, invoice: Invoice) -> tuple[dict, bytes]:
    kind = "credit-notes" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoices"
    response = client.get(f"/api/v1/{kind}/{invoice.pk}/ubl/")
    assert response.status_code == 200
    return _amounts(etree.fromstring(response.content)), response.content


def _assert_valid(ubl: bytes, invoice: Invoice) -> None:
    result = validate(ubl, "ubl", peppol=True)
    assert result.ok, str(result)
    cii = validate(to_cii(from_invoice(invoice)), "cii")
    assert cii.ok, str(cii)


# The example's UBL totals under their CII names (EN 16931 BT-106 ... BT-115).
CII_NAMES = {
    "LineExtensionAmount": "LineTotalAmount",
    "ChargeTotalAmount": "ChargeTotalAmount",
    "AllowanceTotalAmount": "AllowanceTotalAmount",
    "TaxExclusiveAmount": "TaxBasisTotalAmount",
    "TaxInclusiveAmount": "GrandTotalAmount",
    "PrepaidAmount": "TotalPrepaidAmount",
    "PayableAmount": "DuePayableAmount",
}


def _as_cii(example: dict, currencies: list[str]) -> dict:
    totals = {CII_NAMES[name]: value for name, value in example.items() if name in CII_NAMES}
    totals.setdefault("TotalPrepaidAmount", Decimal("0"))
    for currency in currencies:
        totals[f"TaxTotalAmount {currency}"] = example[f"tax {currency}"]
    return totals


def _cii_totals(invoice: Invoice) -> dict:
    root = etree.fromstring(to_cii(from_invoice(invoice)))
    summation = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    return {
        child.tag.split("}")[1]
        + (f" {child.get('currencyID')}" if child.get("currencyID") else ""): Decimal(child.text)
        for child in summation
    }


@pytest.mark.django_db
def test_vat_category_s_example_with_a_document_charge_and_allowance_is_reproduced(api_as, setup):
    client = api_as("accountant")
    invoice = _post(
        client,
        setup,
        [
            _line(setup, 10, 400, "S25"),
            _line(setup, 10, 200, "S15"),
            _line(setup, 10, 90, "S25"),
        ],
        [
            _allowance_charge(setup, is_charge=True, reason="Cleaning", amount=200),
            _allowance_charge(setup, is_charge=False, reason="Discount", amount=100),
        ],
    )

    ours, ubl = _ours(client, invoice)

    assert ours == _example("Vat-category-S")
    assert _cii_totals(invoice) == _as_cii(_example("Vat-category-S"), ["EUR"])
    _assert_valid(ubl, invoice)


@pytest.mark.django_db
def test_allowance_example_with_a_price_base_a_prepaid_amount_and_vat_in_sek_is_reproduced(
    api_as, setup
):
    client = api_as("accountant")
    # The VAT also in the company's currency, SEK, at the example's rate (9324.00 / 1225.00).
    CompanyProfile.objects.update(accounting_currency="SEK")
    ExchangeRate.objects.create(
        currency=setup["customer"].currency,
        valid_from="2017-01-01",
        rate=Decimal("7.61142857"),
    )
    # The prepaid 1,000 was paid in advance.
    paid = client.post(
        "/api/v1/payments/",
        {"customer": setup["customer"].pk, "date": "2017-11-01", "amount": "1000.00"},
        format="json",
    )
    assert paid.status_code == 201, paid.json()

    invoice = _post(
        client,
        setup,
        [
            _line(setup, 10, 450, "S25", discount_amount=50),
            _line(setup, 10, 200, "E", price_base_quantity=2),
            _line(setup, 10, 100, "S25", discount_amount=10),
        ],
        [
            _allowance_charge(
                setup,
                is_charge=True,
                reason="Cleaning",
                reason_code="CG",
                percent=20,
                base_amount=1000,
            ),
            _allowance_charge(
                setup, is_charge=False, reason="Discount", reason_code="95", amount=200
            ),
        ],
        prepaid_amount="1000.00",
    )

    ours, ubl = _ours(client, invoice)

    assert ours == _example("Allowance-example")
    assert invoice.open_item.remaining == Decimal("6125.00")  # the prepaid 1,000 is settled
    assert _cii_totals(invoice) == _as_cii(_example("Allowance-example"), ["EUR", "SEK"])
    _assert_valid(ubl, invoice)


@pytest.mark.django_db
def test_base_creditnote_correction_example_with_a_negative_line_is_reproduced(api_as, setup):
    client = api_as("accountant")
    invoice = _post(
        client,
        setup,
        [
            _line(setup, 7, 400, "S25", unit_code="DAY", description="Consulting"),
            _line(setup, -3, 500, "S25", unit_code="DAY", description="Correction"),
        ],
        [_allowance_charge(setup, is_charge=True, reason="Insurance", amount=25)],
    )
    drafted = client.post(f"/api/v1/invoices/{invoice.pk}/credit/", {}, format="json")
    assert drafted.status_code == 201, drafted.json()
    posted = client.post(f"/api/v1/credit-notes/{drafted.json()['id']}/post/", {}, format="json")
    assert posted.status_code == 200, posted.json()
    note = Invoice.objects.get(pk=drafted.json()["id"])

    ours, ubl = _ours(client, note)

    assert ours == _example("base-creditnote-correction")
    assert _cii_totals(note) == _as_cii(_example("base-creditnote-correction"), ["EUR"])
    _assert_valid(ubl, note)
