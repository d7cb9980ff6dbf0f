"""The printable documents of sales: quotation, order confirmation, packing slip."""

from decimal import Decimal

from django.utils.translation import gettext as _

from salesmkt.core.documents import register

from .models import PackingSlip, SalesOrder, SalesQuotation


def _total(lines) -> Decimal:
    return sum((line.line_amount for line in lines), Decimal(0))


@register("quotation")
def quotation(record: SalesQuotation):
    lines = list(record.lines.select_related("item__unit").order_by("line_number"))
    return (
        "documents/quotation.html",
        {"quotation": record, "lines": lines, "total": _total(lines)},
        _("Quotation %(number)s") % {"number": record.number},
    )


@register("order_confirmation")
def order_confirmation(record: SalesOrder):
    lines = list(record.lines.select_related("item__unit").order_by("line_number"))
    return (
        "documents/order_confirmation.html",
        {"order": record, "lines": lines, "total": _total(lines)},
        _("Order confirmation %(number)s") % {"number": record.number},
    )


@register("packing_slip")
def packing_slip(record: PackingSlip):
    lines = list(record.lines.select_related("order_line__item__unit", "order_line__warehouse"))
    return (
        "documents/packing_slip.html",
        {"slip": record, "lines": lines, "total": None},
        _("Packing slip %(number)s") % {"number": record.number},
    )
