"""Invoice first, ship later: an order invoiced on its ordered quantities (e.g. for prepayment)
and delivered afterwards ends invoiced, and what it ships is sold on the invoice that invoiced
it (issue 15, item 3)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from inventory.models import InventoryTransaction
from inventory.services import stock
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from orders.services.orders import SOURCE, sales_order_cancel_remainder, sales_order_update
from salesmkt.core.audit import events_for
from tests import factories as f


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
    return SimpleNamespace(profile=profile, revenue=revenue, vat=vat, tax_code=code)


@pytest.fixture
def stocked_order(make_order):
    """An order of one line whose item has plenty on hand (deliveries are never short)."""

    def make(quantity="10"):
        order = make_order(quantities=[quantity])
        line = order.lines.get()
        stock.record_transaction(
            item=line.item,
            warehouse=line.warehouse,
            quantity=Decimal("100"),
            status=InventoryTransaction.Status.PURCHASED,
            source="test_receipt",
            source_id=1,
            reference="RECEIPT",
        )
        return order

    return make


def deliver(order, quantity):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
        actor=None,
    )


def invoice_ordered(order):
    return invoice_post(
        invoice=invoice_from_order(order=order, actor=None, ordered_quantities=True), actor=None
    )


def invoice_delivered(order):
    return invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)


def issues(order):
    """The order line's physical issues: (status, quantity, invoice number), sorted."""
    return sorted(
        (movement.status, movement.quantity, movement.invoice_number)
        for movement in InventoryTransaction.objects.filter(
            source=SOURCE,
            source_id=order.lines.get().pk,
            status__in=InventoryTransaction.PHYSICAL,
        )
    )


@pytest.mark.django_db
def test_the_last_packing_slip_of_an_order_invoiced_ahead_makes_it_invoiced(
    stocked_order, accounts
):
    order = stocked_order("10")
    invoice_ordered(order)

    deliver(order, "10")

    order.refresh_from_db()
    line = order.lines.get()
    assert order.status == SalesOrder.Status.INVOICED
    assert (line.deliver_remainder, line.invoice_remainder) == (Decimal(0), Decimal(0))
    assert line.status == "delivered"


@pytest.mark.django_db
def test_an_order_invoiced_ahead_stays_open_until_its_last_packing_slip(stocked_order, accounts):
    order = stocked_order("10")
    invoice_ordered(order)

    deliver(order, "4")
    after_first = SalesOrder.objects.get(pk=order.pk).status
    deliver(order, "6")

    assert after_first == SalesOrder.Status.OPEN
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED


@pytest.mark.django_db
def test_deliveries_invoiced_ahead_are_sold_with_the_invoice_number(stocked_order, accounts):
    order = stocked_order("10")
    invoice = invoice_ordered(order)

    deliver(order, "4")
    deliver(order, "6")

    assert issues(order) == [
        ("sold", Decimal("-6"), invoice.number),
        ("sold", Decimal("-4"), invoice.number),
    ]


@pytest.mark.django_db
def test_the_invoiced_event_of_the_last_slip_names_the_slip_and_the_invoice(
    stocked_order, accounts
):
    order = stocked_order("10")
    invoice = invoice_ordered(order)

    slip = deliver(order, "10")

    event = events_for(order).filter(action="invoice").get()
    assert (event.from_status, event.to_status) == ("delivered", "invoiced")
    assert event.data == {"packing_slip": slip.number, "invoices": [invoice.number]}


@pytest.mark.django_db
def test_what_was_delivered_before_the_invoice_ahead_is_sold_at_invoicing_the_rest_on_delivery(
    stocked_order, accounts
):
    order = stocked_order("10")
    deliver(order, "4")
    invoice = invoice_ordered(order)  # 4 delivered and 6 ahead

    deliver(order, "6")

    assert issues(order) == [
        ("sold", Decimal("-6"), invoice.number),
        ("sold", Decimal("-4"), invoice.number),
    ]
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED


@pytest.mark.django_db
def test_partly_invoiced_ahead_stays_delivered_until_the_rest_is_invoiced(stocked_order, accounts):
    order = stocked_order("10")
    first = invoice_ordered(order)
    line = order.lines.get()
    sales_order_update(
        instance=order, data={"lines": [{"id": line.pk, "quantity": Decimal("15")}]}, actor=None
    )  # 5 more ordered after the invoice ahead

    deliver(order, "15")
    delivered = SalesOrder.objects.get(pk=order.pk).status
    sold_on_delivery = issues(order)
    second = invoice_delivered(order)

    assert delivered == SalesOrder.Status.DELIVERED
    assert sold_on_delivery == [
        ("deducted", Decimal("-5"), ""),
        ("sold", Decimal("-10"), first.number),
    ]
    assert issues(order) == [
        ("sold", Decimal("-10"), first.number),
        ("sold", Decimal("-5"), second.number),
    ]
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED


@pytest.mark.django_db
def test_quantities_credited_before_delivery_are_not_sold_on_the_credited_invoice(
    stocked_order, accounts
):
    order = stocked_order("10")
    invoice = invoice_ordered(order)
    invoice_post(
        invoice=credit_note_create(
            invoice=invoice,
            actor=None,
            lines=[{"invoice_line": invoice.lines.get(), "quantity": Decimal("6")}],
        ),
        actor=None,
    )  # 4 stay invoiced ahead

    deliver(order, "10")
    delivered = SalesOrder.objects.get(pk=order.pk).status
    rest = invoice_delivered(order)

    assert delivered == SalesOrder.Status.DELIVERED
    assert issues(order) == [
        ("sold", Decimal("-6"), rest.number),
        ("sold", Decimal("-4"), invoice.number),
    ]
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED


@pytest.mark.django_db
def test_an_order_invoiced_after_delivery_still_ends_invoiced_by_its_invoice(
    stocked_order, accounts
):
    order = stocked_order("10")
    deliver(order, "10")
    delivered = SalesOrder.objects.get(pk=order.pk).status

    invoice = invoice_delivered(order)

    assert delivered == SalesOrder.Status.DELIVERED
    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED
    assert issues(order) == [("sold", Decimal("-10"), invoice.number)]


@pytest.mark.django_db
def test_canceling_the_remainder_of_an_order_invoiced_for_what_it_delivered_makes_it_invoiced(
    stocked_order, accounts
):
    order = stocked_order("10")
    deliver(order, "4")
    invoice_delivered(order)

    sales_order_cancel_remainder(line=order.lines.get(), actor=None)

    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.INVOICED


@pytest.mark.django_db
def test_canceling_the_remainder_of_an_order_not_invoiced_yet_leaves_it_delivered(
    stocked_order, accounts
):
    order = stocked_order("10")
    deliver(order, "4")

    sales_order_cancel_remainder(line=order.lines.get(), actor=None)

    assert SalesOrder.objects.get(pk=order.pk).status == SalesOrder.Status.DELIVERED
