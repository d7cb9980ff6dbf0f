"""Customer payments and credit notes settling open items: a payment is registered on the bank
account and applied by hand or automatically (the invoice number in the reference, then an exact
open amount, then oldest first); what is left stays as the customer's credit. A posted credit
note's open credit is applied the same way, by hand or to the oldest open invoices first."""

from __future__ import annotations

import re
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
from salesmkt.core.dates import check_date
from salesmkt.core.errors import ConflictError
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition
from salesmkt.finance.models import LedgerAccount

from ..actions import INVOICE, PAYMENT
from ..models import (
    CustomerTransaction,
    Invoice,
    LedgerEntry,
    LedgerVoucher,
    Payment,
    PaymentApplication,
)


@retry_on_conflict
def payment_register(*, data: dict[str, Any], actor) -> Payment:
    """Record a payment: debit the bank, credit the customer's receivable account. Dated within
    the bounds of every date (`salesmkt.core.dates`): 400 naming `date` otherwise."""
    with transaction.atomic():
        payment = Payment(**data)
        check_date(payment.date, field="date")
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


# The transition that brings an invoice's payment state to each state its open item can be in.
PAYMENT_TRANSITIONS = {
    Invoice.PaymentState.PAID: "pay_in_full",
    Invoice.PaymentState.PARTLY_PAID: "pay_in_part",
    Invoice.PaymentState.UNPAID: "reopen_payment",
    Invoice.PaymentState.CREDITED: "mark_credited",
}


def set_payment_state(*, invoice_id: int, state: str, actor, data=None) -> None:
    """Bring the invoice's payment state to `state` by its transition (an audit event with
    from and to), unless it is there already; a credited invoice stays credited. Call it in
    the service's transaction, with the open item locked."""
    current = (
        Invoice.objects.select_for_update()
        .values_list("payment_state", flat=True)
        .get(pk=invoice_id)
    )
    if current == state or current == Invoice.PaymentState.CREDITED:
        return
    run_transition(
        instance=Invoice(pk=invoice_id),
        transition=PAYMENT_TRANSITIONS[state],
        actor=actor,
        status_field="payment_state",
        event_data=data,
    )


def update_payment_state(item: CustomerTransaction, *, actor) -> None:
    """The invoice's payment state after its open item changed: paid when nothing remains,
    partly paid when some of it was settled, unpaid when none (a settlement taken back)."""
    if item.invoice_id is None or item.amount <= 0:
        return
    state = (
        Invoice.PaymentState.PAID
        if item.remaining == 0
        else Invoice.PaymentState.PARTLY_PAID
        if item.remaining < item.amount
        else Invoice.PaymentState.UNPAID
    )
    set_payment_state(
        invoice_id=item.invoice_id, state=state, actor=actor, data={"remaining": item.remaining}
    )


def _refuse_other_customer_or_currency(item: CustomerTransaction, source) -> None:
    """Credit (a payment's or a credit note's) settles only its own customer's items in its
    own currency."""
    if item.customer_id != source.customer_id:
        raise ConflictError(_("The open item belongs to another customer."), code="other_customer")
    if item.currency_id != source.currency_id:
        raise ConflictError(_("The open item is in another currency."), code="other_currency")


def _amount_to_apply(amount: Decimal | None, *, most: Decimal) -> Decimal:
    """The amount asked for, or when none, as much as both sides allow; never more."""
    amount = most if amount is None else amount
    if amount <= 0 or amount > most:
        raise ConflictError(_("Apply at most %(max)s.") % {"max": most}, code="over_application")
    return amount


def _settle(
    item: CustomerTransaction, amount: Decimal, *, actor, obj, **source
) -> PaymentApplication:
    """Lower the locked open item by `amount` and record the application from `source` (a
    payment or a credit note's item) and its event on `obj`."""
    item.remaining -= amount
    item.save(update_fields=["remaining"])
    update_payment_state(item, actor=actor)
    application = PaymentApplication.objects.create(transaction=item, amount=amount, **source)
    record_event(actor=actor, obj=obj, action="applied", data={"item": item.pk, "amount": amount})
    return application


def settle_prepaid(*, item: CustomerTransaction, amount: Decimal, actor) -> None:
    """The prepaid amount of an invoice being posted (BT-113) is settled at once by the
    customer's unapplied payments in its currency, oldest first, so its open item is the amount
    due. Refused when the customer has not paid that much in advance. Runs inside posting."""
    payments = list(
        Payment.objects.select_for_update()
        .filter(customer_id=item.customer_id, currency_id=item.currency_id, unapplied__gt=0)
        .order_by("date", "pk")
    )
    if sum((p.unapplied for p in payments), Decimal(0)) < amount:
        raise ConflictError(
            _(
                "The prepaid amount %(amount)s is more than the customer's unapplied payments; "
                "register the prepayment first."
            )
            % {"amount": amount},
            code="prepayment_not_received",
        )
    left = amount
    for payment in payments:
        if left <= 0:
            break
        part = min(payment.unapplied, left)
        payment.unapplied -= part
        payment.save(update_fields=["unapplied"])
        _settle(item, part, actor=actor, obj=payment, payment=payment)
        left -= part


@retry_on_conflict
def payment_apply(
    *, payment: Payment, item: CustomerTransaction, amount: Decimal | None = None, actor
) -> PaymentApplication:
    """Apply (part of) a payment to an open item of the same customer."""
    with transaction.atomic():
        payment = lock(payment)
        item = CustomerTransaction.objects.select_for_update().get(pk=item.pk)
        _refuse_other_customer_or_currency(item, payment)
        if item.remaining <= 0:
            raise ConflictError(_("The item is not open."), code="item_not_open")
        amount = _amount_to_apply(amount, most=min(payment.unapplied, item.remaining))
        payment.unapplied -= amount
        payment.save(update_fields=["unapplied"])
        return _settle(item, amount, actor=actor, obj=payment, payment=payment)


def reference_names(text: str, payment_reference: str) -> bool:
    """Whether a bank payment's reference `text` carries `payment_reference`: the whole text, or
    one of its words, equals it once spaces are ignored (banks print KIDs and RF references in
    groups: "RF18 5390 0754 7034"); a structured reference never matches inside a longer one."""
    wanted = payment_reference.replace(" ", "").upper()
    if text.replace(" ", "").upper() == wanted:
        return True
    upper = text.upper()
    if wanted in re.split(r"[^0-9A-Z-]+", upper):
        return True
    # An RF reference printed in groups of four inside the payer's text: the groups from "RF"
    # on, as many as it takes (the payer's next word may follow).
    if not wanted.startswith("RF"):
        return False
    words = re.split(r"[^0-9A-Z]+", upper)
    for start, word in enumerate(words):
        if word.startswith("RF"):
            joined = ""
            for group in words[start:]:
                joined += group
                if joined == wanted:
                    return True
                if len(joined) >= len(wanted):
                    break
    return False


@retry_on_conflict
def payment_auto_apply(*, payment: Payment, actor) -> list[PaymentApplication]:
    """Apply automatically: the invoice whose KID, OCR or RF reference the payment carries
    first, then an invoice whose number is in the reference, then an open item of exactly the
    unapplied amount, then the oldest open items. Refused as `PAYMENT`'s `auto_apply` action
    declares (a payment applied in full)."""
    applications = []
    with transaction.atomic():
        payment = lock(payment)
        PAYMENT.refuse(payment, "auto_apply")
        open_items = list(
            CustomerTransaction.objects.filter(
                customer=payment.customer, currency=payment.currency, remaining__gt=0
            )
            .select_related("invoice")
            .order_by("due_date", "date", "id")
        )
        reference = payment.reference.upper()
        # The structured reference the invoice printed (KID, OCR, RF) first: it names one
        # invoice for certain; then an invoice number written in the payment's text.
        ordered = [
            i
            for i in open_items
            if i.invoice
            and i.invoice.payment_reference
            and reference_names(payment.reference, i.invoice.payment_reference)
        ]
        ordered += [
            i
            for i in open_items
            if i not in ordered
            and i.invoice
            and i.invoice.number
            and i.invoice.number.upper() in reference
        ]
        exact = [i for i in open_items if i not in ordered and i.remaining == payment.unapplied]
        ordered += exact + [i for i in open_items if i not in ordered and i not in exact]
        unapplied = payment.unapplied  # the payment is locked: only the applications below lower it
        for item in ordered:
            if unapplied <= 0:
                break
            # Listed before locking: an item settled meanwhile (a credit note) is passed over.
            if CustomerTransaction.objects.select_for_update().get(pk=item.pk).remaining <= 0:
                continue
            application = payment_apply(payment=payment, item=item, actor=actor)
            applications.append(application)
            unapplied = application.payment.unapplied
    return applications


def _locked_items(*pks: int) -> dict[int, CustomerTransaction]:
    """Lock open items in pk order (a fixed lock order: two settlements never deadlock)."""
    return {
        item.pk: item
        for item in CustomerTransaction.objects.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
    }


def _refuse_no_open_credit(credit_note: Invoice) -> Invoice:
    """The credit note read again with its open item (locked by the caller, if it is to be
    settled), refused as `INVOICE`'s `apply_credit` action declares: a draft, a pro forma, an
    invoice, a credit note whose credit is used up."""
    note = Invoice.objects.select_related("open_item").get(pk=credit_note.pk)
    INVOICE.refuse(note, "apply_credit")
    return note


@retry_on_conflict
def credit_note_apply(
    *, credit_note: Invoice, item: CustomerTransaction, amount: Decimal | None = None, actor
) -> PaymentApplication:
    """Apply (part of) a posted credit note's open credit to an open invoice of the same
    customer: the credit's remaining rises towards zero as the invoice's falls."""
    with transaction.atomic():
        credit_pk = (
            CustomerTransaction.objects.filter(invoice_id=credit_note.pk)
            .values_list("pk", flat=True)
            .first()
        )
        locked = _locked_items(*{credit_pk or item.pk, item.pk})
        _refuse_no_open_credit(credit_note)
        credit, item = locked[credit_pk], locked[item.pk]
        _refuse_other_customer_or_currency(item, credit)
        if item.remaining <= 0:
            raise ConflictError(_("The item is not open."), code="item_not_open")
        amount = _amount_to_apply(amount, most=min(-credit.remaining, item.remaining))
        credit.remaining += amount
        credit.save(update_fields=["remaining"])
        return _settle(item, amount, actor=actor, obj=credit_note, credit=credit)


def return_credit_apply(*, credit_note: Invoice, actor) -> list[PaymentApplication]:
    """A return's credit note settles the invoice the returned goods were sold on while that is
    still open (the invoice the return names first, then the others that invoiced the returned
    lines, oldest first), by the same applications as `credit_note_apply`. What is left, all of
    it when those invoices are paid, stays as the customer's credit. Runs inside posting."""
    from ..selectors import invoices_sold_on

    applications = []
    with transaction.atomic():
        credit_pk = (
            CustomerTransaction.objects.filter(invoice_id=credit_note.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if credit_pk is None:  # not posted: no credit to apply
            return applications
        for invoice in invoices_sold_on(credit_note):
            item = CustomerTransaction.objects.filter(invoice=invoice).only("pk").first()
            if item is None:
                continue
            locked = _locked_items(credit_pk, item.pk)
            if locked[credit_pk].remaining >= 0:
                break
            if locked[item.pk].remaining <= 0:
                continue
            application = credit_note_apply(
                credit_note=credit_note, item=locked[item.pk], actor=actor
            )
            record_event(
                actor=actor,
                obj=invoice,
                action="return_credited",
                data={
                    "credit_note": credit_note.number,
                    "return_order": credit_note.sales_order.number,
                    "amount": application.amount,
                },
            )
            applications.append(application)
    return applications


@retry_on_conflict
def credit_note_auto_apply(*, credit_note: Invoice, actor) -> list[PaymentApplication]:
    """Apply a credit note's open credit to the customer's oldest open invoices first."""
    applications = []
    with transaction.atomic():
        # Read unlocked: each application locks the credit and checks it again.
        credit = _refuse_no_open_credit(credit_note).open_item
        open_items = CustomerTransaction.objects.filter(
            customer_id=credit.customer_id, currency_id=credit.currency_id, remaining__gt=0
        ).order_by("due_date", "date", "id")
        left = credit.remaining  # read unlocked: the first application locks and checks it
        for item in open_items:
            if left >= 0:
                break
            application = credit_note_apply(credit_note=credit_note, item=item, actor=actor)
            applications.append(application)
            left = application.credit.remaining  # locked from here on
    return applications


# --- reading ----------------------------------------------------------------------------------
AGING_BUCKETS = [
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over-90", 91, None),
]


def open_items(customer: Customer):
    """The customer's items not settled yet (invoices positive, credit notes negative), oldest
    due first."""
    return (
        CustomerTransaction.objects.filter(customer=customer)
        .exclude(remaining=0)
        .select_related("invoice")
        .order_by("due_date", "id")
    )


def _unapplied_payments(customer: Customer) -> Decimal:
    total = Payment.objects.filter(customer=customer).aggregate(total=Sum("unapplied"))["total"]
    return total or Decimal(0)


def customer_balance(customer: Customer) -> dict[str, Decimal]:
    """What the customer owes: open items less unapplied payments (negative: we owe them)."""
    open_amount = open_items(customer).aggregate(total=Sum("remaining"))["total"] or Decimal(0)
    unapplied = _unapplied_payments(customer)
    return {
        "balance": open_amount - unapplied,
        "open_items_total": open_amount,
        "unapplied_payments": unapplied,
    }


def aging(items, today: date) -> dict[str, Decimal]:
    """The open amounts by days overdue (current, 1-30, 31-60, 61-90, over-90)."""
    buckets = {name: Decimal(0) for name, _low, _high in AGING_BUCKETS}
    for item in items:
        overdue = (today - item.due_date).days
        for name, low, high in AGING_BUCKETS:
            if (low is None and overdue <= 0) or (
                low is not None and overdue >= low and (high is None or overdue <= high)
            ):
                buckets[name] += item.remaining
                break
    return buckets


def receivables(customer: Customer, today: date | None = None) -> dict[str, Any]:
    """Balance, open items and aging of a customer (open items less unapplied payments)."""
    today = today or timezone.localdate()
    items = list(open_items(customer))
    unapplied = _unapplied_payments(customer)
    return {
        "balance": sum((i.remaining for i in items), Decimal(0)) - unapplied,
        "unapplied_payments": unapplied,
        "open_items": items,
        "aging": aging(items, today),
    }
