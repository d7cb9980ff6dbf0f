"""The receivables API: a customer's balance, open items and aging; applying credit notes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoicing.models import CustomerTransaction
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_post
from invoicing.services.payments import payment_apply, payment_register


@pytest.fixture
def credit_note(invoice_for):
    """A posted credit note with 125.00 open credit (its invoice was paid)."""
    paid = invoice_for("1", invoice_date=date(2025, 12, 1))
    payment = payment_register(
        data={
            "customer": invoice_for.customer,
            "date": timezone.localdate(),
            "amount": Decimal("125.00"),
        },
        actor=None,
    )
    payment_apply(payment=payment, item=paid.open_item, actor=None)
    return invoice_post(invoice=credit_note_create(invoice=paid, actor=None), actor=None)


@pytest.mark.django_db
def test_the_api_applies_a_credit_note_to_an_open_invoice(api_as, invoice_for, credit_note):
    invoice = invoice_for("2")  # 250.00
    accountant = api_as("accountant")

    applied = accountant.post(
        f"/api/v1/credit-notes/{credit_note.pk}/apply/",
        {"item": invoice.open_item.pk, "amount": "100.00"},
        format="json",
    )
    rest = accountant.post(f"/api/v1/credit-notes/{credit_note.pk}/auto-apply/")

    assert applied.status_code == 200, applied.content
    assert applied.json()["remaining_credit"] == "-25.00"
    assert applied.json()["applications"][0]["amount"] == "100.00"
    assert rest.json()["remaining_credit"] == "0.00"
    assert accountant.get(f"/api/v1/invoices/{invoice.pk}/").json()["payment_state"] == (
        "partly_paid"
    )


@pytest.mark.django_db
def test_the_api_refuses_applying_more_credit_than_is_open_with_409(
    api_as, invoice_for, credit_note
):
    invoice = invoice_for("2")

    refused = api_as("accountant").post(
        f"/api/v1/credit-notes/{credit_note.pk}/apply/",
        {"item": invoice.open_item.pk, "amount": "200.00"},
        format="json",
    )

    assert (refused.status_code, refused.json()["code"]) == (409, "over_application")
    assert CustomerTransaction.objects.get(invoice=invoice).remaining == Decimal("250.00")


@pytest.mark.django_db
def test_applying_a_credit_note_needs_the_application_permission(api_as, invoice_for, credit_note):
    invoice = invoice_for("1")

    refused = api_as("sales clerk").post(
        f"/api/v1/credit-notes/{credit_note.pk}/apply/",
        {"item": invoice.open_item.pk},
        format="json",
    )

    assert refused.status_code == 403


@pytest.mark.django_db
def test_the_api_answers_a_customers_balance(api_as, invoice_for, credit_note):
    invoice_for("2")  # 250.00 open, 125.00 open credit
    payment_register(
        data={"customer": invoice_for.customer, "date": timezone.localdate(), "amount": 50},
        actor=None,
    )

    body = api_as("accountant").get(f"/api/v1/receivables/{invoice_for.customer.pk}/balance/")

    assert body.json() == {
        "customer": invoice_for.customer.pk,
        "currency": invoice_for.customer.currency.code,
        "balance": "75.00",
        "open_items_total": "125.00",
        "unapplied_payments": "50.00",
    }


@pytest.mark.django_db
def test_the_api_lists_a_customers_open_items_oldest_due_first(api_as, invoice_for, credit_note):
    earlier = invoice_for("1", invoice_date=date(2026, 2, 1))
    later = invoice_for("2", invoice_date=date(2026, 3, 1))

    body = api_as("accountant").get(f"/api/v1/receivables/{invoice_for.customer.pk}/open-items/")

    rows = body.json()["results"]
    assert [(row["invoice"], row["remaining"]) for row in rows] == [
        (earlier.number, "125.00"),
        (later.number, "250.00"),
        (credit_note.number, "-125.00"),  # posted today, due last
    ]


@pytest.mark.django_db
def test_the_open_items_list_query_count_does_not_grow_with_rows(api_as, invoice_for):
    accountant = api_as("accountant")
    url = f"/api/v1/receivables/{invoice_for.customer.pk}/open-items/"
    invoice_for("1")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert accountant.get(url).status_code == 200
        return len(queries)

    count()  # the first request also loads the user's permissions
    few = count()
    for _ in range(5):
        invoice_for("1")

    assert count() == few


@pytest.mark.django_db
def test_the_api_answers_a_customers_aging_by_days_overdue(api_as, invoice_for):
    as_of = timezone.localdate() + timedelta(days=100)  # not today: the parameter is heeded
    for days, amount in [(0, "10.00"), (15, "20.00"), (45, "30.00"), (120, "50.00")]:
        CustomerTransaction.objects.create(
            customer=invoice_for.customer,
            date=as_of,
            due_date=as_of - timedelta(days=days),
            amount=Decimal(amount),
            remaining=Decimal(amount),
            currency=invoice_for.customer.currency,
        )

    body = (
        api_as("accountant")
        .get(f"/api/v1/receivables/{invoice_for.customer.pk}/aging/?as_of={as_of.isoformat()}")
        .json()
    )

    assert body["total"] == "110.00"
    assert {b["bucket"]: b["amount"] for b in body["buckets"]} == {
        "current": "10.00",
        "1-30": "20.00",
        "31-60": "30.00",
        "61-90": "0.00",
        "over-90": "50.00",
    }


@pytest.mark.django_db
def test_receivables_of_an_unknown_customer_answer_404(api_as):
    accountant = api_as("accountant")

    for part in ("balance", "open-items", "aging"):
        assert accountant.get(f"/api/v1/receivables/999999/{part}/").status_code == 404
