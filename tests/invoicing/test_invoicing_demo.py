from io import StringIO

import pytest
from django.core.management import call_command

from invoicing.models import Invoice, Payment, PaymentApplication
from invoicing.selectors import invoiceable_packing_slips
from invoicing.services.payments import AGING_BUCKETS, receivables


@pytest.mark.django_db
def test_the_demo_fills_every_aging_bucket_and_shows_each_kind_of_payment():
    call_command("load_demo", stdout=StringIO())
    counts = (Invoice.objects.count(), Payment.objects.count())
    call_command("load_demo", stdout=StringIO())

    assert (Invoice.objects.count(), Payment.objects.count()) == counts
    customers = {i.customer for i in Invoice.objects.filter(status="posted")}
    filled = {
        bucket
        for customer in customers
        for bucket, amount in receivables(customer)["aging"].items()
        if amount > 0
    }
    assert filled == {name for name, _low, _high in AGING_BUCKETS}
    assert len(customers) >= 4
    assert Invoice.objects.filter(kind="credit_note", status="posted").exists()
    assert Invoice.objects.filter(payment_state="paid").exists()
    # a return tied to the sale: its credit note settles part of the invoice it was sold on
    assert PaymentApplication.objects.filter(
        credit__invoice__sales_order__order_type="returned"
    ).exists()
    payments = list(Payment.objects.all())
    assert any(p.unapplied == 0 for p in payments)  # fully applied
    assert any(0 < p.unapplied < p.amount for p in payments)  # partly applied
    assert any(p.unapplied == p.amount for p in payments)  # the customer's credit
    assert len(invoiceable_packing_slips()) == 2
