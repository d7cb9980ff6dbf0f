"""Approval of quotations and orders: rules by customer or group and amount, and credit limits."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Customer
from salesmkt.core.money import round_money
from salesmkt.core.transitions import run_transition

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


def evaluate(document, *, customer: Customer, actor, total: Decimal | None = None) -> None:
    """Set the document's approval status after its lines or amounts changed: an approved
    document whose total changed goes back to pending. Call it in the service's transaction;
    `total` when the caller knows it (else the lines are read)."""
    total = document_total(document) if total is None else round_money(total)
    order = document if isinstance(document, SalesOrder) else None
    reasons = approval_reasons(customer=customer, total=total, order=order)
    reason = "; ".join(reasons)[:300]
    before = document.approval_status
    params: dict = {}
    if not reasons:
        transition = "waive_approval" if before != NOT_REQUIRED else None
    elif before == PENDING or (before == APPROVED and document.approved_total == total):
        transition = None
    else:
        transition, params = "ask_approval", {"reason": reason}
    if transition is not None:
        run_transition(
            instance=document,
            transition=transition,
            actor=actor,
            params=params,
            status_field="approval_status",
        )
        document.refresh_from_db(fields=["approval_status", "approval_reason", "approved_total"])
    elif document.approval_reason != reason:
        type(document).objects.filter(pk=document.pk).update(approval_reason=reason)
        document.approval_reason = reason


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


def approve(document, *, actor):
    """A sales manager approves the pending document (its total is the approved total)."""
    with transaction.atomic():
        return run_transition(
            instance=document,
            transition="approve",
            actor=actor,
            params={"total": document_total(document)},
            status_field="approval_status",
        )


def reject(document, *, reason: str, actor):
    with transaction.atomic():
        return run_transition(
            instance=document,
            transition="reject",
            actor=actor,
            params={"reason": reason},
            status_field="approval_status",
        )
