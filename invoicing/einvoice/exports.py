"""The e-invoice of a posted invoice or credit note as a file to download: Peppol BIS Billing
3.0 UBL, or the Factur-X CII XML on its own (the one its PDF carries). The API, the clerk UI and
the `validate_einvoice` command all take them from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext_lazy as _

from salesmkt.core.errors import ConflictError

from ..models import Invoice
from .cii import to_cii
from .model import EInvoice, EInvoiceNotPossible, from_invoice
from .ubl import to_ubl

Syntax = Literal["cii", "ubl"]
CONTENT_TYPE = "application/xml"
WRITERS = {"cii": to_cii, "ubl": to_ubl}
SUFFIXES = {"cii": "factur-x", "ubl": "ubl"}


class NotAnEInvoice(ConflictError):
    default_code = "not_posted"
    default_message = _(
        "Only a posted invoice or credit note is an e-invoice; a draft or a pro forma is not."
    )


@dataclass(frozen=True)
class EInvoiceFile:
    content: bytes
    filename: str
    content_type: str = CONTENT_TYPE


def einvoice_of(invoice: Invoice) -> EInvoice:
    """The EN 16931 view of a posted invoice or credit note (409 `not_posted` otherwise)."""
    try:
        return from_invoice(invoice)
    except EInvoiceNotPossible as exc:
        raise NotAnEInvoice() from exc


def einvoice_file(*, invoice: Invoice, syntax: Syntax) -> EInvoiceFile:
    """The invoice's e-invoice in `syntax`, named after its number: INV000012-ubl.xml."""
    content = WRITERS[syntax](einvoice_of(invoice))
    safe_number = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number)
    return EInvoiceFile(content=content, filename=f"{safe_number}-{SUFFIXES[syntax]}.xml")
