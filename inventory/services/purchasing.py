"""Purchase supply: purchase orders to vendors, their expected receipts (ordered movements dated
the expected receipt date), receipts into our warehouses (partial allowed, over-receipt refused)
and, for drop shipments, the vendor's shipment straight to the customer.

What a receipt or a shipment means to a sales order line linked to the purchase line (a special
order is reserved, a drop shipment is delivered) is told to the handlers in `RECEIPT_HANDLERS`
and `SHIPMENT_HANDLERS`, which the orders area registers: inventory does not know sales orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition

from ..actions import PURCHASE_ORDER
from ..models import InventoryTransaction, PurchaseOrder, PurchaseOrderLine
from . import stock

SOURCE = "purchase_order_line"
Status = InventoryTransaction.Status

# handler(purchase_line, quantity, on, actor): called in the receipt's (shipment's) transaction
RECEIPT_HANDLERS: list[Callable[..., None]] = []
SHIPMENT_HANDLERS: list[Callable[..., None]] = []

LINE_FIELDS = ("item", "warehouse", "quantity", "unit_cost", "expected_receipt_date")


def apply_purchase_line_inventory(order: PurchaseOrder, line: PurchaseOrderLine) -> None:
    """The expected receipt of a line: what is left to receive, ordered, dated its expected
    receipt date. A drop shipment never enters our warehouses and has none."""
    if (
        order.drop_shipment
        or order.status != PurchaseOrder.Status.OPEN
        or not line.receive_remainder
    ):
        stock.remove_source(SOURCE, line.pk)
        return
    stock.set_expected(
        item=line.item,
        warehouse=line.warehouse,
        quantity=line.receive_remainder,
        status=Status.ORDERED,
        source=SOURCE,
        source_id=line.pk,
        reference=order.number,
        on=line.expected_receipt_date,
    )


def _write_lines(order: PurchaseOrder, rows: list[dict[str, Any]]) -> list[PurchaseOrderLine]:
    if not rows:
        raise ValidationError({"lines": _("A purchase order needs lines.")})
    existing = {line.pk: line for line in order.lines.all()}
    kept: set[int] = set()
    number = max((line.line_number for line in existing.values()), default=0)
    written = []
    for index, row in enumerate(rows):
        line = existing.get(row.get("id")) if row.get("id") else None
        if row.get("id") and line is None:
            raise DomainError(
                _("Line %(id)s is not on this purchase order.") % {"id": row["id"]},
                code="line_not_on_order",
                field=f"lines[{index}].id",
            )
        if line is None:
            number += 1
            line = PurchaseOrderLine(order=order, line_number=number)
        elif line.received_quantity and (
            row.get("item", line.item) != line.item
            or row.get("warehouse", line.warehouse) != line.warehouse
        ):
            raise ConflictError(
                _("Line %(line)d has receipts: its item and warehouse stay.")
                % {"line": line.line_number},
                code="line_received",
            )
        for field in LINE_FIELDS:
            if field in row and row[field] is not None:
                setattr(line, field, row[field])
        if line.expected_receipt_date is None:
            line.expected_receipt_date = order.expected_receipt_date
        if line.unit_cost is None or (line.pk is None and "unit_cost" not in row):
            line.unit_cost = line.item.cost_price if line.item_id else Decimal(0)
        line.quantity = to_decimal(line.quantity)
        if line.quantity < line.received_quantity:
            raise ConflictError(
                _("Line %(line)d: %(received)s are received already; order at least that.")
                % {"line": line.line_number, "received": line.received_quantity},
                code="below_received",
            )
        line.receive_remainder = line.quantity - line.received_quantity
        try:
            line.full_clean(exclude=["order"])
        except ValidationError as exc:
            raise ValidationError(
                {f"lines[{index}].{field}": errors for field, errors in exc.message_dict.items()}
            ) from exc
        line.save()
        apply_purchase_line_inventory(order, line)
        kept.add(line.pk)
        written.append(line)
    for pk, line in existing.items():
        if pk not in kept:
            if line.received_quantity or line.sales_lines.exists():
                raise ConflictError(
                    _("Line %(line)d has receipts or serves a sales order: it stays.")
                    % {"line": line.line_number},
                    code="line_in_use",
                )
            stock.remove_source(SOURCE, pk)
            line.delete()
    return written


def purchase_order_create(*, data: dict[str, Any], actor) -> PurchaseOrder:
    """Order from a vendor: the lines' expected receipts count as supply from now on."""
    data = dict(data)
    rows = data.pop("lines", [])
    with transaction.atomic():
        order = PurchaseOrder(**data)
        order.number = next_number("purchase-order")
        if getattr(actor, "is_authenticated", False):
            order.created_by = actor
        order = record_save(instance=order, actor=actor)
        _write_lines(order, rows)
        return order


def purchase_order_update(*, instance: PurchaseOrder, data: dict[str, Any], actor) -> PurchaseOrder:
    data = dict(data)
    rows = data.pop("lines", None)
    with transaction.atomic():
        order = lock(instance)
        PURCHASE_ORDER.refuse(order, "update")
        fixed = [
            f for f in ("vendor", "drop_shipment") if f in data and data[f] != getattr(order, f)
        ]
        if fixed and order.has_receipts():
            raise ConflictError(
                _("The purchase order has receipts: its %(field)s stays.")
                % {"field": PurchaseOrder._meta.get_field(fixed[0]).verbose_name},
                code="purchase_order_received",
            )
        for field, value in data.items():
            setattr(order, field, value)
        order = record_save(instance=order, actor=actor)
        if rows is not None:
            _write_lines(order, rows)
        else:
            for line in order.lines.all():
                apply_purchase_line_inventory(order, line)
        return order


def purchase_order_delete(*, instance: PurchaseOrder, actor) -> None:
    """Delete a purchase order nothing was received on (open or canceled); one with receipts
    stays, its rest is canceled instead (PURCHASE_ORDER's delete)."""
    with transaction.atomic():
        order = lock(instance)
        PURCHASE_ORDER.refuse(order, "delete")
        for line in order.lines.all():
            stock.remove_source(SOURCE, line.pk)
        record_delete(instance=order, actor=actor)


def _locked_lines(order: PurchaseOrder) -> dict[int, PurchaseOrderLine]:
    return {
        line.pk: line
        for line in PurchaseOrderLine.objects.select_for_update(of=("self",))
        .filter(order=order)
        .select_related("item", "warehouse")
        .order_by("pk")
    }


def _take(
    order: PurchaseOrder, lines: list[dict[str, Any]], *, shipment: bool
) -> list[tuple[PurchaseOrderLine, Decimal]]:
    """Check and apply the quantities arriving (or shipped) on the locked lines."""
    # refused when closed, for the other kind of order, or with nothing left to receive
    PURCHASE_ORDER.refuse(order, "register_shipment" if shipment else "receive")
    locked = _locked_lines(order)
    if not lines:  # everything still open
        lines = [
            {"line": line, "quantity": line.receive_remainder}
            for line in locked.values()
            if line.receive_remainder > 0
        ]
    taken = []
    for index, row in enumerate(lines):
        line = locked.get(getattr(row["line"], "pk", row["line"]))
        if line is None:
            raise DomainError(
                _("A line of another purchase order was given."),
                code="line_not_on_order",
                field=f"lines[{index}].line",
            )
        quantity = to_decimal(row["quantity"])
        if quantity <= 0:
            raise DomainError(
                _("Receive a positive quantity."),
                code="invalid_quantity",
                field=f"lines[{index}].quantity",
            )
        if quantity > line.receive_remainder:
            raise ConflictError(
                _("Line %(line)d: %(quantity)s is more than the %(remainder)s still expected.")
                % {
                    "line": line.line_number,
                    "quantity": quantity,
                    "remainder": line.receive_remainder,
                },
                code="over_receipt",
                params={"line": line.pk, "remainder": str(line.receive_remainder)},
            )
        line.receive_remainder -= quantity
        line.received_quantity += quantity
        if not line.receive_remainder:
            line.status = PurchaseOrderLine.Status.RECEIVED
        taken.append((line, quantity))
    if not taken:
        raise ConflictError(_("Nothing is left to receive."), code="nothing_to_receive")
    return taken


def _close_if_done(order: PurchaseOrder, actor) -> PurchaseOrder:
    if not order.lines.filter(receive_remainder__gt=0).exists():
        order = run_transition(instance=order, transition="receive", actor=actor)
    return order


def _arrive(
    *,
    order: PurchaseOrder,
    lines: list[dict[str, Any]] | None,
    actor,
    on: date | None,
    shipment: bool,
) -> PurchaseOrder:
    """Receive `lines` into our warehouses or (`shipment`) register the vendor's shipment of a
    drop shipment, which moves nothing in our warehouses; the handlers do what it means to the
    sales order lines the purchase lines serve."""
    on = on or timezone.localdate()
    handlers = SHIPMENT_HANDLERS if shipment else RECEIPT_HANDLERS
    with transaction.atomic():
        order = lock(order)
        taken = _take(order, lines or [], shipment=shipment)
        for line, quantity in taken:
            line.save(update_fields=["receive_remainder", "received_quantity", "status"])
            if not shipment:
                stock.record_transaction(
                    item=line.item,
                    warehouse=line.warehouse,
                    quantity=quantity,
                    status=Status.RECEIVED,
                    source=SOURCE,
                    source_id=line.pk,
                    reference=order.number,
                    on=on,
                )
                apply_purchase_line_inventory(order, line)
            for handler in handlers:
                handler(line, quantity, on, actor)
        record_event(
            actor=actor,
            obj=order,
            action="shipment_registered" if shipment else "received",
            data={"lines": {line.line_number: str(q) for line, q in taken}, "on": on},
        )
        return _close_if_done(order, actor)


@retry_on_conflict
def purchase_order_receive(
    *,
    order: PurchaseOrder,
    lines: list[dict[str, Any]] | None = None,
    actor,
    on: date | None = None,
) -> PurchaseOrder:
    """Post a receipt of `lines` ({line, quantity}; none: everything still expected) into the
    lines' warehouses: on-hand rises, the expected receipt falls. Over-receipt is refused and
    changes nothing. Special orders linked to a line are reserved by the receipt handlers."""
    return _arrive(order=order, lines=lines, actor=actor, on=on, shipment=False)


@retry_on_conflict
def purchase_order_register_shipment(
    *,
    order: PurchaseOrder,
    lines: list[dict[str, Any]] | None = None,
    actor,
    on: date | None = None,
) -> PurchaseOrder:
    """The vendor shipped (part of) a drop shipment to the customer: the purchase lines count as
    received, nothing moves in our warehouses, and the shipment handlers deliver the linked
    sales order lines (their packing slips lock sales orders and agreement lines, hence the
    retry on a deadlock, like any delivery)."""
    return _arrive(order=order, lines=lines, actor=actor, on=on, shipment=True)


def purchase_order_cancel(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    """Nothing more is expected from the vendor: what was not received is no longer supply."""
    with transaction.atomic():
        order = run_transition(instance=order, transition="cancel", actor=actor)
        for line in order.lines.filter(receive_remainder__gt=0):
            line.status = PurchaseOrderLine.Status.CANCELED
            line.save(update_fields=["status"])
            stock.remove_source(SOURCE, line.pk)
        return order
