"""Automatic application reads the structured payment reference (KID, OCR, RF) a payment
carries first: it names one invoice for certain, before the exact amount or the oldest item."""

from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.services.payments import payment_auto_apply, payment_register
from salesmkt.finance import payment_references
from salesmkt.finance.company import company_profile_update


def pay(customer, amount, reference):
    payment = payment_register(
        data={
            "customer": customer,
            "date": timezone.localdate(),
            "amount": Decimal(amount),
            "reference": reference,
        },
        actor=None,
    )
    payment_auto_apply(payment=payment, actor=None)


def remaining(*invoices) -> list[Decimal]:
    return [Invoice.objects.get(pk=invoice.pk).open_item.remaining for invoice in invoices]


@pytest.mark.django_db
def test_a_payment_with_a_kid_settles_the_invoice_of_that_kid_not_the_oldest(invoice_for):
    older, newer = invoice_for("1"), invoice_for("1")  # 125.00 each
    assert payment_references.kid_valid(newer.payment_reference, "mod10")

    pay(invoice_for.customer, "125.00", newer.payment_reference)

    assert remaining(older, newer) == [Decimal("125.00"), Decimal("0.00")]


@pytest.mark.django_db
def test_a_payment_with_an_rf_reference_printed_in_groups_of_four_settles_its_invoice(
    invoice_for,
):
    company_profile_update(data={"payment_reference": "rf"}, actor=None)
    older, newer = invoice_for("1"), invoice_for("1")
    printed = payment_references.rf_format(newer.payment_reference)
    assert " " in printed

    pay(invoice_for.customer, "125.00", printed)

    assert remaining(older, newer) == [Decimal("125.00"), Decimal("0.00")]


@pytest.mark.django_db
def test_a_grouped_rf_reference_within_the_payers_text_settles_its_invoice(invoice_for):
    company_profile_update(data={"payment_reference": "rf"}, actor=None)
    older, newer = invoice_for("1"), invoice_for("1")
    text = f"Betaling {payment_references.rf_format(newer.payment_reference)} takk"

    pay(invoice_for.customer, "125.00", text)

    assert remaining(older, newer) == [Decimal("125.00"), Decimal("0.00")]


@pytest.mark.django_db
def test_a_kid_inside_a_longer_number_is_no_match_and_the_usual_rules_apply(invoice_for):
    older, newer = invoice_for("1"), invoice_for("1")
    longer = f"9{newer.payment_reference}1"

    pay(invoice_for.customer, "125.00", longer)

    # Not the invoice whose KID the digits contain: the exact amount, oldest first.
    assert remaining(older, newer) == [Decimal("0.00"), Decimal("125.00")]
