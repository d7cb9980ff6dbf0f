"""Packing slips at set-based speed (issue 17): posting one takes the same number of queries for
10 and 1,000 lines, and leaves exactly the rows the line-by-line posting left: the remaining
expected movements, agreement progress, sales of what was invoiced ahead."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.services.sales_agreements import (
    sales_agreement_create,
    sales_agreement_make_effective,
)
from inventory.models import InventoryTransaction, Item
from inventory.services.stock import reserved_quantity, stock_adjust
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.models import InvoicedAhead, PackingSlipLine, SalesOrder, SalesOrderLine
from orders.services.allocation import allocation_run
from orders.services.delivery import packing_slip_post
from orders.services.invoicing import sales_order_lines_credited, sales_order_lines_invoiced
from orders.services.orders import SOURCE, apply_line_inventory, sales_order_create
from salesmkt.core.bulk import update_from_values
from tests import factories as f

SHIP_DATE = date(2026, 12, 1)
EXPECTED = ("on_order", "ordered", "reserved")


@pytest.fixture
def accounts():
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    return profile


def effective_agreement(customer, item, unit_price="10.0000"):
    """Valid from before today and the ship date to after both."""
    today = timezone.localdate()
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": min(today, SHIP_DATE) - timedelta(days=10),
            "expiration_date": max(today, SHIP_DATE) + timedelta(days=30),
            "commitment_type": "product_quantity",
            "total_commitment": Decimal("0.00"),
            "over_release_tolerance": Decimal("0"),
            "lines": [
                {
                    "item": item,
                    "committed_quantity": Decimal("100000"),
                    "unit_price": Decimal(unit_price),
                }
            ],
        },
        actor=None,
    )
    return sales_agreement_make_effective(agreement=agreement, actor=None)


@pytest.fixture
def shop():
    """A warehouse that refuses negative stock, 1,000 items with stock in it, a service item and
    an effective sales agreement."""
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    warehouse = f.WarehouseFactory(code="QRY", name="Queries", negative_stock_policy="refuse")
    items = Item.objects.bulk_create(
        Item(
            item_number=f"Q{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("10"),
        )
        for n in range(1000)
    )
    InventoryTransaction.objects.bulk_create(
        InventoryTransaction(
            item=item,
            warehouse=warehouse,
            quantity=Decimal("100"),
            status="received",
            source="inventory_adjustment",
            source_id=item.pk,
            reference="opening",
            date=date(2026, 1, 1),
        )
        for item in items
    )
    customer = f.CustomerFactory(credit_limit=0)
    agreement = effective_agreement(customer, items[0])
    return SimpleNamespace(
        warehouse=warehouse,
        items=items,
        service=f.ItemFactory(item_type="service", sales_tax_code=tax),
        customer=customer,
        agreement_line=agreement.lines.get(),
    )


def order_of_every_kind(shop, size):
    """An order of `size` lines of 4, as order entry and invoicing leave them, of five kinds in
    turn: stocked, 2 of it reserved, a service, released from the agreement, invoiced ahead.
    Made as bulk rows after the first line, so that a 1,000-line order is quick to make."""
    order = sales_order_create(
        data={
            "customer": shop.customer,
            "requested_ship_date": SHIP_DATE,
            "lines": [{"item": shop.items[0], "warehouse": shop.warehouse, "quantity": 4}],
        },
        actor=None,
    )
    first = order.lines.get()
    lines = SalesOrderLine.objects.bulk_create(
        SalesOrderLine(
            order=order,
            line_number=n + 1,
            item=shop.service if n % 5 == 2 else shop.items[n],
            warehouse=shop.warehouse,
            quantity=Decimal(4),
            unit_price=first.unit_price,
            sales_tax_code_id=first.sales_tax_code_id,
            line_amount=first.line_amount,
            deliver_remainder=Decimal(4),
            invoice_remainder=Decimal(4),
            delivered_quantity=Decimal(0),
            invoiced_quantity=Decimal(0),
            agreement_line=shop.agreement_line if n % 5 == 3 else None,
        )
        for n in range(1, size)
    )
    InventoryTransaction.objects.bulk_create(
        InventoryTransaction(
            item=line.item,
            warehouse=shop.warehouse,
            quantity=-quantity,
            status=status,
            source=SOURCE,
            source_id=line.pk,
            reference=order.number,
            date=SHIP_DATE,
        )
        for n, line in enumerate(lines, start=1)
        if n % 5 != 2
        for quantity, status in (
            ((Decimal(2), "reserved"), (Decimal(2), "on_order"))
            if n % 5 == 1
            else ((Decimal(4), "on_order"),)
        )
    )
    sales_order_lines_invoiced(
        order=order,
        lines=[
            {"order_line": line, "quantity": Decimal(4)}
            for n, line in enumerate(lines, start=1)
            if n % 5 == 4
        ],
        invoice_number=f"AHEAD{size}",
        actor=None,
    )
    return order


def ship_every_kind(order):
    """Deliver each line: in full, 3 of it (2 from its reservation), 1 of the service, in full
    from the agreement, 2 of what was invoiced ahead."""
    delivered = {0: "4", 1: "3", 2: "1", 3: "4", 4: "2"}
    return packing_slip_post(
        order=order,
        lines=[
            {"order_line": pk, "quantity": Decimal(delivered[(number - 1) % 5])}
            for pk, number in order.lines.order_by("pk").values_list("pk", "line_number")
        ],
        actor=None,
    )


@pytest.mark.postgres  # SQLite takes at most 999 parameters a statement: it needs batches
@pytest.mark.django_db
def test_posting_a_packing_slip_takes_the_same_number_of_queries_for_10_and_1000_lines(
    shop, django_assert_num_queries
):
    ten, thousand = order_of_every_kind(shop, 10), order_of_every_kind(shop, 1000)
    ship_every_kind(order_of_every_kind(shop, 5))  # the first slip creates its number series

    with CaptureQueriesContext(connection) as queries_for_ten:
        ship_every_kind(ten)
    with django_assert_num_queries(len(queries_for_ten.captured_queries)):
        slip = ship_every_kind(thousand)

    assert PackingSlipLine.objects.filter(packing_slip=slip).count() == 1000
    assert not SalesOrderLine.objects.filter(order=thousand, delivered_quantity=0).exists()


@pytest.mark.postgres  # SQLite takes at most 999 parameters a statement: it needs batches
@pytest.mark.django_db
def test_invoicing_and_crediting_order_lines_take_the_same_number_of_queries_for_10_and_1000(
    shop, django_assert_num_queries
):
    # given orders of every kind, shipped (what invoice and credit note posting then record)
    warm_up, ten, thousand = (order_of_every_kind(shop, size) for size in (5, 10, 1000))
    for order in (warm_up, ten, thousand):
        ship_every_kind(order)

    def invoice_and_credit_one_of_each_line(order):
        """Invoice 1 of each line left to invoice (part of each delivery is sold), then credit 1
        of each invoiced line (of one invoiced ahead: credited before its delivery)."""
        invoiced = order.lines.filter(invoice_remainder__gt=0).values_list("pk", flat=True)
        sales_order_lines_invoiced(
            order=order,
            lines=[{"order_line": pk, "quantity": Decimal(1)} for pk in invoiced],
            invoice_number=f"INV{order.pk}",
            actor=None,
        )
        credited = order.lines.filter(invoiced_quantity__gt=0).values_list("pk", flat=True)
        sales_order_lines_credited(
            order=order,
            lines=[{"order_line": pk, "quantity": Decimal(1)} for pk in credited],
            credit_note_number=f"CN{order.pk}",
            actor=None,
        )

    invoice_and_credit_one_of_each_line(warm_up)
    with CaptureQueriesContext(connection) as queries_for_ten:
        invoice_and_credit_one_of_each_line(ten)
    with django_assert_num_queries(len(queries_for_ten.captured_queries)):
        invoice_and_credit_one_of_each_line(thousand)

    # every line invoiced 1 and credited 1: those invoiced ahead (4) keep 3 invoiced
    assert set(
        SalesOrderLine.objects.filter(order=thousand).values_list("invoiced_quantity", flat=True)
    ) == {Decimal(0), Decimal(3)}


def expected_rows(line_ids):
    return sorted(
        InventoryTransaction.objects.filter(
            source=SOURCE, source_id__in=line_ids, status__in=EXPECTED
        ).values_list(
            "source_id", "item_id", "warehouse_id", "quantity", "status", "reference", "date"
        )
    )


@pytest.mark.django_db
def test_the_expected_movements_left_by_a_packing_slip_are_those_apply_line_inventory_writes(
    make_order, accounts
):
    # given a sales order delivered in full, partly from its reservation, partly with nothing
    # reserved and a service in part; a drop shipment its vendor ships in part; a return
    # arriving in part
    service = f.ItemFactory(item_type="service")
    order = make_order(
        quantities=["5", "10", "10", "2"],
        items=[f.ItemFactory(), f.ItemFactory(), f.ItemFactory(), service],
    )
    full, from_reservation, unreserved, serviced = order.lines.order_by("line_number")
    stock_adjust(
        item=from_reservation.item,
        warehouse=from_reservation.warehouse,
        quantity=Decimal("4"),
        reference="count",
        actor=None,
    )
    allocation_run(item=from_reservation.item, warehouse=from_reservation.warehouse, actor=None)
    drop_shipped = make_order(quantities=["6"])
    drop_line = drop_shipped.lines.get()
    drop_line.supply_type = SalesOrderLine.SupplyType.DROP_SHIPMENT
    drop_line.save()
    sold = make_order(quantities=["8"])
    packing_slip_post(
        order=sold, lines=[{"order_line": sold.lines.get(), "quantity": 8}], actor=None
    )
    invoice_post(invoice=invoice_from_order(order=sold, actor=None), actor=None)
    returned = sales_order_create(
        data={
            "customer": sold.customer,
            "order_type": "returned",
            "requested_ship_date": SHIP_DATE,
            "lines": [{"returned_line": sold.lines.get(), "quantity": Decimal("5")}],
        },
        actor=None,
    )
    return_line = returned.lines.get()
    deliveries = [
        (order, full, "5"),
        (order, from_reservation, "3"),
        (order, unreserved, "4"),
        (order, serviced, "1"),
        (drop_shipped, drop_line, "2"),
        (returned, return_line, "3"),
    ]
    reserved_before = {line.pk: reserved_quantity(SOURCE, line.pk) for _o, line, _q in deliveries}
    line_ids = list(reserved_before)

    # when the slips are posted
    packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": Decimal(q)} for _o, line, q in deliveries[:4]],
        actor=None,
    )
    packing_slip_post(
        order=drop_shipped,
        lines=[{"order_line": drop_line, "quantity": Decimal("2")}],
        actor=None,
        vendor_shipment=True,
    )
    packing_slip_post(
        order=returned, lines=[{"order_line": return_line, "quantity": Decimal("3")}], actor=None
    )
    left = expected_rows(line_ids)

    # then each line's expected movement is the one the line-by-line posting wrote
    for order_of_line, line, quantity in deliveries:
        apply_line_inventory(
            SalesOrder.objects.get(pk=order_of_line.pk),
            SalesOrderLine.objects.get(pk=line.pk),
            reserved=max(Decimal(0), reserved_before[line.pk] - Decimal(quantity)),
        )
    assert left == expected_rows(line_ids)
    assert [(row[0], row[3], row[4]) for row in left] == [
        (from_reservation.pk, Decimal("-6"), "on_order"),
        (from_reservation.pk, Decimal("-1"), "reserved"),
        (unreserved.pk, Decimal("-6"), "on_order"),
        (return_line.pk, Decimal("2"), "ordered"),
    ]


@pytest.mark.django_db
def test_a_line_given_twice_on_one_slip_draws_both_deliveries_from_its_reservation(make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    stock_adjust(
        item=line.item, warehouse=line.warehouse, quantity=Decimal("10"), reference="c", actor=None
    )
    allocation_run(item=line.item, warehouse=line.warehouse, actor=None)  # all 10 reserved

    packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": Decimal("3")}] * 2,
        actor=None,
    )

    assert reserved_quantity(SOURCE, line.pk) == Decimal("4")
    assert sorted(
        InventoryTransaction.objects.filter(source=SOURCE, source_id=line.pk).values_list(
            "status", "quantity"
        )
    ) == [("deducted", Decimal("-3")), ("deducted", Decimal("-3")), ("reserved", Decimal("-4"))]


@pytest.mark.django_db
def test_deliveries_of_order_lines_released_from_one_agreement_line_add_up_on_it(make_order):
    customer, item = f.CustomerFactory(), f.ItemFactory()
    agreement = effective_agreement(customer, item, unit_price="10.0000")
    order = make_order(
        customer=customer,
        items=[item, item],
        quantities=["10", "5"],
        sales_agreement=agreement,
    )
    first, second = order.lines.order_by("line_number")

    packing_slip_post(
        order=order,
        lines=[
            {"order_line": first, "quantity": Decimal("4")},
            {"order_line": second, "quantity": Decimal("5")},
        ],
        actor=None,
    )

    line = agreement.lines.get()
    assert (line.delivered_quantity, line.delivered_amount) == (Decimal("9"), Decimal("90.00"))


@pytest.mark.django_db
def test_a_delivery_invoiced_ahead_on_two_invoices_is_sold_on_each_oldest_first(make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    for number, quantity in (("INV-A", "4"), ("INV-B", "3")):
        sales_order_lines_invoiced(
            order=order,
            lines=[{"order_line": line, "quantity": Decimal(quantity)}],
            invoice_number=number,
            actor=None,
        )

    slip = packing_slip_post(
        order=order, lines=[{"order_line": line, "quantity": Decimal("5")}], actor=None
    )

    assert sorted(
        InventoryTransaction.objects.filter(source_id=line.pk, reference=slip.number).values_list(
            "status", "quantity", "invoice_number"
        )
    ) == [("sold", Decimal("-4"), "INV-A"), ("sold", Decimal("-1"), "INV-B")]
    assert list(
        InvoicedAhead.objects.filter(order_line=line)
        .order_by("pk")
        .values_list("invoice_number", "open_quantity")
    ) == [("INV-A", Decimal("0")), ("INV-B", Decimal("2"))]
    assert slip.invoiced


@pytest.mark.django_db
def test_update_from_values_sets_each_row_its_own_values_and_adds_where_told():
    first, second, untouched = (f.ItemFactory() for _ in range(3))  # cost price 60 each

    updated = update_from_values(
        Item,
        fields=["name", "cost_price"],
        rows=[(first.pk, "First", Decimal("1.5")), (second.pk, "Second", Decimal("2"))],
        add=["cost_price"],
    )

    assert updated == 2
    assert sorted(
        Item.objects.filter(pk__in=[first.pk, second.pk, untouched.pk]).values_list(
            "pk", "name", "cost_price"
        )
    ) == [
        (first.pk, "First", Decimal("61.5000")),
        (second.pk, "Second", Decimal("62.0000")),
        (untouched.pk, untouched.name, Decimal("60.0000")),
    ]
