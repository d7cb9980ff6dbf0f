"""Payment entry with application, credit note application and the customer statement."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from invoicing.models import CustomerTransaction, Invoice, Payment
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from invoicing.services.payments import payment_apply, payment_register
from orders.services.delivery import packing_slip_post
from tests import factories as f


@pytest.fixture
def invoice_for(make_order):
    """invoice_for("2", invoice_date=...) posts an invoice of 125.00 per unit to one customer."""
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(number="3000", account_type="revenue")
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", account_type="liability")
    code.save()
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    customer = f.CustomerFactory(posting_profile=profile, credit_limit=0)

    def make(quantity="1", invoice_date=None):
        order = make_order(customer=customer, quantities=[quantity])
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
            actor=None,
        )
        invoice = invoice_from_order(order=order, actor=None)
        return invoice_post(invoice=invoice, actor=None, invoice_date=invoice_date)

    make.customer = customer
    return make


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


def remaining(invoice):
    return CustomerTransaction.objects.get(invoice=invoice).remaining


@pytest.fixture
def accountant(client, user_in):
    client.force_login(user_in("accountant"))
    return client


@pytest.mark.django_db
def test_a_payment_is_registered_from_the_form_prefilled_with_the_customer(accountant, invoice_for):
    customer = invoice_for.customer
    form = accountant.get(reverse("invoicing:payments-create") + f"?customer={customer.pk}")

    created = accountant.post(
        reverse("invoicing:payments-create"),
        {"customer": customer.pk, "date": "2026-11-20", "amount": "300.00", "reference": "Bank"},
    )

    payment = Payment.objects.get()
    assert f'<option value="{customer.pk}" selected>' in form.content.decode()
    assert created.status_code == 302
    assert (payment.amount, payment.unapplied, payment.currency) == (
        Decimal("300.00"),
        Decimal("300.00"),
        customer.currency,
    )
    assert payment.voucher.entries.count() == 2


@pytest.mark.django_db
def test_the_payment_page_shows_the_voucher_and_apply_forms_prefilled_with_what_fits(
    accountant, invoice_for
):
    invoice = invoice_for("2")  # 250.00
    payment = pay(invoice_for.customer, "100.00")

    page = accountant.get(reverse("invoicing:payments-detail", args=[payment.pk])).content.decode()

    assert payment.voucher.number in page
    assert invoice.number in page
    assert 'name="amount" value="100.00"' in page
    assert reverse("invoicing:payments-action", args=[payment.pk, "auto_apply"]) in page
    assert reverse("invoicing:payments-update", args=[payment.pk]) not in page


@pytest.mark.django_db
def test_the_apply_button_applies_the_payment_to_the_open_item(accountant, invoice_for):
    invoice = invoice_for("2")  # 250.00
    payment = pay(invoice_for.customer, "300.00")

    accountant.post(
        reverse("invoicing:payment-apply", args=[payment.pk]),
        {"item": invoice.open_item.pk, "amount": "250.00"},
    )

    payment.refresh_from_db()
    assert (payment.unapplied, remaining(invoice)) == (Decimal("50.00"), Decimal("0.00"))
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "paid"
    page = accountant.get(reverse("invoicing:payments-detail", args=[payment.pk])).content.decode()
    assert "payment-applications" in page and invoice.number in page


@pytest.mark.django_db
def test_an_over_application_shows_the_reason_and_changes_nothing(accountant, invoice_for):
    invoice = invoice_for("1")  # 125.00
    payment = pay(invoice_for.customer, "500.00")

    response = accountant.post(
        reverse("invoicing:payment-apply", args=[payment.pk]),
        {"item": invoice.open_item.pk, "amount": "200.00"},
        follow=True,
    )

    payment.refresh_from_db()
    assert "Apply at most 125.00" in response.content.decode()
    assert (payment.unapplied, remaining(invoice)) == (Decimal("500.00"), Decimal("125.00"))


@pytest.mark.django_db
def test_the_auto_apply_button_settles_the_oldest_invoice_first(accountant, invoice_for):
    older = invoice_for("1", invoice_date=date(2026, 1, 1))
    newer = invoice_for("1", invoice_date=date(2026, 3, 1))
    payment = pay(invoice_for.customer, "125.00")

    accountant.post(reverse("invoicing:payments-action", args=[payment.pk, "auto_apply"]))

    assert (remaining(older), remaining(newer)) == (Decimal("0.00"), Decimal("125.00"))


@pytest.mark.django_db
def test_a_payment_page_offers_only_open_items_in_the_payments_currency(accountant, invoice_for):
    invoice = invoice_for("1")  # in the customer's currency
    euro = payment_register(
        data={
            "customer": invoice_for.customer,
            "date": timezone.localdate(),
            "amount": Decimal("10.00"),
            "currency": f.CurrencyFactory(code="EUR"),
        },
        actor=None,
    )
    home = pay(invoice_for.customer, "10.00")

    euro_page = accountant.get(reverse("invoicing:payments-detail", args=[euro.pk]))
    home_page = accountant.get(reverse("invoicing:payments-detail", args=[home.pk]))

    assert euro_page.context["open_items"] == []
    assert invoice.number not in euro_page.content.decode()
    assert [row["item"] for row in home_page.context["open_items"]] == [invoice.open_item]


@pytest.mark.django_db
def test_settling_a_payment_from_its_page_needs_the_permission_to_apply_payments(
    client, user_in, invoice_for
):
    invoice = invoice_for("1")
    payment = pay(invoice_for.customer, "125.00")
    clerk = user_in()  # may view and change payments, not apply them
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="invoicing", codename__in=["view_payment", "change_payment"]
        )
    )
    client.force_login(clerk)
    auto_apply = reverse("invoicing:payments-action", args=[payment.pk, "auto_apply"])

    page = client.get(reverse("invoicing:payments-detail", args=[payment.pk])).content.decode()
    refused = client.post(auto_apply)

    assert auto_apply not in page and 'name="item"' not in page
    assert refused.status_code == 403
    assert remaining(invoice) == Decimal("125.00")


@pytest.mark.django_db
def test_a_posted_payment_cannot_be_edited_or_deleted(client, user_in, invoice_for):
    payment = pay(invoice_for.customer, "100.00")
    client.force_login(user_in(is_superuser=True))

    edited = client.post(
        reverse("invoicing:payments-update", args=[payment.pk]),
        {
            "customer": invoice_for.customer.pk,
            "date": "2026-01-01",
            "amount": "1.00",
            "reference": "changed",
        },
    )
    deleted = client.post(reverse("invoicing:payments-delete", args=[payment.pk]))

    payment.refresh_from_db()
    assert edited.status_code == 400 and deleted.status_code == 302
    assert (payment.amount, payment.reference) == (Decimal("100.00"), "")


@pytest.mark.django_db
def test_the_payment_list_searches_by_reference(accountant, invoice_for):
    pay(invoice_for.customer, "10.00", reference="Giro 4711")
    pay(invoice_for.customer, "20.00", reference="Cash")

    page = accountant.get(reverse("invoicing:payments-list") + "?q=4711").content.decode()

    assert "Giro 4711" in page and "Cash" not in page


@pytest.fixture
def credit_note(invoice_for):
    paid = invoice_for("1", invoice_date=date(2025, 12, 1))
    payment_apply(payment=pay(invoice_for.customer, "125.00"), item=paid.open_item, actor=None)
    return invoice_post(invoice=credit_note_create(invoice=paid, actor=None), actor=None)


@pytest.mark.django_db
def test_a_credit_notes_open_credit_is_applied_to_the_oldest_invoices_from_its_page(
    accountant, invoice_for, credit_note
):
    older = invoice_for("1", invoice_date=date(2026, 1, 1))
    newer = invoice_for("1", invoice_date=date(2026, 3, 1))
    page = accountant.get(
        reverse("invoicing:invoices-detail", args=[credit_note.pk])
    ).content.decode()

    accountant.post(reverse("invoicing:invoices-action", args=[credit_note.pk, "apply_credit"]))

    assert "Apply to oldest invoices" in page and newer.number in page
    assert (remaining(older), remaining(newer)) == (Decimal("0.00"), Decimal("125.00"))
    after = accountant.get(reverse("invoicing:invoices-detail", args=[credit_note.pk]))
    assert "credit-application" not in after.content.decode()


@pytest.mark.django_db
def test_a_credit_note_is_applied_to_a_chosen_invoice_from_its_page(
    accountant, invoice_for, credit_note
):
    invoice = invoice_for("2")  # 250.00

    accountant.post(
        reverse("invoicing:invoice-apply-credit", args=[credit_note.pk]),
        {"item": invoice.open_item.pk, "amount": "50.00"},
    )

    assert (remaining(invoice), remaining(credit_note)) == (Decimal("200.00"), Decimal("-75.00"))
    assert Invoice.objects.get(pk=invoice.pk).payment_state == "partly_paid"


@pytest.mark.django_db
def test_the_customer_statement_shows_balance_aging_open_items_and_payments(
    accountant, invoice_for, credit_note
):
    invoice = invoice_for("2")  # 250.00 open, 125.00 open credit
    unapplied = pay(invoice_for.customer, "25.00", reference="On account")

    page = accountant.get(
        reverse("invoicing:customer-statement", args=[invoice_for.customer.pk])
    ).content.decode()

    assert 'id="statement-balance">100.00' in page
    assert invoice.number in page and credit_note.number in page
    assert unapplied.number in page
    assert 'id="data-aging"' in page and 'data-chart="data-aging"' in page
    register = reverse("invoicing:payments-create") + f"?customer={invoice_for.customer.pk}"
    assert register in page


@pytest.mark.django_db
def test_the_aging_chart_and_table_carry_each_buckets_open_amount(accountant, invoice_for):
    customer = invoice_for.customer
    today = timezone.localdate()
    for days, amount in [(0, "10.00"), (15, "20.00"), (45, "30.00"), (75, "40.00"), (120, "50.00")]:
        CustomerTransaction.objects.create(
            customer=customer,
            date=today,
            due_date=today - timedelta(days=days),
            amount=Decimal(amount),
            remaining=Decimal(amount),
            currency=customer.currency,
        )

    response = accountant.get(reverse("invoicing:customer-statement", args=[customer.pk]))

    chart = response.context["chart"]
    assert chart["values"] == ["10.00", "20.00", "30.00", "40.00", "50.00"]
    assert chart["labels"] == ["Not due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]
    page = response.content.decode()
    assert json.dumps(chart["values"]) in page  # the data the chart script reads
    assert response.context["aging_total"] == Decimal("150.00")
    assert '<span class="text-danger">120</span>' in page  # days overdue of the oldest item


@pytest.mark.django_db
def test_customer_and_invoice_pages_link_to_the_statement(client, user_in, invoice_for):
    invoice = invoice_for("1")
    client.force_login(user_in("accountant", "sales manager"))
    statement = reverse("invoicing:customer-statement", args=[invoice_for.customer.pk])

    customer_page = client.get(reverse("crm:customers-detail", args=[invoice_for.customer.pk]))
    invoice_page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk]))

    assert statement in customer_page.content.decode()
    assert statement in invoice_page.content.decode()


@pytest.mark.django_db
def test_the_statement_needs_the_receivables_permission(client, user_in, invoice_for):
    client.force_login(user_in("sales clerk"))

    response = client.get(reverse("invoicing:customer-statement", args=[invoice_for.customer.pk]))

    assert response.status_code == 403
