"""Customer payments: registered on the bank account, applied to open items by hand or
automatically (the invoice number in the reference, then an exact open amount, then oldest
first); what is left stays as the customer's credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock
from salesmkt.finance.models import LedgerAccount

from ..models import (
    CustomerTransaction,
    Invoice,
    LedgerEntry,
    LedgerVoucher,
    Payment,
    PaymentApplication,
)


def payment_register(*, data: dict[str, Any], actor) -> Payment:
    """Record a payment: debit the bank, credit the customer's receivable account."""
    with transaction.atomic():
        payment = Payment(**data)
        payment.number = next_number("payment")
        if payment.currency_id is None:
            payment.currency = payment.customer.currency
        payment.unapplied = payment.amount
        bank = LedgerAccount.objects.filter(number=settings.PAYMENT_BANK_ACCOUNT).first()
        if bank is None:
            raise ConflictError(
                _("Ledger account %(number)s for payments does not exist.")
                % {"number": settings.PAYMENT_BANK_ACCOUNT},
                code="posting_setup_missing",
            )
        payment = record_save(instance=payment, actor=actor)
        voucher = LedgerVoucher.objects.create(
            number=next_number("voucher"),
            date=payment.date,
            description=f"{payment.number} {payment.reference}"[:200],
        )
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(voucher=voucher, account=bank, debit=payment.amount),
                LedgerEntry(
                    voucher=voucher,
                    account=payment.customer.posting_profile.summary_account,
                    credit=payment.amount,
                ),
            ]
        )
        payment.voucher = voucher
        payment.save(update_fields=["voucher"])
        return payment


def _payment_state(item: CustomerTransaction) -> None:
    if item.invoice_id is None or item.amount <= 0:
        return
    state = (
        Invoice.PaymentState.PAID
        if item.remaining == 0
        else Invoice.PaymentState.PARTLY_PAID
        if item.remaining < item.amount
        else Invoice.PaymentState.UNPAID
    )
    Invoice.objects.filter(pk=item.invoice_id).exclude(
        payment_state=Invoice.PaymentState.CREDITED
    ).update(payment_state=state)


def payment_apply(
    *, payment: Payment, item: CustomerTransaction, amount: Decimal | None = None, actor
) -> PaymentApplication:
    """Apply (part of) a payment to an open item of the same customer."""
    with transaction.atomic():
        payment = lock(payment)
        item = CustomerTransaction.objects.select_for_update().get(pk=item.pk)
        if item.customer_id != payment.customer_id:
            raise ConflictError(
                _("The open item belongs to another customer."), code="other_customer"
            )
        if item.remaining <= 0:
            raise ConflictError(_("The item is not open."), code="item_not_open")
        amount = min(payment.unapplied, item.remaining) if amount is None else amount
        if amount <= 0 or amount > payment.unapplied or amount > item.remaining:
            raise ConflictError(
                _("Apply at most %(max)s.") % {"max": min(payment.unapplied, item.remaining)},
                code="over_application",
            )
        payment.unapplied -= amount
        payment.save(update_fields=["unapplied"])
        item.remaining -= amount
        item.save(update_fields=["remaining"])
        _payment_state(item)
        application = PaymentApplication.objects.create(
            payment=payment, transaction=item, amount=amount
        )
        record_event(
            actor=actor, obj=payment, action="applied", data={"item": item.pk, "amount": amount}
        )
        return application


def payment_auto_apply(*, payment: Payment, actor) -> list[PaymentApplication]:
    """Apply automatically: an invoice whose number is in the reference first, then an open item
    of exactly the unapplied amount, then the oldest open items."""
    applications = []
    with transaction.atomic():
        payment = lock(payment)
        open_items = list(
            CustomerTransaction.objects.filter(customer=payment.customer, remaining__gt=0)
            .select_related("invoice")
            .order_by("due_date", "date", "id")
        )
        reference = payment.reference.upper()
        ordered = [
            i
            for i in open_items
            if i.invoice and i.invoice.number and i.invoice.number.upper() in reference
        ]
        exact = [i for i in open_items if i not in ordered and i.remaining == payment.unapplied]
        ordered += exact + [i for i in open_items if i not in ordered and i not in exact]
        for item in ordered:
            payment.refresh_from_db(fields=["unapplied"])
            if payment.unapplied <= 0:
                break
            applications.append(payment_apply(payment=payment, item=item, actor=actor))
    return applications


# --- reading ----------------------------------------------------------------------------------
AGING_BUCKETS = [
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over-90", 91, None),
]


def receivables(customer: Customer, today: date | None = None) -> dict[str, Any]:
    """Balance, open items and aging of a customer (open items less unapplied payments)."""
    today = today or timezone.localdate()
    items = list(
        CustomerTransaction.objects.filter(customer=customer)
        .exclude(remaining=0)
        .select_related("invoice")
        .order_by("due_date", "id")
    )
    unapplied = Payment.objects.filter(customer=customer).aggregate(total=Sum("unapplied"))[
        "total"
    ] or Decimal(0)
    aging = {name: Decimal(0) for name, _low, _high in AGING_BUCKETS}
    for item in items:
        overdue = (today - item.due_date).days
        for name, low, high in AGING_BUCKETS:
            if (low is None and overdue <= 0) or (
                low is not None and overdue >= low and (high is None or overdue <= high)
            ):
                aging[name] += item.remaining
                break
    return {
        "balance": sum((i.remaining for i in items), Decimal(0)) - unapplied,
        "unapplied_payments": unapplied,
        "open_items": items,
        "aging": aging,
    }
