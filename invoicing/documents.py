"""The printable documents of invoicing: invoice, credit note, pro forma. A posted invoice's or
credit note's PDF is Factur-X (PDF/A-3 with its EN 16931 XML attached).

The printout is in the customer's language, nothing of it left in English: labels, payment
terms, units, country names, numbers and dates. What the seller's country requires (its legal
texts, the bank account and the KID, OCR or RF reference the invoice is paid with) comes from the
seller as invoiced, frozen at posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.db.models import Q
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import npgettext, pgettext, pgettext_lazy

from salesmkt.core.documents import (
    ROWS_READ_AT_ONCE,
    PrintedLines,
    register,
    register_finisher,
)
from salesmkt.core.money import round_money
from salesmkt.core.tax import Totals, line_tax
from salesmkt.finance import identifiers
from salesmkt.finance.company import address_line
from salesmkt.finance.payment_references import rf_format, rf_valid

from .einvoice.facturx import invoice_pdf_finish
from .models import Invoice, InvoiceLine
from .services.invoices import invoice_totals

Kind = Invoice.Kind


def payment_link(invoice: Invoice) -> str:
    """The configurable payment link of an invoice (e.g. a PayPal link), empty when not set up."""
    template = settings.PAYMENT_LINK_TEMPLATE
    if not template or (
        invoice.kind != Invoice.Kind.CUSTOMER and invoice.kind != Invoice.Kind.FREE_TEXT
    ):
        return ""
    return template.format(
        number=invoice.number, amount=invoice.total_amount, currency=invoice.currency.code
    )


# --- numbers, dates, countries in the document's language --------------------------------------
# The date format of each language's printout: Django's short format, except where that is
# ambiguous to a reader abroad (en: 03/02/2026) or not how invoices there write it (nl: 2-3-2026).
DATE_FORMATS = {"en": "j M Y", "nl": "d-m-Y"}


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def printed_date(value: date | None) -> str:
    if value is None:
        return ""
    return formats.date_format(value, DATE_FORMATS.get(_language(), "SHORT_DATE_FORMAT"))


def printed_number(
    value: Decimal, *, places: int = 2, max_places: int | None = None, grouping: bool = True
) -> str:
    """`value` with the language's separators, `places` decimals, or up to `max_places` when
    it has more (a quantity of 2.5 prints "2,5", a price of 12.3456 all four decimals)."""
    value = Decimal(value)
    if max_places is not None:
        exponent = value.normalize().as_tuple().exponent
        places = min(max(places, -exponent if isinstance(exponent, int) else 0), max_places)
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=grouping)


def printed_percent(value: Decimal) -> str:
    return pgettext("percentage", "%(value)s%%") % {
        "value": printed_number(value, places=0, max_places=2)
    }


def country_name(code: str) -> str:
    """The country's name in the document's language (Babel's CLDR names): "Norge", "Zweden"."""
    if not code:
        return ""
    try:
        locale = Locale.parse(translation.to_locale(_language()))
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    return locale.territories.get(code.upper(), code)


# --- units ---------------------------------------------------------------------------------
# UN/ECE Recommendation 20 codes (and Recommendation 21 packages, "X" + code) as the short unit
# a line prints. Symbols read the same in every language; counted units are translated, in the
# singular for a quantity of one. Any other code prints as the code.
UNIT_SYMBOLS = {
    "KGM": "kg",
    "GRM": "g",
    "TNE": "t",
    "LTR": "l",
    "MLT": "ml",
    "MTR": "m",
    "CMT": "cm",
    "MMT": "mm",
    "KMT": "km",
    "MTK": "m²",
    "MTQ": "m³",
    "KWH": "kWh",
    "MIN": "min",
}
PIECES = pgettext_lazy("unit", "pcs")
COUNTED_UNITS = {
    "C62": (PIECES, PIECES),
    "H87": (PIECES, PIECES),
    "EA": (PIECES, PIECES),
    "NAR": (PIECES, PIECES),
    "HUR": (pgettext_lazy("unit", "hour"), pgettext_lazy("unit", "hours")),
    "DAY": (pgettext_lazy("unit", "day"), pgettext_lazy("unit", "days")),
    "WEE": (pgettext_lazy("unit", "week"), pgettext_lazy("unit", "weeks")),
    "MON": (pgettext_lazy("unit", "month"), pgettext_lazy("unit", "months")),
    "ANN": (pgettext_lazy("unit", "year"), pgettext_lazy("unit", "years")),
    "BX": (pgettext_lazy("unit", "box"), pgettext_lazy("unit", "boxes")),
    "XBX": (pgettext_lazy("unit", "box"), pgettext_lazy("unit", "boxes")),
    "PK": (pgettext_lazy("unit", "pack"), pgettext_lazy("unit", "packs")),
    "XPK": (pgettext_lazy("unit", "pack"), pgettext_lazy("unit", "packs")),
    "CT": (pgettext_lazy("unit", "carton"), pgettext_lazy("unit", "cartons")),
    "XCT": (pgettext_lazy("unit", "carton"), pgettext_lazy("unit", "cartons")),
    "XPX": (pgettext_lazy("unit", "pallet"), pgettext_lazy("unit", "pallets")),
    "XBO": (pgettext_lazy("unit", "bottle"), pgettext_lazy("unit", "bottles")),
    "XBG": (pgettext_lazy("unit", "bag"), pgettext_lazy("unit", "bags")),
    "SET": (pgettext_lazy("unit", "set"), pgettext_lazy("unit", "sets")),
    "PR": (pgettext_lazy("unit", "pair"), pgettext_lazy("unit", "pairs")),
}


def unit_label(code: str, quantity: Decimal = Decimal(2)) -> str:
    code = (code or "").upper()
    if code in UNIT_SYMBOLS:
        return UNIT_SYMBOLS[code]
    if code in COUNTED_UNITS:
        singular, plural = COUNTED_UNITS[code]
        return str(singular if abs(quantity) == 1 else plural)
    return code


# --- allowances and charges, tax exemptions ----------------------------------------------------
# The reasons of UNTDID 5189 (allowances) and 7161 (charges) a line of the summary names in the
# customer's language; the reason typed on the invoice follows when it says more.
ALLOWANCE_REASONS = {
    "95": pgettext_lazy("allowance", "Discount"),
    "100": pgettext_lazy("allowance", "Special rebate"),
    "102": pgettext_lazy("allowance", "Long-term discount"),
    "103": pgettext_lazy("allowance", "Temporary discount"),
    "104": pgettext_lazy("allowance", "Standard discount"),
    "42": pgettext_lazy("allowance", "Bonus"),
}
CHARGE_REASONS = {
    "FC": pgettext_lazy("charge", "Freight"),
    "SAA": pgettext_lazy("charge", "Shipping and handling"),
    "PC": pgettext_lazy("charge", "Packing"),
    "IN": pgettext_lazy("charge", "Insurance"),
    "DL": pgettext_lazy("charge", "Delivery"),
    "ABK": pgettext_lazy("charge", "Miscellaneous"),
    "ADR": pgettext_lazy("charge", "Other services"),
}
# The EN 16931 tax categories whose 0 % an invoice must explain, in the customer's language.
EXEMPTIONS = {
    "E": pgettext_lazy("VAT exemption", "Exempt from VAT"),
    "Z": pgettext_lazy("VAT exemption", "Zero rated"),
    "AE": pgettext_lazy("VAT exemption", "Reverse charge"),
    "K": pgettext_lazy("VAT exemption", "Intra-community supply"),
    "G": pgettext_lazy("VAT exemption", "Export outside the EU"),
    "O": pgettext_lazy("VAT exemption", "Not subject to VAT"),
}
# What the master data says in English when it says no more than the category.
EXEMPTIONS_IN_ENGLISH = {
    "E": "Exempt from VAT",
    "Z": "Zero rated",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}


def _says_more(text: str, english: str) -> bool:
    return bool(text) and text.strip().casefold() != english.casefold()


def exemption_text(category: str, reason: str) -> str:
    if category not in EXEMPTIONS:
        return reason
    text = str(EXEMPTIONS[category])
    if _says_more(reason, EXEMPTIONS_IN_ENGLISH[category]):
        text = f"{text} ({reason})"
    return text


def allowance_charge_text(entry) -> str:
    reasons = CHARGE_REASONS if entry.is_charge else ALLOWANCE_REASONS
    if entry.reason_code in reasons:
        known = reasons[entry.reason_code]
        with translation.override("en"):
            english = str(known)
        text = str(known)
        return f"{text}: {entry.reason}" if _says_more(entry.reason, english) else text
    if entry.reason:
        return entry.reason
    return pgettext("invoice", "Charge") if entry.is_charge else pgettext("invoice", "Allowance")


# --- the rows of the printout -----------------------------------------------------------------
@dataclass(frozen=True)
class PrintedLine:
    number: int
    item_number: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    price_base: str  # "per 1 000" when the price is not per unit
    discounts: list[str]  # as given: an amount off the unit price, a percent, or both
    tax_rate: str
    amount: Decimal


@dataclass(frozen=True)
class PrintedAllowanceCharge:
    is_charge: bool
    text: str
    base: str
    percent: str
    tax_rate: str
    amount: Decimal  # negative for an allowance, as it counts in the total


@dataclass(frozen=True)
class PrintedTaxGroup:
    rate: str
    taxable: Decimal
    tax: Decimal
    exemption: str


@dataclass
class PaymentDetails:
    accounts: list[tuple[str, str]] = field(default_factory=list)
    reference_label: str = ""
    reference: str = ""
    amount_due: Decimal = Decimal("0.00")
    due_date: str = ""
    link: str = ""


def printed_line(line: InvoiceLine) -> PrintedLine:
    discounts = []
    if line.discount_amount:
        discounts.append(printed_number(line.discount_amount, places=2, max_places=4))
    if line.discount_percent:
        discounts.append(printed_percent(line.discount_percent))
    base = line.price_base_quantity or Decimal(1)
    rate, _category = line_tax(line)
    return PrintedLine(
        number=line.line_number,
        item_number=line.item_number or (line.item.item_number if line.item_id else ""),
        description=line.description or (line.item.name if line.item_id else ""),
        quantity=printed_number(line.quantity, places=0, max_places=4),
        unit=unit_label(line.invoiced_unit_code, line.quantity),
        unit_price=printed_number(line.unit_price, places=2, max_places=4),
        price_base=""
        if base == 1
        else pgettext("invoice", "per %(quantity)s")
        % {"quantity": printed_number(base, places=0, max_places=4)},
        discounts=discounts,
        tax_rate=printed_percent(rate),
        amount=line.line_amount,
    )


def printed_allowance_charge(entry) -> PrintedAllowanceCharge:
    rate, _category = line_tax(entry)
    return PrintedAllowanceCharge(
        is_charge=entry.is_charge,
        text=allowance_charge_text(entry),
        base=printed_number(entry.base_amount) if entry.base_amount is not None else "",
        percent=printed_percent(entry.percent) if entry.percent is not None else "",
        tax_rate=printed_percent(rate),
        amount=entry.signed_amount,
    )


def printed_tax_groups(totals: Totals) -> list[PrintedTaxGroup]:
    return [
        PrintedTaxGroup(
            rate=printed_percent(group.rate),
            taxable=group.taxable,
            tax=group.tax,
            exemption=exemption_text(group.category, group.exemption_reason)
            if not group.rate
            else "",
        )
        for group in totals.breakdown
    ]


# --- seller, buyer, references ------------------------------------------------------------------
def _address_lines(party: dict[str, Any], *, home_country: str) -> list[str]:
    """An address as the post reads it: the country only when it is not the other party's."""
    lines = [
        party.get("street", ""),
        party.get("street2", ""),
        f"{party.get('postal_code', '')} {party.get('city', '')}".strip(),
    ]
    country = party.get("country", "")
    if country and country != home_country:
        lines.append(country_name(country))
    return [line for line in lines if line]


def _grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    parts.append(digits[start:])
    return separator.join(part for part in parts if part)


def norwegian_account(digits: str) -> str:
    """A Norwegian account number as it is written: 1234.56.78903."""
    return _grouped(digits, (4, 2), ".") if len(digits) == 11 else digits


def bankgiro(digits: str) -> str:
    """A bankgiro number as it is written: 123-4567 or 1234-5678."""
    return f"{digits[:-4]}-{digits[-4:]}" if len(digits) in (7, 8) else digits


def plusgiro(digits: str) -> str:
    """A plusgiro number as it is written: pairs from the right, the check digit after a dash
    (12 34 56-7)."""
    if len(digits) < 2:
        return digits
    body, check = digits[:-1], digits[-1]
    pairs = []
    while body:
        pairs.insert(0, body[-2:])
        body = body[:-2]
    return f"{' '.join(pairs)}-{check}"


def iban_grouped(iban: str) -> str:
    return " ".join(iban[start : start + 4] for start in range(0, len(iban), 4))


def bank_account_rows(
    account: dict[str, Any] | None, *, payer_country: str = ""
) -> list[tuple[str, str]]:
    """The bank account an invoice is paid into, as label and value rows: a Norwegian IBAN also
    as the domestic account number a payer in Norway types (a payer abroad needs the IBAN)."""
    if not account:
        return []
    kind = account.get("kind")
    number = identifiers.normalise(account.get("account_number", ""))
    rows: list[tuple[str, str]] = []
    if kind == "iban":
        iban = identifiers.normalise(account.get("iban", ""))
        if iban.startswith("NO") and len(iban) == 15 and payer_country in ("", "NO"):
            rows.append((pgettext("invoice", "Account number"), norwegian_account(iban[4:])))
        if iban:
            rows.append((pgettext("invoice", "IBAN"), iban_grouped(iban)))
        if account.get("bic"):
            rows.append((pgettext("invoice", "BIC"), account["bic"]))
    elif kind == "no_account":
        rows.append((pgettext("invoice", "Account number"), norwegian_account(number)))
    elif kind == "se_bankgiro":
        rows.append((pgettext("invoice", "Bankgiro"), bankgiro(number)))
    elif kind == "se_plusgiro":
        rows.append((pgettext("invoice", "Plusgiro"), plusgiro(number)))
    elif number:
        rows.append((pgettext("invoice", "Account number"), number))
    if account.get("bank_name"):
        rows.append((pgettext("invoice", "Bank"), account["bank_name"]))
    return rows


def payment_reference_label(reference: str, seller_country: str) -> tuple[str, str]:
    """The reference's name as the payer's bank knows it, and the reference as it is written: an
    RF creditor reference in groups of four, a Norwegian seller's digits a KID, a Swedish
    seller's an OCR reference."""
    if reference.upper().startswith("RF"):
        printed = rf_format(reference) if rf_valid(reference) else reference
        return pgettext("invoice", "RF reference"), printed
    if reference.rstrip("-").isdigit():
        if seller_country == "NO":
            return pgettext("invoice", "KID"), reference
        if seller_country == "SE":
            return pgettext("invoice", "OCR reference"), reference
    return pgettext("invoice", "Payment reference"), reference


def payment_terms_text(invoice: Invoice) -> str:
    """The terms as the days between invoice and due date, in the customer's language (the
    payment terms' own name is master data, in the clerk's language)."""
    if not invoice.invoice_date or not invoice.due_date:
        return ""
    days = (invoice.due_date - invoice.invoice_date).days
    if days <= 0:
        return pgettext("invoice", "Due on receipt")
    return npgettext("invoice", "Net %(days)s day", "Net %(days)s days", days) % {"days": days}


def document_title(invoice: Invoice) -> str:
    if invoice.kind == Kind.CREDIT_NOTE:
        return pgettext("invoice", "Credit note")
    if invoice.kind == Kind.PRO_FORMA:
        return pgettext("invoice", "Pro forma invoice")
    return pgettext("invoice", "Invoice")


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _facts(invoice: Invoice, credit: bool) -> list[tuple[str, str]]:
    """The invoice's numbers, dates and references, the box beside the buyer's address."""
    facts = [
        (
            pgettext("invoice", "Credit note number")
            if credit
            else pgettext("invoice", "Invoice number"),
            invoice.number,
        ),
        (
            pgettext("invoice", "Date") if credit else pgettext("invoice", "Invoice date"),
            printed_date(invoice.invoice_date),
        ),
    ]
    if invoice.period_start or invoice.period_end:
        period = f"{printed_date(invoice.period_start)}–{printed_date(invoice.period_end)}"
        facts.append((pgettext("invoice", "Invoicing period"), period))
    else:
        facts.append((pgettext("invoice", "Delivery date"), printed_date(invoice.delivery_date)))
    if not credit:
        facts.append((pgettext("invoice", "Due date"), printed_date(invoice.due_date)))
        facts.append((pgettext("invoice", "Payment terms"), payment_terms_text(invoice)))
    facts += [
        (pgettext("invoice", "Your reference"), invoice.buyer_reference),
        (pgettext("invoice", "Your order number"), invoice.order_reference),
        (
            pgettext("invoice", "Our order number"),
            invoice.sales_order.number if invoice.sales_order_id else "",
        ),
        (pgettext("invoice", "Our reference"), _person(invoice.created_by)),
        (pgettext("invoice", "Currency"), invoice.currency_code or invoice.currency.code),
    ]
    return [(label, value) for label, value in facts if value]


def _delivery_address(invoice: Invoice, buyer, seller_country: str) -> list[str]:
    """Where the goods went, when that is not the buyer's own address."""
    delivery = {
        "name": invoice.delivery_name,
        "street": invoice.delivery_street,
        "street2": invoice.delivery_street2,
        "postal_code": invoice.delivery_postal_code,
        "city": invoice.delivery_city,
        "country": invoice.delivery_country,
    }
    if not any(delivery.values()):
        return []
    same = {
        "name": buyer.name,
        "street": buyer.street,
        "street2": buyer.street2,
        "postal_code": buyer.postal_code,
        "city": buyer.city,
        "country": buyer.country or delivery["country"],
    }
    if all(
        (delivery[key] or "").strip().casefold() == (same[key] or "").strip().casefold()
        for key in ("street", "street2", "postal_code", "city", "country")
    ) and delivery["name"] in ("", buyer.name):
        return []
    return [delivery["name"], *_address_lines(delivery, home_country=seller_country)]


def _logo_uri(seller: dict) -> str:
    """The seller's logo as invoiced (the snapshot names its file)."""
    name = seller.get("logo", "")
    if not name:
        return ""
    path = Path(settings.MEDIA_ROOT) / name
    return path.as_uri() if path.is_file() else ""


def _buyer_identifiers(buyer) -> list[tuple[str, str]]:
    rows = [(pgettext("invoice", "Customer number"), buyer.account_number)]
    if buyer.vat_number:
        rows.append((pgettext("invoice", "VAT number"), buyer.vat_number))
    registration = identifiers.normalise(buyer.registration_id)
    if registration and registration not in identifiers.normalise(buyer.vat_number):
        rows.append((pgettext("invoice", "Organisation number"), buyer.registration_id))
    return [(label, value) for label, value in rows if value]


def _tax_in_accounting_currency(invoice: Invoice, totals: Totals, currency: str) -> str:
    """An invoice in another currency than the company's also states its VAT in the company's
    currency, at the rate taken at posting (BT-111; required in Norway)."""
    if not invoice.exchange_rate or not invoice.tax_currency_code:
        return ""
    if invoice.tax_currency_code == currency:
        return ""
    return pgettext("invoice", "VAT in %(currency)s: %(amount)s (rate %(rate)s)") % {
        "currency": invoice.tax_currency_code,
        "amount": printed_number(round_money(totals.tax * invoice.exchange_rate)),
        "rate": printed_number(invoice.exchange_rate, places=2, max_places=6, grouping=False),
    }


def _payment(invoice: Invoice, seller, buyer, amount_due: Decimal, link: str):
    """Where and how an invoice is paid; a credit note or a pro forma asks for no payment."""
    if invoice.kind not in (Kind.CUSTOMER, Kind.FREE_TEXT):
        return None
    label, reference = payment_reference_label(invoice.payment_reference, seller.get("country", ""))
    return PaymentDetails(
        accounts=bank_account_rows(seller.get("bank_account"), payer_country=buyer.country),
        reference_label=label if invoice.payment_reference else "",
        reference=reference,
        amount_due=amount_due,
        due_date=printed_date(invoice.due_date),
        link=link,
    )


def _has_item_numbers(lines) -> bool:
    """Whether any line prints an item number (its own, or its item's): the column is left out
    when none does."""
    return lines.filter(
        ~Q(item_number="") | (Q(item__isnull=False) & ~Q(item__item_number=""))
    ).exists()


def _context(invoice: Invoice):
    # The lines are read a chunk at a time (for the totals, then for the printout), never all
    # at once: an invoice of thousands of lines renders in the memory of a few hundred.
    lines = invoice.lines.select_related("item__unit", "sales_tax_code").order_by("line_number")
    allowance_charges = list(
        invoice.allowance_charges.select_related("sales_tax_code").order_by("id")
    )
    totals = invoice_totals(
        invoice, lines.iterator(chunk_size=ROWS_READ_AT_ONCE), allowance_charges
    )
    seller = invoice.seller_as_invoiced
    buyer = invoice.buyer  # as posted, whatever the customer became since
    credit = invoice.kind == Kind.CREDIT_NOTE
    currency = invoice.currency_code or invoice.currency.code
    amount_due = totals.total - invoice.prepaid_amount
    link = payment_link(invoice) if invoice.status == Invoice.Status.POSTED else ""

    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    return {
        "invoice": invoice,
        "title": document_title(invoice),
        "credit": credit,
        "draft": invoice.status != Invoice.Status.POSTED and invoice.kind != Kind.PRO_FORMA,
        "credits_invoice": pgettext("invoice", "Credits invoice %(number)s of %(date)s")
        % {"number": credited.number, "date": printed_date(credited.invoice_date)}
        if credited
        else "",
        "seller": seller,
        # The seller as invoiced also for what the renderer prints of the company (the mail).
        "company": {
            **seller,
            "name": seller.get("legal_name", ""),
            "address": address_line(seller),
        },
        "seller_address": _address_lines(seller, home_country=buyer.country),
        "logo": _logo_uri(seller),
        "buyer": buyer,
        "buyer_address": _address_lines(
            {
                field: getattr(buyer, field)
                for field in ("street", "street2", "postal_code", "city", "country")
            },
            home_country=seller.get("country", ""),
        ),
        "buyer_identifiers": _buyer_identifiers(buyer),
        "facts": _facts(invoice, credit),
        "delivery_address": _delivery_address(invoice, buyer, seller.get("country", "")),
        "lines": lines,
        "printed_lines": PrintedLines(lines, printed=printed_line),
        "item_numbers": _has_item_numbers(lines),
        "allowance_charges": [printed_allowance_charge(entry) for entry in allowance_charges],
        "totals": totals,
        "tax_groups": printed_tax_groups(totals),
        "currency": currency,
        "tax_in_accounting_currency": _tax_in_accounting_currency(invoice, totals, currency),
        "amount_due": amount_due,
        "total": invoice.total_amount,
        "payment": _payment(invoice, seller, buyer, amount_due, link),
        "payment_link": link,
    }


def _subject(invoice: Invoice) -> str:
    return f"{document_title(invoice)} {invoice.number or _('draft')}"


@register("invoice")
def invoice_document(record: Invoice):
    return "documents/invoice.html", _context(record), _subject(record)


register_finisher("invoice")(invoice_pdf_finish)
