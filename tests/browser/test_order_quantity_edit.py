"""The order page in Chromium (issue 15, item 6): Enter in a line's quantity saves that quantity
and nothing else; a packing slip is posted only from its own confirmation, which shows what will
ship first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import PackingSlip, SalesOrder
from orders.services.orders import sales_order_create
from salesmkt.core.audit import events_for
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order():
    """An order of 10 salmon and 3 rope, both on hand."""
    return f.stocked_order([("Smoked salmon", 10), ("Mooring rope", 3)])


@pytest.fixture
def order_page(page, login, order):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    login("clerk")
    page.goto(reverse("orders:sales-orders-detail", args=[order.pk]))
    return page


def test_enter_in_a_line_quantity_changes_only_that_quantity_and_posts_nothing(order_page, order):
    page = order_page
    salmon, rope = order.lines.order_by("line_number")
    url = page.url

    with page.expect_response(lambda r: r.url.endswith(f"/{salmon.pk}/quantity/") and r.ok):
        page.fill(f"input[name='quantity-{salmon.pk}']", "7")
        page.press(f"input[name='quantity-{salmon.pk}']", "Enter")
    # the row came back: its deliver-now field offers the new remainder
    page.wait_for_function(
        f"() => document.querySelector(\"input[name='deliver-{salmon.pk}']\").value === '7'"
    )
    page.wait_for_timeout(300)  # time for anything else Enter might have sent

    assert page.url == url  # no page was submitted
    assert not PackingSlip.objects.exists()
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.OPEN
    assert [
        (line.quantity, line.deliver_remainder) for line in order.lines.order_by("line_number")
    ] == [(Decimal(7), Decimal(7)), (Decimal(3), Decimal(3))]
    assert page.input_value(f"input[name='deliver-{rope.pk}']") == "3"
    [event] = events_for(order).filter(action="line_quantity_changed")
    assert event.data["quantity"] == {"old": "10.0000", "new": "7.0000"}


def test_posting_a_packing_slip_shows_what_will_ship_and_posts_only_when_confirmed(
    order_page, order
):
    page = order_page
    salmon, rope = order.lines.order_by("line_number")

    page.fill(f"input[name='deliver-{salmon.pk}']", "4")
    page.get_by_role("button", name="Post packing slip").click()
    panel = page.locator("#packing-slip-review")
    panel.wait_for()

    assert not PackingSlip.objects.exists()  # the first click only shows what will ship
    shown = panel.locator("tr[data-review-line]")
    assert shown.count() == 2
    assert "Smoked salmon" in shown.nth(0).inner_text()
    assert "OSL" in shown.nth(0).inner_text()
    assert "4.00" in shown.nth(0).locator("[data-review-quantity]").inner_text()
    assert "Mooring rope" in shown.nth(1).inner_text()

    panel.get_by_role("button", name="Confirm and post").click()
    page.wait_for_selector("text=Packing slip PS000001 posted.")

    slip = PackingSlip.objects.get()
    assert sorted((line.order_line_id, line.quantity) for line in slip.lines.all()) == [
        (salmon.pk, Decimal(4)),
        (rope.pk, Decimal(3)),
    ]
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.OPEN  # 6 salmon left to deliver
    assert page.input_value(f"input[name='deliver-{salmon.pk}']") == "6"


def test_enter_in_a_deliver_now_field_only_shows_the_confirmation(order_page, order):
    page = order_page
    salmon = order.lines.order_by("line_number").first()

    page.fill(f"input[name='deliver-{salmon.pk}']", "2")
    page.press(f"input[name='deliver-{salmon.pk}']", "Enter")
    page.locator("#packing-slip-review").wait_for()
    page.wait_for_timeout(300)

    assert not PackingSlip.objects.exists()
    assert "Confirm and post" in page.locator("#packing-slip-review").inner_text()


def test_a_shortfall_that_warns_is_shipped_only_after_ship_anyway_is_ticked(page, login):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    item = f.ItemFactory(name="Anchor chain", negative_stock_policy="warn")
    order = sales_order_create(
        data={
            "customer": f.CustomerFactory(),
            "requested_ship_date": timezone.localdate() + timedelta(days=3),
            "lines": [{"item": item, "warehouse": f.WarehouseFactory(), "quantity": Decimal(5)}],
        },
        actor=None,
    )
    login("clerk")
    page.goto(reverse("orders:sales-orders-detail", args=[order.pk]))

    page.get_by_role("button", name="Post packing slip").click()
    panel = page.locator("#packing-slip-review")
    panel.wait_for()
    assert "Anchor chain" in panel.locator("[data-shortfall='warn']").inner_text()
    panel.get_by_role("button", name="Confirm and post").click()  # the box is not ticked
    page.wait_for_timeout(300)
    assert not PackingSlip.objects.exists()

    panel.get_by_label("Ship anyway").check()
    panel.get_by_role("button", name="Confirm and post").click()
    page.wait_for_selector("text=Packing slip PS000001 posted.")
    assert PackingSlip.objects.filter(order=order).count() == 1
