"""What invoicing tells the order: quantities invoiced. The invoicing area calls this service
when it posts an invoice; the order's remainders, status and inventory follow here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from agreements.services.sales_agreements import agreement_lines_lock, agreement_record_invoices
from inventory.models import InventoryTransaction
from inventory.services.stock import Movement
from salesmkt.core.audit import record_event
from salesmkt.core.bulk import update_from_values
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.transitions import lock, run_transition

from ..models import InvoicedAhead, SalesOrder, SalesOrderLine, SubscriptionPeriod
from ..selectors.returns import returned_quantities
from .orders import SOURCE, apply_line_inventory


def _mark_sold(sold: list[tuple[SalesOrderLine, Decimal]], invoice_number: str) -> None:
    """The delivered (deducted) movements of each line's invoiced quantity become sold, with the
    invoice number; a movement larger than what is left is split. One read; one write for the
    movements sold whole, one for what the split ones keep, one for the parts split off."""
    movements: dict[int, list[InventoryTransaction]] = {}
    for movement in (
        InventoryTransaction.objects.select_for_update()
        .filter(
            source=SOURCE,
            source_id__in=[line.pk for line, _q in sold],
            status=InventoryTransaction.Status.DEDUCTED,
        )
        .order_by("pk")
    ):
        movements.setdefault(movement.source_id, []).append(movement)
    sold_whole: list[int] = []
    kept: dict[int, Decimal] = {}  # what split movements keep deducted
    split_off: list[InventoryTransaction] = []
    for line, quantity in sold:
        left = quantity
        for movement in movements.get(line.pk, []):
            if left <= 0:
                break
            if movement.status != InventoryTransaction.Status.DEDUCTED:
                continue  # sold to an earlier row of the same line (one invoice, two slips)
            size = -movement.quantity
            if size <= left:
                movement.status = InventoryTransaction.Status.SOLD
                sold_whole.append(movement.pk)
                left -= size
            else:  # split: the invoiced part is sold, the rest stays deducted
                movement.quantity = -(size - left)
                kept[movement.pk] = movement.quantity
                split_off.append(
                    InventoryTransaction(
                        item_id=movement.item_id,
                        warehouse_id=movement.warehouse_id,
                        quantity=-left,
                        status=InventoryTransaction.Status.SOLD,
                        source=SOURCE,
                        source_id=line.pk,
                        reference=movement.reference,
                        invoice_number=invoice_number,
                        date=movement.date,
                    )
                )
                left = Decimal(0)
    update_from_values(InventoryTransaction, fields=["quantity"], rows=kept.items())
    InventoryTransaction.objects.filter(pk__in=sold_whole).update(
        status=InventoryTransaction.Status.SOLD, invoice_number=invoice_number
    )
    InventoryTransaction.objects.bulk_create(split_off)


def _ahead(invoiced: Decimal, delivered: Decimal) -> Decimal:
    """What of a line is invoiced and not delivered yet."""
    return max(Decimal(0), invoiced - delivered)


def _record_invoiced_ahead(
    lines: list[SalesOrderLine], invoiced_before: dict[int, Decimal], invoice_number: str
) -> None:
    """Remember what this invoice invoiced beyond the lines' deliveries: the deliveries that
    follow are sold on it (`invoiced_ahead_deliver`)."""
    rows = []
    for line in lines:
        quantity = _ahead(line.invoiced_quantity, line.delivered_quantity) - _ahead(
            invoiced_before[line.pk], line.delivered_quantity
        )
        if quantity > 0:
            rows.append(
                InvoicedAhead(
                    order_line=line,
                    invoice_number=invoice_number,
                    quantity=quantity,
                    open_quantity=quantity,
                )
            )
    InvoicedAhead.objects.bulk_create(rows)


def _draw_down(rows: list[InvoicedAhead], quantity: Decimal) -> list[tuple[str, Decimal]]:
    """Take `quantity` off the open quantities of `rows` in their order, in memory (the caller
    writes them with `_write_open_quantities`): (invoice number, taken)."""
    taken = []
    for row in rows:
        if quantity <= 0:
            break
        part = min(row.open_quantity, quantity)
        if not part:
            continue  # drawn down to nothing by an earlier row of the same line
        row.open_quantity -= part
        taken.append((row.invoice_number, part))
        quantity -= part
    return taken


def _open_invoiced_ahead(
    line_ids: Iterable[int], *, newest_first: bool = False
) -> dict[int, list[InvoicedAhead]]:
    """The lines' quantities invoiced ahead and not delivered yet, locked, by line: oldest
    invoice first (deliveries), or newest first (credit notes). One query."""
    rows: dict[int, list[InvoicedAhead]] = defaultdict(list)
    for row in (
        InvoicedAhead.objects.select_for_update()
        .filter(order_line__in=set(line_ids), open_quantity__gt=0)
        .order_by("-pk" if newest_first else "pk")
    ):
        rows[row.order_line_id].append(row)
    return rows


def _write_open_quantities(rows: dict[int, list[InvoicedAhead]]) -> None:
    """Write the open quantities of the rows `_open_invoiced_ahead` read, as drawn down since
    (most of them are: they are read for the lines that draw on them): one UPDATE."""
    update_from_values(
        InvoicedAhead,
        fields=["open_quantity"],
        rows=sorted(
            (row.pk, row.open_quantity) for line_rows in rows.values() for row in line_rows
        ),
    )


def invoiced_ahead_deliver(
    *, deliveries: list[tuple[SalesOrderLine, Decimal]]
) -> list[list[tuple[str, Decimal]]]:
    """Deliveries of quantities of locked lines (a line any number of times): for each, the part
    of it invoiced ahead, by invoice (oldest invoice first), now delivered. One locked read of
    the lines' open quantities invoiced ahead and one write of those drawn down, whatever the
    number of lines. The caller sells the deliveries' inventory transactions (`sell_delivery`)."""
    open_rows = _open_invoiced_ahead(line.pk for line, _q in deliveries)
    taken = [_draw_down(open_rows.get(line.pk, []), quantity) for line, quantity in deliveries]
    _write_open_quantities(open_rows)
    return taken


def sell_delivery(movement: Movement | None, sold: list[tuple[str, Decimal]]) -> list[Movement]:
    """Sell a delivery's (deducted, not yet written) movement on the invoices that invoiced it
    ahead: each invoice's part is sold with its number; a part smaller than the movement is split
    off, the rest stays deducted. Changes `movement`; the parts split off, for the caller to
    write after it."""
    split_off: list[Movement] = []
    if movement is None:  # not stocked (a service) or nothing moved: nothing to sell
        return split_off
    for invoice_number, quantity in sold:
        size = -movement.quantity
        if quantity >= size:
            movement.status = InventoryTransaction.Status.SOLD
            movement.invoice_number = invoice_number
            return split_off
        movement.quantity = -(size - quantity)
        split_off.append(
            replace(
                movement,
                quantity=-quantity,
                status=InventoryTransaction.Status.SOLD,
                invoice_number=invoice_number,
            )
        )
    return split_off


def _write_invoiced(lines: Iterable[SalesOrderLine]) -> None:
    """Write the invoiced lines' new remainders, quantities and statuses, as the locked lines
    now hold them, in one UPDATE."""
    update_from_values(
        SalesOrderLine,
        fields=["invoice_remainder", "invoiced_quantity", "status"],
        rows=[
            (line.pk, line.invoice_remainder, line.invoiced_quantity, line.status) for line in lines
        ],
    )


def sales_order_lines_invoiced(
    *,
    order: SalesOrder,
    lines: list[dict[str, Any]],
    invoice_number: str,
    actor,
    locked: bool = False,
) -> SalesOrder:
    """Lower the invoice remainders of `lines` ({order_line, quantity}). The order is invoiced
    when no line has an invoice or deliver remainder; a subscription then renews: it returns to
    open and the next period's deliveries become due. `locked`: the caller locked `order` in
    this transaction already (posting locks its orders first)."""
    with transaction.atomic():
        if not locked:
            order = lock(order)
        if order.is_journal or order.status == SalesOrder.Status.CANCELED:
            raise ConflictError(
                _("A journal or canceled order cannot be invoiced."), code="order_not_invoiceable"
            )
        order_lines = {
            line.pk: line
            for line in SalesOrderLine.objects.select_for_update(of=("self",))
            .filter(order=order)
            .order_by("pk")
        }
        amount = Decimal(0)
        invoiced: list[tuple[SalesOrderLine, Decimal]] = []
        agreement_invoiced: list[tuple[int, Decimal, Decimal]] = []
        invoiced_before = {pk: line.invoiced_quantity for pk, line in order_lines.items()}
        agreement_lines_lock(
            order_lines[pk].agreement_line_id
            for row in lines
            if (pk := getattr(row["order_line"], "pk", row["order_line"])) in order_lines
        )
        for row in lines:
            line = order_lines.get(getattr(row["order_line"], "pk", row["order_line"]))
            if line is None:
                raise DomainError(
                    _("A line of another order was given."), code="line_not_on_order", field="lines"
                )
            quantity = to_decimal(row["quantity"])
            if quantity <= 0 or quantity > line.invoice_remainder:
                raise ConflictError(
                    _("Line %(line)d: %(quantity)s is more than the %(remainder)s left to invoice.")
                    % {
                        "line": line.line_number,
                        "quantity": quantity,
                        "remainder": line.invoice_remainder,
                    },
                    code="over_invoicing",
                )
            line.invoice_remainder -= quantity
            line.invoiced_quantity += quantity
            if not line.invoice_remainder and not line.deliver_remainder:
                line.status = SalesOrderLine.Status.INVOICED
            invoiced.append((line, quantity))
            line_amount = line.net_amount_of(quantity)
            amount += line_amount
            if line.agreement_line_id:
                agreement_invoiced.append((line.agreement_line_id, quantity, line_amount))
        agreement_record_invoices(invoiced=agreement_invoiced)
        _write_invoiced({line.pk: line for line, _q in invoiced}.values())
        if not order.is_return:
            _mark_sold(invoiced, invoice_number)
            _record_invoiced_ahead(
                list({line.pk: line for line, _q in invoiced}.values()),
                invoiced_before,
                invoice_number,
            )
        order.document_status = SalesOrder.DocumentStatus.INVOICE
        order.save(update_fields=["document_status"])
        event = {"invoice": invoice_number, "amount": amount}
        if not all(
            not line.invoice_remainder and not line.deliver_remainder
            for line in order_lines.values()
        ):
            record_event(actor=actor, obj=order, action="invoiced", data=event)
        else:  # one event: the order became invoiced, by this invoice
            order = run_transition(
                instance=order, transition="invoice", actor=actor, event_data=event, locked=True
            )
            if order.order_type == SalesOrder.OrderType.SUBSCRIPTION:
                order = _renew(order, order_lines.values(), invoice_number, amount, actor)
        return order


def _renew(order: SalesOrder, lines, invoice_number: str, amount: Decimal, actor) -> SalesOrder:
    SubscriptionPeriod.objects.create(
        order=order, period=order.period, invoice_number=invoice_number, invoiced_amount=amount
    )
    order = run_transition(
        instance=order, transition="renew", actor=actor, event_data={"period": order.period + 1}
    )
    order.period += 1
    order.save(update_fields=["period"])
    for line in lines:
        line.delivered_quantity = Decimal(0)
        line.invoiced_quantity = Decimal(0)
        line.deliver_remainder = line.quantity
        line.invoice_remainder = line.quantity
        line.status = SalesOrderLine.Status.OPEN
        line.save(
            update_fields=[
                "delivered_quantity",
                "invoiced_quantity",
                "deliver_remainder",
                "invoice_remainder",
                "status",
            ]
        )
        apply_line_inventory(order, line)
    return order


def sales_order_lines_credited(
    *, order: SalesOrder, lines: list[dict[str, Any]], credit_note_number: str, actor
) -> SalesOrder:
    """A credit note takes invoiced quantities back: they are to be invoiced again (or stay
    credited when the order line is canceled). An invoiced order waits for invoicing again."""
    with transaction.atomic():
        order = lock(order)
        order_lines = {
            line.pk: line
            for line in SalesOrderLine.objects.select_for_update(of=("self",))
            .filter(order=order)
            .order_by("pk")
        }
        credited: list[tuple[SalesOrderLine, Decimal]] = [
            (
                order_lines[getattr(row["order_line"], "pk", row["order_line"])],
                to_decimal(row["quantity"]),
            )
            for row in lines
        ]
        returned = returned_quantities({line.pk for line, _q in credited})
        no_longer_ahead: list[tuple[SalesOrderLine, Decimal]] = []
        for line, quantity in credited:
            if quantity > line.invoiced_quantity:
                raise ConflictError(
                    _("Line %(line)d: %(quantity)s is more than was invoiced.")
                    % {"line": line.line_number, "quantity": quantity},
                    code="over_crediting",
                )
            taken_back = returned.get(line.pk, Decimal(0))
            if line.invoiced_quantity - quantity < taken_back:
                # What returns take back is credited by the returns' own credit notes.
                raise ConflictError(
                    _(
                        "Line %(line)d: %(returned)s of it are returned; credit at most "
                        "%(most)s of it here."
                    )
                    % {
                        "line": line.line_number,
                        "returned": format(taken_back.normalize(), "f"),
                        "most": format((line.invoiced_quantity - taken_back).normalize(), "f"),
                    },
                    code="over_crediting",
                )
            ahead_before = _ahead(line.invoiced_quantity, line.delivered_quantity)
            line.invoiced_quantity -= quantity
            line.invoice_remainder += quantity
            if line.status == SalesOrderLine.Status.INVOICED:
                line.status = SalesOrderLine.Status.DELIVERED
            ahead = ahead_before - _ahead(line.invoiced_quantity, line.delivered_quantity)
            if ahead > 0:  # credited before delivery
                no_longer_ahead.append((line, ahead))
        _write_invoiced({line.pk: line for line, _q in credited}.values())
        if no_longer_ahead:  # the newest invoice's quantities go first
            open_rows = _open_invoiced_ahead(
                (line.pk for line, _q in no_longer_ahead), newest_first=True
            )
            for line, quantity in no_longer_ahead:
                _draw_down(open_rows.get(line.pk, []), quantity)
            _write_open_quantities(open_rows)
        record_event(
            actor=actor, obj=order, action="credited", data={"credit_note": credit_note_number}
        )
        if order.status == SalesOrder.Status.INVOICED:
            order = run_transition(instance=order, transition="reopen_invoicing", actor=actor)
        return order
