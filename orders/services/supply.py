"""Sales lines supplied by a purchase: drop shipments (the vendor ships to the customer) and
special orders (the purchase arrives in our warehouse, reserved for the line).

A marked line gets a purchase order line of its deliver remainder from the item's primary
vendor (or a vendor given), joining an open purchase order to that vendor of the same kind
(for a drop shipment: to the same delivery address). The purchasing service tells the handlers
registered here when the vendor's shipment is registered (the sales line is delivered, no stock
moves) or the receipt arrives (the sales line's reservation grows).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Vendor
from inventory.models import PurchaseOrder, PurchaseOrderLine
from inventory.services import purchasing, stock
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError

from ..actions import refuse_uncommitted
from ..models import SalesOrder, SalesOrderLine
from .orders import SOURCE, apply_line_inventory

SupplyType = SalesOrderLine.SupplyType


def _ship_to(order: SalesOrder) -> dict[str, str]:
    """The customer's delivery address: the order's, else the party's delivery address."""
    if order.delivery_street or order.delivery_city:
        return {
            "ship_to_name": order.delivery_name or order.customer.party.name,
            "ship_to_street": order.delivery_street,
            "ship_to_postal_code": order.delivery_postal_code,
            "ship_to_city": order.delivery_city,
            "ship_to_country": order.delivery_country,
        }
    address = order.customer.party.delivery_address
    return {
        "ship_to_name": order.delivery_name or order.customer.party.name,
        "ship_to_street": getattr(address, "street", ""),
        "ship_to_postal_code": getattr(address, "postal_code", ""),
        "ship_to_city": getattr(address, "city", ""),
        "ship_to_country": getattr(address, "country", ""),
    }


def order_purchasable(order: SalesOrder) -> bool:
    """An open sales order that delivers to a customer is supplied by purchases."""
    return order.status == SalesOrder.Status.OPEN and not order.is_journal and not order.is_return


def line_purchasable(line: SalesOrderLine) -> bool:
    """A drop-shipment or special-order line not purchased yet, with something left to deliver
    (its order must be `order_purchasable` too)."""
    return (
        line.supply_type != SupplyType.STOCK
        and not line.purchase_line_id
        and line.deliver_remainder > 0
    )


def sales_line_purchase(
    *, line: SalesOrderLine, actor, vendor: Vendor | None = None
) -> PurchaseOrderLine:
    """Purchase what a drop-shipment or special-order line has left to deliver: a new line on
    an open purchase order to the vendor of the same kind (and ship-to), or a new order. Refused
    for an order waiting for approval or rejected (`orders.actions.refuse_uncommitted`)."""
    with transaction.atomic():
        # The order first, then its line (as every service locks them): no change sends the
        # order back to approval while its line is purchased.
        order = (
            SalesOrder.objects.select_for_update(of=("self",))
            .select_related("customer__party")
            .get(pk=line.order_id)
        )
        line = (
            SalesOrderLine.objects.select_for_update(of=("self",))
            .select_related("item__primary_vendor", "warehouse")
            .get(pk=line.pk)
        )
        line.order = order
        if line.supply_type == SupplyType.STOCK:
            raise ConflictError(
                _("Mark the line as a drop shipment or a special order first."),
                code="line_from_stock",
            )
        if line.purchase_line_id:
            raise ConflictError(
                _("Line %(line)d is purchased already (%(purchase)s).")
                % {"line": line.line_number, "purchase": line.purchase_line.order.number},
                code="line_purchased",
            )
        if not order_purchasable(order):
            raise ConflictError(
                _("Only an open sales order is supplied by a purchase."), code="order_not_open"
            )
        refuse_uncommitted(order)
        if not line.deliver_remainder:
            raise ConflictError(_("Nothing is left to deliver."), code="nothing_to_deliver")
        vendor = vendor or line.item.primary_vendor
        if vendor is None:
            raise ConflictError(
                _("Item %(item)s has no primary vendor; choose the vendor.")
                % {"item": line.item.item_number},
                code="no_vendor",
            )
        drop = line.supply_type == SupplyType.DROP_SHIPMENT
        ship_to = _ship_to(order) if drop else {}
        expected = timezone.localdate() + timedelta(days=line.item.purchase_lead_time_days)
        if drop:  # the vendor ships on the customer's date, not before
            expected = max(expected, order.confirmed_ship_date or order.requested_ship_date)
        purchase = (
            PurchaseOrder.objects.select_for_update()
            .filter(vendor=vendor, status=PurchaseOrder.Status.OPEN, drop_shipment=drop, **ship_to)
            .exclude(lines__received_quantity__gt=0)
            .order_by("pk")
            .first()
        )
        row = {
            "item": line.item,
            "warehouse": line.warehouse,
            "quantity": line.deliver_remainder,
            "expected_receipt_date": expected,
        }
        if purchase is None:
            purchase = purchasing.purchase_order_create(
                data={
                    "vendor": vendor,
                    "expected_receipt_date": expected,
                    "drop_shipment": drop,
                    "notes": _("For sales order %(order)s") % {"order": order.number},
                    **ship_to,
                    "lines": [row],
                },
                actor=actor,
            )
        else:
            kept = [{"id": pk} for pk in purchase.lines.values_list("pk", flat=True)]
            purchase = purchasing.purchase_order_update(
                instance=purchase, data={"lines": [*kept, row]}, actor=actor
            )
        purchase_line = purchase.lines.order_by("-line_number").first()
        line.purchase_line = purchase_line
        line.save(update_fields=["purchase_line"])
        record_event(
            actor=actor,
            obj=order,
            action="line_purchased",
            data={"line": line.line_number, "purchase_order": purchase.number},
        )
        return purchase_line


def _linked_lines(purchase_line: PurchaseOrderLine):
    return (
        SalesOrderLine.objects.select_for_update(of=("self",))
        .filter(purchase_line=purchase_line, deliver_remainder__gt=0)
        .select_related("order")
        .order_by("pk")
    )


def _deliver_drop_shipment(
    purchase_line: PurchaseOrderLine, quantity: Decimal, on: date, actor
) -> None:
    """The vendor shipped: the linked drop-shipment lines are delivered (a packing slip each),
    with no movement in our warehouses."""
    from .delivery import packing_slip_post

    left = quantity
    for line in _linked_lines(purchase_line):
        part = min(left, line.deliver_remainder)
        if part <= 0:
            break
        packing_slip_post(
            order=line.order,
            lines=[{"order_line": line, "quantity": part}],
            actor=actor,
            delivery_date=on,
            vendor_shipment=True,
        )
        left -= part


def _reserve_special_order(
    purchase_line: PurchaseOrderLine, quantity: Decimal, on: date, actor
) -> None:
    """The special order arrived in our warehouse: it is reserved for the lines it was bought
    for."""
    left = quantity
    for line in _linked_lines(purchase_line):
        if line.supply_type != SupplyType.SPECIAL_ORDER:
            continue
        reserved = stock.reserved_quantity(SOURCE, line.pk)
        part = min(left, line.deliver_remainder - reserved)
        if part <= 0:
            continue
        apply_line_inventory(line.order, line, reserved=reserved + part)
        left -= part


def register_handlers() -> None:
    if _deliver_drop_shipment not in purchasing.SHIPMENT_HANDLERS:
        purchasing.SHIPMENT_HANDLERS.append(_deliver_drop_shipment)
    if _reserve_special_order not in purchasing.RECEIPT_HANDLERS:
        purchasing.RECEIPT_HANDLERS.append(_reserve_special_order)
