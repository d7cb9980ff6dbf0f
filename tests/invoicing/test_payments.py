"""Customer payments: application by hand and automatically, payment state, aging."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import CustomerTransaction, Invoice
from invoicing.services.credit_notes import invoice_cancel
from invoicing.services.payments import (
    payment_apply,
    payment_auto_apply,
    payment_register,
    receivables,
)
from salesmkt.core.errors import ConflictError
from tests import factories as f


def pay(customer, amount, reference=""):
    return payment_register(
        data={
            "customer": customer,
            "date": timezone.localdate(),
            "amount": Decimal(amount),
            "reference": reference,
        },
        actor=None,
    )


@pytest.mark.django_db
def test_a_partial_payment_leaves_the_rest_open_and_the_invoice_partly_paid(invoice_for):
    invoice = invoice_for("2")  # 250.00

    payment_apply(payment=pay(invoice_for.customer, "100.00"), item=invoice.open_item, actor=None)

    invoice.refresh_from_db()
    assert (invoice.open_item.remaining, invoice.payment_state) == (
        Decimal("150.00"),
        "partly_paid",
    )


@pytest.mark.django_db
def test_auto_application_takes_the_invoice_in_the_reference_then_the_exact_amount_then_the_oldest(
    invoice_for,
):
    old = invoice_for("1", invoice_date=date(2026, 1, 1))  # 125.00, oldest
    named = invoice_for("3", invoice_date=date(2026, 2, 1))  # 375.00
    exact = invoice_for("2", invoice_date=date(2026, 3, 1))  # 250.00

    payment_auto_apply(
        payment=pay(invoice_for.customer, "375.00", reference=f"Payment {named.number}"), actor=None
    )
    payment_auto_apply(payment=pay(invoice_for.customer, "250.00"), actor=None)
    payment_auto_apply(payment=pay(invoice_for.customer, "100.00"), actor=None)

    remaining = {
        i.number: i.open_item.remaining
        for i in Invoice.objects.filter(pk__in=[old.pk, exact.pk, named.pk])
    }
    assert remaining == {
        named.number: Decimal("0.00"),
        exact.number: Decimal("0.00"),
        old.number: Decimal("25.00"),
    }


@pytest.mark.django_db
def test_an_unapplied_payment_stays_as_the_customers_credit(invoice_for):
    invoice = invoice_for("1")  # 125.00

    payment = pay(invoice_for.customer, "200.00")
    payment_auto_apply(payment=payment, actor=None)

    payment.refresh_from_db()
    assert payment.unapplied == Decimal("75.00")
    assert receivables(invoice_for.customer)["balance"] == Decimal("-75.00")
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "paid"


@pytest.mark.django_db
def test_more_than_is_open_cannot_be_applied(invoice_for):
    invoice = invoice_for("1")

    with pytest.raises(ConflictError) as refused:
        payment_apply(
            payment=pay(invoice_for.customer, "500.00"),
            item=invoice.open_item,
            amount=Decimal("200.00"),
            actor=None,
        )

    assert refused.value.code == "over_application"


@pytest.mark.django_db
def test_a_paid_invoice_cannot_be_canceled(invoice_for):
    invoice = invoice_for("1")
    payment_auto_apply(payment=pay(invoice_for.customer, "125.00"), actor=None)

    with pytest.raises(ConflictError) as refused:
        invoice_cancel(invoice=Invoice.objects.get(pk=invoice.pk), actor=None)

    assert refused.value.code == "invoice_paid"


@pytest.mark.django_db
def test_aging_puts_open_items_into_buckets_by_days_overdue(invoice_for):
    invoice_for("1")
    today = timezone.localdate()
    for days, amount in [(0, "10.00"), (15, "20.00"), (45, "30.00"), (75, "40.00"), (120, "50.00")]:
        CustomerTransaction.objects.create(
            customer=invoice_for.customer,
            date=today,
            due_date=today - timedelta(days=days),
            amount=Decimal(amount),
            remaining=Decimal(amount),
            currency=invoice_for.customer.currency,
        )

    aging = receivables(invoice_for.customer, today=today)["aging"]

    assert aging == {
        "current": Decimal("135.00"),
        "1-30": Decimal("20.00"),
        "31-60": Decimal("30.00"),
        "61-90": Decimal("40.00"),
        "over-90": Decimal("50.00"),
    }


@pytest.mark.django_db
def test_the_api_registers_and_auto_applies_a_payment(api_as, invoice_for):
    invoice = invoice_for("1")
    accountant = api_as("accountant")

    registered = accountant.post(
        "/api/v1/payments/",
        {
            "customer": invoice_for.customer.pk,
            "date": "2026-11-21",
            "amount": "125.00",
            "reference": invoice.number,
        },
        format="json",
    )
    applied = accountant.post(f"/api/v1/payments/{registered.json()['id']}/auto-apply/")
    statement = accountant.get(f"/api/v1/receivables/{invoice_for.customer.pk}/")

    assert registered.status_code == 201 and applied.json()["unapplied"] == "0.00"
    assert statement.json()["balance"] == "0.00"


@pytest.mark.django_db
def test_a_payment_is_never_applied_to_an_item_in_another_currency(invoice_for):
    invoice = invoice_for()
    euro = f.CurrencyFactory(code="EUR")
    payment = payment_register(
        data={
            "customer": invoice.customer,
            "date": invoice.invoice_date,
            "amount": Decimal("10.00"),
            "currency": euro,
        },
        actor=None,
    )

    with pytest.raises(ConflictError) as refused:
        payment_apply(payment=payment, item=invoice.open_item, actor=None)

    assert refused.value.code == "other_currency"
    assert payment_auto_apply(payment=payment, actor=None) == []
    invoice.open_item.refresh_from_db()
    assert invoice.open_item.remaining == invoice.total_amount
