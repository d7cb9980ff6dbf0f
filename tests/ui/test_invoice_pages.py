from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from orders.services.delivery import packing_slip_post
from tests import factories as f


@pytest.mark.django_db
def test_an_order_is_invoiced_and_posted_from_the_ui(client, user_in, make_order):
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    order = make_order(quantities=["4"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("4")}], actor=None
    )
    client.force_login(user_in("accountant", "sales manager"))

    drafted = client.post(reverse("invoicing:invoice-order", args=[order.pk]), follow=True)
    invoice = Invoice.objects.get()
    assert "/do/post/" in drafted.content.decode()
    client.post(reverse("invoicing:invoices-action", args=[invoice.pk, "post"]))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.total_amount) == (
        "posted",
        "INV000001",
        Decimal("500.00"),
    )
    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()
    assert "/do/post/" not in page and invoice.voucher.number in page
