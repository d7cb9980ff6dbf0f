"""salesmkt beside its baselines, each pair measured in the same rounds (run with `make bench`).

Each test's own rounds time salesmkt; the setup of each round first runs the baseline doing the
same work (timed, `conftest.Rounds`), so the machine's noise hits both. The report
(`python -m tests.benchmarks.report`) prints the medians and the gap (salesmkt's time over the
baseline's):

- order entry through the API, in process (the Django test client), 10 and 5,000 lines: the
  minimal Django + DRF nested POST (`tests/benchmarks/baseline`) with the same body;
- an invoice run of 5-line invoices (committed per customer, as in production): the same rows
  (invoice header, 5 lines, voucher and its entries, open item, the invoice and voucher
  counter rows locked with SELECT ... FOR UPDATE and updated) written by raw psycopg2, one
  transaction per invoice;
- those raw rows for one invoice of 1,000 and 5,000 lines, beside posting one such invoice
  (`bench_invoicing.py`; the report pairs them by name);
- an invoice PDF rendered by the product: WeasyPrint alone on the identical HTML;
- a rendered document mailed by the product: raw smtplib sending the same message to the same
  SMTP sink, one connection per mail as the product opens.
"""

from __future__ import annotations

import smtplib
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from unittest import mock

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2.extras import Json, execute_values
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.models import Customer, Party, PartyAddress
from inventory.models import Item
from invoicing.models import CustomerTransaction, Invoice, InvoiceLine, LedgerEntry, LedgerVoucher
from invoicing.services import runs
from invoicing.services.invoices import invoice_from_order, invoice_post
from salesmkt.core import documents
from salesmkt.core.documents import document_request, render
from salesmkt.core.models import Document, NumberSeries
from tests import factories as f
from tests.benchmarks.bench_invoicing import SHIP_DATE, delivered_order, setup
from tests.benchmarks.conftest import Rounds, record_baseline

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
__all__ = ["setup"]  # the fixture, shared with the invoicing benchmarks

RUN_CUSTOMERS = 30  # invoices per invoice-run round
RUN_ROUNDS = 3
MAILS = 20  # documents mailed per round


# --- order entry through the API, in process ---------------------------------------------------


@pytest.fixture
def order_entry(baseline_app, role_groups):
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"L{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(5000)
    )
    customer, warehouse = f.CustomerFactory(credit_limit=0), f.WarehouseFactory()
    integrator = f.UserFactory(groups=["integrator"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=integrator).key}")

    def body(lines: int) -> dict:
        return {
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [
                {"item": item.pk, "warehouse": warehouse.pk, "quantity": "5"}
                for item in items[:lines]
            ],
        }

    return client, body


@pytest.mark.parametrize(("lines", "rounds"), [(10, 10), (5000, 2)], ids=["10 lines", "5000 lines"])
def test_api_create_an_order_beside_the_minimal_drf_post(benchmark, order_entry, lines, rounds):
    client, make_body = order_entry
    body = make_body(lines)
    for path in ("/baseline/orders/", "/api/v1/sales-orders/"):  # code loaded, caches filled
        assert client.post(path, make_body(10), format="json").status_code == 201
    baseline = Rounds()

    def post_baseline():
        response = baseline.time(client.post, "/baseline/orders/", body, format="json")
        assert response.status_code == 201, response.content[:300]

    response = benchmark.pedantic(
        client.post,
        args=("/api/v1/sales-orders/", body),
        kwargs={"format": "json"},
        setup=post_baseline,
        rounds=rounds,
        iterations=1,
    )

    assert response.status_code == 201, response.content[:300]
    assert len(response.json()["lines"]) == lines
    record_baseline(
        benchmark,
        label=f"API: create an order of {lines:,} lines (in process)",
        baseline=f"minimal DRF nested POST of {lines:,} lines",
        rounds=baseline,
    )
    if lines == 5000:
        benchmark.extra_info["target_seconds"] = 3.0


# --- invoices: the product's rows beside raw psycopg2 ------------------------------------------


def _row(cursor, table: str, where: str, value) -> list[dict]:
    cursor.execute(f'SELECT * FROM "{table}" WHERE "{where}" = %s ORDER BY "id"', [value])
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _values(row: dict, **replace) -> tuple[list[str], list]:
    row = {**{k: v for k, v in row.items() if k != "id"}, **replace}
    return list(row), [Json(v) if isinstance(v, dict | list) else v for v in row.values()]


class RawInvoices:
    """Writes the rows of a posted invoice with raw psycopg2, one transaction per invoice: the
    invoice and voucher counter rows locked and updated, the voucher and its entries, the
    invoice header, its lines (one INSERT), its open item. The rows are copies of a posted
    invoice's (every column, so the same widths, indexes and constraints are paid), numbered
    from counters of their own."""

    INVOICE_SERIES, VOUCHER_SERIES = "bench-raw-invoice", "bench-raw-voucher"

    def __init__(self, template: Invoice):
        for code in (self.INVOICE_SERIES, self.VOUCHER_SERIES):
            NumberSeries.objects.get_or_create(code=code, defaults={"name": code, "prefix": code})
        self.db = psycopg2.connect(**connection.get_connection_params())
        with self.db, self.db.cursor() as cursor:
            self.invoice = _row(cursor, Invoice._meta.db_table, "id", template.pk)[0]
            self.lines = _row(cursor, InvoiceLine._meta.db_table, "invoice_id", template.pk)
            self.voucher = _row(cursor, LedgerVoucher._meta.db_table, "id", template.voucher_id)[0]
            self.entries = _row(
                cursor, LedgerEntry._meta.db_table, "voucher_id", template.voucher_id
            )
            self.open_item = _row(
                cursor, CustomerTransaction._meta.db_table, "invoice_id", template.pk
            )[0]

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def _number(cursor, code: str) -> str:
        table = NumberSeries._meta.db_table
        cursor.execute(f'SELECT "next_value" FROM "{table}" WHERE "code" = %s FOR UPDATE', [code])
        (value,) = cursor.fetchone()
        cursor.execute(
            f'UPDATE "{table}" SET "next_value" = %s WHERE "code" = %s', [value + 1, code]
        )
        return f"{code}-{value:07d}"

    @staticmethod
    def _insert(cursor, table: str, rows: list[tuple[list[str], list]]) -> list[int]:
        columns = ", ".join(f'"{name}"' for name in rows[0][0])
        return [
            pk
            for (pk,) in execute_values(
                cursor,
                f'INSERT INTO "{table}" ({columns}) VALUES %s RETURNING "id"',
                [values for _, values in rows],
                page_size=len(rows),
                fetch=True,
            )
        ]

    def write(self, lines: int) -> None:
        with self.db, self.db.cursor() as cursor:
            number = self._number(cursor, self.INVOICE_SERIES)
            voucher_number = self._number(cursor, self.VOUCHER_SERIES)
            (voucher,) = self._insert(
                cursor,
                LedgerVoucher._meta.db_table,
                [_values(self.voucher, number=voucher_number)],
            )
            self._insert(
                cursor,
                LedgerEntry._meta.db_table,
                [_values(entry, voucher_id=voucher) for entry in self.entries],
            )
            (invoice,) = self._insert(
                cursor,
                Invoice._meta.db_table,
                [_values(self.invoice, number=number, voucher_id=voucher)],
            )
            self._insert(
                cursor,
                InvoiceLine._meta.db_table,
                [
                    _values(
                        self.lines[index % len(self.lines)],
                        invoice_id=invoice,
                        line_number=index + 1,
                    )
                    for index in range(lines)
                ],
            )
            self._insert(
                cursor,
                CustomerTransaction._meta.db_table,
                [_values(self.open_item, invoice_id=invoice)],
            )


def _customers(count: int, setup, *, prefix: str, group=None) -> list[Customer]:
    """Customers with a party and an invoice address, in bulk as `bench_invoicing.customers`
    makes them, numbered by `prefix` (a run makes several sets) and in `group` when given."""
    template = f.CustomerFactory(posting_profile=setup.profile, credit_limit=0)
    parties = Party.objects.bulk_create(
        Party(name=f"Bench {prefix}{n} AS", email=f"{prefix}{n}@example.com", language="nb")
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
            account_number=f"{prefix}{n:05d}",
            customer_group=group or template.customer_group,
            payment_terms_id=template.payment_terms_id,
            credit_limit=0,
            currency_id=template.currency_id,
            sales_tax_group_id=template.sales_tax_group_id,
            posting_profile=setup.profile,
        )
        for n, party in enumerate(parties)
    )


def _posted_invoice(setup, lines: int = 5) -> Invoice:
    (customer,) = _customers(1, setup, prefix="BT")
    order = delivered_order(customer, setup, lines)
    return invoice_post(
        invoice=invoice_from_order(order=order, actor=None), actor=None, invoice_date=SHIP_DATE
    )


@pytest.fixture
def no_pdfs():
    """The PDF each posting queues on commit is counted, not rendered (rendering is its own
    pair below)."""
    with mock.patch.object(documents, "_queue") as render_queue:
        yield render_queue


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoice_run_of_5_line_invoices_beside_raw_psycopg2(benchmark, postgres, setup, no_pdfs):
    """`RUN_CUSTOMERS` customers with a delivered 5-line order per round, each round's in a
    customer group of its own; a round runs the invoice run service over one group."""
    raw = RawInvoices(_posted_invoice(setup))
    groups = []
    for round_number in range(RUN_ROUNDS):
        group = f.CustomerGroupFactory(code=f"BENCH{round_number}", name=f"Bench {round_number}")
        for customer in _customers(RUN_CUSTOMERS, setup, prefix=f"BR{round_number}", group=group):
            delivered_order(customer, setup, 5)
        groups.append(group)
    no_pdfs.reset_mock()
    baseline, queue = Rounds(), iter(groups)

    def raw_round():
        baseline.time(lambda: [raw.write(5) for _ in range(RUN_CUSTOMERS)])
        return (next(queue),), {}

    def run(group):
        with mock.patch.object(runs, "_queue"):
            created = runs.invoice_run_create(
                up_to_date=SHIP_DATE, actor=None, invoice_date=SHIP_DATE, customer_group=group
            )
        return runs.invoice_run_process(created.pk)

    try:
        progress = benchmark.pedantic(run, setup=raw_round, rounds=RUN_ROUNDS, iterations=1)
    finally:
        raw.close()

    assert progress["posted"] == RUN_CUSTOMERS and progress["failed"] == 0, progress
    assert no_pdfs.call_count == RUN_CUSTOMERS * RUN_ROUNDS
    posted = Invoice.objects.filter(status=Invoice.Status.POSTED)
    assert posted.exclude(number__startswith=RawInvoices.INVOICE_SERIES).count() == (
        1 + RUN_CUSTOMERS * RUN_ROUNDS
    )
    assert posted.filter(number__startswith=RawInvoices.INVOICE_SERIES).count() == (
        RUN_CUSTOMERS * RUN_ROUNDS
    )
    record_baseline(
        benchmark,
        label=f"invoice run: {RUN_CUSTOMERS} customers, one 5-line invoice each",
        baseline="the same rows by raw psycopg2, one transaction per invoice",
        rounds=baseline,
        count=RUN_CUSTOMERS,
        unit="invoices",
        max_gap=5,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lines", [1000, 5000])
def test_baseline_raw_psycopg2_invoice_rows(benchmark, postgres, setup, no_pdfs, lines):
    """The rows of one posted invoice of `lines` lines by raw psycopg2 in one transaction: the
    baseline of posting one such invoice (`bench_invoicing.py`)."""
    raw = RawInvoices(_posted_invoice(setup))
    try:
        benchmark.pedantic(raw.write, args=(lines,), rounds=5, iterations=1, warmup_rounds=1)
    finally:
        raw.close()
    assert InvoiceLine.objects.filter(invoice__number__startswith=raw.INVOICE_SERIES).count() == (
        6 * lines
    )
    benchmark.extra_info["label"] = f"raw psycopg2: the rows of one invoice of {lines:,} lines"


# --- an invoice PDF: the product's render beside WeasyPrint alone ------------------------------


@pytest.mark.parametrize(("lines", "rounds"), [(10, 5), (100, 3)], ids=["10 lines", "100 lines"])
def test_render_invoice_pdf_beside_weasyprint_alone(benchmark, setup, lines, rounds):
    """The product renders a posted invoice from its recorded document (context, template,
    WeasyPrint as PDF/A-3b, the Factur-X XML attached, the file written); the baseline is
    `HTML(string=...).write_pdf()` of the HTML the product handed WeasyPrint."""
    import weasyprint

    invoice = _posted_invoice(setup, lines)

    def make():
        document = document_request(
            obj=invoice, kind="invoice", title=f"Invoice {invoice.number}", language="nb"
        )
        return (document.pk,), {}

    handed: list[dict] = []

    class Recording(weasyprint.HTML):
        def __init__(self, *args, **kwargs):
            handed.append(kwargs)
            super().__init__(*args, **kwargs)

    with mock.patch.object(weasyprint, "HTML", Recording):
        render(*make()[0])  # also the warm-up: fonts, templates, schemas
    pages = [(kwargs.get("string"), kwargs.get("base_url")) for kwargs in handed]
    assert pages and all(html for html, _ in pages), "the render handed WeasyPrint no HTML string"
    baseline = Rounds()

    def weasyprint_alone() -> list[bytes]:
        return [weasyprint.HTML(string=html, base_url=url).write_pdf() for html, url in pages]

    def weasyprint_then_make():
        pdfs = baseline.time(weasyprint_alone)
        assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)
        return make()

    document = benchmark.pedantic(render, setup=weasyprint_then_make, rounds=rounds, iterations=1)

    assert document.status == Document.Status.RENDERED
    assert (Path(settings.MEDIA_ROOT) / document.file).read_bytes()[:5] == b"%PDF-"
    record_baseline(
        benchmark,
        label=f"render a posted invoice's PDF of {lines} lines",
        baseline="WeasyPrint alone on the same HTML",
        rounds=baseline,
    )


# --- a document by mail: the product beside raw smtplib ----------------------------------------


def test_document_mail_beside_raw_smtplib(benchmark, setup, smtp_sink):
    """`MAILS` rendered invoices mailed per round by the product (claim, message built from its
    template, the PDF attached, one SMTP connection each, marked sent); the baseline sends the
    same message's bytes with smtplib, one connection per mail."""
    invoice = _posted_invoice(setup)
    first = document_request(
        obj=invoice,
        kind="invoice",
        title=f"Invoice {invoice.number}",
        language="nb",
        email_to="buyer@example.com",
    )
    rendered = render(first.pk)
    pdf = (Path(settings.MEDIA_ROOT) / rendered.file).read_bytes()
    message = EmailMessage()
    message["From"], message["To"] = settings.DEFAULT_FROM_EMAIL, "buyer@example.com"
    message["Subject"] = rendered.title
    message.set_content("Dear customer, please find the invoice attached.")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"{rendered.title}.pdf"
    )
    raw = message.as_bytes(policy=SMTP)  # CRLF line ends, as sent on the wire
    baseline = Rounds()

    def send_raw():
        for _ in range(MAILS):
            with smtplib.SMTP("127.0.0.1", smtp_sink.port) as smtp:
                smtp.sendmail("sales@example.com", ["buyer@example.com"], raw)

    def raw_then_documents():
        baseline.time(send_raw)
        made = Document.objects.bulk_create(
            Document(
                kind=rendered.kind,
                content_type_id=rendered.content_type_id,
                object_id=rendered.object_id,
                title=rendered.title,
                language=rendered.language,
                status=Document.Status.RENDERED,
                file=rendered.file,
                email_to="buyer@example.com",
                mail_status=Document.MailStatus.PENDING,
            )
            for _ in range(MAILS)
        )
        return ([document.pk for document in made],), {}

    def mail_all(ids):
        return [documents.mail(pk) for pk in ids]

    sent = benchmark.pedantic(mail_all, setup=raw_then_documents, rounds=3, iterations=1)

    assert sent == [True] * MAILS
    assert len(smtp_sink.recipients()) == 2 * 3 * MAILS
    record_baseline(
        benchmark,
        label=f"mail {MAILS} rendered invoices (PDF attached)",
        baseline="raw smtplib, the same message, one connection per mail",
        rounds=baseline,
        count=MAILS,
        unit="mails",
    )
