"""Set-based invoicing: drafting, changing and posting a document asks the database the same
number of questions for 10 lines as for 1,000; the snapshot at posting is one UPDATE; posting
writes one audit event that sums its lines up; the invoice's number is taken last, after the
work; an invoice run reads customers, tax codes and the company once."""

import random
import re
import threading
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item
from invoicing.models import Invoice, InvoiceLine
from invoicing.services import runs
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import (
    free_text_invoice_create,
    free_text_invoice_update,
    invoice_from_order,
    invoice_from_packing_slips,
    invoice_post,
)
from invoicing.services.ledger_chain import verify
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from salesmkt.core.audit import events_for
from salesmkt.core.errors import DomainError
from tests import factories as f

SHIP_DATE = date(2026, 12, 1)


@pytest.fixture
def customer(accounts):
    return f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)


@pytest.fixture
def items(accounts):
    unit = f.UnitFactory()
    return Item.objects.bulk_create(
        Item(
            item_number=f"Q{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=accounts.tax_code,
            base_sales_price=Decimal("25"),
        )
        for n in range(1000)
    )


@pytest.fixture
def delivered(customer, items):
    """delivered(lines): an order of that many lines, delivered whole on one packing slip
    (returned with the order)."""
    warehouse = f.WarehouseFactory()

    def make(lines):
        order = sales_order_create(
            data={
                "customer": customer,
                "requested_ship_date": SHIP_DATE,
                "lines": [
                    {"item": item, "warehouse": warehouse, "quantity": Decimal("3")}
                    for item in items[:lines]
                ],
            },
            actor=None,
        )
        order.slip = packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
            actor=None,
            delivery_date=SHIP_DATE,
        )
        return order

    return make


def free_text_rows(accounts, count):
    return [
        {
            "ledger_account": accounts.revenue,
            "description": f"Consulting, day {n + 1}",
            "quantity": "1",
            "unit_price": "1000",
            "sales_tax_code": accounts.tax_code,
        }
        for n in range(count)
    ]


def queries_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured]


def warm_up(delivered):
    """One posting first: the number series are made on first use, content types cached."""
    invoice_post(invoice=invoice_from_order(order=delivered(1), actor=None), actor=None)


@pytest.mark.django_db
def test_invoicing_an_order_asks_the_same_queries_for_10_and_1000_lines(
    delivered, django_assert_num_queries
):
    warm_up(delivered)
    small, large = delivered(10), delivered(1000)

    ten = queries_of(lambda: invoice_from_order(order=small, actor=None))
    with django_assert_num_queries(len(ten)):
        invoice = invoice_from_order(order=large, actor=None)

    assert invoice.lines.count() == 1000


@pytest.mark.django_db
def test_invoicing_packing_slips_asks_the_same_queries_for_10_and_1000_lines(
    delivered, django_assert_num_queries
):
    warm_up(delivered)
    small, large = delivered(10), delivered(1000)

    ten = queries_of(lambda: invoice_from_packing_slips(packing_slips=[small.slip], actor=None))
    with django_assert_num_queries(len(ten)):
        invoice = invoice_from_packing_slips(packing_slips=[large.slip], actor=None)

    assert invoice.lines.count() == 1000


@pytest.mark.django_db
def test_posting_asks_the_same_queries_for_10_and_1000_lines(delivered, django_assert_num_queries):
    warm_up(delivered)
    small = invoice_from_order(order=delivered(10), actor=None)
    large = invoice_from_order(order=delivered(1000), actor=None)

    ten = queries_of(lambda: invoice_post(invoice=small, actor=None))
    with django_assert_num_queries(len(ten)):
        posted = invoice_post(invoice=large, actor=None)

    assert posted.status == Invoice.Status.POSTED
    assert not InvoiceLine.objects.filter(invoice=posted, tax_rate__isnull=True).exists()
    assert verify() == []


@pytest.mark.django_db
def test_a_free_text_invoice_is_created_with_the_same_queries_for_10_and_1000_lines(
    customer, accounts, django_assert_num_queries
):
    free_text_invoice_create(
        data={"customer": customer, "lines": free_text_rows(accounts, 1)}, actor=None
    )

    ten = queries_of(
        lambda: free_text_invoice_create(
            data={"customer": customer, "lines": free_text_rows(accounts, 10)}, actor=None
        )
    )
    with django_assert_num_queries(len(ten)):
        invoice = free_text_invoice_create(
            data={"customer": customer, "lines": free_text_rows(accounts, 1000)}, actor=None
        )

    assert invoice.total_amount == Decimal("1250000.00")


@pytest.mark.django_db
def test_a_free_text_invoice_is_created_through_the_api_with_the_same_queries_for_10_and_1000_lines(
    customer, accounts, manager_api, django_assert_num_queries
):
    def create(count):
        rows = [
            {**row, "ledger_account": accounts.revenue.pk, "sales_tax_code": accounts.tax_code.pk}
            for row in free_text_rows(accounts, count)
        ]
        answer = manager_api.post(
            "/api/v1/invoices/", {"customer": customer.pk, "lines": rows}, format="json"
        )
        assert answer.status_code == 201, answer.json()
        return answer

    create(1)
    ten = queries_of(lambda: create(10))
    with django_assert_num_queries(len(ten)):
        answer = create(1000)

    assert len(answer.json()["lines"]) == 1000


@pytest.mark.django_db
def test_a_free_text_invoice_is_changed_with_the_same_queries_for_10_and_1000_lines(
    customer, accounts, django_assert_num_queries
):
    def draft(count):
        return free_text_invoice_create(
            data={"customer": customer, "lines": free_text_rows(accounts, count)}, actor=None
        )

    small, large = draft(10), draft(1000)

    def change(invoice, count):
        return free_text_invoice_update(
            instance=invoice,
            data={"notes": f"{count} days", "lines": free_text_rows(accounts, count)},
            actor=None,
        )

    ten = queries_of(lambda: change(small, 10))
    with django_assert_num_queries(len(ten)):
        change(large, 1000)

    header_only = queries_of(
        lambda: free_text_invoice_update(instance=small, data={"notes": "again"}, actor=None)
    )
    with django_assert_num_queries(len(header_only)):
        free_text_invoice_update(instance=large, data={"notes": "again"}, actor=None)


@pytest.mark.django_db
def test_posting_a_credit_note_asks_the_same_queries_for_10_and_1000_lines(
    customer, accounts, django_assert_num_queries
):
    def credit_note(count):
        invoice = free_text_invoice_create(
            data={"customer": customer, "lines": free_text_rows(accounts, count)}, actor=None
        )
        return credit_note_create(invoice=invoice_post(invoice=invoice, actor=None), actor=None)

    invoice_post(invoice=credit_note(1), actor=None)
    small, large = credit_note(10), credit_note(1000)

    ten = queries_of(lambda: invoice_post(invoice=small, actor=None))
    with django_assert_num_queries(len(ten)):
        posted = invoice_post(invoice=large, actor=None)

    assert posted.total_amount == Decimal("1250000.00")
    assert verify() == []


def _statements(queries, pattern):
    return [index for index, sql in enumerate(queries) if re.search(pattern, sql)]


@pytest.mark.django_db
def test_posting_writes_the_lines_snapshot_in_one_update(delivered):
    invoice = invoice_from_order(order=delivered(12), actor=None)

    queries = queries_of(lambda: invoice_post(invoice=invoice, actor=None))

    assert len(_statements(queries, r'^(WITH .*)?UPDATE "invoicing_invoiceline"')) == 1
    assert set(InvoiceLine.objects.filter(invoice=invoice).values_list("tax_rate", "tax_code")) == {
        (Decimal("25.00"), "S25")
    }


@pytest.mark.django_db
def test_posting_writes_one_audit_event_that_sums_the_lines_up(delivered):
    invoice = invoice_from_order(order=delivered(12), actor=None)
    before = events_for(invoice).count()

    posted = invoice_post(invoice=invoice, actor=None)

    (event,) = events_for(posted).order_by("pk")[before:]
    assert (event.action, event.from_status, event.to_status) == ("post", "draft", "posted")
    assert event.data["number"] == posted.number
    assert event.data["lines"] == 12
    assert event.data["total"] == "1125.00"
    assert event.data["tax_breakdown"] == [
        {"code": "S25", "category": "S", "rate": "25.00", "taxable": "900.00", "tax": "225.00"}
    ]


@pytest.mark.django_db
def test_the_invoice_number_is_taken_after_the_work(delivered):
    warm_up(delivered)
    invoice = invoice_from_order(order=delivered(3), actor=None)

    queries = queries_of(lambda: invoice_post(invoice=invoice, actor=None))

    def first_use(series):
        return min(i for i in _statements(queries, "core_numberseries") if series in queries[i])

    number, voucher_number = first_use("'invoice'"), first_use("'voucher'")
    # Everything that reads or writes the lines, and the e-invoice gate, came before the number.
    assert max(_statements(queries, r'"invoicing_invoiceline"')) < number
    assert max(_statements(queries, r'UPDATE "orders_packingslip"')) < number
    # What follows needs the number: the voucher (numbered after it), its entries, the invoice
    # row, the open item and what the order records of it.
    assert number < voucher_number
    assert _statements(queries, r'^INSERT INTO "invoicing_ledgervoucher"')[0] > voucher_number
    assert _statements(queries, r'^INSERT INTO "invoicing_customertransaction"')[0] > number


@pytest.fixture
def run_of_three(accounts):
    """A run of three customers, each with a delivered one-line order."""
    for _ in range(3):
        order = sales_order_create(
            data={
                "customer": f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0),
                "requested_ship_date": SHIP_DATE,
                "lines": [
                    {
                        "item": f.ItemFactory(sales_tax_code=accounts.tax_code),
                        "warehouse": f.WarehouseFactory(),
                        "quantity": Decimal("2"),
                    }
                ],
            },
            actor=None,
        )
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal("2")}],
            actor=None,
            delivery_date=SHIP_DATE,
        )
    with mock.patch.object(runs, "_queue"):
        return runs.invoice_run_create(up_to_date=SHIP_DATE, actor=None, invoice_date=SHIP_DATE)


@pytest.mark.django_db
def test_an_invoice_run_reads_customers_tax_codes_and_the_company_once(run_of_three):
    queries = queries_of(lambda: runs.invoice_run_process(run_of_three.pk))

    assert run_of_three.rows.filter(status="posted").count() == 3
    assert len(_statements(queries, r'FROM "finance_companyprofile"')) == 1
    assert len(_statements(queries, r'FROM "finance_salestaxcode"')) == 1
    # The customers as posting reads them: with their posting profiles.
    assert len(_statements(queries, r'FROM "crm_customer" .*JOIN "finance_postingprofile"')) == 1


@pytest.mark.django_db
def test_an_invoice_run_writes_one_event_per_invoice(run_of_three):
    runs.invoice_run_process(run_of_three.pk)

    for row in run_of_three.rows.select_related("invoice"):
        (event,) = events_for(row.invoice)
        assert (event.action, event.to_status) == ("post", "posted")
        assert event.data["invoice_run"] == run_of_three.pk
        assert event.data["packing_slips"] == [row.packing_slips.get().number]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_stay_gapless_and_chronological_when_clerks_post_at_once(customer, accounts):
    today = timezone.localdate()
    drafts = [
        free_text_invoice_create(
            data={
                "customer": customer,
                "invoice_date": today - timedelta(days=n % 3),
                "lines": free_text_rows(accounts, 2),
            },
            actor=None,
        )
        for n in range(9)
    ]
    random.shuffle(drafts)
    start = threading.Barrier(len(drafts))
    refused, errors = [], []

    def clerk(invoice):
        try:
            start.wait()
            invoice_post(invoice=invoice, actor=None)
        except DomainError as exc:
            refused.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    posted = list(
        Invoice.objects.filter(status=Invoice.Status.POSTED)
        .order_by("number")
        .values_list("number", "invoice_date")
    )
    assert errors == []
    assert set(refused) <= {"date_out_of_sequence"}
    assert len(posted) + len(refused) == len(drafts)
    assert [number for number, _date in posted] == [
        f"INV{n:06d}" for n in range(1, len(posted) + 1)
    ]
    dates = [invoice_date for _number, invoice_date in posted]
    assert dates == sorted(dates)
    assert verify() == []
