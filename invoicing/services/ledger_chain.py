"""Inalterability of posted invoices and credit notes, in the manner of the French anti-fraud
rules (NF525): at posting each document stores SHA-256(previous hash + its legal content), the
previous hash being that of the document before it in the same number series (invoices and
credit notes are separate chains; the first document follows 64 zeros). `verify` recomputes every
chain in number order and names the first document whose row no longer matches."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from salesmkt.core.models import NumberSeries

from ..models import (
    BUYER_IDENTIFIER_FIELDS,
    DOCUMENT_FIELDS,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
)

GENESIS = "0" * 64
SERIES = ("invoice", "credit-note")


def series_of(invoice: Invoice) -> str:
    """The number series (and so the chain) a posted document belongs to."""
    return "credit-note" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoice"


def posted(series: str) -> QuerySet[Invoice]:
    documents = Invoice.objects.filter(status=Invoice.Status.POSTED).exclude(number="")
    if series == "credit-note":
        return documents.filter(kind=Invoice.Kind.CREDIT_NOTE)
    return documents.exclude(kind__in=[Invoice.Kind.CREDIT_NOTE, Invoice.Kind.PRO_FORMA])


def _in_number_order(documents: QuerySet[Invoice], *, descending: bool = False):
    # Numbers are prefix + zero-padded counter: by length, then text, is counter order even
    # after the counter outgrows its padding.
    if descending:
        return documents.order_by(Length("number").desc(), "-number")
    return documents.order_by(Length("number"), "number")


def last_document(series: str) -> Invoice | None:
    """The series' last posted document: its hash seals everything before it (worth recording
    outside the database, e.g. in a period's closing report)."""
    return _in_number_order(posted(series), descending=True).first()


def _fixed(obj, field: str) -> str:
    """A decimal as a fixed string with its field's places, whatever Python object holds it."""
    value = getattr(obj, field)
    if value is None:  # a snapshot removed behind the application's back: it hashes differently
        return ""
    places = obj._meta.get_field(field).decimal_places
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _date(value) -> str:
    return value.isoformat() if value else ""


def _instant(value) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else ""


def content(
    invoice: Invoice,
    lines: Iterable[InvoiceLine] | None = None,
    charges: Iterable[InvoiceAllowanceCharge] | None = None,
) -> str:
    """The document's legal content, serialised canonically (sorted keys, decimals with their
    stored places, dates ISO, instants UTC). `lines` in line number order, else read; `charges`
    (its allowances and charges), else read. Read from the document alone (its buyer, tax and
    identifier snapshots), never from master data that may change after posting."""
    if lines is None:
        lines = invoice.lines.order_by("line_number")
    lines = list(lines)
    if charges is None:
        charges = invoice.allowance_charges.all()
    data = {
        "series": series_of(invoice),
        "number": invoice.number,
        "kind": invoice.kind,
        "invoice_date": _date(invoice.invoice_date),
        "due_date": _date(invoice.due_date),
        # The buyer and tax snapshots taken at posting, under the keys and in the form the
        # hash had when it read the customer and the tax code: a document whose master data
        # is unchanged since posting serialises (and so hashes) exactly as before.
        "customer": {
            "account_number": invoice.buyer_account_number,
            "name": invoice.buyer_name,
            "vat_number": invoice.buyer_vat_number,
        },
        "currency": invoice.currency_code,
        "lines": [
            {
                "line_number": line.line_number,
                "item": line.item_number,
                "ledger_account": line.ledger_account_number,
                "description": line.description,
                "quantity": _fixed(line, "quantity"),
                "unit_price": _fixed(line, "unit_price"),
                "discount_amount": _fixed(line, "discount_amount"),
                "discount_percent": _fixed(line, "discount_percent"),
                "tax_code": line.tax_code,
                "tax_rate": _fixed(line, "tax_rate"),
                "line_amount": _fixed(line, "line_amount"),
            }
            for line in lines
        ],
        "net_amount": _fixed(invoice, "net_amount"),
        "tax_amount": _fixed(invoice, "tax_amount"),
        "total_amount": _fixed(invoice, "total_amount"),
        "credited_invoice": invoice.credited_invoice.number if invoice.credited_invoice_id else "",
        "posted_at": _instant(invoice.posted_at),
    }
    if invoice.chain_version >= 2:
        # Since the seller, the buyer's identifiers and the payment reference are frozen on
        # the document, the hash covers them too; documents chained before keep their content.
        data["chain_version"] = invoice.chain_version
        data["seller"] = invoice.seller
        data["buyer_identifiers"] = {
            field: getattr(invoice, f"buyer_{field}") for field in BUYER_IDENTIFIER_FIELDS
        }
        data["payment_reference"] = invoice.payment_reference
        data["document"] = {
            field: _date(value) if hasattr(value, "isoformat") else value
            for field in DOCUMENT_FIELDS
            for value in [getattr(invoice, field)]
        }
        data["prepaid_amount"] = _fixed(invoice, "prepaid_amount")
        data["exchange_rate"] = _fixed(invoice, "exchange_rate")
        data["tax_currency_code"] = invoice.tax_currency_code
        data["line_units"] = [
            {
                "line_number": line.line_number,
                "price_base_quantity": _fixed(line, "price_base_quantity"),
                "unit_code": line.unit_code,
            }
            for line in lines
        ]
        data["allowance_charges"] = [
            {
                "is_charge": entry.is_charge,
                "reason": entry.reason,
                "reason_code": entry.reason_code,
                "percent": _fixed(entry, "percent"),
                "base_amount": _fixed(entry, "base_amount"),
                "amount": _fixed(entry, "amount"),
                "tax_code": entry.tax_code,
                "tax_rate": _fixed(entry, "tax_rate"),
                "tax_category": entry.tax_category,
            }
            for entry in sorted(charges, key=lambda e: e.pk)
        ]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_of(previous: str, document_content: str) -> str:
    return hashlib.sha256((previous + document_content).encode("utf-8")).hexdigest()


_UNREAD = object()


def chain(
    invoice: Invoice,
    lines: Iterable[InvoiceLine],
    *,
    last: Invoice | object | None = _UNREAD,
    charges: Iterable[InvoiceAllowanceCharge] | None = None,
) -> list[str]:
    """Link a document being posted to the last posted one of its series (`last`, when the
    caller read it under the series' lock: `last_document`); returns the fields to save. Runs
    in the posting transaction after `next_number` locked the series' counter, so postings in a
    series are serialised and the last document is final."""
    series = series_of(invoice)
    others = posted(series).exclude(pk=invoice.pk)
    if last is _UNREAD:
        last = _in_number_order(others, descending=True).only("pk", "chain_hash").first()
    previous = GENESIS if last is None else last.chain_hash
    if last is not None and not previous and not others.exclude(chain_hash="").exists():
        # The first posting since the chain exists seals the documents posted before it.
        previous = _seal(others)
    invoice.previous_hash = previous
    invoice.chain_hash = hash_of(previous, content(invoice, lines, charges))
    return ["previous_hash", "chain_hash"]


def _documents(documents: QuerySet[Invoice]) -> QuerySet[Invoice]:
    lines = InvoiceLine.objects.all()
    return (
        _in_number_order(documents)
        .select_related("credited_invoice")
        .prefetch_related(
            Prefetch("lines", queryset=lines.order_by("line_number")), "allowance_charges"
        )
    )


def _seal(documents: QuerySet[Invoice]) -> str:
    """Chain `documents` (all unchained) in number order from the start; returns the last hash."""
    previous, batch = GENESIS, []
    for document in _documents(documents).iterator(chunk_size=500):
        document.previous_hash = previous
        document.chain_hash = previous = hash_of(previous, content(document, document.lines.all()))
        batch.append(document)
    Invoice.objects.bulk_update(batch, ["previous_hash", "chain_hash"], batch_size=500)
    return previous


def seal_unchained(series: str) -> int:
    """Chain the documents posted before the chain existed, once: only a series with no chained
    document is sealed (a missing hash inside a chain is a finding, never re-sealed). Returns how
    many documents were sealed."""
    with transaction.atomic():
        # The counter row is what posting locks: no document is posted in the series meanwhile.
        list(NumberSeries.objects.select_for_update().filter(code=series))
        documents = posted(series)
        if documents.exclude(chain_hash="").exists():
            return 0
        count = documents.count()
        if count:
            _seal(documents)
        return count


@dataclass(frozen=True)
class Finding:
    """The first document of a series whose chain does not verify."""

    series: str
    number: str
    problem: str  # "altered", "broken_link", "unchained" or "missing"
    stored: str = ""
    expected: str = ""

    def __str__(self) -> str:
        values = {"number": self.number, "stored": self.stored, "expected": self.expected}
        if self.problem == "altered":
            return (
                _("%(number)s was altered: stored hash %(stored)s, recomputed %(expected)s.")
                % values
            )
        if self.problem == "broken_link":
            return (
                _(
                    "%(number)s: broken link: its previous hash %(stored)s is not the hash of the "
                    "document before it (%(expected)s); a document was deleted or re-chained."
                )
                % values
            )
        if self.problem == "unchained":
            return (
                _(
                    "%(number)s has no hash: posted before the chain existed (run verify_ledger "
                    "--seal-unchained once) or its hash was removed."
                )
                % values
            )
        return (
            _(
                "%(number)s is missing: the series numbered it, but no posted document has it "
                "(last document %(stored)s)."
            )
            % values
        )


def _counter(number: str) -> int | None:
    digits = re.search(r"(\d+)$", number)
    return int(digits.group(1)) if digits else None


def _verify_series(series: str) -> Finding | None:
    previous, last = GENESIS, ""
    for document in _documents(posted(series)).iterator(chunk_size=500):
        if not document.chain_hash:
            return Finding(series, document.number, "unchained")
        if document.previous_hash != previous:
            return Finding(series, document.number, "broken_link", document.previous_hash, previous)
        recomputed = hash_of(previous, content(document, document.lines.all()))
        if recomputed != document.chain_hash:
            return Finding(series, document.number, "altered", document.chain_hash, recomputed)
        previous, last = document.chain_hash, document.number
    # Deleting the last document leaves every link intact; the gapless counter still knows it.
    counter = NumberSeries.objects.filter(code=series).first()
    if counter is not None and counter.next_value > 1:
        issued = counter.next_value - 1
        if (_counter(last) if last else 0) != issued:
            return Finding(series, counter.format(issued), "missing", last or "-")
    return None


def verify(series: str | None = None) -> list[Finding]:
    """Recompute the chain of `series` (or of every series) in number order: the first document
    per series whose stored hash differs from the recomputation, whose previous hash is not its
    predecessor's, that has no hash, or that the counter issued and is gone."""
    return [
        finding
        for name in ([series] if series else SERIES)
        if (finding := _verify_series(name)) is not None
    ]
