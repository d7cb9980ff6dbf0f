"""Rendering a 5,000-line document (run with `make bench`): a packing slip and a posted invoice
(Factur-X), as salesmkt renders them (in chunks of `DOCUMENT_CHUNK_LINES`), beside WeasyPrint
alone laying out the same HTML in one piece (with the same PDF options) in the same rounds.

Each render runs in a fresh process, so that its peak memory can be read: `extra_info` holds
each side's peak RSS (the process's `VmHWM`; not `ru_maxrss`, which a process started from this
one inherits from it), its RSS before rendering (Django, WeasyPrint and the fonts loaded) and
the render's own seconds. The documents are committed so that the processes see
them; their lines are bulk copies of one line made through the services (how they got there
is not what is measured).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db.models.base import ModelState
from django.template.loader import render_to_string
from django.utils import translation

from inventory.models import Item
from invoicing.models import Invoice, InvoiceLine
from invoicing.services.invoices import invoice_from_order, invoice_post, invoice_totals
from orders.models import PackingSlipLine, SalesOrderLine
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from salesmkt.core import documents
from salesmkt.core.hygiene import printable
from tests import factories as f
from tests.benchmarks.conftest import ROOT, Rounds, database_url, record_baseline

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]
LINES = 5000
DAY = date(2026, 12, 1)

# Run in a fresh process: argv[1] is "salesmkt" (render the document argv[2] as the product
# does) or "weasyprint" (lay out the HTML file argv[2] with the JSON write options argv[3]).
RENDER = r"""
import json, os, sys, time

def status_mb(field):
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith(field + ":")) / 1024

import weasyprint
if sys.argv[1] == "salesmkt":
    import django
    django.setup()
    from salesmkt.core import documents
    before = status_mb("VmRSS")
    started = time.perf_counter()
    documents.render(int(sys.argv[2]))
else:
    # the fonts WeasyPrint loads on its first layout belong to the baseline's footprint too
    weasyprint.HTML(string="<p>warm</p>").write_pdf()
    before = status_mb("VmRSS")
    started = time.perf_counter()
    weasyprint.HTML(filename=sys.argv[2], base_url=os.getcwd()).write_pdf(**json.loads(sys.argv[3]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": status_mb("VmHWM")}))
"""


def in_a_process(*args: str, media_root) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "salesmkt.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": "",
        "DOCUMENT_CHUNK_LINES": str(settings.DOCUMENT_CHUNK_LINES),
    }
    done = subprocess.run(
        [sys.executable, "-c", RENDER, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def copies(template, count: int, **vary):
    """`count` unsaved copies of a saved row, `vary[name](n)` giving copy n's field values."""
    for n in range(count):
        clone = copy.copy(template)
        clone.pk = clone.id = None
        clone._state = ModelState()
        for name, value in vary.items():
            setattr(clone, name, value(n))
        yield clone


@pytest.fixture
def large_documents():
    """A 5,000-line order delivered on one packing slip and invoiced (posted): the services make
    one line of each, the other 4,999 are copies with their own items."""
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    tax = f.SalesTaxCodeFactory()
    tax.tax_account = vat
    tax.save()
    unit = f.UnitFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"P{n:05d}",
            name=f"Part {n:05d}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(LINES)
    )
    customer = f.CustomerFactory(posting_profile=profile, credit_limit=0)
    with mock.patch.object(documents, "_queue"):  # rendered by the benchmark, not on commit
        order = sales_order_create(
            data={
                "customer": customer,
                "requested_ship_date": DAY,
                "lines": [
                    {"item": items[0], "warehouse": f.WarehouseFactory(), "quantity": Decimal(3)}
                ],
            },
            actor=None,
        )
        first = order.lines.get()
        SalesOrderLine.objects.bulk_create(
            copies(first, LINES - 1, line_number=lambda n: n + 2, item=lambda n: items[n + 1])
        )
        slip = packing_slip_post(
            order=order, lines=[{"order_line": first, "quantity": Decimal(3)}], actor=None
        )
        PackingSlipLine.objects.bulk_create(
            PackingSlipLine(packing_slip=slip, order_line=line, quantity=Decimal(3))
            for line in order.lines.exclude(pk=first.pk)
        )
        invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)
    invoice = Invoice.objects.get(pk=invoice.pk)  # without what posting prefetched
    [line] = invoice.lines.all()
    InvoiceLine.objects.bulk_create(
        copies(
            line,
            LINES - 1,
            line_number=lambda n: n + 2,
            item=lambda n: items[n + 1],
            item_number=lambda n: items[n + 1].item_number,
            description=lambda n: items[n + 1].name,
        )
    )
    totals = invoice_totals(invoice, invoice.lines.select_related("sales_tax_code"))
    Invoice.objects.filter(pk=invoice.pk).update(
        net_amount=totals.net, tax_amount=totals.tax, total_amount=totals.total
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert slip.lines.count() == LINES and invoice.lines.count() == LINES
    return {"packing_slip": slip, "invoice": invoice}


def whole_html(document) -> str:
    """The document's HTML in one piece, every line in it: what WeasyPrint alone is given."""
    record = document.content_type.get_object_for_this_type(pk=document.object_id)
    with translation.override(document.language):
        template, context, _subject = documents.BUILDERS[document.kind](record)
        html = render_to_string(
            template, {"company": documents.company(), **context, "document": document}
        )
    return printable(html)


@pytest.mark.parametrize("kind", ["packing_slip", "invoice"])
def test_render_a_5000_line_document(benchmark, postgres, large_documents, kind, tmp_path):
    record = large_documents[kind]
    finisher = documents.FINISHERS.get(kind)
    finish = finisher(record) if finisher else None
    options = json.dumps(finish.write_options if finish else {})
    with mock.patch.object(documents, "_queue"):
        document = documents.document_request(obj=record, kind=kind, title=kind, language="nb")
    html = tmp_path / "document.html"
    html.write_text(whole_html(document))
    measured: dict[str, dict] = {}
    alone = Rounds()

    def fresh_document():
        documents.Document.objects.filter(pk=document.pk).update(status="pending", file="")
        measured["weasyprint"] = alone.time(
            in_a_process, "weasyprint", str(html), options, media_root=tmp_path
        )
        return (), {}

    def render():
        measured["salesmkt"] = in_a_process("salesmkt", str(document.pk), media_root=tmp_path)

    benchmark.pedantic(render, setup=fresh_document, rounds=1, iterations=1)

    document.refresh_from_db()
    assert document.status == "rendered"
    for side, figures in measured.items():
        benchmark.extra_info[side] = {name: round(value, 1) for name, value in figures.items()}
    ours, theirs = measured["salesmkt"], measured["weasyprint"]
    record_baseline(
        benchmark,
        # the peak memory in the label, so that the README's table shows it beside the times
        label=f"render a {LINES:,}-line {kind.replace('_', ' ')} PDF"
        f" (peak RSS {ours['peak_rss_mb']:.0f} MB)",
        baseline=f"WeasyPrint alone, same HTML in one piece (peak RSS {theirs['peak_rss_mb']:.0f} MB)",
        rounds=alone,
        count=LINES,
        unit="lines",
    )
    print(
        f"\n{kind}, {LINES} lines, chunks of {settings.DOCUMENT_CHUNK_LINES}:"
        f" salesmkt {ours['seconds']:.1f} s, peak RSS {ours['peak_rss_mb']:.0f} MB"
        f" (from {ours['rss_before_mb']:.0f} MB);"
        f" WeasyPrint alone {theirs['seconds']:.1f} s, peak RSS {theirs['peak_rss_mb']:.0f} MB"
        f" (from {theirs['rss_before_mb']:.0f} MB)"
    )
