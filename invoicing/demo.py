"""Demo receivables: posted invoices falling due in every aging bucket (current, 1-30, 31-60,
61-90, over 90 days overdue) for several customers, a posted credit note, a return tied to the
sale whose credit note settles part of the invoice, and payments fully applied, partly applied
and left unapplied as the customer's credit.

Every invoice goes the clerk's way: order, packing slip, invoice of the packing slip, posting
(no order confirmation: its document would only slow the loading down). Dates count back from
today, so the buckets stay filled whenever the demo is loaded; amounts follow from the demo
prices, nothing is random. One more order waits with two packing slips to be invoiced.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import Customer
from inventory.models import Item, Warehouse
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create, sales_order_update
from orders.services.returns import sales_order_create_return
from salesmkt.core.money import round_money
from salesmkt.finance.models import LedgerAccount, SalesTaxCode

from .models import Invoice
from .services.credit_notes import credit_note_create
from .services.invoices import (
    free_text_invoice_create,
    free_text_invoice_update,
    invoice_from_order,
    invoice_from_packing_slips,
    invoice_post,
)
from .services.payments import payment_apply, payment_auto_apply, payment_register

# The orders behind these invoices carry this reference: loading the demo again adds nothing.
REFERENCE = "DEMO-AR"

# reference suffix, customer, lines (item number, quantity), days overdue today (< 0: not due)
INVOICES = [
    ("CURRENT", "Nordhandel Dagligvare AS", [("1000", "40"), ("4000", "60")], -10),
    ("1-30", "Nordhandel Dagligvare AS", [("2000", "24")], 20),
    ("31-60", "Trondheim Café & Bakeri", [("1001", "12")], 40),
    ("61-90", "Göta Livs AB", [("3000", "30")], 75),
    ("OVER-90", "Utrechtse Webwinkel B.V.", [("2001", "18")], 120),
    ("PAID", "De Molen Groothandel B.V.", [("4001", "48")], -20),
]


def _order(suffix: str, customer: Customer, lines, ship_date, actor) -> SalesOrder:
    warehouse = Warehouse.objects.get(code="OSL")
    return sales_order_create(
        data={
            "customer": customer,
            "order_type": SalesOrder.OrderType.SALES,
            "requested_ship_date": ship_date,
            "customer_reference": f"{REFERENCE}-{suffix}",
            "lines": [
                {
                    "item": Item.objects.get(item_number=number),
                    "warehouse": warehouse,
                    "quantity": Decimal(quantity),
                }
                for number, quantity in lines
            ],
        },
        actor=actor,
    )


def _drafted_invoice(suffix: str, customer_name: str, lines, overdue_days: int, actor):
    """A draft of a delivery and the date it is posted with: `overdue_days` past its due date
    (not yet due when negative), and never in the last few days, which the later cases take."""
    customer = Customer.objects.select_related("payment_terms").get(party__name=customer_name)
    invoice_date = timezone.localdate() - timedelta(
        days=max(overdue_days + customer.payment_terms.net_days, 4)
    )
    delivered = invoice_date - timedelta(days=2)
    order = _order(suffix, customer, lines, delivered, actor)
    slip = packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=actor,
        delivery_date=delivered,
    )
    return invoice_from_packing_slips(packing_slips=[slip], actor=actor), invoice_date


def load(actor=None) -> None:
    if SalesOrder.objects.filter(customer_reference__startswith=REFERENCE).exists():
        return
    today = timezone.localdate()
    drafts = {
        suffix: _drafted_invoice(suffix, customer, lines, overdue, actor)
        for suffix, customer, lines, overdue in INVOICES
    }
    # Posted oldest first: numbers ascend with dates in a series.
    invoices = {
        suffix: invoice_post(invoice=draft, actor=actor, invoice_date=invoice_date)
        for suffix, (draft, invoice_date) in sorted(drafts.items(), key=lambda row: row[1][1])
    }

    # Five of the thirty jars arrived broken: a credit note of five, settling part of the invoice.
    damaged = invoices["61-90"]
    note = credit_note_create(
        invoice=damaged,
        lines=[{"invoice_line": damaged.lines.get(), "quantity": Decimal("5")}],
        actor=actor,
    )
    invoice_post(invoice=note, actor=actor, invoice_date=today - timedelta(days=80))

    # Two more jars came back: a return tied to the sale (the Return action's draft, lowered to
    # the two that came back), arrived and credited; its credit note settles part of the same
    # invoice.
    returned = sales_order_create_return(order=damaged.sales_order, actor=actor)
    line = returned.lines.get()
    returned = sales_order_update(
        instance=returned,
        data={
            "return_reason": "Broken in the customer's store",
            "lines": [{"id": line.pk, "quantity": Decimal("2")}],
        },
        actor=actor,
    )
    packing_slip_post(
        order=returned,
        lines=[{"order_line": line, "quantity": Decimal("2")}],
        actor=actor,
        delivery_date=today - timedelta(days=78),
    )
    invoice_post(
        invoice=invoice_from_order(order=returned, actor=actor),
        actor=actor,
        invoice_date=today - timedelta(days=77),
    )

    # Fully applied: the payment names the invoice, automatic application finds it.
    paid = invoices["PAID"]
    payment_auto_apply(
        payment=payment_register(
            data={
                "customer": paid.customer,
                "date": today - timedelta(days=3),
                "amount": paid.total_amount,
                "reference": f"Invoice {paid.number}",
            },
            actor=actor,
        ),
        actor=actor,
    )

    # Partly applied: half the invoice is settled by hand, the rest of the payment waits.
    partly = invoices["1-30"]
    half = round_money(partly.total_amount / 2)
    on_account = payment_register(
        data={
            "customer": partly.customer,
            "date": today - timedelta(days=6),
            "amount": half + Decimal("1500.00"),
            "reference": "Payment on account",
        },
        actor=actor,
    )
    payment_apply(payment=on_account, item=partly.open_item, amount=half, actor=actor)

    # Unapplied: a prepayment stays as the customer's credit.
    payment_register(
        data={
            "customer": Customer.objects.get(party__name="Highland Fine Foods Ltd"),
            "date": today - timedelta(days=2),
            "amount": Decimal("2500.00"),
            "reference": "Prepayment, monthly delivery",
        },
        actor=actor,
    )

    # Delivered in two parts and not invoiced yet: both wait on "Invoice packing slips".
    waiting = _order(
        "WAITING",
        Customer.objects.get(party__name="Stockholms Restauranggrossist AB"),
        [("1002", "40")],
        today - timedelta(days=9),
        actor,
    )
    line = waiting.lines.get()
    for days_ago, quantity in ((9, "15"), (4, "25")):
        packing_slip_post(
            order=waiting,
            lines=[{"order_line": line, "quantity": Decimal(quantity)}],
            actor=actor,
            delivery_date=today - timedelta(days=days_ago),
        )

    _einvoice_cases(actor)


def _einvoice_cases(actor) -> None:
    """Invoices that show what an e-invoice carries: a document allowance and a freight charge
    (a Norwegian EHF receiver), a prepaid amount in euros with the VAT also in kroner (a
    Belgian Peppol receiver), and a free text invoice with a VAT-exempt line in kronor. Posted
    in date order, after the aging cases."""
    today = timezone.localdate()
    s15, s25, e0 = (SalesTaxCode.objects.get(code=code) for code in ("S15", "S25", "E0"))

    # A volume discount of 5 % on the goods and the freight, both on the invoice as a whole.
    draft = _invoice_of_delivery(
        "ALLOWANCE", "Fjordkjøkken AS", [("1000", "30"), ("1001", "10")], today, actor
    )
    goods = draft.net_amount
    draft = free_text_invoice_update(
        instance=draft,
        data={
            "allowance_charges": [
                {
                    "is_charge": False,
                    "reason": "Volume discount",
                    "reason_code": "95",
                    "percent": Decimal("5"),
                    "base_amount": goods,
                    "sales_tax_code": s15,
                },
                {
                    "is_charge": True,
                    "reason": "Freight",
                    "reason_code": "FC",
                    "amount": Decimal("450.00"),
                    "sales_tax_code": s25,
                },
            ]
        },
        actor=actor,
    )
    invoice_post(invoice=draft, actor=actor, invoice_date=today - timedelta(days=3))

    # Half paid in advance: the invoice shows the prepaid amount and what is left to pay.
    draft = _invoice_of_delivery(
        "PREPAID", "Antwerpse Fijnkost BV", [("1000", "40"), ("2000", "12")], today, actor
    )
    prepaid = round_money(draft.total_amount / 2)
    payment_register(
        data={
            "customer": draft.customer,
            "date": today - timedelta(days=12),
            "amount": prepaid,
            "reference": "Prepayment, order DEMO-AR-PREPAID",
        },
        actor=actor,
    )
    draft = free_text_invoice_update(instance=draft, data={"prepaid_amount": prepaid}, actor=actor)
    invoice_post(invoice=draft, actor=actor, invoice_date=today - timedelta(days=2))

    # Freight and a food safety course (exempt from VAT), invoiced as free text.
    customer = Customer.objects.get(party__name="Göta Livs AB")
    draft = free_text_invoice_create(
        data={
            "customer": customer,
            "notes": "Course and freight, week 48",
            "buyer_reference": "Inköp/Anna Berg",
            "lines": [
                {
                    "ledger_account": LedgerAccount.objects.get(number="3900"),
                    "description": "Freight Oslo-Göteborg",
                    "quantity": Decimal("1"),
                    "unit_price": Decimal("1250.00"),
                    "sales_tax_code": s25,
                },
                {
                    "ledger_account": LedgerAccount.objects.get(number="3100"),
                    "description": "Food safety course (exempt)",
                    "quantity": Decimal("6"),
                    "unit_code": "HUR",
                    "unit_price": Decimal("850.00"),
                    "sales_tax_code": e0,
                },
            ],
        },
        actor=actor,
    )
    invoice_post(invoice=draft, actor=actor, invoice_date=today - timedelta(days=1))


def _invoice_of_delivery(suffix: str, customer_name: str, lines, today, actor) -> Invoice:
    customer = Customer.objects.get(party__name=customer_name)
    delivered = today - timedelta(days=4)
    order = _order(suffix, customer, lines, delivered, actor)
    slip = packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=actor,
        delivery_date=delivered,
    )
    return invoice_from_packing_slips(packing_slips=[slip], actor=actor)
