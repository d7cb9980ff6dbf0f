"""The seed flow through the clerk UI: order 10, deliver part, invoice, deliver the rest, invoice;
or deliver twice and invoice both packing slips at once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from orders.models import PackingSlip, SalesOrder


@pytest.fixture
def posting_setup():
    from tests import factories as f

    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(
        number="3000", name="Sales", account_type="revenue"
    )
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()


@pytest.fixture
def clerk(client, user_in, posting_setup):
    client.force_login(user_in("sales manager", "accountant"))
    return client


@pytest.fixture
def confirmed_order(clerk, make_order):
    """An order of 10, confirmed with the order page's Confirm button."""
    order = make_order(quantities=["10"])
    clerk.post(reverse("orders:sales-orders-action", args=[order.pk, "confirm"]))
    order.refresh_from_db()
    assert order.document_status == SalesOrder.DocumentStatus.CONFIRMATION
    return order


def deliver(clerk, order, quantity: str) -> PackingSlip:
    """Post a packing slip with the order page's delivery form."""
    line = order.lines.get()
    page = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    assert f'name="deliver-{line.pk}"' in page
    clerk.post(
        reverse("orders:sales-orders-packing-slip", args=[order.pk]),
        {f"deliver-{line.pk}": quantity, "confirm": "1"},  # the confirmation's own button
    )
    return PackingSlip.objects.filter(order=order).latest("pk")


def invoice_order(clerk, order) -> Invoice:
    """The order page's Invoice button drafts; the invoice page's Post button posts."""
    page = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    assert reverse("invoicing:invoice-order", args=[order.pk]) in page
    drafted = clerk.post(reverse("invoicing:invoice-order", args=[order.pk]))
    invoice = Invoice.objects.get(pk=drafted.url.rstrip("/").rsplit("/", 1)[-1])
    post_invoice(clerk, invoice)
    return invoice


def post_invoice(clerk, invoice: Invoice) -> None:
    page = clerk.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()
    assert reverse("invoicing:invoices-action", args=[invoice.pk, "post"]) in page
    clerk.post(reverse("invoicing:invoices-action", args=[invoice.pk, "post"]))
    invoice.refresh_from_db()


def quantities(invoice: Invoice) -> list[Decimal]:
    return [line.quantity for line in invoice.lines.order_by("line_number")]


@pytest.mark.django_db
def test_an_order_delivered_and_invoiced_in_two_parts_ends_invoiced(clerk, confirmed_order):
    order = confirmed_order

    deliver(clerk, order, "4")
    first = invoice_order(clerk, order)
    order.refresh_from_db()
    assert (order.status, first.status, quantities(first)) == ("open", "posted", [Decimal("4")])

    deliver(clerk, order, "6")
    second = invoice_order(clerk, order)

    order.refresh_from_db()
    line = order.lines.get()
    assert order.status == SalesOrder.Status.INVOICED
    assert (second.status, quantities(second)) == ("posted", [Decimal("6")])
    assert [first.number, second.number] == ["INV000001", "INV000002"]
    assert (line.invoiced_quantity, line.invoice_remainder, line.deliver_remainder) == (
        Decimal("10"),
        Decimal("0"),
        Decimal("0"),
    )
    assert Invoice.objects.filter(status="posted", kind="customer").count() == 2


@pytest.mark.django_db
def test_two_packing_slips_are_invoiced_together_from_the_packing_slips_page(
    clerk, confirmed_order
):
    order = confirmed_order
    first = deliver(clerk, order, "4")
    second = deliver(clerk, order, "6")
    page = reverse("invoicing:packing-slips")
    listed = [
        row["slip"] for row in clerk.get(page, {"customer": order.customer_id}).context["rows"]
    ]
    assert listed == [first, second]

    drafted = clerk.post(page, {"slips": [first.pk, second.pk]})
    invoice = Invoice.objects.get()
    assert drafted.url == reverse("invoicing:invoices-detail", args=[invoice.pk])
    post_invoice(clerk, invoice)

    order.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.sales_order) == ("posted", "INV000001", order)
    assert quantities(invoice) == [Decimal("4"), Decimal("6")]
    assert order.status == SalesOrder.Status.INVOICED
    assert all(slip.invoiced for slip in PackingSlip.objects.filter(order=order))

    again = clerk.post(page, {"slips": [first.pk, second.pk]}, follow=True)

    assert "Already invoiced" in again.content.decode()
    assert Invoice.objects.count() == 1
    assert again.context["rows"] == []
