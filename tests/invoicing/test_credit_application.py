"""A posted credit note's open credit settles open invoices, by hand and oldest first."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from invoicing.models import CustomerTransaction, Invoice, PaymentApplication
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_post
from invoicing.services.payments import (
    credit_note_apply,
    credit_note_auto_apply,
    payment_apply,
    payment_register,
    receivables,
)
from salesmkt.core.errors import ConflictError


def pay(customer, amount):
    return payment_register(
        data={"customer": customer, "date": timezone.localdate(), "amount": Decimal(amount)},
        actor=None,
    )


@pytest.fixture
def open_credit(invoice_for):
    """A posted credit note of 125.00 whose invoice was paid: all of it is open credit."""

    def make():
        paid = invoice_for("1", invoice_date=date(2025, 12, 1))  # 125.00
        payment_apply(payment=pay(invoice_for.customer, "125.00"), item=paid.open_item, actor=None)
        return invoice_post(invoice=credit_note_create(invoice=paid, actor=None), actor=None)

    return make


def remaining(invoice):
    return CustomerTransaction.objects.get(invoice=invoice).remaining


def state(invoice):
    return Invoice.objects.get(pk=invoice.pk).payment_state


@pytest.mark.django_db
def test_a_credit_note_applied_to_an_invoice_settles_it_and_marks_it_paid(invoice_for, open_credit):
    note = open_credit()
    invoice = invoice_for("1")  # 125.00

    credit_note_apply(credit_note=note, item=invoice.open_item, actor=None)

    assert (remaining(invoice), state(invoice)) == (Decimal("0.00"), "paid")
    assert remaining(note) == Decimal("0.00")


@pytest.mark.django_db
def test_part_of_a_credit_note_applied_leaves_the_invoice_partly_paid(invoice_for, open_credit):
    note = open_credit()
    invoice = invoice_for("2")  # 250.00

    credit_note_apply(
        credit_note=note, item=invoice.open_item, amount=Decimal("100.00"), actor=None
    )

    assert (remaining(invoice), state(invoice)) == (Decimal("150.00"), "partly_paid")
    assert remaining(note) == Decimal("-25.00")


@pytest.mark.django_db
def test_more_credit_than_is_open_cannot_be_applied_and_nothing_changes(invoice_for, open_credit):
    note = open_credit()  # 125.00 open credit
    invoice = invoice_for("2")  # 250.00

    with pytest.raises(ConflictError) as refused:
        credit_note_apply(
            credit_note=note, item=invoice.open_item, amount=Decimal("125.01"), actor=None
        )

    assert refused.value.code == "over_application"
    assert (remaining(invoice), remaining(note), state(invoice)) == (
        Decimal("250.00"),
        Decimal("-125.00"),
        "unpaid",
    )
    assert not PaymentApplication.objects.filter(credit__invoice=note).exists()


@pytest.mark.django_db
def test_credit_cannot_be_applied_to_another_customers_invoice(
    invoice_for, open_credit, make_order, accounts
):
    from invoicing.services.invoices import invoice_from_order
    from orders.services.delivery import packing_slip_post
    from tests import factories as f

    note = open_credit()
    order = make_order(
        customer=f.CustomerFactory(posting_profile=accounts.profile), quantities=["1"]
    )
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": 1}], actor=None
    )
    other = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    with pytest.raises(ConflictError) as refused:
        credit_note_apply(credit_note=note, item=other.open_item, actor=None)

    assert refused.value.code == "other_customer"
    assert remaining(other) == Decimal("125.00")


@pytest.mark.django_db
def test_credit_is_never_applied_to_an_item_in_another_currency(invoice_for, open_credit):
    from tests import factories as f

    note = open_credit()  # in kroner
    in_euro = CustomerTransaction.objects.create(
        customer=invoice_for.customer,
        date=timezone.localdate(),
        due_date=timezone.localdate(),
        amount=Decimal("50.00"),
        remaining=Decimal("50.00"),
        currency=f.CurrencyFactory(code="EUR"),
    )

    with pytest.raises(ConflictError) as refused:
        credit_note_apply(credit_note=note, item=in_euro, actor=None)

    assert refused.value.code == "other_currency"
    assert credit_note_auto_apply(credit_note=note, actor=None) == []
    in_euro.refresh_from_db()
    assert (in_euro.remaining, remaining(note)) == (Decimal("50.00"), Decimal("-125.00"))


@pytest.mark.django_db
def test_auto_applied_credit_settles_the_oldest_open_invoices_first(invoice_for, open_credit):
    note = open_credit()  # 125.00
    # posted in date order: numbers ascend with dates in a series
    oldest = invoice_for("1", invoice_date=date(2026, 1, 1))  # 125.00
    middle = invoice_for("1", invoice_date=date(2026, 2, 1))  # 125.00
    newest = invoice_for("1", invoice_date=date(2026, 3, 1))  # 125.00
    payment_apply(
        payment=pay(invoice_for.customer, "25.00"), item=oldest.open_item, actor=None
    )  # 100.00 left on the oldest

    applications = credit_note_auto_apply(credit_note=note, actor=None)

    assert [a.transaction.invoice_id for a in applications] == [oldest.pk, middle.pk]
    assert (state(oldest), state(middle), state(newest)) == ("paid", "partly_paid", "unpaid")
    assert (remaining(middle), remaining(note)) == (Decimal("100.00"), Decimal("0.00"))


@pytest.mark.django_db
def test_applying_credit_leaves_the_customer_balance_as_it_was(invoice_for, open_credit):
    note = open_credit()
    invoice = invoice_for("2")  # 250.00
    before = receivables(invoice_for.customer)

    credit_note_apply(credit_note=note, item=invoice.open_item, actor=None)
    after = receivables(invoice_for.customer)

    assert before["balance"] == after["balance"] == Decimal("125.00")
    assert [i.remaining for i in after["open_items"]] == [Decimal("125.00")]
    assert sum(after["aging"].values()) == Decimal("125.00")


@pytest.mark.django_db
def test_a_draft_credit_note_has_no_credit_to_apply(invoice_for):
    invoice = invoice_for("1")
    draft = credit_note_create(invoice=invoice, actor=None)

    with pytest.raises(ConflictError) as refused:
        credit_note_auto_apply(credit_note=draft, actor=None)

    assert refused.value.code == "credit_not_open"


@pytest.mark.django_db
def test_an_application_comes_from_a_payment_or_a_credit_note_never_both(invoice_for, open_credit):
    note = open_credit()
    invoice = invoice_for("1")
    payment = pay(invoice_for.customer, "10.00")

    for source in ({}, {"payment": payment, "credit": note.open_item}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentApplication.objects.create(
                transaction=invoice.open_item, amount=Decimal("1.00"), **source
            )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_credit_applied_by_two_clerks_at_once_is_never_applied_twice(invoice_for, open_credit):
    import threading

    from django.db import connections

    note = open_credit()  # 125.00 open credit
    invoices = [invoice_for("1"), invoice_for("1")]
    start = threading.Barrier(len(invoices))
    refusals = []

    def clerk(invoice):
        try:
            start.wait()
            credit_note_apply(credit_note=note, item=invoice.open_item, actor=None)
        except ConflictError as exc:
            refusals.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert refusals == ["credit_not_open"]
    assert remaining(note) == Decimal("0.00")
    assert sorted(remaining(i) for i in invoices) == [Decimal("0.00"), Decimal("125.00")]
