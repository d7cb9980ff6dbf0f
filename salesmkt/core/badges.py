"""Status badges and amounts for the lists of documents (quotations, orders, invoices): the
clerk sees at a glance where each document stands and what it is worth."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.utils.formats import number_format
from django.utils.html import format_html

# The colour of each status, by its stored value (the same words mean the same in every
# document: open is work to do, done is green, the dead ends are grey or red).
STYLES = {
    "created": "secondary",
    "draft": "secondary",
    "open": "primary",
    "sent": "info",
    "confirmed": "success",
    "delivered": "info",
    "posted": "success",
    "invoiced": "success",
    "unpaid": "warning",
    "partly_paid": "info",
    "paid": "success",
    "credited": "dark",
    "lost": "danger",
    "canceled": "danger",
}


def status_badge(field: str = "status") -> Callable[[Any], str]:
    """A list column's accessor: the status's label on its colour."""

    def badge(obj) -> str:
        value = getattr(obj, field)
        label = getattr(obj, f"get_{field}_display")()
        style = STYLES.get(value, "secondary")
        text = " text-dark" if style in ("warning", "info") else ""
        return format_html(
            '<span class="badge text-bg-{}{}" data-status="{}">{}</span>', style, text, value, label
        )

    return badge


def money(amount: str, currency: str = "currency.code") -> Callable[[Any], str]:
    """A list column's accessor: `amount` (an attribute, e.g. an annotation) in the user's
    locale with the document's currency code."""

    def value(obj) -> str:
        found = getattr(obj, amount, None) or Decimal(0)
        code = obj
        for part in currency.split("."):
            code = getattr(code, part, None)
        formatted = number_format(found, decimal_pos=2, use_l10n=True, force_grouping=True)
        return f"{formatted} {code or ''}".strip()

    return value


def with_lines_total(queryset, line_model, parent: str, name: str = "list_total"):
    """Annotate each document of `queryset` with the sum of its lines' amounts (a subquery, so
    the list's query count does not grow with its rows)."""
    total = (
        line_model.objects.filter(**{parent: OuterRef("pk")})
        .order_by()
        .values(parent)
        .annotate(total=Sum("line_amount"))
        .values("total")
    )
    return queryset.annotate(**{name: Subquery(total)})
