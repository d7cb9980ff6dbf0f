"""Large documents render in bounded memory: over `DOCUMENT_CHUNK_LINES` lines, the lines table is
laid out a chunk at a time (its rows read from the database a chunk at a time) and the chunks'
pages put together, with the heading once, the table's header on every page, every line once,
the totals once at the end and the pages numbered "page x of y" across the whole document. A
posted invoice stays Factur-X (PDF/A-3 with its XML). Small chunks stand in for large documents
here; tests/benchmarks/bench_documents.py measures 5,000 lines."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import translation
from pypdf import PdfReader

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.facturx import xml_from_pdf
from invoicing.einvoice.model import from_invoice
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from salesmkt.core import documents
from salesmkt.core.templatetags.ui import cell
from tests import factories as f
from tests.invoicing.test_facturx import xmp_of, xmp_text

pytestmark = pytest.mark.django_db

CHUNK = 5


@pytest.fixture
def chunked(settings):
    settings.DOCUMENT_CHUNK_LINES = CHUNK


@pytest.fixture
def order_of(make_order):
    """A sales order of `count` lines, items "Part 0001", "Part 0002"..., an English customer."""
    customer = f.CustomerFactory(party=f.PartyFactory(language="en"))

    def make(count: int):
        items = [f.ItemFactory(name=f"Part {n:04d}") for n in range(1, count + 1)]
        return make_order(customer=customer, quantities=["2"] * count, items=items)

    return make


@pytest.fixture
def posted_invoice_of(order_of):
    """A posted invoice of `count` lines (the order delivered whole first)."""
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()

    def make(count: int):
        order = order_of(count)
        customer = order.customer
        customer.posting_profile, customer.credit_limit = profile, 0
        customer.save()
        for line in order.lines.select_related("item__sales_tax_code"):
            code = line.item.sales_tax_code
            code.tax_account = vat
            code.save()
        delivered(order)
        return invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    return make


def delivered(order):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=None,
    )


def rendered(obj, kind: str) -> bytes:
    with mock.patch.object(documents, "_queue"):
        document = documents.document_request(obj=obj, kind=kind, title=kind, language="en")
    document = documents.render(document.pk)
    return (Path(settings.MEDIA_ROOT) / document.file).read_bytes()


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def parts_printed(text: str) -> Counter:
    return Counter(re.findall(r"Part (\d{4})", text))


def every_line_once(count: int) -> Counter:
    return Counter(f"{n:04d}" for n in range(1, count + 1))


def in_english(value: Decimal) -> str:
    with translation.override("en"):
        return str(cell(value))


def test_a_chunked_order_confirmation_prints_every_line_once_and_its_total_once_at_the_end(
    chunked, order_of
):
    order = order_of(12)  # three chunks: 5 + 5 + 2

    pages = page_texts(rendered(order, "order_confirmation"))

    text = "\n".join(pages)
    assert parts_printed(text) == every_line_once(12)
    assert text.count("Order confirmation") == 1  # the heading, with the first chunk only
    assert text.count("Total excluding sales tax") == 1
    total = sum((line.line_amount for line in order.lines.all()), Decimal(0))
    assert in_english(total) in pages[-1].split("Total excluding sales tax")[1]


def test_a_chunked_packing_slip_prints_every_line_once_with_the_table_header_on_every_page(
    chunked, order_of
):
    slip = delivered(order_of(11))

    pages = page_texts(rendered(slip, "packing_slip"))

    assert parts_printed("\n".join(pages)) == every_line_once(11)
    assert len(pages) >= 3  # each chunk starts a page
    assert all("Warehouse" in page for page in pages)


def test_a_chunked_document_numbers_its_pages_across_the_chunks(chunked, order_of):
    slip = delivered(order_of(11))

    pages = page_texts(rendered(slip, "packing_slip"))

    count = len(pages)
    for number, page in enumerate(pages, start=1):
        assert re.findall(r"Page \d+ of \d+", page) == [f"Page {number} of {count}"]


def test_a_chunked_posted_invoice_prints_every_line_once_and_stays_factur_x(
    chunked, posted_invoice_of
):
    invoice = posted_invoice_of(12)

    pdf = rendered(invoice, "invoice")

    pages = page_texts(pdf)
    text = "\n".join(pages)
    assert parts_printed(text) == every_line_once(12)
    assert text.count("Total incl. VAT") == 1 and text.upper().count("PAYMENT INFORMATION") == 1
    assert in_english(invoice.total_amount) in pages[-1]
    assert all(f"Invoice {invoice.number}" in page for page in pages[1:])  # the running title
    assert xml_from_pdf(pdf) == to_cii(from_invoice(invoice))
    reader = PdfReader(BytesIO(pdf))
    xmp = xmp_of(reader)
    assert (xmp_text(xmp, "pdfaid:part"), xmp_text(xmp, "pdfaid:conformance")) == ("3", "B")
    assert reader.root_object["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_weasyprint_is_never_given_more_than_the_chunk_lines_of_a_document(chunked, order_of):
    order = order_of(12)
    real = documents._write_pdf

    with mock.patch.object(documents, "_write_pdf", side_effect=real) as write_pdf:
        rendered(order, "order_confirmation")

    laid_out = [parts_printed(call.args[0]) for call in write_pdf.call_args_list]
    assert [sum(counter.values()) for counter in laid_out] == [5, 5, 2, 0]  # + the numbers


def test_a_document_of_at_most_the_chunk_lines_is_rendered_in_one_piece(chunked, order_of):
    order = order_of(CHUNK)

    with (
        mock.patch.object(documents, "_write_pdf", side_effect=documents._write_pdf) as write,
        mock.patch.object(documents, "_put_together") as put_together,
    ):
        pages = page_texts(rendered(order, "order_confirmation"))

    assert write.call_count == 1
    put_together.assert_not_called()
    assert parts_printed("\n".join(pages)) == every_line_once(CHUNK)


@pytest.mark.parametrize("kind", ["order_confirmation", "invoice"])
def test_rendering_takes_as_many_queries_for_40_lines_as_for_10(
    kind, order_of, posted_invoice_of, django_assert_max_num_queries, django_assert_num_queries
):
    def record(count):
        return posted_invoice_of(count) if kind == "invoice" else order_of(count)

    small, large = record(10), record(40)
    with django_assert_max_num_queries(1000) as queries:
        rendered(small, kind)

    with django_assert_num_queries(len(queries)):
        rendered(large, kind)
