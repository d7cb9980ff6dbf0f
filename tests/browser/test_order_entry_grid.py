"""A clerk enters a 20-line order with the keyboard only: the total follows every line and the
credit-limit warning shows before saving."""

from decimal import Decimal

import pytest

from orders.models import SalesOrder
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def total_is(page, expected: str) -> None:
    page.wait_for_function(
        "expected => document.querySelector('#grid-total')?.dataset.total === expected",
        arg=expected,
    )


def test_a_twenty_line_order_is_entered_with_the_keyboard_only(page, login):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    warehouse = f.WarehouseFactory()
    f.CustomerFactory(
        party=f.PartyFactory(name="Fjordkjøkken AS"),
        credit_limit=Decimal("1500.00"),
        default_warehouse=warehouse,
    )
    for number in range(1, 21):
        f.ItemFactory(item_number=f"GRID-{number:02d}", base_sales_price=Decimal("10.0000"))

    login("clerk")
    page.goto("/orders/sales-orders/new/")
    page.keyboard.type("Fjordkj")  # the customer box has the focus
    page.wait_for_selector("#id_customer_results [data-pk]")
    page.keyboard.press("Enter")  # picks the customer, on to the first line's item

    for number in range(1, 21):
        index = number - 1
        assert page.evaluate("document.activeElement.id") == f"id_lines-{index}-item"
        page.keyboard.type(f"GRID-{number:02d}")
        page.wait_for_selector(f"#id_lines-{index}-item_results [data-pk]")
        page.keyboard.press("Enter")  # picks the item, on to its quantity
        page.keyboard.type("10")
        page.keyboard.press("Enter")  # on to the next line
        # 10 x 10.00 a line, 25 % tax: the total follows as the lines are typed
        total_is(page, f"{Decimal(125) * number:.2f}")
        warned = page.locator("[data-grid-warnings]").count() > 0
        assert warned == (number * 100 > 1500), number  # net beyond the credit limit

    assert "Credit limit exceeded" in page.inner_text("#entry-summary")
    page.keyboard.press("Control+Enter")  # save
    page.wait_for_selector("text=SO000001")

    order = SalesOrder.objects.get()
    lines = list(order.lines.order_by("line_number"))
    assert len(lines) == 20
    assert {line.warehouse_id for line in lines} == {warehouse.pk}
    assert sum(line.line_amount for line in lines) == Decimal("2000.00")
    assert order.approval_status == "pending"  # over the credit limit: waits for approval
