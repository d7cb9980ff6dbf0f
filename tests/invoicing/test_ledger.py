"""The ledger: every posting balances, and the receivable account agrees with the open items."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from invoicing.models import LedgerEntry, LedgerVoucher
from invoicing.services.credit_notes import credit_note_create, invoice_cancel
from invoicing.services.invoices import (
    free_text_invoice_create,
    invoice_from_order,
    invoice_post,
)
from invoicing.services.payments import payment_apply, payment_register, receivables
from orders.services.delivery import packing_slip_post
from tests import factories as f


@pytest.mark.django_db
def test_every_posting_balances_and_the_receivable_account_agrees_with_the_open_items(
    make_order, accounts
):
    reduced = f.SalesTaxCodeFactory(code="R15", name="VAT 15 %", rate=Decimal("15.00"))
    exempt = f.SalesTaxCodeFactory(code="E0", name="Exempt", rate=Decimal("0"), category="E")
    for code in (reduced, exempt):
        code.tax_account = accounts.vat
        code.save()
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    customer = f.CustomerFactory()
    items = [
        f.ItemFactory(base_sales_price=Decimal("19.99")),
        f.ItemFactory(base_sales_price=Decimal("10.01"), sales_tax_code=reduced),
        f.ItemFactory(base_sales_price=Decimal("7.35"), sales_tax_code=exempt),
    ]
    order = make_order(quantities=["3", "7", "5"], customer=customer, items=items)
    packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": line.quantity} for line in order.lines.all()],
        actor=None,
    )
    invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)
    first_line = invoice.lines.order_by("line_number").first()
    invoice_post(
        invoice=credit_note_create(
            invoice=invoice, actor=None, lines=[{"invoice_line": first_line, "quantity": 1}]
        ),
        actor=None,
    )
    free_text = invoice_post(
        invoice=free_text_invoice_create(
            data={
                "customer": customer,
                "lines": [
                    {
                        "ledger_account": accounts.revenue,
                        "description": "Consulting",
                        "quantity": Decimal("1.5"),
                        "unit_price": Decimal("333.33"),
                        "sales_tax_code": accounts.tax_code,
                    }
                ],
            },
            actor=None,
        ),
        actor=None,
    )
    invoice_cancel(invoice=free_text, actor=None)
    payment = payment_register(
        data={"customer": customer, "date": timezone.localdate(), "amount": Decimal("50.00")},
        actor=None,
    )
    payment_apply(payment=payment, item=invoice.open_item, actor=None)

    for voucher in LedgerVoucher.objects.all():
        sums = voucher.entries.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        assert sums["debit"] == sums["credit"], voucher
    receivable = LedgerEntry.objects.filter(
        account=customer.posting_profile.summary_account
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert receivable["debit"] - receivable["credit"] == receivables(customer)["balance"]
    assert (
        LedgerVoucher.objects.count() == 5
    )  # invoice, credit note, free text, its cancel, payment
