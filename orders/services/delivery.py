"""Packing slips: post a full or partial delivery (for a return: its arrival). Never more than
ordered, also when two clerks post at the same moment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.services.sales_agreements import agreement_lines_lock, agreement_record_deliveries
from inventory.models import InventoryTransaction, Warehouse
from inventory.services import stock
from salesmkt.core.audit import record_event
from salesmkt.core.bulk import insert_rows, update_from_values
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.transitions import retry_on_conflict, run_transition

from ..actions import SALES_ORDER
from ..models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from .invoicing import invoiced_ahead_deliver, sell_delivery
from .orders import SOURCE


def _any_line_with(order: SalesOrder, lines: list[SalesOrderLine] | None, field: str) -> bool:
    """Whether a line of the order has more than zero of `field`: seen in `lines` when the
    caller holds them all, else asked of the database."""
    if lines is None:
        return order.lines.filter(**{f"{field}__gt": 0}).exists()
    return any(getattr(line, field) > 0 for line in lines)


def settle_order_status(
    order: SalesOrder,
    actor,
    *,
    event_data: dict[str, Any] | None = None,
    lines: Iterable[SalesOrderLine] | None = None,
) -> SalesOrder:
    """An open order is delivered once no line has anything left to deliver. One invoiced
    before it was delivered (an invoice of ordered quantities, e.g. for prepayment) with nothing
    left to invoice is then invoiced too: no invoice will come to move it on. A subscription
    stays delivered: its renewal needs the period's invoice (`sales_order_lines_invoiced`).
    `lines`: all the order's lines, as the caller holds them locked and written."""
    lines = None if lines is None else list(lines)
    if order.status != SalesOrder.Status.OPEN or _any_line_with(order, lines, "deliver_remainder"):
        return order
    order = run_transition(instance=order, transition="deliver", actor=actor)
    if (
        order.order_type != SalesOrder.OrderType.SUBSCRIPTION
        and _any_line_with(order, lines, "invoiced_quantity")
        and not _any_line_with(order, lines, "invoice_remainder")
    ):
        order = run_transition(
            instance=order, transition="invoice", actor=actor, event_data=event_data
        )
    return order


def _sell_invoiced_ahead(
    planned: list[tuple[SalesOrderLine, Decimal]], movements: list[stock.Movement | None]
) -> tuple[list[str], list[stock.Movement]]:
    """What of the slip was invoiced ahead is sold on those invoices (oldest first): the
    movements it issues (one per planned delivery, None where nothing moves; not written yet)
    become sold, with the invoice's number. The invoice numbers, in order, and the sold parts
    split off the movements, to be written after them."""
    numbers: list[str] = []
    split_off: list[stock.Movement] = []
    for movement, sold in zip(movements, invoiced_ahead_deliver(deliveries=planned), strict=True):
        split_off += sell_delivery(movement, sold)
        numbers += [number for number, _q in sold if number not in numbers]
    return numbers, split_off


def _remaining_expected(
    order: SalesOrder, delivered: dict[int, tuple[SalesOrderLine, Decimal]]
) -> None:
    """After the delivery, the expected movement of each delivered line is what is left to
    deliver, drawn from its reservation first: the rows `apply_line_inventory(order, line,
    reserved=reserved before - delivered)` writes, for all the lines in one read of their
    reservations, one delete and one insert."""
    reserved = stock.reserved_quantities(SOURCE, delivered)
    stock.remove_sources(SOURCE, delivered)
    sign, status = (
        (Decimal(1), InventoryTransaction.Status.ORDERED)
        if order.is_return
        else (Decimal(-1), InventoryTransaction.Status.ON_ORDER)
    )
    expected: list[stock.Movement] = []
    for pk, (line, quantity) in delivered.items():
        if (
            not line.deliver_remainder
            or line.supply_type == SalesOrderLine.SupplyType.DROP_SHIPMENT
        ):
            continue  # nothing is expected of it any more (a drop shipment: never in our stock)
        expected += stock.expected_movements(
            item=line.item,
            warehouse_id=line.warehouse_id,
            quantity=sign * line.deliver_remainder,
            status=status,
            source=SOURCE,
            source_id=pk,
            reference=order.number,
            reserved=max(Decimal(0), reserved.get(pk, Decimal(0)) - quantity),
            on=order.confirmed_ship_date or order.requested_ship_date,
        )
    stock.record_movements(expected)


def _write_delivered(delivered: dict[int, tuple[SalesOrderLine, Decimal]]) -> None:
    """The delivered lines' new quantities, remainders and statuses, in one UPDATE."""
    update_from_values(
        SalesOrderLine,
        fields=["delivered_quantity", "deliver_remainder", "status"],
        rows=[
            (pk, line.delivered_quantity, line.deliver_remainder, line.status)
            for pk, (line, _q) in delivered.items()
        ],
    )


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
    (`accept_shortfall`, else `stock_shortfall`), or allowed.

    A constant number of queries, whatever the number of lines: each table is read once and
    written with one set-based statement; the slip's number is taken after the work, so that
    its counter stays locked for the shortest time."""
    with transaction.atomic():
        order = (
            SalesOrder.objects.select_for_update(of=("self",))
            .select_related("customer__party")
            .get(pk=order.pk)
        )
        # The lines locked in pk order, and kept for the refusals (which read `order.lines`).
        prefetch_related_objects(
            [order],
            Prefetch(
                "lines",
                queryset=SalesOrderLine.objects.select_for_update(of=("self",))
                .select_related("item")
                .order_by("pk"),
            ),
        )
        order_lines = {line.pk: line for line in order.lines.all()}
        # journal, not open, approval pending or rejected, needed approval but not confirmed
        SALES_ORDER.refuse(order, "deliver")
        if not lines:
            raise DomainError(
                _("Choose the lines and quantities to deliver."),
                code="nothing_to_deliver",
                field="lines",
            )
        planned: list[tuple[SalesOrderLine, Decimal]] = []
        delivered: dict[int, tuple[SalesOrderLine, Decimal]] = {}  # per line, in slip order
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
            line.delivered_quantity += quantity
            if not line.deliver_remainder:
                line.status = SalesOrderLine.Status.DELIVERED
            planned.append((line, quantity))
            before = delivered[line.pk][1] if line.pk in delivered else Decimal(0)
            delivered[line.pk] = (line, before + quantity)
        if not order.is_return and not vendor_shipment:  # stock leaves our warehouses
            warehouses = Warehouse.objects.in_bulk({line.warehouse_id for line, _q in planned})
            stock.refuse_shortfalls(
                ((line.item, warehouses[line.warehouse_id], q) for line, q in planned),
                accept_warnings=accept_shortfall,
            )
        _write_delivered(delivered)
        _remaining_expected(order, delivered)
        agreement_lines = [line.agreement_line_id for line, _q in planned if line.agreement_line_id]
        if agreement_lines:
            agreement_lines_lock(agreement_lines)
            agreement_record_deliveries(
                deliveries=(
                    (line.agreement_line_id, quantity, line.net_amount_of(quantity))
                    for line, quantity in planned
                    if line.agreement_line_id
                )
            )
        # what is issued (received, for a return): nothing when the vendor shipped it
        delivery_date = delivery_date or timezone.localdate()
        sign, status = (
            (Decimal(1), InventoryTransaction.Status.RECEIVED)
            if order.is_return
            else (Decimal(-1), InventoryTransaction.Status.DEDUCTED)
        )
        number = next_number("packing-slip")
        movements = [
            None
            if vendor_shipment or not line.item.is_stocked
            else stock.Movement(
                item=line.item,
                warehouse_id=line.warehouse_id,
                quantity=sign * quantity,
                status=status,
                source=SOURCE,
                source_id=line.pk,
                reference=number,
                date=delivery_date,
            )
            for line, quantity in planned
        ]
        invoices, split_off = [], []
        if not order.is_return:
            invoices, split_off = _sell_invoiced_ahead(planned, movements)
        slip = PackingSlip.objects.create(
            number=number,
            order=order,
            delivery_date=delivery_date,
            posted_by=actor if getattr(actor, "is_authenticated", False) else None,
            # invoiced ahead (ordered quantities): nothing of this slip is left to invoice
            invoiced=not order.is_return
            and all(line.invoiced_quantity >= line.delivered_quantity for line, _q in planned),
        )
        insert_rows(
            PackingSlipLine,
            fields=["packing_slip_id", "order_line_id", "quantity"],
            rows=((slip.pk, line.pk, quantity) for line, quantity in planned),
        )
        stock.record_movements([*filter(None, movements), *split_off])
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
            order,
            actor,
            event_data={"packing_slip": slip.number, "invoices": invoices},
            lines=order_lines.values(),
        )
        return slip
