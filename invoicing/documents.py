"""The printable documents of invoicing: invoice, credit note, pro forma. A posted invoice's or
credit note's PDF is Factur-X (PDF/A-3 with its EN 16931 XML attached)."""

from django.conf import settings
from django.utils.translation import gettext as _

from salesmkt.core.documents import register, register_finisher
from salesmkt.core.tax import document_totals

from .einvoice.facturx import invoice_pdf_finish
from .models import Invoice


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


def _context(invoice: Invoice):
    lines = list(
        invoice.lines.select_related("item__unit", "sales_tax_code").order_by("line_number")
    )
    return {
        "invoice": invoice,
        "buyer": invoice.buyer,  # as posted, whatever the customer became since
        "lines": lines,
        "totals": document_totals(lines),
        "total": invoice.total_amount,
        "payment_link": payment_link(invoice) if invoice.status == Invoice.Status.POSTED else "",
    }


def _subject(invoice: Invoice) -> str:
    return f"{invoice.get_kind_display()} {invoice.number or _('draft')}"


@register("invoice")
def invoice_document(record: Invoice):
    return "documents/invoice.html", _context(record), _subject(record)


register_finisher("invoice")(invoice_pdf_finish)
