"""Invoices: the seed's flow, posting rules, the ledger, totals by EN 16931."""

import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connections

from invoicing.models import CustomerTransaction, Invoice, LedgerEntry, LedgerVoucher
from invoicing.services.invoices import (
    free_text_invoice_create,
    free_text_invoice_update,
    invoice_from_order,
    invoice_from_packing_slips,
    invoice_post,
)
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.models import NumberSeries
from salesmkt.core.tax import document_totals
from tests import factories as f


def deliver(order, quantity):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
        actor=None,
    )


def assert_balanced(voucher):
    entries = LedgerEntry.objects.filter(voucher=voucher)
    assert sum(e.debit for e in entries) == sum(e.credit for e in entries)


@pytest.mark.django_db
def test_order_10_delivered_4_and_6_and_invoiced_twice_ends_invoiced(make_order, accounts):
    order = make_order(quantities=["10"])

    deliver(order, "4")
    first = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)
    deliver(order, "6")
    second = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    order.refresh_from_db()
    assert (first.number, second.number) == ("INV000001", "INV000002")
    assert (first.total_amount, second.total_amount) == (
        Decimal("500.00"),
        Decimal("750.00"),
    )  # 25 % VAT
    assert order.status == "invoiced"
    assert order.lines.get().invoice_remainder == Decimal("0")


@pytest.mark.django_db
def test_one_invoice_from_both_packing_slips_invoices_the_order(make_order, accounts):
    order = make_order(quantities=["10"])
    slips = [deliver(order, "4"), deliver(order, "6")]

    invoice = invoice_post(
        invoice=invoice_from_packing_slips(packing_slips=slips, actor=None), actor=None
    )

    assert [line.quantity for line in invoice.lines.order_by("line_number")] == [
        Decimal("4"),
        Decimal("6"),
    ]
    assert SalesOrder.objects.get(pk=order.pk).status == "invoiced"
    with pytest.raises(ConflictError) as again:
        invoice_from_packing_slips(packing_slips=slips, actor=None)
    assert again.value.code == "packing_slip_invoiced"


@pytest.mark.django_db
def test_posting_writes_a_balanced_voucher_and_an_open_item(make_order, accounts):
    order = make_order(quantities=["3"])
    deliver(order, "3")

    invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    assert_balanced(invoice.voucher)
    entries = {e.account.number: (e.debit, e.credit) for e in invoice.voucher.entries.all()}
    assert entries == {
        "1500": (Decimal("375.00"), Decimal("0.00")),
        "3000": (Decimal("0.00"), Decimal("300.00")),
        "2700": (Decimal("0.00"), Decimal("75.00")),
    }
    item = CustomerTransaction.objects.get(invoice=invoice)
    assert (item.amount, item.remaining) == (Decimal("375.00"), Decimal("375.00"))


@pytest.mark.django_db
def test_a_free_text_invoice_posts_to_the_summary_account_and_its_lines_accounts(accounts):
    customer = f.CustomerFactory(posting_profile=accounts.profile)
    consulting = f.LedgerAccountFactory(number="3900", name="Other revenue", account_type="revenue")

    invoice = free_text_invoice_create(
        data={
            "customer": customer,
            "lines": [
                {
                    "ledger_account": consulting,
                    "description": "Menu consulting",
                    "quantity": "2",
                    "unit_price": "1250",
                    "sales_tax_code": accounts.tax_code,
                }
            ],
        },
        actor=None,
    )
    invoice = invoice_post(invoice=invoice, actor=None)

    entries = {e.account.number: (e.debit, e.credit) for e in invoice.voucher.entries.all()}
    assert entries["1500"] == (Decimal("3125.00"), Decimal("0.00"))
    assert entries["3900"] == (Decimal("0.00"), Decimal("2500.00"))
    assert invoice.lines.get().item is None


@pytest.mark.django_db
def test_a_pro_forma_leaves_no_trace_in_the_ledger_or_the_series(make_order, accounts):
    order = make_order(quantities=["3"])
    deliver(order, "3")

    pro_forma = invoice_from_order(order=order, actor=None, pro_forma=True)
    with pytest.raises(ConflictError) as refused:
        invoice_post(invoice=pro_forma, actor=None)

    assert refused.value.code == "pro_forma_not_postable"
    assert (pro_forma.number, pro_forma.total_amount) == ("", Decimal("375.00"))
    assert not LedgerVoucher.objects.exists() and not CustomerTransaction.objects.exists()
    assert not NumberSeries.objects.filter(code="invoice").exists()
    assert (
        invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None).number
        == "INV000001"
    )


@pytest.mark.django_db
def test_a_posted_invoice_never_changes_through_the_api(manager_api, make_order, accounts):
    order = make_order(quantities=["3"])
    deliver(order, "3")
    invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    patched = manager_api.patch(
        f"/api/v1/invoices/{invoice.pk}/", {"notes": "changed"}, format="json"
    )
    deleted = manager_api.delete(f"/api/v1/invoices/{invoice.pk}/")

    assert (patched.status_code, patched.json()["code"]) == (409, "invoice_posted")
    assert (deleted.status_code, deleted.json()["code"]) == (409, "invoice_posted")


@pytest.mark.django_db
def test_nothing_delivered_means_nothing_to_invoice(make_order, accounts):
    with pytest.raises(ConflictError) as refused:
        invoice_from_order(order=make_order(), actor=None)

    assert refused.value.code == "nothing_to_invoice"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_stay_gapless_when_clerks_post_at_once(make_order, accounts):
    invoices = []
    for _ in range(8):
        order = make_order(quantities=["1"])
        deliver(order, "1")
        invoices.append(invoice_from_order(order=order, actor=None))
    start = threading.Barrier(len(invoices))
    errors = []

    def clerk(invoice):
        try:
            start.wait()
            invoice_post(invoice=invoice, actor=None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV{n:06d}" for n in range(1, 9)]


# (lines as (net, rate %), expected net, tax, total) — taxes are computed per rate on the sum
TOTALS = [
    ([("100.00", "25")], "100.00", "25.00", "125.00"),
    (
        [("10.01", "25"), ("10.01", "25")],
        "20.02",
        "5.01",
        "25.03",
    ),  # 5.005 -> 5.01 (banker's: 5.00)
    (
        [("99.90", "15"), ("50.00", "25"), ("30.00", "0")],
        "179.90",
        "27.49",
        "207.39",
    ),  # 14.985 -> 14.99
    (
        [("0.10", "25"), ("0.10", "25"), ("0.10", "25")],
        "0.30",
        "0.08",
        "0.38",
    ),  # per line 0.03 x 3 would be 0.09
    ([("200.00", "0")], "200.00", "0.00", "200.00"),
]


@pytest.mark.parametrize(("lines", "net", "tax", "total"), TOTALS)
def test_document_totals_follow_en_16931(lines, net, tax, total):
    codes = {}
    document_lines = []
    for amount, rate in lines:
        code = codes.setdefault(
            rate,
            SimpleNamespace(
                pk=len(codes) + 1,
                code=f"T{rate}",
                category="S" if rate != "0" else "Z",
                rate=Decimal(rate),
                exemption_reason="",
            ),
        )
        document_lines.append(SimpleNamespace(line_amount=Decimal(amount), sales_tax_code=code))

    totals = document_totals(document_lines)

    assert (str(totals.net), str(totals.tax), str(totals.total)) == (net, tax, total)


@pytest.mark.django_db
def test_the_api_invoices_an_order_and_posting_needs_the_posting_permission(
    api_as, make_order, accounts
):
    order = make_order(quantities=["2"])
    deliver(order, "2")
    manager, accountant = api_as("sales manager"), api_as("accountant")

    drafted = manager.post("/api/v1/invoices/from-order/", {"order": order.pk}, format="json")
    refused = manager.post(f"/api/v1/invoices/{drafted.json()['id']}/post/")
    posted = accountant.post(f"/api/v1/invoices/{drafted.json()['id']}/post/")

    assert drafted.status_code == 201 and drafted.json()["status"] == "draft"
    assert refused.status_code == 403
    assert posted.status_code == 200 and posted.json()["number"] == "INV000001"
    assert posted.json()["total_amount"] == "250.00"


@pytest.mark.django_db
def test_packing_slips_of_an_order_invoiced_as_a_whole_are_not_invoiced_again(make_order, accounts):
    from invoicing.selectors import invoiceable_packing_slips

    order = make_order(quantities=["10"])
    slip = deliver(order, "4")

    invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    slip.refresh_from_db()
    assert slip.invoiced is True
    assert not invoiceable_packing_slips().exists()
    with pytest.raises(ConflictError):
        invoice_from_packing_slips(packing_slips=[slip], actor=None)


@pytest.mark.django_db
def test_a_delivery_of_quantities_invoiced_ahead_is_not_left_to_invoice(make_order, accounts):
    order = make_order(quantities=["10"])
    invoice_post(
        invoice=invoice_from_order(order=order, actor=None, ordered_quantities=True), actor=None
    )

    slip = deliver(order, "10")

    assert slip.invoiced is True


@pytest.mark.django_db
def test_one_invoice_of_two_slips_of_a_line_sells_both_deliveries(make_order, accounts):
    from inventory.models import InventoryTransaction

    order = make_order(quantities=["10"])
    slips = [deliver(order, "4"), deliver(order, "6")]

    invoice = invoice_post(
        invoice=invoice_from_packing_slips(packing_slips=slips, actor=None), actor=None
    )

    movements = InventoryTransaction.objects.filter(source_id=order.lines.get().pk)
    assert sorted((m.status, m.quantity, m.invoice_number) for m in movements) == [
        ("sold", Decimal("-6"), invoice.number),
        ("sold", Decimal("-4"), invoice.number),
    ]


@pytest.mark.django_db
def test_packing_slips_of_orders_in_different_currencies_are_not_invoiced_together(
    make_order, accounts
):
    customer = f.CustomerFactory()
    in_kroner = make_order(customer=customer, quantities=["1"])
    in_euro = make_order(
        customer=customer, quantities=["1"], currency=f.CurrencyFactory(code="EUR")
    )
    slips = [deliver(in_kroner, "1"), deliver(in_euro, "1")]

    with pytest.raises(DomainError) as refused:
        invoice_from_packing_slips(packing_slips=slips, actor=None)

    assert refused.value.code == "several_currencies"
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_an_invoice_of_an_order_keeps_the_orders_lines(make_order, accounts):
    order = make_order(quantities=["2"])
    deliver(order, "2")
    draft = invoice_from_order(order=order, actor=None)
    row = {
        "ledger_account": accounts.revenue,
        "description": "Something else",
        "quantity": Decimal("1"),
        "unit_price": Decimal("1.00"),
        "sales_tax_code": accounts.tax_code,
    }

    with pytest.raises(ConflictError) as refused:
        free_text_invoice_update(instance=draft, data={"lines": [row]}, actor=None)

    assert refused.value.code == "invoice_not_editable"
    assert [line.order_line_id for line in draft.lines.all()] == [order.lines.get().pk]


@pytest.mark.django_db
def test_invoicing_more_packing_slips_asks_no_more_queries(make_order, accounts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = f.CustomerFactory()

    def queries_to_invoice(count):
        slips = []
        for _ in range(count):
            order = make_order(customer=customer, quantities=["1"])
            slips.append(deliver(order, "1"))
        with CaptureQueriesContext(connection) as queries:
            invoice = invoice_from_packing_slips(packing_slips=slips, actor=None)
        assert invoice.lines.count() == count
        return len(queries)

    assert queries_to_invoice(4) == queries_to_invoice(1)
