"""Sales order benchmarks (run with `make bench`)."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import Item
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm, sales_order_create
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]


@pytest.fixture
def catalogue():
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"O{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(1000)
    )
    return f.CustomerFactory(credit_limit=0), f.WarehouseFactory(), items


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


def test_confirm_and_deliver_one_order_of_1000_lines(benchmark, catalogue):
    customer, warehouse, items = catalogue

    def make():
        order = sales_order_create(
            data={
                "customer": customer,
                "requested_ship_date": date(2026, 12, 1),
                "lines": [
                    {"item": item, "warehouse": warehouse, "quantity": Decimal("3")}
                    for item in items
                ],
            },
            actor=None,
        )
        return (order,), {}

    def confirm_and_deliver(order):
        sales_order_confirm(order=order, actor=None)
        return packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
            actor=None,
        )

    slip = benchmark.pedantic(confirm_and_deliver, setup=make, rounds=3, iterations=1)

    assert slip.order.lines.filter(deliver_remainder=0).count() == 1000
