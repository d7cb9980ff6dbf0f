"""Concurrency soak (PostgreSQL): many clients at once, each on its own connection, doing what a
sales office does in a day (orders confirmed and released from one sales agreement, packing slips
posted on the same lines, invoices posted and canceled, payments applied, stock allocated and
received) for a bounded time. A refusal by a business rule is an outcome; anything else escaping
a service (a deadlock, a serialization failure, an integrity error) is a failure. Afterwards the
books, the orders, the agreement and the stock must agree with each other."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import traceback
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import F, Q, Sum
from django.utils import timezone

from agreements.models import SalesAgreementLine
from agreements.services.sales_agreements import (
    sales_agreement_create,
    sales_agreement_make_effective,
)
from crm.models import Customer
from inventory.models import InventoryTransaction, PurchaseOrder, PurchaseOrderLine
from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from invoicing.models import (
    CustomerTransaction,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentApplication,
)
from invoicing.services.credit_notes import invoice_cancel
from invoicing.services.invoices import (
    invoice_delete,
    invoice_from_order,
    invoice_from_packing_slips,
    invoice_post,
)
from invoicing.services.ledger_chain import verify
from invoicing.services.payments import payment_auto_apply, payment_register, receivables
from orders.models import PackingSlipLine, SalesOrder, SalesOrderLine
from orders.services.allocation import allocation_run
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_cancel, sales_order_confirm, sales_order_create
from salesmkt.core.errors import DomainError
from salesmkt.core.models import NumberSeries
from tests import factories as f

CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))
SEED = int(os.environ.get("SOAK_SEED", "20260101"))

# How often a client does what (weights); a release is an order confirmed from the agreement.
MIX = {
    "confirm": 14,
    "release": 8,
    "deliver": 26,
    "invoice": 18,
    "pay": 10,
    "cancel": 6,
    "cancel_order": 3,
    "allocate": 8,
    "receive": 7,
}

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.soak,
    pytest.mark.django_db(transaction=True),
]


class World:
    """What the clients share: the master data made before the run and the ids of what they
    create, so that they work on each other's documents."""

    def __init__(self, *, customers, items, warehouse, agreement, agreement_items, purchases):
        self.customers = customers
        self.items = items
        self.warehouse = warehouse
        self.agreement = agreement
        self.agreement_items = agreement_items
        self.purchases = purchases
        self.orders: list[int] = []
        self.lock = threading.Lock()

    def add_order(self, pk: int) -> None:
        with self.lock:
            self.orders.append(pk)

    def some_order(self, rng: random.Random) -> SalesOrder | None:
        with self.lock:
            recent = self.orders[-40:]  # recent orders: where the contention is
        return SalesOrder.objects.filter(pk=rng.choice(recent)).first() if recent else None


def _quantity(rng: random.Random, remainder: Decimal) -> Decimal:
    """Mostly a part of what is left, now and then one more than is left (stale screens)."""
    if remainder <= 0 or rng.random() < 0.1:
        return remainder + 1
    return Decimal(rng.randint(1, int(remainder)))


# --- what a client does ---------------------------------------------------------------------
def do_confirm(world: World, rng: random.Random, *, release: bool = False) -> None:
    if release:
        customer, pool, agreement = world.agreement.customer, world.agreement_items, world.agreement
    else:
        customer, pool, agreement = rng.choice(world.customers), world.items, None
    items = rng.sample(pool, k=rng.randint(1, min(3, len(pool))))
    order = sales_order_create(
        data={
            "customer": customer,
            "order_type": "sales",
            "requested_ship_date": timezone.localdate() + timedelta(days=rng.randint(1, 20)),
            "sales_agreement": agreement,
            "lines": [
                {
                    "item": item,
                    "warehouse": world.warehouse,
                    "quantity": Decimal(rng.randint(1, 8)),
                }
                for item in items
            ],
        },
        actor=None,
    )
    world.add_order(order.pk)
    sales_order_confirm(order=order, actor=None)


def do_deliver(world: World, rng: random.Random) -> None:
    order = world.some_order(rng)
    if order is None:
        return
    lines = list(order.lines.order_by("?")[: rng.randint(1, 3)])
    packing_slip_post(
        order=order,
        lines=[
            {"order_line": line, "quantity": _quantity(rng, line.deliver_remainder)}
            for line in lines
        ],
        actor=None,
    )


def do_invoice(world: World, rng: random.Random) -> None:
    order = world.some_order(rng)
    if order is None:
        return
    if rng.random() < 0.5:
        draft = invoice_from_order(order=order, actor=None)
    else:
        slips = list(order.packing_slips.filter(invoiced=False).order_by("?")[:2])
        draft = invoice_from_packing_slips(packing_slips=slips, actor=None)
    try:
        invoice_post(invoice=draft, actor=None)
    except BaseException:
        invoice_delete(instance=draft, actor=None)  # a refused draft holds nothing back
        raise


def do_pay(world: World, rng: random.Random) -> None:
    customer = rng.choice(world.customers)
    item = (
        CustomerTransaction.objects.filter(customer=customer, remaining__gt=0)
        .select_related("invoice")
        .order_by("?")
        .first()
    )
    amount = Decimal(rng.randint(50, 900))
    reference = ""
    if item is not None and rng.random() < 0.6:
        amount, reference = item.remaining, f"Invoice {item.invoice.number}"
    payment = payment_register(
        data={
            "customer": customer,
            "date": timezone.localdate(),
            "amount": amount,
            "reference": reference,
        },
        actor=None,
    )
    payment_auto_apply(payment=payment, actor=None)


def do_cancel(world: World, rng: random.Random) -> None:
    invoice = (
        Invoice.objects.filter(
            kind=Invoice.Kind.CUSTOMER,
            status=Invoice.Status.POSTED,
            payment_state__in=[Invoice.PaymentState.UNPAID, Invoice.PaymentState.PARTLY_PAID],
        )
        .order_by("-pk")[:20]
        .values_list("pk", flat=True)
    )
    if invoice:
        invoice_cancel(invoice=Invoice.objects.get(pk=rng.choice(list(invoice))), actor=None)


def do_cancel_order(world: World, rng: random.Random) -> None:
    order = world.some_order(rng)
    if order is not None:
        sales_order_cancel(order=order, actor=None)


def do_allocate(world: World, rng: random.Random) -> None:
    allocation_run(item=rng.choice(world.items), warehouse=world.warehouse, actor=None)


def do_receive(world: World, rng: random.Random) -> None:
    order = rng.choice(world.purchases)
    line = order.lines.order_by("?").first()
    purchase_order_receive(
        order=order,
        lines=[{"line": line, "quantity": _quantity(rng, line.receive_remainder)}],
        actor=None,
    )


OPERATIONS = {
    "confirm": do_confirm,
    "release": lambda world, rng: do_confirm(world, rng, release=True),
    "deliver": do_deliver,
    "invoice": do_invoice,
    "pay": do_pay,
    "cancel": do_cancel,
    "cancel_order": do_cancel_order,
    "allocate": do_allocate,
    "receive": do_receive,
}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.attempted: Counter = Counter()
        self.succeeded: Counter = Counter()
        self.refused: Counter = Counter()
        self.errors: list[str] = []

    def record(self, operation: str, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.attempted[operation] += 1
            if outcome == "ok":
                self.succeeded[operation] += 1
            elif outcome == "refused":
                self.refused[f"{operation}:{detail}"] += 1
            else:
                self.errors.append(f"{operation}: {detail}")


class RetryCount(logging.Handler):
    """Counts the transactions a service ran again after a deadlock or serialization failure."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.count = 0

    def emit(self, record):
        self.count += 1


def client(number: int, world: World, tally: Tally, start: threading.Barrier, until: float):
    rng = random.Random(SEED + number)
    names, weights = list(MIX), list(MIX.values())
    try:
        start.wait()
        while time.monotonic() < until:
            operation = rng.choices(names, weights)[0]
            try:
                OPERATIONS[operation](world, rng)
            except DomainError as refusal:
                tally.record(operation, "refused", refusal.code)
            except ValidationError:
                tally.record(operation, "refused", "invalid")
            except Exception:  # a failure: it escaped the service
                tally.record(operation, "error", traceback.format_exc(limit=6))
            else:
                tally.record(operation, "ok")
    finally:
        connections.close_all()


# --- the world before the run ---------------------------------------------------------------
def build_world() -> World:
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    tax_code = f.SalesTaxCodeFactory()
    tax_code.tax_account = vat
    tax_code.save()
    warehouse = f.WarehouseFactory()
    items = [f.ItemFactory(sales_tax_code=tax_code) for _ in range(6)]
    customers = [f.CustomerFactory(posting_profile=profile, credit_limit=0) for _ in range(5)]
    purchases = []
    for _ in range(3):
        order = purchase_order_create(
            data={
                "vendor": f.VendorFactory(),
                "expected_receipt_date": timezone.localdate() + timedelta(days=7),
                "lines": [
                    {"item": item, "warehouse": warehouse, "quantity": Decimal(400)}
                    for item in items
                ],
            },
            actor=None,
        )
        purchases.append(order)
    # Some stock on hand to begin with; the rest arrives during the run.
    purchase_order_receive(
        order=purchases[0],
        lines=[{"line": line, "quantity": Decimal(40)} for line in purchases[0].lines.all()],
        actor=None,
    )
    agreement_items = items[:3]
    agreement = sales_agreement_create(
        data={
            "customer": customers[0],
            "effective_date": timezone.localdate() - timedelta(days=1),
            "expiration_date": timezone.localdate() + timedelta(days=60),
            "commitment_type": "product_quantity",
            "over_release_tolerance": Decimal("10"),
            "lines": [
                {
                    "item": item,
                    "committed_quantity": Decimal(60),
                    "unit_price": Decimal("80.0000"),
                }
                for item in agreement_items
            ],
        },
        actor=None,
    )
    agreement = sales_agreement_make_effective(agreement=agreement, actor=None)
    return World(
        customers=customers,
        items=items,
        warehouse=warehouse,
        agreement=agreement,
        agreement_items=agreement_items,
        purchases=purchases,
    )


# --- the invariants -------------------------------------------------------------------------
def assert_orders_add_up() -> None:
    delivered = dict(
        PackingSlipLine.objects.values("order_line")
        .annotate(total=Sum("quantity"))
        .values_list("order_line", "total")
    )
    invoiced: Counter = Counter()
    for order_line, kind, quantity in InvoiceLine.objects.filter(
        invoice__status=Invoice.Status.POSTED, order_line__isnull=False
    ).values_list("order_line", "invoice__kind", "quantity"):
        invoiced[order_line] += -quantity if kind == Invoice.Kind.CREDIT_NOTE else quantity
    for line in SalesOrderLine.objects.select_related("order"):
        where = f"{line.order.number}/{line.line_number}"
        assert line.delivered_quantity <= line.quantity, f"{where} over-delivered"
        assert line.delivered_quantity == delivered.get(line.pk, 0), f"{where} vs packing slips"
        assert line.invoiced_quantity == invoiced.get(line.pk, 0), f"{where} vs invoices"
        assert line.invoiced_quantity <= line.delivered_quantity, f"{where} invoiced undelivered"
        if line.order.status == SalesOrder.Status.CANCELED:
            assert (line.deliver_remainder, line.invoice_remainder) == (0, 0), where
            continue
        assert line.deliver_remainder == line.quantity - line.delivered_quantity, where
        assert line.invoice_remainder == line.quantity - line.invoiced_quantity, where


def assert_books_balance(world: World) -> None:
    unbalanced = (
        LedgerEntry.objects.values("voucher")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .exclude(debit=F("credit"))
    )
    assert list(unbalanced) == []
    for series, kind_filter in (
        ("invoice", ~Q(kind__in=[Invoice.Kind.CREDIT_NOTE, Invoice.Kind.PRO_FORMA])),
        ("credit-note", Q(kind=Invoice.Kind.CREDIT_NOTE)),
    ):
        counter = NumberSeries.objects.filter(code=series).first()
        issued = counter.next_value - 1 if counter else 0
        numbers = sorted(
            Invoice.objects.filter(kind_filter, status=Invoice.Status.POSTED).values_list(
                "number", flat=True
            )
        )
        expected = [counter.format(n) for n in range(1, issued + 1)] if counter else []
        assert numbers == expected, f"{series}: numbers not gapless and unique"
    assert verify() == []
    summary = world.customers[0].posting_profile.summary_account
    ledger = LedgerEntry.objects.filter(account=summary).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    ledger_balance = (ledger["debit"] or 0) - (ledger["credit"] or 0)
    total = Decimal(0)
    for customer in Customer.objects.all():
        balance = receivables(customer)["balance"]
        items = CustomerTransaction.objects.filter(customer=customer)
        assert balance == (items.aggregate(t=Sum("amount"))["t"] or 0) - (
            Payment.objects.filter(customer=customer).aggregate(t=Sum("amount"))["t"] or 0
        ), f"{customer}: balance is not its documents less its payments"
        total += balance
    assert total == ledger_balance, "customer balances differ from the receivables account"
    for payment in Payment.objects.all():
        applied = payment.applications.aggregate(t=Sum("amount"))["t"] or 0
        assert payment.unapplied == payment.amount - applied >= 0, payment.number
    for item in CustomerTransaction.objects.filter(amount__gt=0):
        assert 0 <= item.remaining <= item.amount, f"open item {item.pk} out of range"
    canceled = Invoice.objects.filter(
        kind=Invoice.Kind.CREDIT_NOTE, credited_invoice__isnull=False
    ).values_list("credited_invoice", flat=True)
    paid_then_canceled = PaymentApplication.objects.filter(
        transaction__invoice__in=canceled, payment__isnull=False
    )
    assert not paid_then_canceled.exists(), "a paid invoice was canceled"


def assert_agreement_within_commitment(world: World) -> None:
    tolerance = world.agreement.over_release_tolerance
    for line in SalesAgreementLine.objects.filter(agreement=world.agreement):
        allowed = line.committed_quantity * (1 + tolerance / 100)
        assert line.released_quantity <= allowed, f"{line.item} released beyond the commitment"
        order_lines = SalesOrderLine.objects.filter(agreement_line=line)
        released = order_lines.exclude(order__status=SalesOrder.Status.CANCELED).aggregate(
            t=Sum("quantity")
        )["t"] or Decimal(0)
        assert line.released_quantity == released, f"{line.item}: releases vs order lines"
        delivered = order_lines.aggregate(t=Sum("delivered_quantity"))["t"] or Decimal(0)
        assert line.delivered_quantity == delivered, f"{line.item}: deliveries vs order lines"


def assert_stock_adds_up(world: World) -> None:
    for item in world.items:
        movements = InventoryTransaction.objects.filter(item=item, warehouse=world.warehouse)
        on_hand = movements.filter(status__in=InventoryTransaction.PHYSICAL).aggregate(
            t=Sum("quantity")
        )["t"] or Decimal(0)
        reserved = -(
            movements.filter(status=InventoryTransaction.Status.RESERVED).aggregate(
                t=Sum("quantity")
            )["t"]
            or Decimal(0)
        )
        assert 0 <= reserved <= on_hand, f"{item}: {reserved} reserved of {on_hand} on hand"
    for line in PurchaseOrderLine.objects.all():
        assert line.received_quantity + line.receive_remainder == line.quantity, line.pk
    assert not PurchaseOrder.objects.filter(lines__received_quantity__gt=F("lines__quantity"))


def test_many_clients_at_once_leave_the_books_orders_agreement_and_stock_consistent(
    monkeypatch,
):
    # Given a sales office's master data, stock, an effective agreement and posting setup
    # (documents are recorded pending; rendering them is the worker's job, not the soak's)
    monkeypatch.setattr("salesmkt.core.documents._queue", lambda document_id: None)
    world = build_world()
    retries = RetryCount()
    retry_log = logging.getLogger("salesmkt.core.transitions")
    monkeypatch.setattr(retry_log, "level", logging.INFO)
    retry_log.addHandler(retries)
    tally = Tally()
    start = threading.Barrier(CLIENTS)
    began = time.monotonic()
    until = began + SECONDS

    # When the clients work at once, each on its own connection
    threads = [
        threading.Thread(target=client, args=(n, world, tally, start, until))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    retry_log.removeHandler(retries)

    attempted = sum(tally.attempted.values())
    succeeded = sum(tally.succeeded.values())
    refused = sum(tally.refused.values())
    print(
        f"\nsoak: {CLIENTS} clients x {elapsed:.0f} s: {attempted} operations, "
        f"{succeeded} succeeded, {refused} refused by rule, {len(tally.errors)} errors; "
        f"{retries.count} transactions run again after a deadlock or serialization failure"
    )
    print("  attempted:", dict(sorted(tally.attempted.items())))
    print("  refused:", dict(tally.refused.most_common()))
    for error in tally.errors[:40]:
        print("  ERROR", error)

    # Then nothing but business rules refused anything, and every invariant holds
    assert tally.errors == [], "\n".join(tally.errors[:5])
    assert succeeded > CLIENTS * 10, "the soak did too little to prove anything"
    assert_orders_add_up()
    assert_books_balance(world)
    assert_agreement_within_commitment(world)
    assert_stock_adds_up(world)
