"""What may happen next to a purchase order (`salesmkt.core.actions`): each action's conditions,
once. The services refuse with these, the pages show their buttons by them, the admin runs its
actions on the rows they allow, the API lists them as `allowed_actions`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesmkt.core.actions import DocumentActions, Refusal

from .models import PurchaseOrder

PURCHASE_ORDER = DocumentActions(PurchaseOrder)


def _lines(order: PurchaseOrder) -> list:
    """The order's lines, from the prefetch when there is one (the API's lists)."""
    return list(order.lines.all())


def has_receipts(order: PurchaseOrder) -> bool:
    """Something arrived (or was shipped) on one of the order's lines."""
    return any(line.received_quantity > 0 for line in _lines(order))


@PURCHASE_ORDER.action("update", gettext_lazy("Edit"), codes=("purchase_order_closed",))
def purchase_order_update_refusal(order: PurchaseOrder) -> Refusal | None:
    if order.status != PurchaseOrder.Status.OPEN:
        return Refusal(
            "purchase_order_closed",
            _("The purchase order is %(status)s: it cannot change.")
            % {"status": order.get_status_display()},
            status=True,
        )
    return None


@PURCHASE_ORDER.action(
    "delete",
    gettext_lazy("Delete"),
    codes=("purchase_order_received",),
    permission="inventory.delete_purchaseorder",
)
def purchase_order_delete_refusal(order: PurchaseOrder) -> Refusal | None:
    """Open or canceled, a purchase order nothing was received on may be deleted; one with
    receipts stays, its rest is canceled instead."""
    if has_receipts(order):
        return Refusal(
            "purchase_order_received",
            _("The purchase order has receipts; cancel what is left instead."),
            status=order.status == PurchaseOrder.Status.RECEIVED,
        )
    return None


def _arrival_refusal(order: PurchaseOrder, *, shipment: bool) -> Refusal | None:
    if order.status != PurchaseOrder.Status.OPEN:
        return Refusal(
            "purchase_order_closed",
            _("The purchase order is %(status)s: nothing more arrives.")
            % {"status": order.get_status_display()},
            status=True,
        )
    if shipment != order.drop_shipment:
        return Refusal(
            "drop_shipment_mismatch",
            _("A drop shipment is registered as shipped by the vendor; other orders are received.")
            if order.drop_shipment
            else _("Only a drop shipment is registered as shipped by the vendor."),
            status=True,
        )
    if not any(line.receive_remainder > 0 for line in _lines(order)):
        return Refusal("nothing_to_receive", _("Nothing is left to receive."))
    return None


# Receiving closes the order (its `receive` transition) once every line has arrived: these
# actions are the arrivals, not that transition.
@PURCHASE_ORDER.action(
    "receive",
    gettext_lazy("Post receipt"),
    codes=("purchase_order_closed", "drop_shipment_mismatch", "nothing_to_receive"),
)
def purchase_order_receive_refusal(order: PurchaseOrder) -> Refusal | None:
    return _arrival_refusal(order, shipment=False)


@PURCHASE_ORDER.action(
    "register_shipment",
    gettext_lazy("Register vendor shipment"),
    codes=("purchase_order_closed", "drop_shipment_mismatch", "nothing_to_receive"),
)
def purchase_order_register_shipment_refusal(order: PurchaseOrder) -> Refusal | None:
    return _arrival_refusal(order, shipment=True)


PURCHASE_ORDER.add("cancel", gettext_lazy("Cancel"), transition="cancel")
