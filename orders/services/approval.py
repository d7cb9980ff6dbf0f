"""Approval of quotations and orders: rules by customer or group and amount, and credit limits."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Customer
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError
from salesmkt.core.money import round_money
from salesmkt.core.transitions import lock

from ..models import ApprovalRule, SalesOrder, SalesOrderLine

PENDING, APPROVED, REJECTED, NOT_REQUIRED = "pending", "approved", "rejected", "not_required"


def document_total(document) -> Decimal:
    return round_money(sum((line.line_amount for line in document.lines.all()), Decimal(0)))


def open_order_amount(customer: Customer, exclude: SalesOrder | None = None) -> Decimal:
    """What the customer's open orders are worth but not invoiced yet."""
    lines = (
        SalesOrderLine.objects.filter(order__customer=customer, invoice_remainder__gt=0)
        .exclude(order__status=SalesOrder.Status.CANCELED)
        .exclude(
            order__order_type__in=[SalesOrder.OrderType.JOURNAL, SalesOrder.OrderType.RETURNED]
        )
    )
    if exclude is not None and exclude.pk:
        lines = lines.exclude(order=exclude)
    total = Decimal(0)
    for line in lines.only("line_amount", "quantity", "invoice_remainder"):
        total += line.line_amount * line.invoice_remainder / line.quantity
    return round_money(total)


# Providers of a customer's open receivables. The invoicing area registers one when it starts:
# orders never import invoicing (dependencies run downhill).
RECEIVABLES_PROVIDERS: list = []


def open_receivables(customer: Customer) -> Decimal:
    """Posted, unpaid invoices less the customer's unapplied payments."""
    return sum((provider(customer) for provider in RECEIVABLES_PROVIDERS), Decimal(0))


def approval_reasons(
    *, customer: Customer, total: Decimal, order: SalesOrder | None = None
) -> list[str]:
    reasons = []
    rules = ApprovalRule.objects.filter(active=True, amount_threshold__lte=total).filter(
        Q(customer__isnull=True, customer_group__isnull=True)
        | Q(customer_id=customer.pk)
        | Q(customer__isnull=True, customer_group_id=customer.customer_group_id)
    )
    if customer.pk is None:
        rules = rules.exclude(customer__isnull=False)
    rule = rules.order_by("amount_threshold").first()
    if rule is not None:
        reasons.append(
            _("total %(total)s reaches the approval threshold %(threshold)s")
            % {"total": total, "threshold": rule.amount_threshold}
        )
    if customer.pk and customer.credit_limit:
        exposure = open_order_amount(customer, exclude=order) + open_receivables(customer) + total
        if exposure > customer.credit_limit:
            reasons.append(
                _("open orders and receivables %(exposure)s exceed the credit limit %(limit)s")
                % {"exposure": exposure, "limit": customer.credit_limit}
            )
    return reasons


def evaluate(document, *, customer: Customer, actor) -> None:
    """Set the document's approval status after its lines or amounts changed: an approved
    document whose total changed goes back to pending."""
    total = document_total(document)
    order = document if isinstance(document, SalesOrder) else None
    reasons = approval_reasons(customer=customer, total=total, order=order)
    before = document.approval_status
    if not reasons:
        status = NOT_REQUIRED
    elif before == APPROVED and document.approved_total == total:
        status = APPROVED
    else:
        status = PENDING
    document.approval_status = status
    document.approval_reason = "; ".join(reasons)[:300]
    type(document).objects.filter(pk=document.pk).update(
        approval_status=status, approval_reason=document.approval_reason
    )
    if status != before:
        record_event(
            actor=actor,
            obj=document,
            action="approval",
            from_status=before,
            to_status=status,
            data={"reason": document.approval_reason},
        )


# The approval statuses `approval_refusal` refuses, for querysets (the same rule, in SQL).
UNAPPROVED = (PENDING, REJECTED)


def approval_refusal(document) -> str | None:
    """Why the quotation or order may not commit the company yet (be confirmed, delivered,
    purchased for or invoiced): `approval_pending` while a rule wants a sales manager's approval
    it has not had (again, after a change), `approval_rejected` once the manager refused it;
    None when it is approved or needs no approval."""
    if document.approval_status == PENDING:
        return "approval_pending"
    if document.approval_status == REJECTED:
        return "approval_rejected"
    return None


def refuse_unless_approved(order: SalesOrder) -> None:
    """Raise the approval refusal of `order` (409), if any. Call it in the service's transaction
    once the order is locked, so that no change sends it back to pending meanwhile."""
    code = approval_refusal(order)
    if code == "approval_pending":
        raise ConflictError(
            _(
                "Sales order %(order)s waits for a sales manager's approval (%(reason)s): it "
                "cannot be delivered, purchased for or invoiced until it is approved."
            )
            % {"order": order.number, "reason": order.approval_reason},
            code=code,
        )
    if code == "approval_rejected":
        raise ConflictError(
            _(
                "A sales manager rejected sales order %(order)s: it cannot be delivered, "
                "purchased for or invoiced."
            )
            % {"order": order.number},
            code=code,
        )


def require_approval(document) -> None:
    """Confirming a quotation or order waits for its approval (code `approval_required`)."""
    if approval_refusal(document) is not None:
        raise ConflictError(
            _("A sales manager must approve this document first (%(reason)s).")
            % {"reason": document.approval_reason},
            code="approval_required",
        )


def _decide(document, *, approve: bool, actor, reason: str = ""):
    with transaction.atomic():
        document = lock(document)
        if document.approval_status != PENDING:
            raise ConflictError(
                _("Only a pending document can be approved or rejected."),
                code="approval_not_pending",
            )
        before = document.approval_status
        document.approval_status = APPROVED if approve else REJECTED
        document.approved_total = document_total(document) if approve else None
        document.save(update_fields=["approval_status", "approved_total"])
        record_event(
            actor=actor,
            obj=document,
            action="approved" if approve else "rejected",
            from_status=before,
            to_status=document.approval_status,
            data={"reason": reason},
        )
        return document


def approve(document, *, actor):
    return _decide(document, approve=True, actor=actor)


def reject(document, *, reason: str, actor):
    return _decide(document, approve=False, actor=actor, reason=reason)
