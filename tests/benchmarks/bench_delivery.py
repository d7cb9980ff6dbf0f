"""Packing slip benchmarks (run with `make bench`): ship a 1,000-line and a 5,000-line order.

The orders are made in setup: the header and its first line through `sales_order_create`, the
other lines and their expected movements as bulk rows shaped like order entry writes them (a
third of the lines partly reserved from on-hand), so that the rounds measure posting alone.
The warehouse refuses negative stock and every item has stock, so the shortfall check reads
real on-hand."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction, Item
from orders.models import SalesOrder, SalesOrderLine
from orders.services.delivery import packing_slip_post
from orders.services.orders import SOURCE, sales_order_create
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

SHIP_DATE = date(2026, 12, 1)
QUANTITY = Decimal("3")


@pytest.fixture
def stocked_catalogue():
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    warehouse = f.WarehouseFactory(code="BEN", name="Bench", negative_stock_policy="refuse")
    items = Item.objects.bulk_create(
        Item(
            item_number=f"D{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(5000)
    )
    InventoryTransaction.objects.bulk_create(  # enough on hand for every round
        InventoryTransaction(
            item=item,
            warehouse=warehouse,
            quantity=Decimal("1000"),
            status=InventoryTransaction.Status.RECEIVED,
            source="inventory_adjustment",
            source_id=item.pk,
            reference="opening",
            date=date(2026, 1, 1),
        )
        for item in items
    )
    return f.CustomerFactory(credit_limit=0), warehouse, items


def _order_of(size: int, customer, warehouse, items):
    order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": SHIP_DATE,
            "lines": [{"item": items[0], "warehouse": warehouse, "quantity": QUANTITY}],
        },
        actor=None,
    )
    first = order.lines.get()
    lines = SalesOrderLine.objects.bulk_create(
        SalesOrderLine(
            order=order,
            line_number=number,
            item=item,
            warehouse=warehouse,
            quantity=QUANTITY,
            unit_price=first.unit_price,
            discount_amount=first.discount_amount,
            discount_percent=first.discount_percent,
            price_base_quantity=first.price_base_quantity,
            sales_tax_code_id=first.sales_tax_code_id,
            line_amount=first.line_amount,
            price_source=first.price_source,
            deliver_remainder=QUANTITY,
            invoice_remainder=QUANTITY,
            delivered_quantity=Decimal(0),
            invoiced_quantity=Decimal(0),
        )
        for number, item in enumerate(items[1:size], start=2)
    )
    movements = []
    for index, line in enumerate(lines):
        reserved = Decimal(1) if index % 3 == 0 else Decimal(0)
        for quantity, status in ((reserved, "reserved"), (QUANTITY - reserved, "on_order")):
            if quantity:
                movements.append(
                    InventoryTransaction(
                        item_id=line.item_id,
                        warehouse=warehouse,
                        quantity=-quantity,
                        status=status,
                        source=SOURCE,
                        source_id=line.pk,
                        reference=order.number,
                        date=SHIP_DATE,
                    )
                )
    InventoryTransaction.objects.bulk_create(movements)
    return order


def _ship(benchmark, size: int, catalogue, rounds: int):
    customer, warehouse, items = catalogue

    def make():
        order = _order_of(size, customer, warehouse, items)
        lines = [
            {"order_line": pk, "quantity": QUANTITY}
            for pk in order.lines.order_by("pk").values_list("pk", flat=True)
        ]
        return (order, lines), {}

    def ship(order, lines):
        return packing_slip_post(order=order, lines=lines, actor=None)

    slip = benchmark.pedantic(ship, setup=make, rounds=rounds, iterations=1)

    order = SalesOrder.objects.get(pk=slip.order_id)
    assert slip.lines.count() == size
    assert not order.lines.filter(deliver_remainder__gt=0).exists()
    assert order.status == "delivered"


def test_ship_an_order_of_1000_lines(benchmark, stocked_catalogue):
    _ship(benchmark, 1000, stocked_catalogue, rounds=3)


def test_ship_an_order_of_5000_lines(benchmark, stocked_catalogue):
    _ship(benchmark, 5000, stocked_catalogue, rounds=2)
