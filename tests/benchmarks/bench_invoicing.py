"""Invoicing benchmarks on PostgreSQL (run with `make bench`).

Posting measures posting only: the PDF it queues is rendered on commit, which a django_db test
never reaches and the invoice run (committed per customer) counts instead of rendering.
Rendering is measured on its own, from a recorded document to the PDF file.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings

from crm.models import Customer, Party, PartyAddress
from inventory.models import Item
from invoicing.einvoice import validation
from invoicing.models import Invoice, InvoiceRunCustomer
from invoicing.services import invoices, runs
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from salesmkt.core import documents
from salesmkt.core.documents import document_request, render
from salesmkt.core.models import Document
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
RUN_CUSTOMERS = 1_000
SHIP_DATE = date(2026, 12, 1)


@pytest.fixture
def setup():
    """Posting setup (revenue account on the posting profile, tax account on the tax code), a
    warehouse and 1,000 items."""
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    tax = f.SalesTaxCodeFactory()
    tax.tax_account = vat
    tax.save()
    unit = f.UnitFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"I{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(1000)
    )
    return SimpleNamespace(profile=profile, warehouse=f.WarehouseFactory(), items=items)


def delivered_order(customer, setup, lines, repeat=1):
    """An order of `lines` items (each `repeat` times), delivered whole on one packing slip."""
    order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": SHIP_DATE,
            "lines": [
                {"item": item, "warehouse": setup.warehouse, "quantity": Decimal("3")}
                for _ in range(repeat)
                for item in setup.items[:lines]
            ],
        },
        actor=None,
    )
    packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=None,
        delivery_date=SHIP_DATE,
    )
    return order


def customers(count, setup):
    """Customers with a party and an invoice address, created in bulk (as an import would)."""
    template = f.CustomerFactory(posting_profile=setup.profile, credit_limit=0)
    parties = Party.objects.bulk_create(
        Party(name=f"Bench customer {n} AS", email=f"bench{n}@example.com", language="nb")
        for n in range(count)
    )
    PartyAddress.objects.bulk_create(
        PartyAddress(
            party=party,
            purpose=PartyAddress.Purpose.INVOICE,
            street="Storgata 1",
            postal_code="0155",
            city="Oslo",
            country="NO",
        )
        for party in parties
    )
    return Customer.objects.bulk_create(
        Customer(
            party=party,
            account_number=f"B{n:05d}",
            customer_group_id=template.customer_group_id,
            payment_terms_id=template.payment_terms_id,
            credit_limit=0,
            currency_id=template.currency_id,
            sales_tax_group_id=template.sales_tax_group_id,
            posting_profile=setup.profile,
        )
        for n, party in enumerate(parties)
    )


@pytest.fixture
def rules_loaded():
    """The e-invoice rules compiled, as a worker has them after its start: posting is measured,
    not the one-off compilation of the rules its gate checks with."""
    validation.warm_up("ubl", peppol=False)


def test_post_one_invoice_of_1000_lines(benchmark, setup, rules_loaded):
    (customer,) = customers(1, setup)

    def make():
        order = delivered_order(customer, setup, 1000)
        return (invoice_from_order(order=order, actor=None),), {}

    def post(invoice):
        return invoice_post(invoice=invoice, actor=None, invoice_date=SHIP_DATE)

    invoice = benchmark.pedantic(post, setup=make, rounds=3, iterations=1)

    assert invoice.status == Invoice.Status.POSTED and invoice.lines.count() == 1000
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["lines_per_second"] = round(1000 / seconds)
    print(f"\npost 1,000 lines: {seconds:.2f} s = {1000 / seconds:.0f} lines/s")


def test_post_one_invoice_of_1000_lines_without_its_e_invoice_gate(benchmark, setup):
    """The same posting with its e-invoice gate (the official rules, run on the UBL) left out:
    what posting itself costs. The gate alone is measured in `bench_einvoice.py`
    (`test_posting_gate`); with it this is `test_post_one_invoice_of_1000_lines`."""
    (customer,) = customers(1, setup)

    def make():
        order = delivered_order(customer, setup, 1000)
        return (invoice_from_order(order=order, actor=None),), {}

    def post(invoice):
        return invoice_post(invoice=invoice, actor=None, invoice_date=SHIP_DATE)

    with mock.patch.object(invoices, "refuse_invalid") as gate:
        invoice = benchmark.pedantic(post, setup=make, rounds=3, iterations=1)

    assert gate.call_count == 3
    assert invoice.status == Invoice.Status.POSTED and invoice.lines.count() == 1000
    seconds = benchmark.stats.stats.median
    print(f"\npost 1,000 lines without the gate: {seconds:.2f} s = {1000 / seconds:.0f} lines/s")


def test_post_one_invoice_of_5000_lines(benchmark, setup, rules_loaded):
    """A 5,000-line order (its items repeated five times over), delivered whole and invoiced:
    posting the invoice, the order's remainders and movements included."""
    (customer,) = customers(1, setup)
    order = delivered_order(customer, setup, 1000, repeat=5)
    invoice = invoice_from_order(order=order, actor=None)

    posted = benchmark.pedantic(
        invoice_post,
        kwargs={"invoice": invoice, "actor": None, "invoice_date": SHIP_DATE},
        rounds=1,
        iterations=1,
    )

    assert posted.status == Invoice.Status.POSTED and posted.lines.count() == 5000
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["lines_per_second"] = round(5000 / seconds)
    print(f"\npost 5,000 lines: {seconds:.2f} s = {5000 / seconds:.0f} lines/s")


@pytest.mark.django_db(transaction=True)
def test_invoice_run_1000_customers_of_5_lines(benchmark, setup):
    """Committed per customer as in production (in one test transaction, 1,000 customers' worth
    of savepoints and dead row versions made it 60 % slower). The PDFs each posting queues on
    commit are counted, not rendered."""
    with mock.patch.object(documents, "_queue") as render_queue:
        for customer in customers(RUN_CUSTOMERS, setup):
            delivered_order(customer, setup, 5)
        render_queue.reset_mock()

        def run_all():
            with mock.patch.object(runs, "_queue") as run_queue:
                run = runs.invoice_run_create(
                    up_to_date=SHIP_DATE, actor=None, invoice_date=SHIP_DATE
                )
            run_queue.assert_called_once_with(run.pk)
            return runs.invoice_run_process(run.pk)

        progress = benchmark.pedantic(run_all, rounds=1, iterations=1)

    assert render_queue.call_count == RUN_CUSTOMERS
    assert progress["posted"] == RUN_CUSTOMERS and progress["failed"] == 0, progress
    assert not InvoiceRunCustomer.objects.exclude(status="posted").exists()
    assert Invoice.objects.filter(status=Invoice.Status.POSTED).count() == RUN_CUSTOMERS
    seconds = benchmark.stats.stats.min
    benchmark.extra_info["invoices_per_second"] = round(RUN_CUSTOMERS / seconds)
    print(
        f"\ninvoice run: {RUN_CUSTOMERS} invoices in {seconds:.2f} s"
        f" = {RUN_CUSTOMERS / seconds:.0f} invoices/s"
    )


@pytest.mark.parametrize("lines", [10, 200])
def test_render_invoice_pdf(benchmark, setup, lines):
    (customer,) = customers(1, setup)
    order = delivered_order(customer, setup, lines)
    invoice = invoice_post(
        invoice=invoice_from_order(order=order, actor=None), actor=None, invoice_date=SHIP_DATE
    )

    def make():
        document = document_request(
            obj=invoice, kind="invoice", title=f"Invoice {invoice.number}", language="nb"
        )
        return (document.pk,), {}

    document = benchmark.pedantic(render, setup=make, rounds=5, iterations=1)

    assert document.status == Document.Status.RENDERED
    assert (Path(settings.MEDIA_ROOT) / document.file).read_bytes()[:5] == b"%PDF-"
