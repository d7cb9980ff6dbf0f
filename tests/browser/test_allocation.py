from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from inventory.services.stock import reserved_quantity
from orders.services.orders import SOURCE
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_allocates_an_items_on_hand_to_its_backorders_on_the_allocation_page(
    page, login, make_order
):
    f.UserFactory(username="planner", groups=["sales manager"])
    item = f.ItemFactory(name="Cloudberry jam")
    today = timezone.localdate()
    earlier = make_order(
        quantities=["4"], items=[item], requested_ship_date=today + timedelta(days=3)
    )
    later = make_order(
        quantities=["3"], items=[item], requested_ship_date=today + timedelta(days=5)
    )
    warehouse = earlier.lines.get().warehouse
    purchase_order_receive(
        order=purchase_order_create(
            data={
                "vendor": f.VendorFactory(),
                "expected_receipt_date": today,
                "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(5)}],
            },
            actor=None,
        ),
        actor=None,
    )

    login("planner")
    page.goto("/orders/allocation/")
    page.select_option("#id_item", str(item.pk))
    page.get_by_role("button", name="Show backorders").click()
    page.wait_for_selector(f"input[name='quantity-{later.lines.get().pk}']")
    assert page.input_value(f"input[name='quantity-{later.lines.get().pk}']") == "1"
    page.get_by_role("button", name="Allocate automatically").click()
    page.wait_for_selector(".alert-success")

    assert reserved_quantity(SOURCE, earlier.lines.get().pk) == Decimal(4)
    assert reserved_quantity(SOURCE, later.lines.get().pk) == Decimal(1)
    assert "Automatic" in page.inner_text("main")
