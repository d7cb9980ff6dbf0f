from decimal import Decimal
from types import SimpleNamespace

import pytest

from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
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
def invoice_for(make_order, accounts):
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    customer = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)

    def make(quantity="1", invoice_date=None):
        order = make_order(customer=customer, quantities=[quantity])
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
            actor=None,
        )
        return invoice_post(
            invoice=invoice_from_order(order=order, actor=None),
            actor=None,
            invoice_date=invoice_date,
        )

    make.customer = customer
    return make
