"""Projects with their item-requirements order, and what invoicing does to an order."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from orders.services.invoicing import sales_order_lines_invoiced
from orders.services.projects import project_create, project_record_item_sale
from salesmkt.core.errors import ConflictError
from tests import factories as f


def deliver_all(order):
    return packing_slip_post(
        order=order,
        lines=[
            {"order_line": line, "quantity": line.deliver_remainder} for line in order.lines.all()
        ],
        actor=None,
    )


def invoice_all(order, number="INV-1"):
    return sales_order_lines_invoiced(
        order=order,
        lines=[
            {"order_line": line, "quantity": line.invoice_remainder} for line in order.lines.all()
        ],
        invoice_number=number,
        actor=None,
    )


@pytest.mark.django_db
def test_the_first_item_sale_of_a_project_creates_its_item_requirements_order_and_later_ones_add_lines():
    project = project_create(
        data={"name": "Hotel kitchen refit", "customer": f.CustomerFactory()}, actor=None
    )
    warehouse = f.WarehouseFactory()

    project_record_item_sale(
        project=project,
        item=f.ItemFactory(),
        quantity=Decimal("2"),
        warehouse=warehouse,
        actor=None,
    )
    project_record_item_sale(
        project=project,
        item=f.ItemFactory(),
        quantity=Decimal("5"),
        warehouse=warehouse,
        actor=None,
    )

    project.refresh_from_db()
    order = project.item_requirements_order
    assert (order.order_type, order.project, order.customer) == (
        "item_requirements",
        project,
        project.customer,
    )
    assert list(order.lines.order_by("line_number").values_list("line_number", "quantity")) == [
        (1, Decimal("2")),
        (2, Decimal("5")),
    ]
    assert SalesOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_project_sale_after_its_order_was_delivered_starts_a_new_item_requirements_order():
    project = project_create(data={"name": "Refit", "customer": f.CustomerFactory()}, actor=None)
    warehouse = f.WarehouseFactory()
    project_record_item_sale(
        project=project,
        item=f.ItemFactory(),
        quantity=Decimal("1"),
        warehouse=warehouse,
        actor=None,
    )
    project.refresh_from_db()
    deliver_all(project.item_requirements_order)

    project_record_item_sale(
        project=project,
        item=f.ItemFactory(),
        quantity=Decimal("1"),
        warehouse=warehouse,
        actor=None,
    )

    assert project.orders.count() == 2


@pytest.mark.django_db
def test_the_api_records_an_item_sale_on_a_project(manager_api):
    project = project_create(data={"name": "Refit", "customer": f.CustomerFactory()}, actor=None)
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()

    response = manager_api.post(
        f"/api/v1/projects/{project.pk}/record-item-sale/",
        {"item": item.pk, "quantity": "3", "warehouse": warehouse.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["item_requirements_order"] == project.orders.get().pk


@pytest.mark.django_db
def test_invoicing_lowers_the_invoice_remainder_and_the_order_becomes_invoiced(make_order):
    order = make_order(quantities=["10"])
    deliver_all(order)
    line = order.lines.get()

    sales_order_lines_invoiced(
        order=order,
        lines=[{"order_line": line, "quantity": Decimal("4")}],
        invoice_number="INV-1",
        actor=None,
    )
    line.refresh_from_db()
    assert (line.invoice_remainder, SalesOrder.objects.get(pk=order.pk).status) == (
        Decimal("6"),
        "delivered",
    )

    sales_order_lines_invoiced(
        order=order,
        lines=[{"order_line": line, "quantity": Decimal("6")}],
        invoice_number="INV-2",
        actor=None,
    )
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.invoice_remainder, line.status, order.status, order.document_status) == (
        Decimal("0"),
        "invoiced",
        "invoiced",
        "invoice",
    )


@pytest.mark.django_db
def test_invoiced_quantities_turn_their_inventory_transactions_sold_with_the_invoice_number(
    make_order,
):
    order = make_order(quantities=["10"])
    deliver_all(order)
    line = order.lines.get()

    sales_order_lines_invoiced(
        order=order,
        lines=[{"order_line": line, "quantity": Decimal("4")}],
        invoice_number="INV-7",
        actor=None,
    )

    sold = InventoryTransaction.objects.get(source_id=line.pk, status="sold")
    deducted = InventoryTransaction.objects.get(source_id=line.pk, status="deducted")
    assert (sold.quantity, sold.invoice_number, deducted.quantity) == (
        Decimal("-4"),
        "INV-7",
        Decimal("-6"),
    )


@pytest.mark.django_db
def test_more_than_the_invoice_remainder_cannot_be_invoiced(make_order):
    order = make_order(quantities=["10"])

    with pytest.raises(ConflictError) as refused:
        sales_order_lines_invoiced(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal("11")}],
            invoice_number="X",
            actor=None,
        )

    assert refused.value.code == "over_invoicing"


@pytest.mark.django_db
def test_a_subscription_returns_to_open_when_invoiced_and_its_deliveries_renew(make_order):
    order = make_order(quantities=["5"], order_type="subscription")
    deliver_all(order)

    order = invoice_all(order, "INV-1")

    line = order.lines.get()
    assert (order.status, order.period) == ("open", 2)
    assert (line.deliver_remainder, line.invoice_remainder, line.delivered_quantity) == (
        Decimal("5"),
        Decimal("5"),
        Decimal("0"),
    )
    assert list(order.periods.values_list("period", "invoice_number")) == [(1, "INV-1")]
    assert InventoryTransaction.objects.get(
        source_id=line.pk, status="on_order"
    ).quantity == Decimal("-5")

    deliver_all(order)
    order = invoice_all(SalesOrder.objects.get(pk=order.pk), "INV-2")
    assert list(order.periods.values_list("period", "invoice_number")) == [
        (1, "INV-1"),
        (2, "INV-2"),
    ]
    assert sum(
        t.quantity for t in InventoryTransaction.objects.filter(source_id=line.pk, status="sold")
    ) == Decimal("-10")
