"""What invoicing tells the order: quantities invoiced. The invoicing area calls this service
when it posts an invoice; the order's remainders, status and inventory follow here."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from agreements.services.sales_agreements import agreement_lines_lock, agreement_record_invoice
from inventory.models import InventoryTransaction
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.transitions import lock, run_transition

from ..models import InvoicedAhead, SalesOrder, SalesOrderLine, SubscriptionPeriod
from ..selectors.returns import returned_quantities
from .orders import SOURCE, apply_line_inventory


def _mark_sold(sold: list[tuple[SalesOrderLine, Decimal]], invoice_number: str) -> None:
    """The delivered (deducted) movements of each line's invoiced quantity become sold, with the
    invoice number; a movement larger than what is left is split. One read; one write for the
    movements sold whole, one per split."""
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
                movement.save(update_fields=["quantity"])
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
    """Take `quantity` off the open quantities of `rows` in their order: (invoice number, taken)."""
    taken = []
    for row in rows:
        if quantity <= 0:
            break
        part = min(row.open_quantity, quantity)
        row.open_quantity -= part
        row.save(update_fields=["open_quantity"])
        taken.append((row.invoice_number, part))
        quantity -= part
    return taken


def invoiced_ahead_deliver(*, line: SalesOrderLine, quantity: Decimal) -> list[tuple[str, Decimal]]:
    """A delivery of `quantity` of a locked line: the part of it invoiced ahead, by invoice
    (oldest invoice first), now delivered. The caller sells its inventory transactions."""
    rows = list(
        InvoicedAhead.objects.select_for_update()
        .filter(order_line=line, open_quantity__gt=0)
        .order_by("pk")
    )
    return _draw_down(rows, quantity)


def sell_delivery(movement: InventoryTransaction | None, sold: list[tuple[str, Decimal]]) -> None:
    """Sell a delivery's (deducted) movement on the invoices that invoiced it ahead: each
    invoice's part is sold with its number; a part smaller than the movement is split off, the
    rest stays deducted."""
    if movement is None:  # not stocked (a service) or nothing moved: nothing to sell
        return
    for invoice_number, quantity in sold:
        size = -movement.quantity
        if quantity >= size:
            movement.status = InventoryTransaction.Status.SOLD
            movement.invoice_number = invoice_number
            movement.save(update_fields=["status", "invoice_number"])
            return
        movement.quantity = -(size - quantity)
        movement.save(update_fields=["quantity"])
        InventoryTransaction.objects.create(
            item_id=movement.item_id,
            warehouse_id=movement.warehouse_id,
            quantity=-quantity,
            status=InventoryTransaction.Status.SOLD,
            source=movement.source,
            source_id=movement.source_id,
            reference=movement.reference,
            invoice_number=invoice_number,
            date=movement.date,
        )


def _write_invoiced(invoiced: list[tuple[SalesOrderLine, Decimal]]) -> None:
    """Write the lines' new remainders: one UPDATE per distinct quantity (orders repeat their
    quantities, so a 1,000-line invoice takes a handful), then one for the lines now invoiced.
    The lines are locked, so the database arithmetic gives what the objects hold."""
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    for line, quantity in invoiced:  # a line may come twice (one invoice of two of its slips)
        per_line[line.pk] += quantity
    by_quantity: dict[Decimal, list[int]] = defaultdict(list)
    for pk, quantity in per_line.items():
        by_quantity[quantity].append(pk)
    for quantity, pks in by_quantity.items():
        SalesOrderLine.objects.filter(pk__in=pks).update(
            invoice_remainder=F("invoice_remainder") - quantity,
            invoiced_quantity=F("invoiced_quantity") + quantity,
        )
    done = [line.pk for line, _q in invoiced if line.status == SalesOrderLine.Status.INVOICED]
    SalesOrderLine.objects.filter(pk__in=done).update(status=SalesOrderLine.Status.INVOICED)


def sales_order_lines_invoiced(
    *, order: SalesOrder, lines: list[dict[str, Any]], invoice_number: str, actor
) -> SalesOrder:
    """Lower the invoice remainders of `lines` ({order_line, quantity}). The order is invoiced
    when no line has an invoice or deliver remainder; a subscription then renews: it returns to
    open and the next period's deliveries become due."""
    with transaction.atomic():
        order = lock(order)
        if order.is_journal or order.status == SalesOrder.Status.CANCELED:
            raise ConflictError(
                _("A journal or canceled order cannot be invoiced."), code="order_not_invoiceable"
            )
        order_lines = {
            line.pk: line
            for line in SalesOrderLine.objects.select_for_update(of=("self",))
            .filter(order=order)
            .select_related("agreement_line")
            .order_by("pk")
        }
        amount = Decimal(0)
        invoiced: list[tuple[SalesOrderLine, Decimal]] = []
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
                agreement_record_invoice(
                    line=line.agreement_line, quantity=quantity, amount=line_amount
                )
        _write_invoiced(invoiced)
        if not order.is_return:
            _mark_sold(invoiced, invoice_number)
            _record_invoiced_ahead(
                list({line.pk: line for line, _q in invoiced}.values()),
                invoiced_before,
                invoice_number,
            )
        order.document_status = SalesOrder.DocumentStatus.INVOICE
        order.save(update_fields=["document_status"])
        record_event(
            actor=actor,
            obj=order,
            action="invoiced",
            data={"invoice": invoice_number, "amount": amount},
        )
        if all(
            not line.invoice_remainder and not line.deliver_remainder
            for line in order_lines.values()
        ):
            order = run_transition(
                instance=order,
                transition="invoice",
                actor=actor,
                event_data={"invoice": invoice_number},
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
        for row in lines:
            line = order_lines[getattr(row["order_line"], "pk", row["order_line"])]
            quantity = to_decimal(row["quantity"])
            if quantity > line.invoiced_quantity:
                raise ConflictError(
                    _("Line %(line)d: %(quantity)s is more than was invoiced.")
                    % {"line": line.line_number, "quantity": quantity},
                    code="over_crediting",
                )
            returned = returned_quantities([line.pk]).get(line.pk, Decimal(0))
            if line.invoiced_quantity - quantity < returned:
                # What returns take back is credited by the returns' own credit notes.
                raise ConflictError(
                    _(
                        "Line %(line)d: %(returned)s of it are returned; credit at most "
                        "%(most)s of it here."
                    )
                    % {
                        "line": line.line_number,
                        "returned": format(returned.normalize(), "f"),
                        "most": format((line.invoiced_quantity - returned).normalize(), "f"),
                    },
                    code="over_crediting",
                )
            ahead_before = _ahead(line.invoiced_quantity, line.delivered_quantity)
            line.invoiced_quantity -= quantity
            line.invoice_remainder += quantity
            if line.status == SalesOrderLine.Status.INVOICED:
                line.status = SalesOrderLine.Status.DELIVERED
            line.save(update_fields=["invoiced_quantity", "invoice_remainder", "status"])
            no_longer_ahead = ahead_before - _ahead(line.invoiced_quantity, line.delivered_quantity)
            if no_longer_ahead > 0:  # credited before delivery: the newest invoice's go first
                _draw_down(
                    list(
                        InvoicedAhead.objects.select_for_update()
                        .filter(order_line=line, open_quantity__gt=0)
                        .order_by("-pk")
                    ),
                    no_longer_ahead,
                )
        record_event(
            actor=actor, obj=order, action="credited", data={"credit_note": credit_note_number}
        )
        if order.status == SalesOrder.Status.INVOICED:
            order = run_transition(instance=order, transition="reopen_invoicing", actor=actor)
        return order
