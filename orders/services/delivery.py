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

from ..models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from . import approval
from .orders import SOURCE, apply_line_inventory


def settle_order_status(order: SalesOrder, actor) -> SalesOrder:
    """An open order is delivered once no line has anything left to deliver."""
    if (
        order.status == SalesOrder.Status.OPEN
        and not order.lines.filter(deliver_remainder__gt=0).exists()
    ):
        return run_transition(instance=order, transition="deliver", actor=actor)
    return order


@retry_on_conflict
def packing_slip_post(
    *,
    order: SalesOrder,
    lines: list[dict[str, Any]],
    actor,
    delivery_date: date | None = None,
    vendor_shipment: bool = False,
) -> PackingSlip:
    """Post a delivery of `lines` ({order_line, quantity}). Refused, with nothing written, for a
    journal, an order that is not open or not approved (`approval.refuse_unless_approved`, for a
    return's arrival and a vendor's drop shipment too), a quantity of zero or less, or more than
    the deliver remainder (over-delivery). A drop-shipment line is delivered only by its vendor's
    shipment (`vendor_shipment`), and moves nothing in our warehouses."""
    with transaction.atomic():
        order = lock(order)
        if order.is_journal:
            raise ConflictError(
                _("A journal is a draft: change its type before delivering it."),
                code="journal_order",
            )
        if order.status != SalesOrder.Status.OPEN:
            raise ConflictError(
                _("The order is %(status)s: nothing can be delivered.")
                % {"status": order.get_status_display()},
                code="order_not_open",
            )
        approval.refuse_unless_approved(order)
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
        settle_order_status(order, actor)
        return slip
