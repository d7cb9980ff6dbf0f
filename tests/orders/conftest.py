from datetime import date
from decimal import Decimal

import pytest

from orders.services.orders import sales_order_create
from tests import factories as f


@pytest.fixture
def make_order():
    """An order through the service: make_order(quantities=[10], order_type="sales")."""
    warehouse = f.WarehouseFactory()

    def make(
        *,
        quantities=(Decimal("10"),),
        order_type="sales",
        customer=None,
        items=None,
        actor=None,
        **extra,
    ):
        customer = customer or f.CustomerFactory()
        items = items or [f.ItemFactory() for _ in quantities]
        return sales_order_create(
            data={
                "customer": customer,
                "order_type": order_type,
                "requested_ship_date": date(2026, 12, 1),
                "lines": [
                    {"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}
                    for item, quantity in zip(items, quantities, strict=True)
                ],
                **extra,
            },
            actor=actor,
        )

    return make
