"""Purchase supply: expected receipts, partial receipts, over-receipt refused, cancel, drop
shipments never touch our warehouses."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from inventory.models import InventoryTransaction, PurchaseOrder
from inventory.services.purchasing import (
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_register_shipment,
    purchase_order_update,
)
from inventory.services.stock import on_hand
from salesmkt.core.errors import ConflictError
from tests import factories as f


def in_a_week():
    """Asked when a test runs, in the time zone the code under test uses."""
    return timezone.localdate() + timedelta(days=7)


@pytest.fixture
def purchase():
    warehouse, item = f.WarehouseFactory(), f.ItemFactory()

    def make(quantity="10", drop_shipment=False):
        return purchase_order_create(
            data={
                "vendor": f.VendorFactory(),
                "expected_receipt_date": in_a_week(),
                "drop_shipment": drop_shipment,
                "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
            },
            actor=None,
        )

    return make


@pytest.mark.django_db
def test_an_open_purchase_line_is_an_expected_receipt_dated_its_receipt_date(purchase):
    order = purchase("10")
    line = order.lines.get()

    expected = InventoryTransaction.objects.get(source_id=line.pk, status="ordered")

    assert (order.number, expected.quantity, expected.date) == (
        "PO000001",
        Decimal("10"),
        in_a_week(),
    )
    assert line.unit_cost == line.item.cost_price


@pytest.mark.django_db
def test_a_partial_receipt_adds_on_hand_and_leaves_the_rest_expected(purchase):
    order = purchase("10")
    line = order.lines.get()

    order = purchase_order_receive(order=order, lines=[{"line": line, "quantity": 4}], actor=None)

    line.refresh_from_db()
    assert (line.received_quantity, line.receive_remainder) == (Decimal("4"), Decimal("6"))
    assert on_hand(line.item, line.warehouse) == Decimal("4")
    assert InventoryTransaction.objects.get(source_id=line.pk, status="ordered").quantity == 6
    assert order.status == "open"

    order = purchase_order_receive(order=order, actor=None)  # the rest
    assert order.status == "received" and on_hand(line.item) == Decimal("10")
    assert not InventoryTransaction.objects.filter(source_id=line.pk, status="ordered").exists()


@pytest.mark.django_db
def test_over_receipt_is_refused_and_nothing_is_received(purchase):
    order = purchase("10")
    line = order.lines.get()

    with pytest.raises(ConflictError) as refused:
        purchase_order_receive(order=order, lines=[{"line": line, "quantity": 11}], actor=None)

    assert refused.value.code == "over_receipt"
    line.refresh_from_db()
    assert line.received_quantity == 0 and on_hand(line.item) == 0


@pytest.mark.django_db
def test_canceling_a_purchase_order_removes_its_expected_receipts(purchase):
    order = purchase("10")
    purchase_order_receive(
        order=order, lines=[{"line": order.lines.get(), "quantity": 3}], actor=None
    )

    order = purchase_order_cancel(order=order, actor=None)

    assert order.status == "canceled"
    assert not InventoryTransaction.objects.filter(status="ordered").exists()
    assert on_hand(order.lines.get().item) == Decimal("3")


@pytest.mark.django_db
def test_a_drop_shipment_is_never_received_into_our_warehouse(purchase):
    order = purchase("5", drop_shipment=True)

    with pytest.raises(ConflictError) as refused:
        purchase_order_receive(order=order, actor=None)
    shipped = purchase_order_register_shipment(order=order, actor=None)

    assert refused.value.code == "drop_shipment_mismatch"
    assert shipped.status == "received"
    assert not InventoryTransaction.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_receiving_at_once_never_receive_more_than_ordered(purchase):
    order = purchase("10")
    line = order.lines.get()
    start = threading.Barrier(3)
    outcomes = []

    def clerk():
        try:
            start.wait()
            purchase_order_receive(
                order=order, lines=[{"line": line.pk, "quantity": 4}], actor=None
            )
            outcomes.append("received")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["over_receipt", "received", "received"]
    assert PurchaseOrder.objects.get().lines.get().received_quantity == Decimal("8")


@pytest.fixture
def partly_received(purchase):
    order = purchase("10")
    line = order.lines.get()
    purchase_order_receive(order=order, lines=[{"line": line, "quantity": 4}], actor=None)
    return order, line


@pytest.mark.django_db
def test_a_received_line_keeps_its_item_and_warehouse(partly_received):
    order, line = partly_received

    with pytest.raises(ConflictError) as refused:
        purchase_order_update(
            instance=order,
            data={"lines": [{"id": line.pk, "item": f.ItemFactory()}]},
            actor=None,
        )

    assert refused.value.code == "line_received"
    line.refresh_from_db()
    assert on_hand(line.item, line.warehouse) == Decimal("4")


@pytest.mark.django_db
def test_a_line_is_never_ordered_below_what_was_received(partly_received):
    order, line = partly_received

    with pytest.raises(ConflictError) as refused:
        purchase_order_update(
            instance=order, data={"lines": [{"id": line.pk, "quantity": Decimal("3")}]}, actor=None
        )

    assert refused.value.code == "below_received"
    line.refresh_from_db()
    assert (line.quantity, line.receive_remainder) == (Decimal("10"), Decimal("6"))


@pytest.mark.django_db
def test_a_line_with_receipts_is_not_removed_from_its_order(partly_received):
    order, line = partly_received
    new = {"item": f.ItemFactory(), "warehouse": line.warehouse, "quantity": Decimal("1")}

    with pytest.raises(ConflictError) as refused:
        purchase_order_update(instance=order, data={"lines": [new]}, actor=None)

    assert refused.value.code == "line_in_use"
    assert list(order.lines.values_list("pk", flat=True)) == [line.pk]


@pytest.mark.django_db
def test_the_vendor_and_kind_of_a_purchase_order_with_receipts_stay(partly_received):
    order, _line = partly_received

    refused = []
    for change in ({"vendor": f.VendorFactory()}, {"drop_shipment": True}):
        with pytest.raises(ConflictError) as exc:
            purchase_order_update(instance=order, data=change, actor=None)
        refused.append(exc.value.code)

    assert refused == ["purchase_order_received", "purchase_order_received"]
    order.refresh_from_db()
    assert not order.drop_shipment


@pytest.mark.django_db
def test_the_vendor_of_a_purchase_order_without_receipts_may_change(purchase):
    order, vendor = purchase("10"), f.VendorFactory()

    order = purchase_order_update(instance=order, data={"vendor": vendor}, actor=None)

    order.refresh_from_db()
    assert order.vendor == vendor
