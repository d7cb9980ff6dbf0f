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


def _confirmed_document(make_order, *, render=True):
    order = make_order(customer=f.CustomerFactory(party=f.PartyFactory(email="buyer@example.com")))
    with mock.patch("salesmkt.core.documents._queue"):  # the task message is lost
        sales_order_confirm(order=order, actor=None)
    document = documents.documents_for(order).get()
    if render:
        documents.render(document.pk)
    return document


@pytest.mark.django_db
def test_a_mail_left_unconfirmed_by_a_dead_worker_is_marked_interrupted_and_never_sent_twice(
    make_order, smtp_sink
):
    document = _confirmed_document(make_order)
    # a worker claimed the mail, spoke to the server and died before recording the answer
    Document.objects.filter(pk=document.pk).update(
        mail_status="sending", mail_claimed_at=timezone.now() - timedelta(minutes=30)
    )

    resume_pending_documents.apply().get()
    render_document.apply(args=[document.pk]).get()  # the redelivered task

    document.refresh_from_db()
    assert document.mail_status == "interrupted"
    assert smtp_sink.messages == []


@pytest.mark.django_db
def test_a_mail_being_sent_by_a_live_worker_is_left_alone_by_the_sweep(make_order, smtp_sink):
    document = _confirmed_document(make_order)
    Document.objects.filter(pk=document.pk).update(
        mail_status="sending", mail_claimed_at=timezone.now() - timedelta(minutes=1)
    )

    resume_pending_documents.apply().get()

    assert Document.objects.get().mail_status == "sending"


@pytest.mark.django_db
def test_a_rendered_document_whose_mail_task_was_lost_is_mailed_by_the_sweep(make_order, smtp_sink):
    document = _confirmed_document(make_order)  # rendered; the worker died before mailing
    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    assert resume_pending_documents.apply().get() == 1

    document.refresh_from_db()
    assert document.mail_status == "sent"
    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["buyer@example.com"]
    assert message["Message-ID"].startswith(f"<document-{document.pk}@")


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_the_mail_pending_for_the_retry(make_order, settings):
    import socket

    document = _confirmed_document(make_order)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port

    with pytest.raises(OSError):
        documents.mail(document.pk)

    document.refresh_from_db()
    assert document.mail_status == "pending" and document.mail_claimed_at is None


@pytest.mark.django_db
def test_the_sweep_removes_part_files_of_killed_renders_but_not_one_being_written(make_order):
    import os

    folder = documents.storage_dir()
    orphan, fresh = folder / "tmpdead.part", folder / "tmplive.part"
    orphan.write_bytes(b"%PDF-1.7 half")
    fresh.write_bytes(b"%PDF-1.7 half")
    hours_ago = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(orphan, (hours_ago, hours_ago))

    resume_pending_documents.apply().get()

    assert not orphan.exists() and fresh.exists()


@pytest.mark.django_db
def test_an_interrupted_mail_is_mailed_again_only_when_someone_queues_it_again(
    make_order, smtp_sink, django_capture_on_commit_callbacks
):
    from salesmkt.core.models import AuditEvent

    document = _confirmed_document(make_order)
    Document.objects.filter(pk=document.pk).update(mail_status="interrupted")
    untouched = _confirmed_document(make_order)  # a mailed one is not mailed again
    Document.objects.filter(pk=untouched.pk).update(mail_status="sent")
    admin = f.UserFactory(is_staff=True, is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        queued = documents.queue_again(documents=[document, untouched], actor=admin)

    assert queued == 1
    assert Document.objects.get(pk=document.pk).mail_status == "sent"
    assert smtp_sink.recipients() == ["buyer@example.com"]
    assert AuditEvent.objects.filter(action="queued_again", actor=admin).count() == 1


@pytest.mark.django_db
def test_the_document_admin_queues_a_failed_render_again(
    admin_client, make_order, django_capture_on_commit_callbacks
):
    document = _confirmed_document(make_order, render=False)
    Document.objects.filter(pk=document.pk).update(status="failed", error="font missing")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/core/document/",
            {"action": "queue_selected_again", "_selected_action": [document.pk]},
            follow=True,
        )

    assert response.status_code == 200
    document.refresh_from_db()
    assert document.status == "rendered" and document.error == ""


@pytest.mark.django_db
def test_a_document_that_cannot_be_rendered_is_marked_failed_and_not_swept_again(make_order):
    document = _confirmed_document(make_order, render=False)
    Document.objects.update(created_at=timezone.now() - timedelta(minutes=10))

    with (
        mock.patch.dict(
            documents.BUILDERS, {"order_confirmation": mock.Mock(side_effect=KeyError("x"))}
        ),
        pytest.raises(KeyError),
    ):
        render_document.apply(args=[document.pk]).get()

    document.refresh_from_db()
    assert document.status == "failed" and "KeyError" in document.error
    assert resume_pending_documents.apply().get() == 0
