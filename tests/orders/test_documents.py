"""Order documents: PDFs rendered by WeasyPrint in a task, in the customer's language, mailed."""

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from orders.services.orders import sales_order_confirm
from salesmkt.core import documents
from salesmkt.core.models import Document
from salesmkt.core.tasks import render_document, resume_pending_documents
from tests import factories as f


@pytest.mark.django_db
def test_confirming_renders_the_confirmation_pdf_and_mails_it_to_the_customer(
    make_order, smtp_sink, django_capture_on_commit_callbacks
):
    customer = f.CustomerFactory(
        party=f.PartyFactory(name="Fjordkjøkken AS", email="innkjop@fjord.no", language="nb")
    )
    order = make_order(customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        sales_order_confirm(order=order, actor=None)

    document = Document.objects.get(kind="order_confirmation")
    pdf = Path(settings.MEDIA_ROOT) / document.file
    assert document.status == "rendered" and pdf.read_bytes().startswith(b"%PDF")
    assert document.mail_status == "sent"
    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["innkjop@fjord.no"]
    assert (
        message["Subject"] == f"Ordrebekreftelse {order.number}"
        or order.number in message["Subject"]
    )
    attachment = next(part for part in message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"


@pytest.mark.django_db
def test_rendering_twice_keeps_one_document_and_mails_once(
    make_order, smtp_sink, django_capture_on_commit_callbacks
):
    order = make_order(customer=f.CustomerFactory(party=f.PartyFactory(email="buyer@example.com")))
    with django_capture_on_commit_callbacks(execute=True):
        sales_order_confirm(order=order, actor=None)
    document = Document.objects.get()

    render_document.apply(args=[document.pk]).get()

    assert len(smtp_sink.messages) == 1
    assert len(list((Path(settings.MEDIA_ROOT) / "documents").glob("*.pdf"))) == 1


@pytest.mark.django_db
def test_a_render_that_dies_midway_leaves_no_file_and_the_sweep_renders_it_again(make_order):
    order = make_order()
    with (
        mock.patch("salesmkt.core.documents._queue"),  # the task message is lost
        mock.patch("weasyprint.HTML.write_pdf", side_effect=MemoryError("worker killed")),
    ):
        document = documents.document_request(obj=order, kind="order_confirmation", title="X")
        with pytest.raises(MemoryError):
            documents.render(document.pk)

    folder = Path(settings.MEDIA_ROOT) / "documents"
    # no half-written PDF, no leftover part file (the PDF is built in memory, then written)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert Document.objects.get().status == "pending"
    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    assert resume_pending_documents.apply().get() == 1
    assert Document.objects.get().status == "rendered"


@pytest.mark.django_db
def test_a_packing_slip_pdf_is_produced_when_it_is_posted(
    make_order, django_capture_on_commit_callbacks
):
    from orders.services.delivery import packing_slip_post

    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        slip = packing_slip_post(
            order=order, lines=[{"order_line": order.lines.get(), "quantity": 1}], actor=None
        )

    document = Document.objects.get(kind="packing_slip")
    assert (document.object_id, document.status) == (str(slip.pk), "rendered")


@pytest.mark.django_db
def test_only_a_user_who_may_view_the_order_gets_its_pdf(
    client, user_in, make_order, django_capture_on_commit_callbacks
):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        sales_order_confirm(order=order, actor=None)
    document = Document.objects.get()

    client.force_login(user_in("marketing"))
    refused = client.get(f"/documents/{document.pk}.pdf")
    client.force_login(user_in("sales clerk"))
    allowed = client.get(f"/documents/{document.pk}.pdf")

    assert refused.status_code == 403
    assert allowed.status_code == 200 and allowed["Content-Type"] == "application/pdf"
