"""A planner opens each backorder view in Chromium, filters and sorts, reads an item's answers
and its demand-vs-supply chart, and allocates the item's on-hand on the allocation page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from inventory.services.stock import reserved_quantity
from orders.services.orders import SOURCE, sales_order_create
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def test_a_planner_opens_each_backorder_view_and_allocates_the_on_hand(page, login):
    f.UserFactory(username="planner", groups=["sales manager"])
    item, warehouse = f.ItemFactory(name="Mooring rope"), f.WarehouseFactory()
    received = purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": days(-10),
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(5)}],
        },
        actor=None,
    )
    purchase_order_receive(order=received, actor=None)
    orders = [
        sales_order_create(
            data={
                "customer": f.CustomerFactory(),
                "requested_ship_date": requested,
                "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
            },
            actor=None,
        )
        for quantity, requested in ((4, days(2)), (3, days(4)))
    ]
    late = purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": days(-2),
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(10)}],
        },
        actor=None,
    )

    login("planner")
    page.goto("/orders/backorders/by-item/")
    page.get_by_role("link", name="Demand").click()
    page.wait_for_selector("th[aria-sort=ascending]")
    page.get_by_role("link", name=item.item_number).click()
    page.wait_for_selector("text=2 sales orders wait for this item.")
    page.wait_for_selector("text=1 vendor delivery is late.")
    # The text shows while the page is still parsing; the chart is drawn by the scripts at its
    # end, so wait for it (bounded by the page's default timeout) instead of asking once.
    page.wait_for_function(
        "() => !!window.Chart && Chart.getChart('chart-projection') !== undefined"
    )
    assert page.locator("#chart-projection").is_visible()

    page.goto("/orders/backorders/by-customer/")
    assert page.locator("#backorders-by-customer tbody tr").count() == 2

    page.goto("/orders/backorders/by-vendor/")
    page.check("#id_late")
    page.wait_for_selector(f"#backorders-by-vendor >> text={late.number}/1")

    page.goto("/orders/allocation/")
    page.select_option("#id_item", str(item.pk))
    page.get_by_role("button", name="Show backorders").click()
    earlier, later = (order.lines.get() for order in orders)
    page.wait_for_selector(f"input[name='quantity-{later.pk}']")
    assert page.input_value(f"input[name='quantity-{later.pk}']") == "1"  # the proposal
    page.get_by_role("button", name="Allocate automatically").click()
    page.wait_for_selector(".alert-success")

    assert reserved_quantity(SOURCE, earlier.pk) == Decimal(4)
    assert reserved_quantity(SOURCE, later.pk) == Decimal(1)
