"""Backorder views on PostgreSQL with 100,000 open sales order lines and 10,000 purchase lines
(run with `make bench`).

The data is written with bulk_create as an import would (orders, lines and their inventory
transactions, purchase orders and their expected receipts): 1,000 items whose demand is skewed
(a few items are busy), 2,000 customers, 100 vendors, 2 warehouses, requested ship dates from a
month ago to two months ahead, a fifth of the lines partly reserved, 1 % special orders linked to
purchase lines, purchases expected from three weeks ago (late) to two months ahead.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import Customer, Party, Vendor
from inventory.models import InventoryTransaction, Item, PurchaseOrder, PurchaseOrderLine
from orders.models import SalesOrder, SalesOrderLine
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

ITEMS, CUSTOMERS, VENDORS = 1_000, 2_000, 100
ORDERS, LINES_PER_ORDER = 25_000, 4  # 100,000 open lines
PURCHASES, LINES_PER_PURCHASE = 1_000, 10  # 10,000 purchase lines
BATCH = 5_000


def _parties(prefix: str, count: int) -> list[Party]:
    return Party.objects.bulk_create(
        (Party(name=f"{prefix} {n} AS", language="nb") for n in range(count)), batch_size=BATCH
    )


def build_backorders(seed: int = 7) -> SimpleNamespace:
    rnd = random.Random(seed)
    today = timezone.localdate()
    template = f.CustomerFactory(credit_limit=0)
    warehouses = [f.WarehouseFactory(code="BW1", name="North"), f.WarehouseFactory(code="BW2")]
    vendors = Vendor.objects.bulk_create(
        Vendor(party=party, account_number=f"BV{n:04d}", currency_id=template.currency_id)
        for n, party in enumerate(_parties("Bench vendor", VENDORS))
    )
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"BI{n:05d}",
            name=f"Bench item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
            primary_vendor=vendors[n % VENDORS],
        )
        for n in range(ITEMS)
    )
    customers = Customer.objects.bulk_create(
        (
            Customer(
                party=party,
                account_number=f"BC{n:05d}",
                customer_group_id=template.customer_group_id,
                payment_terms_id=template.payment_terms_id,
                credit_limit=0,
                currency_id=template.currency_id,
                sales_tax_group_id=template.sales_tax_group_id,
                posting_profile_id=template.posting_profile_id,
            )
            for n, party in enumerate(_parties("Bench customer", CUSTOMERS))
        ),
        batch_size=BATCH,
    )

    def busy_item() -> Item:  # demand skewed towards the first items
        return items[int(ITEMS * rnd.random() ** 2)]

    # on-hand: one receipt per item and warehouse
    stock = [
        InventoryTransaction(
            item=item,
            warehouse=warehouse,
            quantity=Decimal(rnd.randint(0, 150)),
            status=InventoryTransaction.Status.RECEIVED,
            source="bench",
            source_id=0,
            reference="BENCH",
            date=today - timedelta(days=60),
        )
        for item in items
        for warehouse in warehouses
    ]
    # purchases and their expected receipts
    purchases = PurchaseOrder.objects.bulk_create(
        (
            PurchaseOrder(
                number=f"BP{n:06d}",
                vendor=rnd.choice(vendors),
                expected_receipt_date=today + timedelta(days=rnd.randint(-20, 60)),
            )
            for n in range(PURCHASES)
        ),
        batch_size=BATCH,
    )
    purchase_lines = []
    for purchase in purchases:
        for number in range(1, LINES_PER_PURCHASE + 1):
            quantity = Decimal(rnd.randint(5, 100))
            purchase_lines.append(
                PurchaseOrderLine(
                    order=purchase,
                    line_number=number,
                    item=busy_item(),
                    warehouse=rnd.choice(warehouses),
                    quantity=quantity,
                    unit_cost=Decimal("10"),
                    expected_receipt_date=purchase.expected_receipt_date,
                    receive_remainder=quantity,
                )
            )
    purchase_lines = PurchaseOrderLine.objects.bulk_create(purchase_lines, batch_size=BATCH)
    stock += [
        InventoryTransaction(
            item_id=line.item_id,
            warehouse_id=line.warehouse_id,
            quantity=line.receive_remainder,
            status=InventoryTransaction.Status.ORDERED,
            source="purchase_order_line",
            source_id=line.pk,
            reference=line.order.number,
            date=line.expected_receipt_date,
        )
        for line in purchase_lines
    ]
    # sales orders, their lines and expected issues (a fifth partly reserved)
    orders = SalesOrder.objects.bulk_create(
        (
            SalesOrder(
                number=f"BK{n:07d}",
                customer=rnd.choice(customers),
                currency_id=template.currency_id,
                requested_ship_date=today + timedelta(days=rnd.randint(-30, 60)),
                priority=rnd.randint(1, 9),
            )
            for n in range(ORDERS)
        ),
        batch_size=BATCH,
    )
    lines = []
    for order in orders:
        for number in range(1, LINES_PER_ORDER + 1):
            item, quantity = busy_item(), Decimal(rnd.randint(1, 10))
            special = rnd.random() < 0.01
            lines.append(
                SalesOrderLine(
                    order=order,
                    line_number=number,
                    item=item,
                    warehouse=rnd.choice(warehouses),
                    quantity=quantity,
                    unit_price=Decimal("25"),
                    sales_tax_code=tax,
                    line_amount=quantity * 25,
                    deliver_remainder=quantity,
                    invoice_remainder=quantity,
                    supply_type="special_order" if special else "stock",
                    purchase_line=rnd.choice(purchase_lines) if special else None,
                )
            )
    lines = SalesOrderLine.objects.bulk_create(lines, batch_size=BATCH)
    for line in lines:
        reserved = Decimal(rnd.randint(1, int(line.quantity))) if rnd.random() < 0.2 else 0
        for part, status in ((reserved, "reserved"), (line.quantity - reserved, "on_order")):
            if part:
                stock.append(
                    InventoryTransaction(
                        item_id=line.item_id,
                        warehouse_id=line.warehouse_id,
                        quantity=-part,
                        status=status,
                        source="sales_order_line",
                        source_id=line.pk,
                        reference=line.order.number,
                        date=line.order.requested_ship_date,
                    )
                )
    InventoryTransaction.objects.bulk_create(stock, batch_size=BATCH)
    with connection.cursor() as cursor:  # the statistics autovacuum keeps after an import
        cursor.execute("ANALYZE")
    return SimpleNamespace(items=items, warehouses=warehouses, lines=len(lines))


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    """Built once for the module's four views, in a transaction of its own that each test's
    transaction nests in (a savepoint) and that is rolled back after the last one."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("the backorder benchmark runs on PostgreSQL (set DATABASE_URL)")
        outer = transaction.atomic()
        outer.__enter__()
        try:
            started = time.perf_counter()
            built = build_backorders()
            # The foreign keys checked here, once: left deferred, each test's end (a savepoint
            # rolled back) would check the whole import again.
            connection.check_constraints()
            print(f"\nbuilt {built.lines} open lines in {time.perf_counter() - started:.1f} s")
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(f.UserFactory(is_superuser=True))
    return client


def _first_page(api, path):
    response = api.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_api_backorders_by_item_first_page(benchmark, data, api):
    body = benchmark(_first_page, api, "/api/v1/backorders/by-item/")

    assert body["count"] > 1_500  # item and warehouse pairs with demand


def test_api_backorders_by_customer_first_page(benchmark, data, api):
    body = benchmark(_first_page, api, "/api/v1/backorders/by-customer/")

    assert body["count"] == data.lines


def test_api_backorders_by_vendor_first_page(benchmark, data, api):
    body = benchmark(_first_page, api, "/api/v1/backorders/by-vendor/")

    assert body["count"] == PURCHASES * LINES_PER_PURCHASE


def test_api_backorders_of_the_busiest_item(benchmark, data, api):
    busiest = data.items[0]

    body = benchmark(_first_page, api, f"/api/v1/backorders/by-item/{busiest.pk}/")

    assert len(body["lines"]) > 2_000
