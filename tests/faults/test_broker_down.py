"""Redis stopped: the web app still takes orders and posts invoices; the documents queued
meanwhile stay pending in PostgreSQL and go out once the broker is back (the sweep)."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from salesmkt.core.models import Document
from salesmkt.core.tasks import resume_pending_documents
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def broker_down():
    """Every task message is refused as by an unreachable Redis (kombu's OperationalError)."""
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    return mock.patch("celery.app.task.Task.delay", side_effect=refused)


def test_an_invoice_posts_while_the_broker_is_down_and_its_pdf_follows_later(make_order):
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(
        number="3000", name="Sales", account_type="revenue"
    )
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()
    order = make_order(quantities=["2"])

    with broker_down():
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal(2)}],
            actor=None,
        )
        invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    assert invoice.number == "INV000001"  # the clerk's work is done
    # the packing slip's PDF and the invoice's wait in PostgreSQL
    assert Document.objects.filter(status=Document.Status.PENDING).count() == 2

    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert resume_pending_documents.apply().get() == 2  # the broker is back: the sweep
    assert not Document.objects.filter(status=Document.Status.PENDING).exists()
