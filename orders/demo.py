"""Demo sales orders of every type, in several statuses."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agreements.models import SalesAgreement
from crm.models import Customer
from inventory.models import Item, Warehouse

from .models import SalesOrder
from .services.delivery import packing_slip_post
from .services.orders import sales_order_confirm, sales_order_create, sales_order_picking_list


def _order(customer, order_type, lines, actor, **extra):
    oslo = Warehouse.objects.get(code="OSL")
    return sales_order_create(
        data={
            "customer": Customer.objects.get(party__name=customer),
            "order_type": order_type,
            "requested_ship_date": timezone.localdate() + timedelta(days=7),
            "lines": [
                {
                    "item": Item.objects.get(item_number=number),
                    "warehouse": oslo,
                    "quantity": Decimal(quantity),
                }
                for number, quantity in lines
            ],
            **extra,
        },
        actor=actor,
    )


def load(actor=None) -> None:
    if SalesOrder.objects.exists():
        return
    delivered = _order("Fjordkjøkken AS", "sales", [("1000", "20"), ("4000", "40")], actor)
    sales_order_confirm(order=delivered, actor=actor)
    packing_slip_post(
        order=delivered,
        lines=[{"order_line": line, "quantity": line.quantity} for line in delivered.lines.all()],
        actor=actor,
    )

    partly = _order(
        "Trondheim Café & Bakeri", "sales", [("1002", "30"), ("2001", "12"), ("9000", "1")], actor
    )
    sales_order_confirm(order=partly, actor=actor)
    sales_order_picking_list(order=partly, actor=actor)
    first = partly.lines.order_by("line_number").first()
    packing_slip_post(
        order=partly, lines=[{"order_line": first, "quantity": Decimal("10")}], actor=actor
    )

    _order(
        "De Molen Groothandel B.V.",
        "sales",
        [("2000", "50"), ("4001", "24")],
        actor,
        customer_reference="PO-77812",
    )
    _order(
        "Utrechtse Webwinkel B.V.",
        "journal",
        [("3001", "10")],
        actor,
        notes="Draft: waiting for the customer's forecast",
    )
    _order(
        "Highland Fine Foods Ltd",
        "subscription",
        [("1001", "5"), ("4001", "12")],
        actor,
        notes="Monthly delivery",
    )
    _order("Göta Livs AB", "returned", [("3000", "2")], actor, return_reason="Damaged in transport")
    _invoices(delivered, partly, actor)
    _quotations_projects_approvals(actor)
    agreement = SalesAgreement.objects.filter(status=SalesAgreement.Status.EFFECTIVE).first()
    if agreement is not None:
        released = _order(
            agreement.customer.party.name,
            "sales",
            [("1000", "100")],
            actor,
            sales_agreement=agreement,
        )
        sales_order_confirm(order=released, actor=actor)


def _quotations_projects_approvals(actor) -> None:
    from crm.models import Party

    from .models import ApprovalRule
    from .services.projects import project_create, project_record_item_sale
    from .services.quotations import quotation_create, quotation_send

    oslo = Warehouse.objects.get(code="OSL")
    today = timezone.localdate()
    for party_name, lines, send in [
        ("Nordhandel Dagligvare AS", [("1000", "200"), ("4000", "400")], True),
        ("Bergen Hotelldrift AS", [("1001", "20"), ("2001", "30")], True),
        ("Rotterdam Horeca Groep", [("2000", "15")], False),
    ]:
        party = Party.objects.get(name=party_name)
        quotation = quotation_create(
            data={
                "party": party,
                "expiry_date": today + timedelta(days=30),
                "requested_ship_date": today + timedelta(days=14),
                "lines": [
                    {
                        "item": Item.objects.get(item_number=n),
                        "warehouse": oslo,
                        "quantity": Decimal(q),
                    }
                    for n, q in lines
                ],
            },
            actor=actor,
        )
        if send:
            quotation_send(quotation=quotation, actor=actor)
    project = project_create(
        data={
            "name": "Breakfast buffet refit",
            "customer": Customer.objects.get(party__name="Fjordkjøkken AS"),
        },
        actor=actor,
    )
    for number, quantity in [("1000", "10"), ("9001", "4")]:
        project_record_item_sale(
            project=project,
            item=Item.objects.get(item_number=number),
            quantity=Decimal(quantity),
            warehouse=oslo,
            actor=actor,
        )
    ApprovalRule.objects.get_or_create(
        customer=None,
        customer_group=None,
        defaults={"amount_threshold": Decimal("100000"), "note": "Large orders"},
    )


def _invoices(delivered, partly, actor) -> None:
    from invoicing.services.invoices import invoice_from_order, invoice_post
    from invoicing.services.payments import payment_apply, payment_register

    today = timezone.localdate()
    overdue = invoice_post(
        invoice=invoice_from_order(order=delivered, actor=actor),
        actor=actor,
        # The oldest invoice of the demo: the invoicing demo posts later dates after it.
        invoice_date=today - timedelta(days=200),
    )
    payment = payment_register(
        data={
            "customer": overdue.customer,
            "date": today - timedelta(days=10),
            "amount": Decimal("2000.00"),
            "reference": f"Part payment {overdue.number}",
        },
        actor=actor,
    )
    payment_apply(
        payment=payment, item=overdue.open_item, actor=actor
    )  # partly paid, over 90 days overdue
    invoice_from_order(order=partly, actor=actor)  # a draft, waiting to be posted
