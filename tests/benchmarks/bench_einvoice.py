"""E-invoice benchmarks on PostgreSQL (run with `make bench`): what Factur-X adds to rendering
an invoice PDF of 10 lines.

Both rows render the same posted invoice from a recorded document to the PDF file. "plain" runs
without the invoice's finisher (a plain WeasyPrint PDF, as a pro forma is); "Factur-X" is what
posting renders: WeasyPrint PDF/A-3b, the CII XML written, attached with the Factur-X XMP, and
the dates pinned to the posting. The parts are timed once more on their own, for the breakdown.
"""

from decimal import Decimal
from pathlib import Path
from time import perf_counter
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from facturx import xml_check_xsd
from weasyprint import HTML

from inventory.models import Item
from invoicing.einvoice import facturx
from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.model import from_invoice
from invoicing.services.invoices import invoice_from_order, invoice_post
from salesmkt.core import documents
from salesmkt.core.documents import document_request, render
from salesmkt.core.models import Document
from tests import factories as f
from tests.benchmarks.bench_invoicing import SHIP_DATE, customers, delivered_order, setup

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
LINES = 10
__all__ = ["setup"]  # the fixture, shared with the invoicing benchmarks


@pytest.fixture
def invoice(setup):
    (customer,) = customers(1, setup)
    order = delivered_order(customer, setup, LINES)
    return invoice_post(
        invoice=invoice_from_order(order=order, actor=None), actor=None, invoice_date=SHIP_DATE
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


@pytest.mark.parametrize("variant", ["plain", "factur-x"])
def test_render_invoice_pdf_plain_and_factur_x(benchmark, invoice, variant):
    def make():
        document = document_request(
            obj=invoice, kind="invoice", title=f"Invoice {invoice.number}", language="nb"
        )
        return (document.pk,), {}

    finishers = {} if variant == "plain" else documents.FINISHERS
    with mock.patch.dict(documents.FINISHERS, finishers, clear=True):
        document = benchmark.pedantic(render, setup=make, rounds=7, iterations=1, warmup_rounds=1)

    assert document.status == Document.Status.RENDERED
    pdf = (Path(settings.MEDIA_ROOT) / document.file).read_bytes()
    assert (b"/AFRelationship /Data" in pdf or b"/AFRelationship/Data" in pdf) == (
        variant == "factur-x"
    )
    benchmark.extra_info["pdf_bytes"] = len(pdf)
    print(f"\nrender a {LINES}-line invoice PDF, {variant}: {ms(benchmark.stats.stats.median)}")


def test_factur_x_attachment_of_a_10_line_invoice(benchmark, invoice):
    """The attachment step on its own (XML attached, XMP written, dates pinned), and one timing
    of each other part after a warm-up: where the extra time goes."""
    template, context, _subject = documents.BUILDERS["invoice"](invoice)
    document = Document(kind="invoice", title="Invoice", language="nb")
    html = render_to_string(
        template, {**context, "document": document, "company": documents.company()}
    )

    def timed(function):
        function()  # warm-up: fonts, schemas, imports
        start = perf_counter()
        result = function()
        return result, perf_counter() - start

    _plain, plain = timed(lambda: HTML(string=html).write_pdf())
    pdf_a, pdf_a_time = timed(lambda: HTML(string=html).write_pdf(pdf_variant="pdf/a-3b"))
    xml, cii_time = timed(lambda: to_cii(from_invoice(invoice)))
    _valid, xsd_time = timed(lambda: xml_check_xsd(xml, flavor="factur-x", level="en16931"))

    benchmark.pedantic(
        facturx.facturx_pdf,
        args=(pdf_a,),
        kwargs={
            "xml": xml,
            "moment": invoice.posted_at,
            "metadata": facturx.pdf_metadata(from_invoice(invoice)),
        },
        rounds=7,
        iterations=1,
        warmup_rounds=1,
    )

    print(
        f"\nWeasyPrint plain {ms(plain)}, PDF/A-3b {ms(pdf_a_time)};"
        f" CII XML {ms(cii_time)};"
        f" attach + XMP + pinned dates {ms(benchmark.stats.stats.median)};"
        f" the package's XSD check (not run when rendering) {ms(xsd_time)}"
    )


def _posting_setup() -> SimpleNamespace:
    """`setup` of the invoicing benchmarks for a module-scoped fixture (items of their own)."""
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
            item_number=f"G{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(1000)
    )
    return SimpleNamespace(profile=profile, warehouse=f.WarehouseFactory(), items=items)


@pytest.fixture(scope="module", params=[10, 1000], ids=lambda n: f"{n} lines")
def posted(request, django_db_setup, django_db_blocker):
    """One posted invoice per size for the three gates, made once in a transaction of its own
    that each test's transaction nests in, rolled back after the last gate."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            setup = _posting_setup()
            (customer,) = customers(1, setup)
            order = delivered_order(customer, setup, request.param)
            invoice = invoice_post(
                invoice=invoice_from_order(order=order, actor=None),
                actor=None,
                invoice_date=SHIP_DATE,
            )
            connection.check_constraints()  # once here, not again at each test's end
            yield invoice
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("gate", ["ubl only (baseline)", "cen", "cen+peppol"])
def test_posting_gate(benchmark, posted, gate):
    """What judging a document by the official rules costs at posting: the UBL written from the
    posted invoice (the baseline: what posting did before), then validated by the CEN rules,
    then by the CEN and Peppol rules (a Peppol receiver's invoice)."""
    from invoicing.einvoice.ubl import to_ubl
    from invoicing.einvoice.validation import validate, warm_up

    warm_up()

    def run():
        xml = to_ubl(from_invoice(posted))
        if gate == "ubl only (baseline)":
            return None
        return validate(xml, "ubl", peppol=gate == "cen+peppol")

    result = benchmark.pedantic(run, rounds=7, iterations=1, warmup_rounds=1)
    assert result is None or result.xsd_errors == []
    print(
        f"\nposting gate, {posted.lines.count()} lines, {gate}: {ms(benchmark.stats.stats.median)}"
    )
