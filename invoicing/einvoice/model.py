"""A posted invoice or credit note in the terms of the EN 16931 semantic model (the BT-/BG-
numbers below are the standard's), the one source both syntaxes are written from: CII for
Factur-X and UBL for Peppol BIS Billing 3.0.

Totals come from `core.tax.document_totals`, the computation the invoice itself was posted
with, so the XML's amounts equal the invoice's to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.utils import parseaddr

from django.conf import settings

from salesmkt.core.money import round_money
from salesmkt.core.tax import document_totals, line_tax

from ..models import Invoice

ZERO = Decimal("0.00")
INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # credit note
CREDIT_TRANSFER = "30"  # UNTDID 4461: credit transfer (58: SEPA credit transfer, with an IBAN)
SEPA_CREDIT_TRANSFER = "58"

# Exemption reasons a tax category must carry (BR-E-10, BR-AE-10, BR-G-10, BR-IC-10, BR-O-10),
# used when the tax code itself names none.
DEFAULT_EXEMPTION_REASONS = {
    "E": "Exempt from tax",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}


class EInvoiceNotPossible(Exception):
    """The invoice cannot be an e-invoice (a draft or a pro forma has no number, no posting)."""


@dataclass
class Address:
    street: str = ""
    additional: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 (BT-40, BT-55)


@dataclass
class TradeParty:
    name: str  # BT-27, BT-44
    address: Address
    vat_number: str = ""  # BT-31, BT-48
    registration: str = ""  # BT-30, BT-47 (legal registration identifier)
    registration_scheme: str = ""  # BT-30-1, BT-47-1 (ISO 6523 ICD), e.g. 0192
    email: str = ""
    endpoint_scheme: str = ""  # BT-34/BT-49 scheme (EAS code list), e.g. 0192, EM
    endpoint_id: str = ""


@dataclass
class Line:
    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130 (UN/ECE Rec. 20)
    net_price: Decimal  # BT-146: the item's price after the price discount, before the allowance
    allowance: Decimal  # BT-136: the line discount, quantity x net price - line net
    net_amount: Decimal  # BT-131
    tax_category: str  # BT-151
    tax_rate: Decimal  # BT-152
    seller_item_id: str = ""  # BT-155
    # The list price (BT-148) and the discount per unit taken off it (BT-147): the line's unit
    # price and its discount amount; the discount percent is the line allowance.
    gross_price: Decimal | None = None
    price_discount: Decimal = ZERO

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.allowance


@dataclass
class TaxGroup:
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120


@dataclass
class EInvoice:
    number: str  # BT-1
    type_code: str  # BT-3
    issue_date: date  # BT-2
    due_date: date | None  # BT-9
    currency: str  # BT-5
    seller: TradeParty
    buyer: TradeParty
    lines: list[Line]
    tax_groups: list[TaxGroup]
    line_total: Decimal  # BT-106
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    payable: Decimal  # BT-115
    buyer_reference: str = ""  # BT-10
    order_reference: str = ""  # BT-13
    payment_terms: str = ""  # BT-20
    payment_means_code: str = CREDIT_TRANSFER  # BT-81
    payment_reference: str = ""  # BT-83
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    notes: list[str] = field(default_factory=list)  # BT-22
    preceding_invoice: str = ""  # BT-25 (a credit note's invoice)
    preceding_invoice_date: date | None = None  # BT-26
    # Document-level allowances and charges (BG-20, BG-21): our invoices have none; the totals
    # carry them as zero so the sums the rules check (BR-CO-13) hold.
    allowance_total: Decimal = ZERO  # BT-107
    charge_total: Decimal = ZERO  # BT-108

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def seller() -> TradeParty:
    """The company, from settings (COMPANY_*)."""
    return TradeParty(
        name=settings.COMPANY_NAME,
        address=Address(
            street=settings.COMPANY_STREET,
            city=settings.COMPANY_CITY,
            postal_code=settings.COMPANY_POSTAL_CODE,
            country=settings.COMPANY_COUNTRY,
        ),
        vat_number=settings.COMPANY_VAT_NUMBER,
        registration=settings.COMPANY_REGISTRATION,
        registration_scheme=settings.COMPANY_REGISTRATION_SCHEME,
        # DEFAULT_FROM_EMAIL may carry a display name ("Sales <sales@...>"): the address only.
        email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        endpoint_scheme=settings.COMPANY_ENDPOINT_SCHEME,
        endpoint_id=settings.COMPANY_ENDPOINT_ID,
    )


def _buyer(invoice: Invoice) -> TradeParty:
    """The buyer as posted (the invoice's snapshot), not as the customer is today."""
    buyer = invoice.buyer
    party = invoice.customer.party
    return TradeParty(
        name=buyer.name,
        address=Address(
            street=buyer.street,
            additional=buyer.street2,
            city=buyer.city,
            postal_code=buyer.postal_code,
            country=buyer.country,  # none: BR-11 says so, nothing is made up
        ),
        vat_number=buyer.vat_number,
        email=party.email,
        endpoint_scheme="EM" if party.email else "",
        endpoint_id=party.email,
    )


def _line(line) -> Line:
    """A discount per unit lowers the price (gross price - price discount = net price, BT-148,
    BT-147, BT-146); a discount percent is the line allowance (BT-136): whatever lies between
    quantity x net price and the line net, which the line's own rounding decides."""
    net_price = line.unit_price - line.discount_amount
    net = round_money(line.line_amount)
    unit = getattr(getattr(line.item, "unit", None), "un_ece_code", "") if line.item_id else ""
    rate, category = line_tax(line)  # as posted
    return Line(
        id=str(line.line_number),
        name=line.description or (line.item.name if line.item_id else ""),
        quantity=line.quantity,
        unit_code=unit or "C62",  # C62: one (a unit without a dimension)
        net_price=net_price,
        allowance=max(round_money(line.quantity * net_price) - net, ZERO),
        net_amount=net,
        tax_category=category,
        tax_rate=rate,
        seller_item_id=line.item.item_number if line.item_id else "",
        gross_price=line.unit_price,
        price_discount=line.discount_amount,
    )


def _tax_groups(totals) -> list[TaxGroup]:
    """One breakdown per tax category and rate (BR-CO-18), with the exemption reason the
    category needs."""
    groups: dict[tuple[str, Decimal], TaxGroup] = {}
    for group in totals.breakdown:
        key = (group.category, group.rate)
        merged = groups.setdefault(
            key,
            TaxGroup(
                category=group.category,
                rate=group.rate,
                taxable=ZERO,
                tax=ZERO,
                exemption_reason=group.exemption_reason
                or DEFAULT_EXEMPTION_REASONS.get(group.category, ""),
            ),
        )
        merged.taxable += group.taxable
        merged.tax += group.tax
    return list(groups.values())


def _payment_means(currency: str, iban: str) -> str:
    """SEPA credit transfer is for euro payments to an IBAN; any other is a credit transfer
    (both need the account, BR-61)."""
    return SEPA_CREDIT_TRANSFER if iban and currency == "EUR" else CREDIT_TRANSFER


def from_invoice(invoice: Invoice) -> EInvoice:
    """The EN 16931 view of a posted customer invoice, free text invoice or credit note."""
    if invoice.status != Invoice.Status.POSTED or invoice.kind == Invoice.Kind.PRO_FORMA:
        raise EInvoiceNotPossible(
            f"{invoice} is not a posted invoice or credit note: it has no e-invoice."
        )
    lines = list(
        invoice.lines.select_related("item__unit", "sales_tax_code").order_by("line_number")
    )
    totals = document_totals(lines)
    credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    order = invoice.sales_order
    preceding = invoice.credited_invoice if credit else None
    iban = settings.COMPANY_IBAN
    return EInvoice(
        number=invoice.number,
        type_code=CREDIT_NOTE if credit else INVOICE,
        issue_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency.code,
        seller=seller(),
        buyer=_buyer(invoice),
        lines=[_line(line) for line in lines],
        tax_groups=_tax_groups(totals),
        line_total=totals.net,
        tax_exclusive=totals.net,
        tax_total=totals.tax,
        tax_inclusive=totals.total,
        prepaid=ZERO,
        payable=totals.total,
        buyer_reference=(order.customer_reference if order else "") or invoice.buyer.account_number,
        order_reference=(order.customer_reference if order else "")[:50],
        payment_terms=str(invoice.customer.payment_terms.name),
        payment_means_code=_payment_means(invoice.currency.code, iban),
        payment_reference=invoice.number,
        iban=iban,
        bic=settings.COMPANY_BIC,
        notes=[invoice.notes] if invoice.notes else [],
        preceding_invoice=preceding.number if preceding else "",
        preceding_invoice_date=preceding.invoice_date if preceding else None,
    )
