"""Backorders by item, by customer and by vendor: the figures on a built scenario.

The scenario of the issue: 5 on hand, two orders of 4 and 3 requested on different dates, a
purchase of 10 expected in 7 days.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from orders.selectors.backorders import (
    backorders_by_customer,
    backorders_by_item,
    backorders_by_vendor,
    item_backorders,
    project_availability,
)
from orders.services.delivery import packing_slip_post
from orders.services.orders import apply_line_inventory, sales_order_cancel, sales_order_create
from orders.services.supply import sales_line_purchase
from tests import factories as f


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def purchase(item, warehouse, quantity, expected, vendor=None, **extra):
    return purchase_order_create(
        data={
            "vendor": vendor or f.VendorFactory(),
            "expected_receipt_date": expected,
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
            **extra,
        },
        actor=None,
    )


def order(item, warehouse, quantity, requested, customer=None, **extra):
    line_extra = extra.pop("line", {})
    return sales_order_create(
        data={
            "customer": customer or f.CustomerFactory(),
            "requested_ship_date": requested,
            "lines": [
                {"item": item, "warehouse": warehouse, "quantity": Decimal(quantity), **line_extra}
            ],
            **extra,
        },
        actor=None,
    )


@pytest.fixture
def scenario():
    """5 on hand (a received purchase), orders of 4 (in 2 days) and 3 (in 4 days), a purchase of
    10 expected in 7 days."""
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    purchase_order_receive(order=purchase(item, warehouse, 5, days(-10)), actor=None)
    first = order(item, warehouse, 4, days(2))
    second = order(item, warehouse, 3, days(4))
    incoming = purchase(item, warehouse, 10, days(7))
    return SimpleNamespace(
        item=item, warehouse=warehouse, first=first, second=second, incoming=incoming
    )


def by_item_row(item, **filters):
    rows = list(backorders_by_item(item=item, **filters))
    assert len(rows) <= 1
    return rows[0] if rows else None


# --- by item -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_by_item_counts_the_sales_orders_and_lines_waiting_for_the_item(scenario):
    row = by_item_row(scenario.item)

    assert (row["orders"], row["lines"]) == (2, 2)


@pytest.mark.django_db
def test_by_item_demand_is_what_is_left_to_deliver(scenario):
    line = scenario.first.lines.get()
    packing_slip_post(order=scenario.first, lines=[{"order_line": line, "quantity": 1}], actor=None)

    row = by_item_row(scenario.item)

    assert row["demand"] == Decimal("6")  # 3 of 4 and 3
    assert row["on_hand"] == Decimal("4")


@pytest.mark.django_db
def test_by_item_shows_on_hand_expected_receipts_and_the_next_receipt_date(scenario):
    purchase(scenario.item, scenario.warehouse, 2, days(12))

    row = by_item_row(scenario.item)

    assert (row["on_hand"], row["expected"], row["next_receipt"]) == (
        Decimal("5"),
        Decimal("12"),
        days(7),
    )


@pytest.mark.django_db
def test_shortfall_is_zero_when_stock_and_purchases_cover_the_demand(scenario):
    row = by_item_row(scenario.item)

    assert row["demand"] == Decimal("7")
    assert row["shortfall"] == Decimal("0")


@pytest.mark.django_db
def test_shortfall_is_what_neither_stock_nor_purchases_cover(scenario):
    order(scenario.item, scenario.warehouse, 10, days(20))

    row = by_item_row(scenario.item)

    assert row["shortfall"] == Decimal("2")  # 17 - 5 - 10


@pytest.mark.django_db
def test_reserved_stock_is_shown_per_item_and_per_line(scenario):
    line = scenario.first.lines.get()
    apply_line_inventory(scenario.first, line, reserved=Decimal("3"))

    row = by_item_row(scenario.item)
    detail = item_backorders(item=scenario.item)

    assert row["reserved"] == Decimal("3")
    assert detail.reserved == Decimal("3")
    assert [line.reserved for line in detail.lines] == [Decimal("3"), Decimal("0")]


@pytest.mark.django_db
def test_journal_return_canceled_and_drop_shipment_lines_are_no_backorders(scenario):
    item, warehouse = scenario.item, scenario.warehouse
    order(item, warehouse, 7, days(1), order_type="journal")
    order(item, warehouse, 7, days(1), order_type="returned", return_reason="Broken")
    sales_order_cancel(order=order(item, warehouse, 7, days(1)), actor=None)
    order(item, warehouse, 7, days(1), line={"supply_type": "drop_shipment"})

    row = by_item_row(item)

    assert (row["orders"], row["demand"]) == (2, Decimal("7"))


@pytest.mark.django_db
def test_drop_shipment_purchases_are_no_expected_receipts(scenario):
    purchase(scenario.item, scenario.warehouse, 50, days(3), drop_shipment=True)

    assert by_item_row(scenario.item)["expected"] == Decimal("10")


@pytest.mark.django_db
def test_late_demand_is_what_is_past_its_requested_ship_date(scenario):
    order(scenario.item, scenario.warehouse, 2, days(-3))

    row = by_item_row(scenario.item)

    assert (row["late_lines"], row["late_demand"]) == (1, Decimal("2"))


@pytest.mark.django_db
def test_backorders_by_item_are_per_warehouse(scenario):
    other = f.WarehouseFactory(code="BGO", name="Bergen")
    order(scenario.item, other, 6, days(3))

    rows = {row["warehouse_code"]: row for row in backorders_by_item(item=scenario.item)}

    assert (rows["OSL"]["demand"], rows["OSL"]["on_hand"]) == (Decimal("7"), Decimal("5"))
    assert (rows["BGO"]["demand"], rows["BGO"]["on_hand"]) == (Decimal("6"), Decimal("0"))
    assert rows["BGO"]["shortfall"] == Decimal("6")


@pytest.mark.django_db
def test_only_short_and_only_late_keep_the_items_that_are(scenario):
    short_item = f.ItemFactory()
    order(short_item, scenario.warehouse, 1, days(-1))

    short = [row["item"] for row in backorders_by_item(only_short=True)]
    late = [row["item"] for row in backorders_by_item(only_late=True)]

    assert short == [short_item.pk]
    assert late == [short_item.pk]


@pytest.mark.django_db
def test_by_item_sorts_by_any_figure_and_searches_items(scenario):
    other = f.ItemFactory(name="Anchor chain")
    order(other, scenario.warehouse, 30, days(1))

    by_demand = [row["item"] for row in backorders_by_item(ordering="-demand")]
    by_demand_up = [row["item"] for row in backorders_by_item(ordering="demand")]
    found = [row["item"] for row in backorders_by_item(search="anchor")]

    assert by_demand == [other.pk, scenario.item.pk]
    assert by_demand_up == [scenario.item.pk, other.pk]
    assert found == [other.pk]


# --- one item: projection and answers ------------------------------------------------------------
@pytest.mark.django_db
def test_projection_goes_short_on_the_second_orders_date_before_the_receipt(scenario):
    result = item_backorders(item=scenario.item, warehouse=scenario.warehouse)

    assert [(p.date, p.available) for p in result.projection] == [
        (days(2), Decimal("1")),
        (days(4), Decimal("-2")),
        (days(7), Decimal("8")),
    ]
    assert result.must_order_more
    assert (result.must_order, result.first_short.date) == (Decimal("2"), days(4))
    assert result.shortfall == Decimal("0")


@pytest.mark.django_db
def test_no_more_must_be_ordered_when_the_receipt_comes_in_time():
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    purchase_order_receive(order=purchase(item, warehouse, 5, days(-10)), actor=None)
    order(item, warehouse, 4, days(2))
    order(item, warehouse, 3, days(4))
    purchase(item, warehouse, 10, days(3))

    result = item_backorders(item=item)

    assert not result.must_order_more
    assert result.first_short is None


@pytest.mark.django_db
def test_an_item_answers_how_many_sales_orders_wait_for_it(scenario):
    order(scenario.item, scenario.warehouse, 1, days(5), customer=scenario.first.customer)

    assert item_backorders(item=scenario.item).order_count == 3


@pytest.mark.django_db
def test_vendor_deliveries_past_their_date_are_late_receipts(scenario):
    late = purchase(scenario.item, scenario.warehouse, 4, days(-2))

    result = item_backorders(item=scenario.item)

    assert [r.order.number for r in result.late_receipts] == [late.number]
    assert [r.days_late for r in result.receipts] == [2, 0]


@pytest.mark.django_db
def test_the_chart_shows_cumulative_demand_against_cumulative_supply(scenario):
    chart = item_backorders(item=scenario.item).chart()

    assert chart["labels"] == [days(2).isoformat(), days(4).isoformat(), days(7).isoformat()]
    values = {dataset["key"]: dataset["values"] for dataset in chart["datasets"]}
    assert [Decimal(v) for v in values["demand"]] == [4, 7, 7]
    assert [Decimal(v) for v in values["supply"]] == [5, 5, 15]


def test_a_receipt_on_the_day_of_a_demand_counts_before_it_ships():
    points = project_availability(
        Decimal(0), [(date(2026, 12, 1), Decimal(3))], [(date(2026, 12, 1), Decimal(3))]
    )

    assert [p.available for p in points] == [Decimal(0)]


# --- by customer ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_by_customer_shows_a_customers_remaining_lines_with_days_late():
    item, warehouse, customer = f.ItemFactory(), f.WarehouseFactory(), f.CustomerFactory()
    late = order(item, warehouse, 2, days(-5), customer=customer)
    on_time = order(item, warehouse, 3, days(5), customer=customer)
    order(item, warehouse, 9, days(-5))  # another customer's

    lines = list(backorders_by_customer(customer=customer))
    late_only = list(backorders_by_customer(customer=customer, only_late=True))

    assert [line.order.number for line in lines] == [late.number, on_time.number]
    assert [line.order.number for line in late_only] == [late.number]


@pytest.mark.django_db
def test_by_customer_names_the_purchase_order_of_a_drop_shipment():
    vendor = f.VendorFactory()
    item, warehouse = f.ItemFactory(primary_vendor=vendor), f.WarehouseFactory()
    dropped = order(item, warehouse, 2, days(5), line={"supply_type": "drop_shipment"})
    bought = sales_line_purchase(line=dropped.lines.get(), actor=None)

    line = backorders_by_customer(customer=dropped.customer).get()

    assert (line.supply_type, line.purchase_line.order.number) == (
        "drop_shipment",
        bought.order.number,
    )


@pytest.mark.django_db
def test_by_customer_orders_by_days_late(scenario):
    late = order(scenario.item, scenario.warehouse, 1, days(-9))

    most_late_first = list(backorders_by_customer(ordering="-days_late"))

    assert most_late_first[0].order == late
    assert most_late_first[-1].order == scenario.second


# --- by vendor -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_by_vendor_lists_late_purchase_lines_with_the_sales_lines_waiting_on_them(scenario):
    vendor = f.VendorFactory()
    special = order(
        scenario.item, scenario.warehouse, 6, days(1), line={"supply_type": "special_order"}
    )
    bought = sales_line_purchase(line=special.lines.get(), actor=None, vendor=vendor)
    bought.expected_receipt_date = days(-3)
    bought.save()

    rows = list(backorders_by_vendor(vendor=vendor, only_late=True))

    assert [row.order.number for row in rows] == [bought.order.number]
    row = rows[0]
    assert [line.order.number for line in row.waiting_sales_lines] == [special.number]
    assert (row.other_backorder_lines, row.other_backorder_quantity) == (2, Decimal("7"))


@pytest.mark.django_db
def test_by_vendor_leaves_out_received_and_canceled_purchases(scenario):
    purchase_order_receive(order=scenario.incoming, actor=None)

    assert list(backorders_by_vendor()) == []


@pytest.mark.django_db
def test_a_purchase_on_time_is_not_late(scenario):
    assert list(backorders_by_vendor(only_late=True)) == []
    assert [row.order for row in backorders_by_vendor()] == [scenario.incoming]


@pytest.mark.django_db
def test_by_vendor_orders_by_days_late_the_longest_late_first(scenario):
    late = purchase(scenario.item, scenario.warehouse, 1, days(-5))
    later = purchase(scenario.item, scenario.warehouse, 1, days(-1))

    most_late_first = [row.order for row in backorders_by_vendor(ordering="-days_late")]
    least_late_first = [row.order for row in backorders_by_vendor(ordering="days_late")]

    assert most_late_first == [late, later, scenario.incoming]
    assert least_late_first == [scenario.incoming, later, late]


@pytest.mark.django_db
def test_by_customer_and_by_vendor_search_the_partners_name_and_account(scenario):
    customer = f.CustomerFactory(party__name="Zebra Outfitters", account_number="ZEB-42")
    vendor = f.VendorFactory(party__name="Quokka Supplies", account_number="QUO-7")
    wanted = order(scenario.item, scenario.warehouse, 1, days(3), customer=customer)
    bought = purchase(scenario.item, scenario.warehouse, 1, days(3), vendor=vendor)

    by_name = [line.order for line in backorders_by_customer(search="zebra")]
    by_account = [line.order for line in backorders_by_customer(search=customer.account_number)]
    vendor_by_name = [row.order for row in backorders_by_vendor(search="quokka")]
    vendor_by_account = [row.order for row in backorders_by_vendor(search=vendor.account_number)]

    assert by_name == by_account == [wanted]
    assert vendor_by_name == vendor_by_account == [bought]


# --- API -----------------------------------------------------------------------------------------
@pytest.fixture
def clerk_api(user_in):
    client = APIClient()
    client.force_authenticate(user_in("sales clerk"))
    return client


@pytest.mark.django_db
def test_api_by_item_lists_the_figures(clerk_api, scenario):
    body = clerk_api.get("/api/v1/backorders/by-item/").json()

    row = body["results"][0]
    assert body["count"] == 1
    assert (row["orders"], row["demand"], row["on_hand"], row["expected"], row["shortfall"]) == (
        2,
        "7.0000",
        "5.0000",
        "10.0000",
        "0.0000",
    )


@pytest.mark.django_db
def test_api_item_detail_answers_whether_more_must_be_ordered(clerk_api, scenario):
    body = clerk_api.get(
        f"/api/v1/backorders/by-item/{scenario.item.pk}/?warehouse={scenario.warehouse.pk}"
    ).json()

    assert (body["order_count"], body["must_order_more"], body["must_order"]) == (
        2,
        True,
        "2.0000",
    )
    assert body["first_short_date"] == days(4).isoformat()
    assert [p["available"] for p in body["projection"]] == ["1.0000", "-2.0000", "8.0000"]
    assert body["chart"]["labels"][0] == days(2).isoformat()


@pytest.mark.django_db
def test_api_rejects_an_unknown_ordering_naming_the_parameter(clerk_api):
    response = clerk_api.get("/api/v1/backorders/by-item/?ordering=price")

    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


@pytest.mark.django_db
def test_api_by_customer_and_by_vendor_show_lateness(clerk_api, scenario):
    order(scenario.item, scenario.warehouse, 1, days(-4), customer=scenario.first.customer)
    purchase(scenario.item, scenario.warehouse, 1, days(-6))

    customer = clerk_api.get(
        f"/api/v1/backorders/by-customer/?customer={scenario.first.customer_id}&only_late=true"
    ).json()
    vendor = clerk_api.get("/api/v1/backorders/by-vendor/?only_late=true").json()

    assert [row["days_late"] for row in customer["results"]] == [4]
    assert [row["days_late"] for row in vendor["results"]] == [6]
    assert vendor["results"][0]["other_backorder_lines"] == 3


@pytest.mark.django_db
def test_backorders_need_the_sales_order_view_permission(api_as):
    client = api_as("marketing")

    for path in ("by-item", "by-customer", "by-vendor"):
        assert client.get(f"/api/v1/backorders/{path}/").status_code == 403


def _grow(n: int) -> None:
    """n more backorders: an item with stock, two orders, a purchase with a special order."""
    for _ in range(n):
        item, warehouse = f.ItemFactory(), f.WarehouseFactory()
        purchase_order_receive(order=purchase(item, warehouse, 1, days(-1)), actor=None)
        order(item, warehouse, 2, days(-1))
        special = order(item, warehouse, 2, days(1), line={"supply_type": "special_order"})
        sales_line_purchase(line=special.lines.get(), actor=None, vendor=f.VendorFactory())


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["by-item", "by-customer", "by-vendor"])
def test_backorder_lists_take_a_constant_number_of_queries(
    clerk_api, path, django_assert_max_num_queries
):
    _grow(2)
    with django_assert_max_num_queries(8) as few:
        clerk_api.get(f"/api/v1/backorders/{path}/")
    _grow(10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        body = clerk_api.get(f"/api/v1/backorders/{path}/").json()

    assert body["count"] >= 12


@pytest.mark.django_db
def test_an_items_backorders_take_a_constant_number_of_queries(
    clerk_api, scenario, django_assert_max_num_queries
):
    for n in range(12):
        order(scenario.item, scenario.warehouse, 1, days(n))
        purchase(scenario.item, scenario.warehouse, 1, days(n))

    with django_assert_max_num_queries(8):
        body = clerk_api.get(f"/api/v1/backorders/by-item/{scenario.item.pk}/").json()

    assert len(body["lines"]) == 14
