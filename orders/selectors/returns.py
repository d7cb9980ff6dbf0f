"""What was returned of sold order lines, and what is left to return.

A return line takes back what arrived of it and what is still expected (its delivered quantity
and its deliver remainder): a return canceled, or the remainder of a return line canceled, takes
back nothing more. Only lines of return orders count.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import SalesOrder, SalesOrderLine

QUANTITY = DecimalField(max_digits=20, decimal_places=4)


def _return_lines() -> QuerySet[SalesOrderLine]:
    return SalesOrderLine.objects.filter(order__order_type=SalesOrder.OrderType.RETURNED)


def _taken_back():
    return F("delivered_quantity") + F("deliver_remainder")


def returned_quantities(
    line_ids: Iterable[int],
    *,
    exclude_return_line: int | None = None,
    exclude_return_lines: Iterable[int] = (),
) -> dict[int, Decimal]:
    """What the return lines take back of each of these sold lines (one query), leaving out the
    return line `exclude_return_line` (or lines `exclude_return_lines`: those being written)."""
    returns = _return_lines().filter(returned_line_id__in=list(line_ids))
    excluded = {pk for pk in (exclude_return_line, *exclude_return_lines) if pk is not None}
    if excluded:
        returns = returns.exclude(pk__in=excluded)
    return dict(
        returns.values("returned_line_id")
        .annotate(quantity=Sum(_taken_back()))
        .values_list("returned_line_id", "quantity")
    )


def returned_quantity_expression() -> Coalesce:
    """`returned_quantity` of a line as a subquery, for lists (no query per line)."""
    per_line = (
        _return_lines()
        .filter(returned_line_id=OuterRef("pk"))
        .values("returned_line_id")
        .annotate(quantity=Sum(_taken_back()))
        .values("quantity")
    )
    return Coalesce(
        Subquery(per_line, output_field=QUANTITY), Value(Decimal(0)), output_field=QUANTITY
    )


def with_returned_quantity(lines: QuerySet[SalesOrderLine]) -> QuerySet[SalesOrderLine]:
    """The lines with `returned_quantity` annotated (what `SalesOrderLine.returned_quantity`
    otherwise asks once per line)."""
    return lines.annotate(returned_quantity=returned_quantity_expression())


def returnable(line: SalesOrderLine) -> Decimal:
    """What of a sold line may still be returned: what is invoiced of it (net of credit notes)
    less what returns take back already."""
    return line.invoiced_quantity - line.returned_quantity


def returnable_lines(order: SalesOrder) -> list[tuple[SalesOrderLine, Decimal]]:
    """The order's lines that have something left to return, with that quantity, in line
    order. A return, a journal or a canceled order has none."""
    if (
        order.is_return
        or order.is_journal
        or order.status == SalesOrder.Status.CANCELED
        or order.pk is None
    ):
        return []
    lines = with_returned_quantity(
        SalesOrderLine.objects.filter(order_id=order.pk, invoiced_quantity__gt=0)
        .select_related("item", "warehouse")
        .order_by("line_number")
    )
    return [(line, left) for line in lines if (left := returnable(line)) > 0]
