"""Negative stock policy: what posting does when an issue would take a stocked item below zero
on hand. Refused by default; a warehouse (or an item, which overrides it) may warn or allow."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from inventory.models import InventoryTransaction, Item, Warehouse
from inventory.services.purchasing import purchase_order_register_shipment
from inventory.services.stock import (
    on_hand,
    refuse_shortfalls,
    shortfalls,
    stock_adjust,
)
from orders.models import PackingSlip
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from orders.services.supply import sales_line_purchase
from salesmkt.core.errors import ConflictError
from tests import factories as f


def warehouse_with(policy=None, code="BGO"):
    """A warehouse with `policy`, or (None) the model's default."""
    extra = {"negative_stock_policy": policy} if policy else {}
    return Warehouse.objects.create(code=code, name=f"Warehouse {code}", **extra)


def order_of(warehouse, *lines, order_type="sales", **extra):
    """An order of (item, quantity) lines from `warehouse`, through the service."""
    return sales_order_create(
        data={
            "customer": f.CustomerFactory(),
            "order_type": order_type,
            "requested_ship_date": date(2026, 12, 1),
            "lines": [
                {"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}
                for item, quantity in lines
            ],
            **extra,
        },
        actor=None,
    )


def deliver_all(order, **options):
    return packing_slip_post(
        order=order,
        lines=[
            {"order_line": line, "quantity": line.deliver_remainder} for line in order.lines.all()
        ],
        actor=None,
        **options,
    )


def receive(item, warehouse, quantity):
    stock_adjust(
        item=item, warehouse=warehouse, quantity=Decimal(quantity), reference="COUNT", actor=None
    )


@pytest.mark.django_db
def test_a_warehouse_refuses_negative_stock_unless_told_otherwise():
    warehouse = warehouse_with()
    item = f.ItemFactory()

    assert warehouse.negative_stock_policy == "refuse"
    assert item.negative_stock_policy == ""
    assert item.negative_stock_policy_in(warehouse) == "refuse"


@pytest.mark.django_db
def test_a_stocked_item_without_stock_is_refused_by_default_and_nothing_is_written():
    warehouse = warehouse_with()
    item = f.ItemFactory(item_number="1000")
    order = order_of(warehouse, (item, "80"))
    line = order.lines.get()
    movements_before = list(InventoryTransaction.objects.values_list("id", "status", "quantity"))

    with pytest.raises(ConflictError) as refused:
        deliver_all(order)

    error = refused.value
    assert (error.code, error.status_code) == ("insufficient_stock", 409)
    assert "1000" in str(error.message) and "BGO" in str(error.message)
    assert "0 on hand" in str(error.message) and "80 asked" in str(error.message)
    assert {key: error.params[key] for key in ("item", "warehouse", "on_hand", "asked")} == {
        "item": "1000",
        "warehouse": "BGO",
        "on_hand": "0.0000",
        "asked": "80.0000",
    }
    assert not PackingSlip.objects.exists()
    assert list(InventoryTransaction.objects.values_list("id", "status", "quantity")) == (
        movements_before
    )
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.deliver_remainder, line.delivered_quantity, line.status) == (
        Decimal("80"),
        Decimal("0"),
        "open",
    )
    assert (order.status, order.document_status) == ("open", "none")
    assert on_hand(item, warehouse) == Decimal("0")


@pytest.mark.django_db
def test_refuse_delivers_what_is_on_hand_down_to_zero():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    receive(item, warehouse, "80")

    deliver_all(order_of(warehouse, (item, "80")))

    assert on_hand(item, warehouse) == Decimal("0")


@pytest.mark.django_db
def test_warn_without_the_flag_is_refused_with_stock_shortfall_and_nothing_is_written():
    warehouse = warehouse_with("warn")
    item = f.ItemFactory()
    receive(item, warehouse, "5")
    order = order_of(warehouse, (item, "8"))

    with pytest.raises(ConflictError) as refused:
        deliver_all(order)

    assert refused.value.code == "stock_shortfall"
    assert (refused.value.params["on_hand"], refused.value.params["asked"]) == (
        "5.0000",
        "8.0000",
    )
    assert not PackingSlip.objects.exists()
    assert on_hand(item, warehouse) == Decimal("5")


@pytest.mark.django_db
def test_warn_with_the_flag_posts_below_zero():
    warehouse = warehouse_with("warn")
    item = f.ItemFactory()
    receive(item, warehouse, "5")
    order = order_of(warehouse, (item, "8"))

    slip = deliver_all(order, accept_shortfall=True)

    assert slip.lines.get().quantity == Decimal("8")
    assert on_hand(item, warehouse) == Decimal("-3")


@pytest.mark.django_db
def test_allow_posts_below_zero_without_a_word():
    warehouse = warehouse_with("allow")
    item = f.ItemFactory()

    deliver_all(order_of(warehouse, (item, "80")))

    assert on_hand(item, warehouse) == Decimal("-80")


@pytest.mark.django_db
def test_a_non_stocked_item_is_never_checked():
    warehouse = warehouse_with("refuse")
    service = f.ItemFactory(item_type=Item.ItemType.SERVICE, negative_stock_policy="refuse")

    slip = deliver_all(order_of(warehouse, (service, "3")))

    assert slip.lines.get().quantity == Decimal("3")
    assert shortfalls([(service, warehouse, Decimal("3"))]) == []
    assert not InventoryTransaction.objects.filter(status="deducted").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("warehouse_policy", "item_policy", "outcome"),
    [
        ("refuse", "allow", "posted"),
        ("refuse", "warn", "stock_shortfall"),
        ("allow", "refuse", "insufficient_stock"),
        ("warn", "refuse", "insufficient_stock"),
        ("allow", "", "posted"),
    ],
)
def test_the_items_policy_overrides_the_warehouses(warehouse_policy, item_policy, outcome):
    warehouse = warehouse_with(warehouse_policy)
    item = f.ItemFactory(negative_stock_policy=item_policy)

    try:
        deliver_all(order_of(warehouse, (item, "2")))
        result = "posted"
    except ConflictError as exc:
        result = exc.code

    assert result == outcome


@pytest.mark.django_db
def test_a_returns_arrival_is_not_checked():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    order = order_of(warehouse, (item, "3"), order_type="returned", return_reason="Broken")

    deliver_all(order)

    assert on_hand(item, warehouse) == Decimal("3")


@pytest.mark.django_db
def test_a_vendors_drop_shipment_is_not_checked():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory(primary_vendor=f.VendorFactory(), purchase_lead_time_days=3)
    order = order_of(warehouse, (item, "5"))
    line = order.lines.get()
    line.supply_type = "drop_shipment"
    line.save()
    purchase = sales_line_purchase(line=line, actor=None).order

    purchase_order_register_shipment(order=purchase, actor=None)

    line.refresh_from_db()
    assert line.deliver_remainder == Decimal("0")
    assert on_hand(item, warehouse) == Decimal("0")


@pytest.mark.django_db
def test_shortfalls_sums_two_lines_of_the_same_item():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    receive(item, warehouse, "5")

    found = shortfalls([(item, warehouse, Decimal("3")), (item, warehouse, Decimal("3"))])

    assert [(s.item, s.warehouse, s.on_hand, s.asked, s.policy) for s in found] == [
        (item, warehouse, Decimal("5"), Decimal("6"), "refuse")
    ]
    assert shortfalls([(item, warehouse, Decimal("3"))]) == []


@pytest.mark.django_db
def test_a_packing_slip_with_two_lines_of_one_item_is_checked_on_their_sum():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    receive(item, warehouse, "5")
    order = order_of(warehouse, (item, "3"), (item, "3"))

    with pytest.raises(ConflictError) as refused:
        deliver_all(order)

    assert (refused.value.code, refused.value.params["asked"]) == ("insufficient_stock", "6.0000")


@pytest.mark.django_db
def test_shortfalls_leave_out_allowed_items_and_stock_that_is_enough():
    refusing, allowing = warehouse_with("refuse"), warehouse_with("allow", code="TRD")
    item, other = f.ItemFactory(), f.ItemFactory()
    receive(other, refusing, "10")

    found = shortfalls(
        [
            (item, allowing, Decimal("4")),
            (other, refusing, Decimal("10")),
            (item, refusing, Decimal("1")),
        ]
    )

    assert [(s.item, s.warehouse, s.policy) for s in found] == [(item, refusing, "refuse")]


@pytest.mark.django_db
def test_refuse_shortfalls_names_every_shortfall_and_refusal_comes_before_warning():
    refusing, warning = warehouse_with("refuse"), warehouse_with("warn", code="TRD")
    item, other = f.ItemFactory(), f.ItemFactory()
    requests = [(item, warning, Decimal("2")), (other, refusing, Decimal("1"))]

    with pytest.raises(ConflictError) as refused:
        refuse_shortfalls(requests, accept_warnings=True)
    with pytest.raises(ConflictError) as warned:
        refuse_shortfalls(requests[:1], accept_warnings=False)
    refuse_shortfalls(requests[:1], accept_warnings=True)

    assert refused.value.code == "insufficient_stock"
    assert [s["item"] for s in refused.value.params["shortfalls"]] == [other.item_number]
    assert warned.value.code == "stock_shortfall"
    assert warned.value.params["shortfalls"] == [
        {
            "item": item.item_number,
            "warehouse": "TRD",
            "on_hand": "0.0000",
            "asked": "2.0000",
            "policy": "warn",
        }
    ]


@pytest.mark.django_db
def test_an_adjustment_that_takes_stock_out_follows_the_policy():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    receive(item, warehouse, "2")

    with pytest.raises(ConflictError) as refused:
        receive(item, warehouse, "-3")
    receive(item, warehouse, "-2")

    assert refused.value.code == "insufficient_stock"
    assert on_hand(item, warehouse) == Decimal("0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_taking_the_last_unit_at_once_only_one_gets_it():
    warehouse = warehouse_with("refuse")
    item = f.ItemFactory()
    receive(item, warehouse, "1")
    orders = [order_of(warehouse, (item, "1")) for _ in range(2)]
    outcomes = []
    start = threading.Barrier(len(orders))

    def clerk(order):
        try:
            start.wait()
            deliver_all(order)
            outcomes.append("posted")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["insufficient_stock", "posted"]
    assert on_hand(item, warehouse) == Decimal("0")
    assert PackingSlip.objects.count() == 1


@pytest.mark.django_db
def test_checking_stock_asks_the_same_number_of_queries_for_one_item_or_many():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warehouse = warehouse_with("refuse")
    items = [f.ItemFactory() for _ in range(20)]
    for item in items:
        receive(item, warehouse, "5")

    counts = []
    for chosen in (items[:1], items):
        with CaptureQueriesContext(connection) as queries:
            refuse_shortfalls(
                [(item, warehouse, Decimal("2")) for item in chosen], accept_warnings=False
            )
        counts.append(len(queries))

    assert counts[0] == counts[1] == 2  # lock the items, sum their on hand
