"""Redis stopped: the web app still takes orders and posts invoices; the documents queued
meanwhile stay pending in PostgreSQL and go out once the broker is back (the sweep)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from salesmkt.celery import app
from salesmkt.core.models import Document
from salesmkt.core.tasks import resume_pending_documents

pytestmark = pytest.mark.django_db(transaction=True)


def _new_connections():
    """Forget pooled broker connections so the next message uses the configured broker."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """A broker address nobody listens on, tasks sent for real (not eagerly), no retrying."""
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_publish_retry")
    }
    app.conf.update(
        broker_url="redis://127.0.0.1:1/0",
        task_always_eager=False,
        task_publish_retry=False,
        broker_transport_options={"max_retries": 0},
    )
    _new_connections()
    yield
    app.conf.update(saved)
    _new_connections()


def test_an_invoice_posts_while_the_broker_is_down_and_its_pdf_follows_later(
    broker_down, make_order
):

    from tests import factories as f

    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(
        number="3000", name="Sales", account_type="revenue"
    )
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()
    order = make_order(quantities=["2"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal(2)}], actor=None
    )

    invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    assert invoice.number == "INV000001"  # the clerk's work is done
    pending = Document.objects.filter(status=Document.Status.PENDING)
    assert pending.count() == 2  # the packing slip's PDF and the invoice's wait in PostgreSQL

    app.conf.update(broker_url="memory://", task_always_eager=True)  # the broker is back
    _new_connections()
    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert resume_pending_documents.apply().get() == 2
    assert not Document.objects.filter(status=Document.Status.PENDING).exists()
