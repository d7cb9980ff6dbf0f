"""The clerk's backorder pages: by item (and one item's answers and chart), by customer, by
vendor, with filters and sortable columns."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from orders.services.orders import sales_order_create
from tests import factories as f


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def purchase(item, warehouse, quantity, expected, vendor=None):
    return purchase_order_create(
        data={
            "vendor": vendor or f.VendorFactory(),
            "expected_receipt_date": expected,
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
        },
        actor=None,
    )


def order(item, warehouse, quantity, requested, customer=None):
    return sales_order_create(
        data={
            "customer": customer or f.CustomerFactory(),
            "requested_ship_date": requested,
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
        },
        actor=None,
    )


@pytest.fixture
def clerk(client, user_in):
    client.force_login(user_in("sales clerk"))
    return client


@pytest.fixture
def scenario():
    """5 on hand, orders of 4 (in 2 days) and 3 (in 4 days), 10 expected in 7 days, and a
    vendor delivery 3 days late."""
    item, warehouse = f.ItemFactory(name="Mooring rope"), f.WarehouseFactory()
    purchase_order_receive(order=purchase(item, warehouse, 5, days(-10)), actor=None)
    first = order(item, warehouse, 4, days(2))
    second = order(item, warehouse, 3, days(4))
    incoming = purchase(item, warehouse, 10, days(7))
    late = purchase(item, warehouse, 1, days(-3))
    return item, warehouse, first, second, incoming, late


@pytest.mark.django_db
def test_the_item_page_answers_the_three_questions_in_words(clerk, scenario):
    item, warehouse, *_ = scenario

    page = clerk.get(
        reverse("orders:backorder-item", args=[item.pk]), {"warehouse": warehouse.pk}
    ).content.decode()

    assert "2 sales orders wait for this item." in page
    assert "1 vendor delivery is late." in page
    # 5 on hand + 1 late receipt: 4 ship in 2 days, then 3 in 4 days leave 1 short
    assert f"Order 1 more by {days(4).isoformat()} to deliver every order in time." in page
    assert 'id="chart-projection"' in page and 'id="data-projection"' in page


@pytest.mark.django_db
def test_the_by_item_list_shows_the_figures_and_links_the_item_page(clerk, scenario):
    item, _warehouse, *_ = scenario

    response = clerk.get(reverse("orders:backorders-by-item"))

    row = response.context["page"].object_list[0]
    assert (row["orders"], row["demand"], row["on_hand"], row["expected"]) == (
        2,
        Decimal("7"),
        Decimal("5"),
        Decimal("11"),
    )
    assert reverse("orders:backorder-item", args=[item.pk]) in response.content.decode()


@pytest.mark.django_db
def test_the_by_item_list_filters_short_items_and_refreshes_only_the_table(clerk, scenario):
    short_item = f.ItemFactory(name="Fender")
    order(short_item, scenario[1], 2, days(1))

    response = clerk.get(
        reverse("orders:backorders-by-item"), {"short": "on"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert "<html" not in page
    assert short_item.item_number in page and scenario[0].item_number not in page


@pytest.mark.django_db
def test_the_backorder_lists_sort_by_a_column_header(clerk, scenario):
    other = f.ItemFactory()
    order(other, scenario[1], 30, days(1))

    up = clerk.get(reverse("orders:backorders-by-item"), {"o": "demand"}).context["page"]
    down = clerk.get(reverse("orders:backorders-by-item"), {"o": "-demand"}).context["page"]

    assert [row["item"] for row in up.object_list] == [scenario[0].pk, other.pk]
    assert [row["item"] for row in down.object_list] == [other.pk, scenario[0].pk]
    assert (
        'aria-sort="descending"'
        in clerk.get(reverse("orders:backorders-by-item"), {"o": "-demand"}).content.decode()
    )


@pytest.mark.django_db
def test_the_by_customer_list_shows_days_late_for_a_waiting_customer(clerk, scenario):
    item, warehouse, first, *_ = scenario
    late = order(item, warehouse, 1, days(-6), customer=first.customer)

    response = clerk.get(
        reverse("orders:backorders-by-customer"), {"customer": first.customer_id, "late": "on"}
    )

    lines = response.context["page"].object_list
    assert [(line.order.number, line.days_late) for line in lines] == [(late.number, 6)]
    assert late.number in response.content.decode()


@pytest.mark.django_db
def test_the_by_vendor_list_shows_late_purchase_lines(clerk, scenario):
    *_, incoming, late = scenario

    response = clerk.get(reverse("orders:backorders-by-vendor"), {"late": "on"})

    lines = response.context["page"].object_list
    assert [(line.order.number, line.days_late) for line in lines] == [(late.number, 3)]
    assert incoming.number not in response.content.decode()


@pytest.mark.django_db
def test_the_menu_offers_the_three_backorder_views(clerk):
    page = clerk.get(reverse("dashboard")).content.decode()

    for name in ("backorders-by-item", "backorders-by-customer", "backorders-by-vendor"):
        assert reverse(f"orders:{name}") in page


@pytest.mark.django_db
def test_backorder_pages_need_the_sales_order_view_permission(client, user_in):
    client.force_login(user_in("marketing"))

    assert client.get(reverse("orders:backorders-by-item")).status_code == 403
