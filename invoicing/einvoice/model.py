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
    endpoint_scheme: str = ""  # BT-34/BT-49 scheme (EAS code list), e.g. 0192, 0088
    endpoint_id: str = ""
    # A registration a national rule wants beside the VAT one (a TAX scheme in UBL): Norway's
    # "Foretaksregisteret", Sweden's "Godkänd för F-skatt".
    tax_registration: str = ""
    contact_name: str = ""  # BT-41
    phone: str = ""  # BT-42


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
    base_quantity: Decimal = Decimal(1)  # BT-149: the quantity the price is for
    # What lies between quantity x net price and the line net when a correction line (negative
    # quantity) is discounted: a line charge (BT-141) rather than a negative allowance.
    charge: Decimal = ZERO

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.allowance - self.charge


@dataclass
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21)."""

    is_charge: bool
    amount: Decimal  # BT-92, BT-99
    tax_category: str  # BT-95, BT-102
    tax_rate: Decimal  # BT-96, BT-103
    reason: str = ""  # BT-97, BT-104
    reason_code: str = ""  # BT-98, BT-105
    base_amount: Decimal | None = None  # BT-93, BT-100
    percent: Decimal | None = None  # BT-94, BT-101


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
    account_id: str = ""  # BT-84: an IBAN, a national account number, a bankgiro or plusgiro
    account_is_iban: bool = False
    # BT-86: the BIC; for a Swedish bankgiro or plusgiro Peppol's SE:BANKGIRO / SE:PLUSGIRO
    account_branch: str = ""
    notes: list[str] = field(default_factory=list)  # BT-22
    preceding_invoice: str = ""  # BT-25 (a credit note's invoice)
    preceding_invoice_date: date | None = None  # BT-26
    # Document-level allowances and charges (BG-20, BG-21) and their sums.
    allowance_charges: list[AllowanceCharge] = field(default_factory=list)
    allowance_total: Decimal = ZERO  # BT-107
    charge_total: Decimal = ZERO  # BT-108
    # Delivery (BG-13): the date (BT-72), the invoicing period (BG-14), the deliver-to party
    # name (BT-70) and address (BG-15).
    delivery_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    deliver_to_name: str = ""
    deliver_to: Address | None = None
    # The VAT in the company's accounting currency (BT-6, BT-111).
    tax_currency: str = ""
    tax_total_in_tax_currency: Decimal | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def _seller(invoice: Invoice) -> TradeParty:
    """The seller as posted (the invoice's snapshot of the company profile)."""
    seller = invoice.seller_as_invoiced
    return TradeParty(
        name=seller["legal_name"],
        address=Address(
            street=seller["street"],
            additional=seller.get("street2", ""),
            city=seller["city"],
            postal_code=seller["postal_code"],
            country=seller["country"],
        ),
        vat_number=seller.get("vat_number", ""),
        registration=seller.get("org_number", ""),
        registration_scheme=seller.get("org_number_scheme", ""),
        email=seller.get("email", ""),
        endpoint_scheme=seller.get("endpoint_scheme", ""),
        endpoint_id=seller.get("endpoint_id", ""),
        tax_registration=seller.get("tax_registration", ""),
        contact_name=seller.get("contact_name", ""),
        phone=seller.get("phone", ""),
    )


def _buyer(invoice: Invoice) -> TradeParty:
    """The buyer as posted (the invoice's snapshot), not as the customer is today. Its
    electronic address is the one it registered (e.g. 0192 and its organisation number), never
    its e-mail."""
    buyer = invoice.buyer
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
        registration=buyer.registration_id,
        registration_scheme=buyer.registration_scheme,
        endpoint_scheme=buyer.endpoint_scheme,
        endpoint_id=buyer.endpoint_id,
    )


def _line(line) -> Line:
    """A discount per unit lowers the price (gross price - price discount = net price, BT-148,
    BT-147, BT-146); a discount percent is the line allowance (BT-136): whatever lies between
    quantity x net price / price base quantity and the line net, which the line's own rounding
    decides. The unit is the line's own, fixed at posting."""
    net_price = line.unit_price - line.discount_amount
    net = round_money(line.line_amount)
    rate, category = line_tax(line)  # as posted
    difference = round_money(line.quantity * net_price / line.price_base_quantity) - net
    return Line(
        id=str(line.line_number),
        name=line.description or (line.item.name if line.item_id else ""),
        quantity=line.quantity,
        unit_code=line.unit_code or "C62",  # C62: one (a unit without a dimension)
        net_price=net_price,
        allowance=max(difference, ZERO),
        charge=max(-difference, ZERO),
        net_amount=net,
        tax_category=category,
        tax_rate=rate,
        seller_item_id=line.item_number,
        gross_price=line.unit_price,
        price_discount=line.discount_amount,
        base_quantity=line.price_base_quantity,
    )


def _allowance_charge(entry) -> AllowanceCharge:
    rate, category = line_tax(entry)
    return AllowanceCharge(
        is_charge=entry.is_charge,
        amount=entry.amount,
        tax_category=category,
        tax_rate=rate,
        reason=entry.reason,
        reason_code=entry.reason_code,
        base_amount=entry.base_amount if entry.percent is not None else None,
        percent=entry.percent,
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


BRANCH_OF_KIND = {"se_bankgiro": "SE:BANKGIRO", "se_plusgiro": "SE:PLUSGIRO"}


def _payment_account(account: dict | None, currency: str) -> dict:
    """The payment means (BG-16) of the bank account the invoice names: a SEPA credit transfer
    for euro payments to an IBAN, else a credit transfer (both need the account, BR-61)."""
    if not account:
        return {"payment_means_code": CREDIT_TRANSFER}
    if account["kind"] == "iban":
        return {
            "payment_means_code": SEPA_CREDIT_TRANSFER if currency == "EUR" else CREDIT_TRANSFER,
            "account_id": account["iban"],
            "account_is_iban": True,
            "account_branch": account.get("bic", ""),
        }
    return {
        "payment_means_code": CREDIT_TRANSFER,
        "account_id": account["account_number"],
        "account_branch": BRANCH_OF_KIND.get(account["kind"], ""),
    }


def payment_terms_text(invoice: Invoice) -> str:
    """BT-20 as posted: the days between the invoice date and its due date (fixed at posting),
    not the customer's payment terms as they read today."""
    if not invoice.due_date or not invoice.invoice_date:
        return ""
    days = (invoice.due_date - invoice.invoice_date).days
    return f"Net {days} days" if days else "Due on receipt"


def has_einvoice(invoice: Invoice) -> bool:
    """A posted invoice or credit note is an e-invoice; a draft or a pro forma is not."""
    return invoice.status == Invoice.Status.POSTED and invoice.kind != Invoice.Kind.PRO_FORMA


def from_invoice(invoice: Invoice, *, lines=None, charges=None) -> EInvoice:
    """The EN 16931 view of a posted customer invoice, free text invoice or credit note. Its
    `lines` (in line number order) and allowances and `charges` are read unless given (posting
    has them at hand)."""
    if not has_einvoice(invoice):
        raise EInvoiceNotPossible(
            f"{invoice} is not a posted invoice or credit note: it has no e-invoice."
        )
    if lines is None:
        lines = invoice.lines.select_related("item", "sales_tax_code").order_by("line_number")
    if charges is None:
        charges = invoice.allowance_charges.select_related("sales_tax_code")
    lines, charges = list(lines), list(charges)
    totals = document_totals(lines, charges)
    credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    preceding = invoice.credited_invoice if credit else None
    seller = invoice.seller_as_invoiced
    deliver_to = Address(
        street=invoice.delivery_street,
        additional=invoice.delivery_street2,
        city=invoice.delivery_city,
        postal_code=invoice.delivery_postal_code,
        country=invoice.delivery_country,
    )
    tax_currency = invoice.tax_currency_code if invoice.exchange_rate else ""
    return EInvoice(
        number=invoice.number,
        type_code=CREDIT_NOTE if credit else INVOICE,
        issue_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency.code,
        seller=_seller(invoice),
        buyer=_buyer(invoice),
        lines=[_line(line) for line in lines],
        tax_groups=_tax_groups(totals),
        line_total=totals.line_total,
        tax_exclusive=totals.net,
        tax_total=totals.tax,
        tax_inclusive=totals.total,
        prepaid=invoice.prepaid_amount,
        payable=totals.total - invoice.prepaid_amount,
        allowance_charges=[_allowance_charge(entry) for entry in charges],
        allowance_total=totals.allowance_total,
        charge_total=totals.charge_total,
        # BT-10 or BT-13 is required by Peppol (R003): the buyer's reference, else its customer
        # number with us.
        buyer_reference=invoice.buyer_reference or invoice.buyer.account_number,
        order_reference=invoice.order_reference,
        payment_terms=payment_terms_text(invoice),
        delivery_date=invoice.delivery_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        deliver_to_name=invoice.delivery_name,
        deliver_to=deliver_to if deliver_to.country else None,
        tax_currency=tax_currency,
        tax_total_in_tax_currency=(
            round_money(totals.tax * invoice.exchange_rate) if tax_currency else None
        ),
        payment_reference=invoice.payment_reference or invoice.number,
        **_payment_account(seller.get("bank_account"), invoice.currency.code),
        notes=[invoice.notes] if invoice.notes else [],
        preceding_invoice=preceding.number if preceding else "",
        preceding_invoice_date=preceding.invoice_date if preceding else None,
    )
