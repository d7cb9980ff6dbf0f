"""Packing slips: post a full or partial delivery (for a return: its arrival). Never more than
ordered, also when two clerks post at the same moment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.services.sales_agreements import agreement_lines_lock, agreement_record_delivery
from inventory.models import InventoryTransaction
from inventory.services import stock
from salesmkt.core.audit import record_event
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition

from ..actions import SALES_ORDER
from ..models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from .invoicing import invoiced_ahead_deliver, sell_delivery
from .orders import SOURCE, apply_line_inventory


def settle_order_status(
    order: SalesOrder, actor, *, event_data: dict[str, Any] | None = None
) -> SalesOrder:
    """An open order is delivered once no line has anything left to deliver. One invoiced
    before it was delivered (an invoice of ordered quantities, e.g. for prepayment) with nothing
    left to invoice is then invoiced too: no invoice will come to move it on. A subscription
    stays delivered: its renewal needs the period's invoice (`sales_order_lines_invoiced`)."""
    if (
        order.status != SalesOrder.Status.OPEN
        or order.lines.filter(deliver_remainder__gt=0).exists()
    ):
        return order
    order = run_transition(instance=order, transition="deliver", actor=actor)
    if (
        order.order_type != SalesOrder.OrderType.SUBSCRIPTION
        and order.lines.filter(invoiced_quantity__gt=0).exists()
        and not order.lines.filter(invoice_remainder__gt=0).exists()
    ):
        order = run_transition(
            instance=order, transition="invoice", actor=actor, event_data=event_data
        )
    return order


def _sell_invoiced_ahead(
    slip: PackingSlip, planned: list[tuple[SalesOrderLine, Decimal]]
) -> list[str]:
    """What of the slip was invoiced ahead is sold on those invoices (oldest first): the
    movements it issued become sold, with the invoice's number. The invoice numbers, in order."""
    movements: dict[int, list[InventoryTransaction]] = {}
    for movement in (
        InventoryTransaction.objects.select_for_update()
        .filter(
            source=SOURCE,
            source_id__in=[line.pk for line, _q in planned],
            reference=slip.number,
            status=InventoryTransaction.Status.DEDUCTED,
        )
        .order_by("pk")
    ):
        movements.setdefault(movement.source_id, []).append(movement)
    numbers: list[str] = []
    for line, quantity in planned:  # a line given twice in the slip issued two movements
        sold = invoiced_ahead_deliver(line=line, quantity=quantity)
        own = movements.get(line.pk, [])
        sell_delivery(own.pop(0) if own else None, sold)
        numbers += [number for number, _q in sold if number not in numbers]
    return numbers


@retry_on_conflict
def packing_slip_post(
    *,
    order: SalesOrder,
    lines: list[dict[str, Any]],
    actor,
    delivery_date: date | None = None,
    vendor_shipment: bool = False,
    accept_shortfall: bool = False,
) -> PackingSlip:
    """Post a delivery of `lines` ({order_line, quantity}). Refused, with nothing written, for a
    journal, an order that is not open or not approved (`SALES_ORDER` deliver refusals, for a
    return's arrival and a vendor's drop shipment too), a quantity of zero or less, or more than
    the deliver remainder (over-delivery). A drop-shipment line is delivered only by its vendor's
    shipment (`vendor_shipment`), and moves nothing in our warehouses. A delivery that would take
    a stocked item below zero on hand follows the item's (else the warehouse's) negative stock
    policy: refused (`insufficient_stock`), refused unless the clerk accepted the warning
    (`accept_shortfall`, else `stock_shortfall`), or allowed."""
    with transaction.atomic():
        order = lock(order)
        # journal, not open, approval pending or rejected, needed approval but not confirmed
        SALES_ORDER.refuse(order, "deliver")
        if not lines:
            raise DomainError(
                _("Choose the lines and quantities to deliver."),
                code="nothing_to_deliver",
                field="lines",
            )
        order_lines = {
            line.pk: line
            for line in SalesOrderLine.objects.select_for_update(of=("self",))
            .filter(order=order)
            .select_related("item", "warehouse", "agreement_line")
            .order_by("pk")
        }
        planned = []
        for row in lines:
            line_id = getattr(row["order_line"], "pk", row["order_line"])
            line = order_lines.get(line_id)
            if line is None:
                raise DomainError(
                    _("A line of another order was given."), code="line_not_on_order", field="lines"
                )
            quantity = to_decimal(row["quantity"])
            if quantity <= 0:
                raise DomainError(
                    _("Deliver a quantity above zero."), code="invalid_quantity", field="lines"
                )
            drop_shipped = line.supply_type == SalesOrderLine.SupplyType.DROP_SHIPMENT
            if drop_shipped != vendor_shipment:
                raise ConflictError(
                    _(
                        "Line %(line)d is a drop shipment: it is delivered when the vendor's "
                        "shipment is registered on its purchase order."
                    )
                    % {"line": line.line_number}
                    if drop_shipped
                    else _("Line %(line)d is not a drop shipment.") % {"line": line.line_number},
                    code="drop_shipment_line",
                )
            if quantity > line.deliver_remainder:
                raise ConflictError(
                    _(
                        "Line %(line)d (%(item)s): %(quantity)s is more than the %(remainder)s left to deliver."
                    )
                    % {
                        "line": line.line_number,
                        "item": line.item,
                        "quantity": quantity,
                        "remainder": line.deliver_remainder,
                    },
                    code="over_delivery",
                    params={"line": line.pk, "remainder": str(line.deliver_remainder)},
                )
            line.deliver_remainder -= quantity  # also guards a line given twice in one slip
            planned.append((line, quantity))
        if not order.is_return and not vendor_shipment:  # stock leaves our warehouses
            stock.refuse_shortfalls(
                ((line.item, line.warehouse, quantity) for line, quantity in planned),
                accept_warnings=accept_shortfall,
            )
        slip = PackingSlip.objects.create(
            number=next_number("packing-slip"),
            order=order,
            delivery_date=delivery_date or timezone.localdate(),
            posted_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        sign, status = (
            (Decimal(1), InventoryTransaction.Status.RECEIVED)
            if order.is_return
            else (Decimal(-1), InventoryTransaction.Status.DEDUCTED)
        )
        agreement_lines_lock(line.agreement_line_id for line, _q in planned)
        for line, quantity in planned:
            PackingSlipLine.objects.create(packing_slip=slip, order_line=line, quantity=quantity)
            line.delivered_quantity += quantity
            if not line.deliver_remainder:
                line.status = SalesOrderLine.Status.DELIVERED
            line.save(update_fields=["deliver_remainder", "delivered_quantity", "status"])
            if not vendor_shipment:  # the vendor shipped it: nothing leaves our warehouses
                stock.record_transaction(
                    item=line.item,
                    warehouse=line.warehouse,
                    quantity=sign * quantity,
                    status=status,
                    source=SOURCE,
                    source_id=line.pk,
                    reference=slip.number,
                    on=slip.delivery_date,
                )
            apply_line_inventory(  # a delivery draws from the line's reservation first
                order,
                line,
                reserved=max(Decimal(0), stock.reserved_quantity(SOURCE, line.pk) - quantity),
            )
            if line.agreement_line_id:
                agreement_record_delivery(
                    line=line.agreement_line,
                    quantity=quantity,
                    amount=line.net_amount_of(quantity),
                )
        invoices = [] if order.is_return else _sell_invoiced_ahead(slip, planned)
        if not order.is_return and all(
            line.invoiced_quantity >= line.delivered_quantity for line, _q in planned
        ):  # invoiced ahead (ordered quantities): nothing of this slip is left to invoice
            slip.invoiced = True
            slip.save(update_fields=["invoiced"])
        document_request(
            obj=slip,
            kind="packing_slip",
            title=_("Packing slip %(number)s") % {"number": slip.number},
            language=order.customer.party.language,
        )
        order.document_status = SalesOrder.DocumentStatus.PACKING_SLIP
        order.save(update_fields=["document_status"])
        record_event(
            actor=actor,
            obj=order,
            action="packing_slip_posted",
            data={
                "packing_slip": slip.number,
                "lines": {line.line_number: str(q) for line, q in planned},
            },
        )
        settle_order_status(
            order, actor, event_data={"packing_slip": slip.number, "invoices": invoices}
        )
        return slip
