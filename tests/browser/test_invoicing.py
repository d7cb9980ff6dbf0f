"""The invoicing pages in Chromium: one invoice from two packing slips picked on the selection
page, posted; an invoice run whose progress bar ends at 100 %."""

import re
from decimal import Decimal

import pytest

from invoicing.models import Invoice, InvoiceRun
from orders.services.delivery import packing_slip_post
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def posting_setup():
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(
        number="3000", name="Sales", account_type="revenue"
    )
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()


def deliver(order, quantity):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
        actor=None,
    )


def test_two_packing_slips_become_one_posted_invoice(page, login, make_order, posting_setup):
    f.UserFactory(username="clerk", groups=["accountant", "sales manager"])
    order = make_order(quantities=["10"])
    first, second = deliver(order, "4"), deliver(order, "6")

    login("clerk")
    page.goto("/invoicing/packing-slips/")
    page.check(f"#customer-{order.customer.pk}")  # selects both slips of the customer
    assert page.is_checked(f"#slip-{first.pk}") and page.is_checked(f"#slip-{second.pk}")
    page.get_by_role("button", name=re.compile("Create invoice")).click()
    page.get_by_role("button", name=re.compile(r"\bPost$")).click()
    page.wait_for_selector("text=INV000001")

    invoice = Invoice.objects.get()
    order.refresh_from_db()
    assert (invoice.status, invoice.lines.count()) == ("posted", 2)
    assert order.status == "invoiced"


def test_an_invoice_runs_progress_bar_ends_at_100_percent(page, login, make_order, posting_setup):
    f.UserFactory(username="accountant", groups=["accountant"])
    for _ in range(3):
        deliver(make_order(quantities=["2"]), "2")

    login("accountant")
    page.goto("/invoicing/runs/new/")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#run-progress .progress-bar:has-text('100 %')")

    run = InvoiceRun.objects.get()
    assert run.status == "done" and run.rows.filter(status="posted").count() == 3
    assert page.locator("tr[data-status='posted']").count() == 3
