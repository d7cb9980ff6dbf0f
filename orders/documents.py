"""The printable documents of sales: quotation, order confirmation, packing slip.

Their lines are given as `PrintedLines` (read from the database a chunk at a time when the PDF
is rendered) and their totals summed by the database, so that a document of thousands of lines
is never held in memory whole."""

from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from salesmkt.core.documents import PrintedLines, register

from .models import PackingSlip, SalesOrder, SalesQuotation


def _total(lines) -> Decimal:
    return lines.aggregate(total=Sum("line_amount"))["total"] or Decimal(0)


@register("quotation")
def quotation(record: SalesQuotation):
    lines = record.lines.select_related("item__unit").order_by("line_number")
    return (
        "documents/quotation.html",
        {"quotation": record, "lines": PrintedLines(lines), "total": _total(lines)},
        _("Quotation %(number)s") % {"number": record.number},
    )


@register("order_confirmation")
def order_confirmation(record: SalesOrder):
    lines = record.lines.select_related("item__unit").order_by("line_number")
    return (
        "documents/order_confirmation.html",
        {"order": record, "lines": PrintedLines(lines), "total": _total(lines)},
        _("Order confirmation %(number)s") % {"number": record.number},
    )


@register("packing_slip")
def packing_slip(record: PackingSlip):
    lines = record.lines.select_related("order_line__item__unit", "order_line__warehouse").order_by(
        "order_line__line_number", "pk"
    )
    return (
        "documents/packing_slip.html",
        {"slip": record, "lines": PrintedLines(lines), "total": None},
        _("Packing slip %(number)s") % {"number": record.number},
    )
