"""What may happen next to quotations, sales orders and packing slips (`salesmkt.core.actions`):
each action's conditions, once. The services refuse with these, the pages show their buttons
by them, the API lists them as `allowed_actions`."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Customer
from salesmkt.core.actions import DocumentActions, Refusal, first

from .models import SalesOrder, SalesQuotation
from .selectors.returns import returnable_lines
from .services import approval

SALES_ORDER = DocumentActions(SalesOrder)
QUOTATION = DocumentActions(SalesQuotation)

APPROVAL_PERMISSION = "orders.approve_documents"
APPROVAL_NOT_PENDING = _("Only a pending document can be approved or rejected.")


def _lines(order):
    """The order's lines, from the prefetch when there is one (the API's lists)."""
    return list(order.lines.all())


# --- sales orders -------------------------------------------------------------------------------


def order_not_open(order: SalesOrder) -> Refusal | None:
    if order.status != SalesOrder.Status.OPEN:
        return Refusal(
            "order_not_open",
            _("The order is %(status)s: it cannot change.")
            % {"status": order.get_status_display()},
            status=True,
        )
    return None


def order_journal(order: SalesOrder) -> Refusal | None:
    if order.is_journal:
        return Refusal(
            "journal_order",
            _("A journal is a draft: change its type before confirming, picking or delivering it."),
            status=True,
        )
    return None


def approval_refused(document) -> Refusal | None:
    """Pending or rejected approval: nothing that commits the company (confirm, deliver,
    purchase, invoice) until a sales manager approved it."""
    code = approval.approval_refusal(document)
    if code == "approval_pending":
        return Refusal(
            code,
            _(
                "Sales order %(order)s waits for a sales manager's approval (%(reason)s): it "
                "cannot be delivered, purchased for or invoiced until it is approved."
            )
            % {"order": document.number, "reason": document.approval_reason},
        )
    if code == "approval_rejected":
        return Refusal(
            code,
            _(
                "A sales manager rejected sales order %(order)s: it cannot be delivered, "
                "purchased for or invoiced."
            )
            % {"order": document.number},
        )
    return None


def not_confirmed(order: SalesOrder) -> Refusal | None:
    """An order that needed a sales manager's approval ships only once confirmed: approve,
    confirm, then pick, pack and invoice."""
    if order.approval_status == approval.APPROVED and order.confirmed_at is None:
        return Refusal(
            "not_confirmed",
            _(
                "Sales order %(order)s needed approval: confirm it to the customer before it is "
                "delivered or invoiced."
            )
            % {"order": order.number},
        )
    return None


def commit_refusal(order: SalesOrder) -> Refusal | None:
    """Why the order may not commit the company yet (be delivered, purchased for, invoiced)."""
    return approval_refused(order) or not_confirmed(order)


def refuse_uncommitted(order: SalesOrder) -> None:
    """Raise `commit_refusal` (409), if any: call it once the order is locked, so that no change
    sends it back to pending meanwhile."""
    refusal = commit_refusal(order)
    if refusal is not None:
        raise refusal.error()


@SALES_ORDER.action("update", gettext_lazy("Edit"), codes=("order_not_open",))
def sales_order_update_refusal(order: SalesOrder) -> Refusal | None:
    return order_not_open(order)


@SALES_ORDER.action("delete", gettext_lazy("Delete"), codes=("order_not_deletable",))
def sales_order_delete_refusal(order: SalesOrder) -> Refusal | None:
    if not (order.is_journal or order.status == SalesOrder.Status.CANCELED):
        return Refusal(
            "order_not_deletable",
            _("Only journals and canceled orders can be deleted; cancel the order instead."),
            status=True,
        )
    if list(order.packing_slips.all()):
        return Refusal("order_not_deletable", _("An order with packing slips cannot be deleted."))
    return None


def _customer_on_hold(order: SalesOrder) -> Refusal | None:
    if order.customer.on_hold == Customer.OnHold.ALL:
        return Refusal(
            "customer_on_hold", _("The customer is on hold: nothing can be confirmed for it.")
        )
    return None


def _has_no_lines(order: SalesOrder) -> Refusal | None:
    if not _lines(order):
        return Refusal("order_has_no_lines", _("Add lines before confirming the order."))
    return None


def approval_required(document) -> Refusal | None:
    if approval.approval_refusal(document) is not None:
        return Refusal(
            "approval_required",
            _("A sales manager must approve this document first (%(reason)s).")
            % {"reason": document.approval_reason},
        )
    return None


SALES_ORDER.add(
    "confirm",
    gettext_lazy("Confirm"),
    check=first(order_journal, order_not_open, _customer_on_hold, _has_no_lines, approval_required),
    codes=(
        "journal_order",
        "order_not_open",
        "customer_on_hold",
        "order_has_no_lines",
        "approval_required",
    ),
)

for document_actions in (SALES_ORDER, QUOTATION):
    document_actions.add(
        "approve",
        gettext_lazy("Approve"),
        transition="approve",
        status_field="approval_status",
        permission=APPROVAL_PERMISSION,
        status_code="approval_not_pending",
        status_message=APPROVAL_NOT_PENDING,
    )
    document_actions.add(
        "reject",
        gettext_lazy("Reject"),
        transition="reject",
        status_field="approval_status",
        permission=APPROVAL_PERMISSION,
        status_code="approval_not_pending",
        status_message=APPROVAL_NOT_PENDING,
    )


def _nothing_to_pick(order: SalesOrder) -> Refusal | None:
    if order.is_return:
        return Refusal("return_order", _("A return is not picked: its goods arrive."), status=True)
    if not any(line.deliver_remainder > 0 for line in _lines(order)):
        return Refusal("nothing_to_pick", _("Nothing is left to pick."))
    return None


SALES_ORDER.add(
    "picking_list",
    gettext_lazy("Picking list"),
    check=first(order_journal, order_not_open, _nothing_to_pick, commit_refusal),
    codes=(
        "journal_order",
        "order_not_open",
        "return_order",
        "nothing_to_pick",
        "approval_pending",
        "approval_rejected",
        "not_confirmed",
    ),
)


def _nothing_to_deliver(order: SalesOrder) -> Refusal | None:
    if not any(line.deliver_remainder > 0 for line in _lines(order)):
        return Refusal("nothing_to_deliver", _("Nothing is left to deliver."))
    return None


def _delivery_journal(order: SalesOrder) -> Refusal | None:
    if order.is_journal:
        return Refusal(
            "journal_order",
            _("A journal is a draft: change its type before delivering it."),
            status=True,
        )
    return None


def _delivery_not_open(order: SalesOrder) -> Refusal | None:
    if order.status != SalesOrder.Status.OPEN:
        return Refusal(
            "order_not_open",
            _("The order is %(status)s: nothing can be delivered.")
            % {"status": order.get_status_display()},
            status=True,
        )
    return None


# Posting a packing slip (for a return: registering its arrival).
SALES_ORDER.add(
    "deliver",
    gettext_lazy("Post packing slip"),
    check=first(_delivery_journal, _delivery_not_open, commit_refusal, _nothing_to_deliver),
    codes=(
        "journal_order",
        "order_not_open",
        "approval_pending",
        "approval_rejected",
        "not_confirmed",
        "nothing_to_deliver",
    ),
    permission="orders.add_packingslip",
)

SALES_ORDER.add(
    "change_type",
    gettext_lazy("Change type"),
    check=order_not_open,
    codes=("order_not_open",),
)


def _partly_delivered(order: SalesOrder) -> Refusal | None:
    if any(line.delivered_quantity or line.invoiced_quantity for line in _lines(order)):
        return Refusal(
            "order_partly_delivered",
            _("Part of the order is delivered: cancel the remainder of its lines instead."),
        )
    return None


SALES_ORDER.add(
    "cancel",
    gettext_lazy("Cancel"),
    transition="cancel",
    check=_partly_delivered,
    codes=("order_partly_delivered",),
)


def _nothing_to_return(order: SalesOrder) -> Refusal | None:
    """A return is made of what is invoiced and not returned yet (from the lines' annotated
    `returned_quantity` when the list prefetched them, else one query)."""
    if order.is_return or order.is_journal or order.status == SalesOrder.Status.CANCELED:
        return Refusal(
            "nothing_to_return",
            _("Nothing on order %(order)s is invoiced and not returned yet.")
            % {"order": order.number},
            status=True,
        )
    lines = _lines(order)
    if all("returned_quantity" in line.__dict__ for line in lines):
        left = any(line.invoiced_quantity > line.returned_quantity for line in lines)
    else:
        left = any(line.invoiced_quantity > 0 for line in lines) and bool(returnable_lines(order))
    if not left:
        return Refusal(
            "nothing_to_return",
            _("Nothing on order %(order)s is invoiced and not returned yet.")
            % {"order": order.number},
        )
    return None


SALES_ORDER.add(
    "return",
    gettext_lazy("Return"),
    check=_nothing_to_return,
    codes=("nothing_to_return",),
    permission="orders.add_salesorder",
)


# --- quotations ---------------------------------------------------------------------------------

OPEN_QUOTATION = (SalesQuotation.Status.CREATED, SalesQuotation.Status.SENT)


@QUOTATION.action("update", gettext_lazy("Edit"), codes=("quotation_closed",))
def quotation_update_refusal(quotation: SalesQuotation) -> Refusal | None:
    if quotation.status not in OPEN_QUOTATION:
        return Refusal(
            "quotation_closed",
            _("Only a created or sent quotation can be revised."),
            status=True,
        )
    return None


@QUOTATION.action("delete", gettext_lazy("Delete"), codes=("quotation_not_deletable",))
def quotation_delete_refusal(quotation: SalesQuotation) -> Refusal | None:
    if quotation.status != SalesQuotation.Status.CREATED:
        return Refusal(
            "quotation_not_deletable",
            _("Only a quotation that was never sent can be deleted; cancel it instead."),
            status=True,
        )
    return None


@QUOTATION.action(
    "send", gettext_lazy("Send"), transition="send", codes=("quotation_has_no_lines",)
)
def quotation_send_refusal(quotation: SalesQuotation) -> Refusal | None:
    if not list(quotation.lines.all()):
        return Refusal("quotation_has_no_lines", _("Add lines before sending the quotation."))
    return None


def _quotation_expired(quotation: SalesQuotation) -> Refusal | None:
    if quotation.expiry_date < timezone.localdate():
        return Refusal(
            "quotation_expired",
            _("The quotation expired on %(date)s; revise it with a new expiry date first.")
            % {"date": quotation.expiry_date},
        )
    return None


QUOTATION.add(
    "confirm",
    gettext_lazy("Confirm"),
    transition="confirm",
    check=first(_quotation_expired, approval_required),
    codes=("quotation_expired", "approval_required"),
)
QUOTATION.add("lose", gettext_lazy("Lost"), transition="lose")
QUOTATION.add("cancel", gettext_lazy("Cancel"), transition="cancel")
