"""Sales lines supplied by purchases: a drop shipment is delivered by the vendor's shipment with
no stock movement; a special order's receipt is reserved for its line."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction
from inventory.services.purchasing import purchase_order_receive, purchase_order_register_shipment
from inventory.services.stock import on_hand
from orders.models import PackingSlip
from orders.services.delivery import packing_slip_post
from orders.services.supply import sales_line_purchase
from salesmkt.core.errors import ConflictError
from tests import factories as f


@pytest.fixture
def supplied_order(make_order):
    def make(supply_type, quantity="5"):
        vendor = f.VendorFactory()
        item = f.ItemFactory(primary_vendor=vendor, purchase_lead_time_days=3)
        order = make_order(quantities=[quantity], items=[item])
        line = order.lines.get()
        line.supply_type = supply_type
        line.save()
        return order, line

    return make


@pytest.mark.django_db
def test_a_drop_shipment_is_delivered_by_the_vendors_shipment_without_stock_movement(
    supplied_order,
):
    order, line = supplied_order("drop_shipment")
    # The order names no delivery address of its own: the customer's delivery address counts.
    type(order).objects.filter(pk=order.pk).update(delivery_street="", delivery_city="")
    f.PartyAddressFactory(party=order.customer.party, purpose="delivery", city="Bergen")

    purchase_line = sales_line_purchase(line=line, actor=None)
    purchase = purchase_line.order
    purchase_order_register_shipment(order=purchase, actor=None)

    line.refresh_from_db()
    order.refresh_from_db()
    assert purchase.drop_shipment and purchase.ship_to_city == "Bergen"
    assert purchase.vendor == line.item.primary_vendor
    assert (line.deliver_remainder, order.status) == (Decimal("0"), "delivered")
    assert PackingSlip.objects.filter(order=order).count() == 1
    assert not InventoryTransaction.objects.filter(item=line.item).exists()


@pytest.mark.django_db
def test_a_drop_shipment_line_is_not_delivered_from_our_warehouse(supplied_order):
    order, line = supplied_order("drop_shipment")

    with pytest.raises(ConflictError) as refused:
        packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 1}], actor=None)

    assert refused.value.code == "drop_shipment_line"


@pytest.mark.django_db
def test_a_special_orders_receipt_is_reserved_for_its_line(supplied_order):
    _order, line = supplied_order("special_order", quantity="5")
    purchase_line = sales_line_purchase(line=line, actor=None)

    purchase_order_receive(
        order=purchase_line.order, lines=[{"line": purchase_line, "quantity": 3}], actor=None
    )

    movements = InventoryTransaction.objects.filter(source="sales_order_line", source_id=line.pk)
    assert {m.status: m.quantity for m in movements} == {
        "reserved": Decimal("-3"),
        "on_order": Decimal("-2"),
    }
    assert on_hand(line.item, line.warehouse) == Decimal("3")


@pytest.mark.django_db
def test_lines_of_one_vendor_join_its_open_purchase_order(supplied_order):
    _order, first = supplied_order("special_order")
    _second, second = supplied_order("special_order")
    second.item.primary_vendor = first.item.primary_vendor
    second.item.save()

    one = sales_line_purchase(line=first, actor=None)
    two = sales_line_purchase(line=second, actor=None)

    assert one.order == two.order and [one.line_number, two.line_number] == [1, 2]
    with pytest.raises(ConflictError) as again:
        sales_line_purchase(line=second, actor=None)
    assert again.value.code == "line_purchased"
