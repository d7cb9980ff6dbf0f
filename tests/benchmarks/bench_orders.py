"""Sales order benchmarks (run with `make bench`): entering orders over the API and through the
service, changing one line of a large order, confirming and delivering."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import Item
from orders.services.delivery import packing_slip_post
from orders.services.orders import (
    sales_order_confirm,
    sales_order_create,
    sales_order_line_change,
)
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]


def _catalogue(size: int, prefix: str):
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"{prefix}{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(size)
    )
    return f.CustomerFactory(credit_limit=0), f.WarehouseFactory(), items


@pytest.fixture
def catalogue():
    return _catalogue(1000, "O")


@pytest.fixture
def large_catalogue():
    return _catalogue(5000, "L")


def _order_data(customer, warehouse, items) -> dict:
    return {
        "customer": customer,
        "requested_ship_date": date(2026, 12, 1),
        "lines": [
            {"item": item, "warehouse": warehouse, "quantity": Decimal("3")} for item in items
        ],
    }


def test_api_create_an_order_of_10_lines(benchmark, catalogue):
    customer, warehouse, items = catalogue
    client = APIClient()
    client.force_authenticate(f.UserFactory(is_superuser=True))
    body = {
        "customer": customer.pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {"item": item.pk, "warehouse": warehouse.pk, "quantity": "5"} for item in items[:10]
        ],
    }

    response = benchmark(client.post, "/api/v1/sales-orders/", body, format="json")

    assert response.status_code == 201


def test_create_an_order_of_5000_lines(benchmark, large_catalogue):
    """Issue 17: under 3 s."""
    customer, warehouse, items = large_catalogue
    benchmark.extra_info.update(label="create a 5,000-line order", target_seconds=3.0)

    order = benchmark.pedantic(
        lambda: sales_order_create(data=_order_data(customer, warehouse, items), actor=None),
        rounds=3,
        iterations=1,
    )

    assert order.lines.count() == 5000


def test_change_one_line_of_an_order_of_5000_lines(benchmark, large_catalogue):
    """Issue 17: under 50 ms, the same queries as for a small order."""
    customer, warehouse, items = large_catalogue
    order = sales_order_create(data=_order_data(customer, warehouse, items), actor=None)
    line = order.lines.get(line_number=2500)
    quantities = iter(range(4, 10_000))
    benchmark.extra_info.update(label="change one line of a 5,000-line order", target_seconds=0.05)

    changed = benchmark.pedantic(
        lambda: sales_order_line_change(
            line=line, data={"quantity": Decimal(next(quantities))}, actor=None
        ),
        rounds=20,
        iterations=1,
        warmup_rounds=1,
    )

    assert changed.deliver_remainder == changed.quantity


def test_confirm_and_deliver_one_order_of_1000_lines(benchmark, catalogue):
    customer, warehouse, items = catalogue

    def make():
        return (sales_order_create(data=_order_data(customer, warehouse, items), actor=None),), {}

    def confirm_and_deliver(order):
        sales_order_confirm(order=order, actor=None)
        return packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
            actor=None,
        )

    slip = benchmark.pedantic(confirm_and_deliver, setup=make, rounds=3, iterations=1)

    assert slip.order.lines.filter(deliver_remainder=0).count() == 1000
