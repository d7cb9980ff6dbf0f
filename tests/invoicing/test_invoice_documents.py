from decimal import Decimal
from pathlib import Path

import pytest

from invoicing.services.invoices import invoice_from_order, invoice_post, invoice_send
from orders.services.delivery import packing_slip_post
from salesmkt.core.models import Document
from tests import factories as f


@pytest.mark.django_db
def test_posting_renders_the_invoice_pdf_and_send_mails_it_with_the_payment_link(
    make_order,
    accounts,
    smtp_sink,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.PAYMENT_LINK_TEMPLATE = "https://pay.example.com/{number}?amount={amount}{currency}"
    customer = f.CustomerFactory(
        posting_profile=accounts.profile, party=f.PartyFactory(email="ap@fjord.no", language="nb")
    )
    order = make_order(customer=customer, quantities=["2"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("2")}], actor=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=invoice, actor=None)

    rendered = Document.objects.filter(kind="invoice", status="rendered")
    assert rendered.count() == 2
    assert (Path(settings.MEDIA_ROOT) / rendered.first().file).read_bytes().startswith(b"%PDF")
    [(recipients, message)] = smtp_sink.messages
    body = message.get_body(("plain",)).get_content()
    assert recipients == ["ap@fjord.no"]
    assert f"https://pay.example.com/{invoice.number}?amount=250.00NOK" in body
    assert any(part.get_content_type() == "application/pdf" for part in message.iter_attachments())


@pytest.mark.django_db
def test_a_draft_invoice_is_not_sent_until_it_is_posted(make_order, accounts, api_as):
    from invoicing.services.invoices import invoice_from_order

    customer = f.CustomerFactory(posting_profile=accounts.profile)
    order = make_order(customer=customer, quantities=["2"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("2")}], actor=None
    )
    draft = invoice_from_order(order=order, actor=None)

    response = api_as("accountant").post(f"/api/v1/invoices/{draft.pk}/send/")

    assert response.status_code == 409 and response.json()["code"] == "invoice_not_posted"
    assert not Document.objects.filter(kind="invoice").exists()
