"""Returns tied to the sale: a return order's line names the sold order line whose goods come
back (or, through the API, the invoice line it was sold on), and takes back at most what that
line invoiced less what other returns take back already.

Orders never import invoicing (dependencies run downhill), yet a return names an invoice: the
invoicing area registers an `InvoiceLookup` when it starts (`register_invoice_lookup`), which
answers what orders must know of posted invoices: which order line an invoice line invoiced,
whether an invoice number is a posted invoice of a customer, and the last invoice of a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.errors import ConflictError
from salesmkt.core.money import QUANTITY_PLACES, quantize, to_decimal

from ..models import SalesOrder, SalesOrderLine
from ..selectors.returns import returnable_lines, returned_quantities

NOTHING_TO_RETURN = "nothing_to_return"
RETURN_EXCEEDS_SOLD = "return_exceeds_sold"
SOLD_PRICE_FIELDS = ("unit_price", "discount_amount", "discount_percent")
PRICED_AS_SOLD = "returned_line"  # a return line's price source: the price its line sold at


# --- what invoicing tells orders ----------------------------------------------------------------
@dataclass(frozen=True)
class InvoicedLine:
    """A posted invoice line as orders see it: the order line it invoiced, on which invoice."""

    order_line_id: int | None
    invoice_number: str


class InvoiceLookup(Protocol):
    def invoiced_line(self, pk: int) -> InvoicedLine | None:
        """The posted invoice line `pk` (never a credit note's), or None."""

    def invoiced_lines(self, pks: list[int]) -> dict[int, InvoicedLine]:
        """`invoiced_line` of each of `pks` (those that are posted invoice lines), one query."""

    def invoice_exists(self, *, number: str, customer_id: int) -> bool:
        """Whether `number` is a posted invoice (not a credit note) of the customer."""

    def last_invoice_numbers(self, order_line_ids: list[int]) -> dict[int, str]:
        """The newest posted invoice that invoiced each of these order lines."""

    def sold_lines_by_item(self, *, number: str, customer_id: int) -> dict[int, list[int]]:
        """The order lines the posted invoice `number` of the customer invoiced, by item."""


_invoice_lookup: InvoiceLookup | None = None


def register_invoice_lookup(lookup: InvoiceLookup) -> None:
    """The invoicing area installs its lookup when it starts (its AppConfig.ready)."""
    global _invoice_lookup
    _invoice_lookup = lookup


def _invoiced_lines(pks: list[int]) -> dict[int, InvoicedLine]:
    if _invoice_lookup is None or not pks:
        return {}
    if hasattr(_invoice_lookup, "invoiced_lines"):
        return _invoice_lookup.invoiced_lines(pks)
    found = {pk: _invoice_lookup.invoiced_line(pk) for pk in pks}
    return {pk: line for pk, line in found.items() if line is not None}


def _invoice_exists(number: str, customer_id: int) -> bool:
    return _invoice_lookup is not None and _invoice_lookup.invoice_exists(
        number=number, customer_id=customer_id
    )


def _last_invoice_numbers(order_line_ids: list[int]) -> dict[int, str]:
    if _invoice_lookup is None or not order_line_ids:
        return {}
    return _invoice_lookup.last_invoice_numbers(order_line_ids)


# --- the return order's header -------------------------------------------------------------------
def check_return_header(order: SalesOrder, *, changes: dict[str, Any]) -> None:
    """The original invoice a return names (when it is given or changed) is a posted invoice
    of the order's customer; a return whose lines name sold lines keeps their customer. Call it
    before `changes` are set on `order` (for a new order: with the data it is made of)."""
    customer = changes.get("customer", order.customer if order.customer_id else None)
    number = changes.get("original_invoice_number") or ""
    changed = number and (order.pk is None or number != order.original_invoice_number)
    if changed and (customer is None or not _invoice_exists(number, customer.pk)):
        raise ValidationError(
            {
                "original_invoice_number": _("%(number)s is not a posted invoice of this customer.")
                % {"number": number}
            }
        )
    if (
        order.pk is not None
        and customer is not None
        and customer.pk != order.customer_id
        and order.lines.filter(returned_line__isnull=False)
        .exclude(returned_line__order__customer_id=customer.pk)
        .exists()
    ):
        raise ValidationError({"customer": _("The return's lines were sold to another customer.")})


# --- the return order's lines --------------------------------------------------------------------
def _line_id(value) -> Any:
    return getattr(value, "pk", value)


class SoldLines:
    """The sold lines a write of an order's lines refers to (`returned_line`, or
    `returned_invoice_line` resolved to its order line), locked in pk order before any line is
    written: two returns of the same sold line wait for each other, so together they never take
    back more than was sold."""

    def __init__(self, order: SalesOrder, rows: list[dict[str, Any]], existing: dict) -> None:
        self.order = order
        self.invoice_numbers: dict[int, str] = {}  # row index -> the invoice line's invoice
        wanted: set[int] = set()
        on_invoice = self._sold_lines_by_item(rows)
        invoiced = _invoiced_lines(
            [
                _line_id(row["returned_invoice_line"])
                for row in rows
                if row.get("returned_invoice_line") is not None
            ]
        )
        for index, row in enumerate(rows):
            self._resolve_invoice_line(index, row, invoiced)
            self._link_to_original_invoice(index, row, on_invoice)
            if row.get("returned_line") is not None:
                if not order.is_return:
                    raise ValidationError(
                        {
                            f"lines[{index}].returned_line": _(
                                "Only a return order's lines refer to the line they return."
                            )
                        }
                    )
                wanted.add(_line_id(row["returned_line"]))
            elif row.get("id") in existing and existing[row["id"]].returned_line_id:
                wanted.add(existing[row["id"]].returned_line_id)
        self.lines = (
            {
                line.pk: line
                for line in SalesOrderLine.objects.select_for_update(of=("self",))
                .filter(pk__in=wanted)
                .select_related("order", "item", "warehouse", "sales_tax_code")
                .order_by("pk")
            }
            if wanted
            else {}
        )

    def _sold_lines_by_item(self, rows: list[dict[str, Any]]) -> dict[int, list[int]]:
        order = self.order
        unreferenced = [
            row
            for row in rows
            if row.get("id") is None
            and "returned_line" not in row
            and "returned_invoice_line" not in row
        ]
        if (
            not order.is_return
            or not order.original_invoice_number
            or not unreferenced
            or _invoice_lookup is None
        ):
            return {}
        return _invoice_lookup.sold_lines_by_item(
            number=order.original_invoice_number, customer_id=order.customer_id
        )

    def _link_to_original_invoice(
        self, index: int, row: dict[str, Any], on_invoice: dict[int, list[int]]
    ) -> None:
        """A return that names its original invoice returns what that invoice sold: a line
        that names no sold line is tied to the invoice's line of its item (so it, too, takes
        back at most what was sold); an item the invoice did not sell, or sold on several
        lines, is refused naming the field."""
        if not on_invoice or row.get("id") is not None or "returned_line" in row:
            return  # lines written before keep what they refer to
        candidates = on_invoice.get(_line_id(row.get("item")), [])
        if not candidates:
            raise ValidationError(
                {
                    f"lines[{index}].item": _(
                        "Invoice %(number)s did not sell this item: return it against the "
                        "invoice that did."
                    )
                    % {"number": self.order.original_invoice_number}
                }
            )
        if len(candidates) > 1:
            raise ValidationError(
                {
                    f"lines[{index}].returned_line": _(
                        "Invoice %(number)s sold this item on several lines: name the line "
                        "that is returned."
                    )
                    % {"number": self.order.original_invoice_number}
                }
            )
        row["returned_line"] = candidates[0]

    def _resolve_invoice_line(
        self, index: int, row: dict[str, Any], found: dict[int, InvoicedLine]
    ) -> None:
        """The invoice line form of the reference: the order line that invoice line invoiced
        (`found`: the rows' invoice lines, read at once)."""
        invoice_line = row.pop("returned_invoice_line", None)
        if invoice_line is None:
            return
        field = f"lines[{index}].returned_invoice_line"
        invoiced = found.get(_line_id(invoice_line))
        if invoiced is None:
            raise ValidationError({field: _("No posted invoice line has this id.")})
        if invoiced.order_line_id is None:
            raise ValidationError(
                {field: _("The invoice line sold no order line: nothing of it comes back.")}
            )
        given = row.get("returned_line")
        if given is not None and _line_id(given) != invoiced.order_line_id:
            raise ValidationError(
                {field: _("The invoice line invoiced another order line than the one given.")}
            )
        row["returned_line"] = invoiced.order_line_id
        self.invoice_numbers[index] = invoiced.invoice_number

    def apply(self, line: SalesOrderLine, row: dict[str, Any], index: int) -> bool:
        """Set the line's reference from `row` and what follows from it: a new return line
        takes the sold line's item, warehouse, tax code and price (the price it was sold at);
        the item stays the one sold. Whether the line is priced as it was sold (and so needs no
        permission to override the price lookup). `row`'s missing prices are filled in."""
        if not self.order.is_return:
            return False
        if "returned_line" in row:
            pk = _line_id(row["returned_line"])
            if pk is not None and pk not in self.lines:
                raise ValidationError(
                    {f"lines[{index}].returned_line": _("No order line has this id.")}
                )
            if line.delivered_quantity and pk != line.returned_line_id:
                raise ConflictError(
                    _("Line %(line)d has arrived: the line it returns stays.")
                    % {"line": line.line_number},
                    code="line_delivered",
                )
            line.returned_line = self.lines.get(pk)
        sold = self.lines.get(line.returned_line_id) if line.returned_line_id else None
        if sold is None:
            return False
        field = f"lines[{index}].returned_line"
        if sold.order.is_return:
            raise ValidationError({field: _("A return's line is not returned again.")})
        if sold.order.customer_id != self.order.customer_id:
            raise ValidationError({field: _("The line was sold to another customer.")})
        if sold.order.currency_id != self.order.currency_id:
            raise ValidationError(
                {
                    field: _(
                        "The line was sold in %(currency)s; the return is in another currency."
                    )
                    % {"currency": sold.order.currency}
                }
            )
        if line.item_id is None:
            line.item = sold.item
        elif line.item_id != sold.item_id:
            raise ValidationError(
                {
                    f"lines[{index}].item": _(
                        "A return takes back the item that was sold: %(item)s."
                    )
                    % {"item": sold.item}
                }
            )
        if line.warehouse_id is None:
            line.warehouse = sold.warehouse
        if line.sales_tax_code_id is None:
            line.sales_tax_code = sold.sales_tax_code
        if line.pk is None or "returned_line" in row:
            line.price_base_quantity = sold.price_base_quantity
        for name in SOLD_PRICE_FIELDS:
            if row.get(name) is None:
                row[name] = getattr(sold, name)
        if any(to_decimal(row[name]) != getattr(sold, name) for name in SOLD_PRICE_FIELDS):
            return False
        row.setdefault("price_source", PRICED_AS_SOLD)
        return True

    def refuse_over_returns(self, lines: list[SalesOrderLine], *, exclude: list[int]) -> None:
        """409 when a line takes back more than its sold line invoiced less what the other
        return lines take back: the stored ones (but `exclude`, the lines this write replaces or
        removes) and the other `lines` of this write. The sold lines are locked: nobody adds a
        return meanwhile. One query, whatever the number of lines."""
        referring = [
            line
            for line in lines
            if line.returned_line_id in self.lines and line.quantity is not None
        ]
        if not referring:
            return
        stored = returned_quantities(
            {line.returned_line_id for line in referring}, exclude_return_lines=exclude
        )
        written: dict[int, Decimal] = {}
        for line in referring:
            written[line.returned_line_id] = (
                written.get(line.returned_line_id, Decimal(0)) + line.quantity
            )
        for line in referring:
            others = written[line.returned_line_id] - line.quantity
            self._refuse_over_return(line, stored.get(line.returned_line_id, Decimal(0)) + others)

    def _refuse_over_return(self, line: SalesOrderLine, returned: Decimal) -> None:
        sold = self.lines[line.returned_line_id]
        # What the line takes back: what arrived and what it still expects.
        asked = line.quantity
        if asked + returned > sold.invoiced_quantity:
            raise ConflictError(
                _(
                    "Line %(line)s sold %(sold)s and %(returned)s of it are returned already: "
                    "%(asked)s more cannot come back."
                )
                % {
                    "line": f"{sold.order.number}/{sold.line_number}",
                    "sold": _quantity(sold.invoiced_quantity),
                    "returned": _quantity(returned),
                    "asked": _quantity(asked),
                },
                code=RETURN_EXCEEDS_SOLD,
                params={
                    "line": sold.pk,
                    "line_reference": f"{sold.order.number}/{sold.line_number}",
                    "sold": str(quantize(sold.invoiced_quantity, QUANTITY_PLACES)),
                    "returned": str(quantize(returned, QUANTITY_PLACES)),
                    "asked": str(quantize(asked, QUANTITY_PLACES)),
                },
            )

    def name_original_invoice(self, lines: list[SalesOrderLine]) -> None:
        """A return that names no original invoice takes the one its first referring line was
        sold on (the invoice line's, or the sold line's newest invoice)."""
        order = self.order
        if not order.is_return or order.original_invoice_number:
            return
        referring = [line for line in lines if line.returned_line_id]
        if not referring:
            return
        first = min(referring, key=lambda line: line.line_number)
        number = self._invoice_of(first, lines)
        if number:
            order.original_invoice_number = number
            order.save(update_fields=["original_invoice_number"])

    def _invoice_of(self, line: SalesOrderLine, lines: list[SalesOrderLine]) -> str:
        index = lines.index(line)
        if index in self.invoice_numbers:
            return self.invoice_numbers[index]
        return _last_invoice_numbers([line.returned_line_id]).get(line.returned_line_id, "")


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


# --- the Return action ---------------------------------------------------------------------------
def sales_order_create_return(*, order: SalesOrder, actor) -> SalesOrder:
    """A draft return of the order (open, not confirmed) for the same customer and currency:
    one line per line with something left to return, of that quantity, priced as it was sold.
    The clerk lowers the quantities to what actually comes back. 409 `nothing_to_return` when
    nothing invoiced is left to return."""
    from ..actions import SALES_ORDER
    from .orders import sales_order_create

    with transaction.atomic():
        SALES_ORDER.refuse(order, "return")  # nothing_to_return
        rows = [
            {"returned_line": line, "warehouse": line.warehouse, "quantity": quantity}
            for line, quantity in returnable_lines(order)
        ]
        # Checked again as the lines are written, under the sold lines' locks: a return made
        # of them meanwhile answers `return_exceeds_sold`.
        return sales_order_create(
            data={
                "customer": order.customer,
                "order_type": SalesOrder.OrderType.RETURNED,
                "currency": order.currency,
                "requested_ship_date": timezone.localdate(),
                "customer_reference": order.customer_reference,
                "lines": rows,
            },
            actor=actor,
        )
