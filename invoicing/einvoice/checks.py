"""The official rules as a gate: a document that would break a fatal EN 16931 rule is not posted
or sent, nor one for a Peppol receiver that breaks a fatal Peppol BIS Billing 3.0 rule. The
document is judged as the UBL it would be exported as, by the vendored rules themselves
(`validation`), not by a reading of them in Python."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesmkt.core.errors import ConflictError

from ..models import Invoice
from .model import from_invoice
from .ubl import to_ubl
from .validation import ValidationResult, validate


class EInvoiceInvalid(ConflictError):
    default_code = "einvoice_invalid"
    default_message = _("The e-invoice breaks the official rules; nothing was posted.")


def peppol_applies(invoice: Invoice) -> bool:
    """Whether the buyer receives e-invoices over Peppol: then its rules are checked too."""
    return bool(invoice.customer.party.peppol_receiver)


def einvoice_result(
    invoice: Invoice, *, peppol: bool | None = None, lines=None, charges=None
) -> ValidationResult:
    """The UBL of a posted (or being-posted) document, validated by the CEN rules and, for a
    Peppol receiver (or when asked), by the Peppol rules. `lines` and `charges`: as
    `from_invoice` takes them."""
    if peppol is None:
        peppol = peppol_applies(invoice)
    return validate(
        to_ubl(from_invoice(invoice, lines=lines, charges=charges)), "ubl", peppol=peppol
    )


def _rule_text(rule: dict) -> str:
    """ "[BR-11] The buyer..." once: the CEN rules' texts already begin with their id."""
    text = rule["text"]
    prefix = f"[{rule['id']}]"
    return text if text.startswith(prefix) else f"{prefix} {text}"


def refuse_invalid(invoice: Invoice, *, message=None, lines=None, charges=None) -> ValidationResult:
    """Raise `EInvoiceInvalid` (409 `einvoice_invalid`) listing each broken rule's id and text
    when the document's e-invoice has XSD errors or fatal rule failures. `lines` and
    `charges`: as `from_invoice` takes them."""
    result = einvoice_result(invoice, lines=lines, charges=charges)
    if result.ok:
        return result
    rules = [{"id": "XSD", "text": error} for error in result.xsd_errors] + [
        {"id": failure.id, "text": failure.text} for failure in result.fatal
    ]
    listed = "; ".join(_rule_text(rule) for rule in rules[:10])
    raise EInvoiceInvalid(
        f"{message or EInvoiceInvalid.default_message} {listed}",
        params={"rules": rules},
    )
