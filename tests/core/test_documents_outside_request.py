"""Without a broker (the embedded default) a document is never rendered in the request that asked
for it: a thread of the process renders and mails it after the response, and a download of a
document still being prepared answers 202 and makes sure its render is on its way. With a broker
the document's task is queued to Celery as before.

These tests commit (the render thread has its own database connection and sees only committed
rows) and turn `DOCUMENT_RENDER_IN_REQUEST` off, which the other tests keep on."""

from __future__ import annotations

import threading
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connections

from salesmkt.core import documents
from salesmkt.core.models import Document
from salesmkt.core.queueing import InProcessQueue
from salesmkt.core.tasks import render_document
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 120  # seconds: a bound against hanging, never a timing assertion


@pytest.fixture(autouse=True)
def rendered_on_the_thread(settings, transactional_db):
    from django.apps import apps

    from salesmkt.core.roles import sync_role_groups

    sync_role_groups(apps)  # flushed with the data migrations by the test before
    settings.DOCUMENT_RENDER_IN_REQUEST = False
    yield
    assert documents.renders_in_background.wait(WAIT), "the render thread did not finish"


class HeldRender:
    """Wraps the render: it starts, then waits until the test lets it go on."""

    def __init__(self):
        self.started, self.go_on = threading.Event(), threading.Event()
        self.rendered: list[int] = []
        self.threads: set[str] = set()
        self.real = documents._render

    def __call__(self, document):
        self.threads.add(threading.current_thread().name)
        self.started.set()
        if not self.go_on.wait(WAIT):
            raise RuntimeError("the test never let the render go on")
        self.rendered.append(document.pk)
        return self.real(document)


def order_to_confirm(make_order):
    customer = f.CustomerFactory(party=f.PartyFactory(email="buyer@example.com"))
    return make_order(customer=customer)


def test_confirming_answers_before_the_document_is_rendered_then_it_is_rendered_and_mailed_once(
    api_as, make_order, smtp_sink
):
    order = order_to_confirm(make_order)
    api = api_as("sales clerk")
    held = HeldRender()

    with mock.patch.object(documents, "_render", held):
        response = api.post(f"/api/v1/sales-orders/{order.pk}/confirm/")

        # the response is here while the render is held on the other thread
        assert response.status_code == 200, response.content
        assert held.started.wait(WAIT)
        document = Document.objects.get(kind="order_confirmation")
        assert (document.status, document.mail_status) == ("pending", "pending")
        assert smtp_sink.messages == []

        held.go_on.set()
        assert documents.renders_in_background.wait(WAIT)

    document.refresh_from_db()
    assert (document.status, document.mail_status) == ("rendered", "sent")
    assert (Path(django_settings.MEDIA_ROOT) / document.file).read_bytes().startswith(b"%PDF")
    assert held.rendered == [document.pk]
    assert held.threads == {"document-renders"}
    assert smtp_sink.recipients() == ["buyer@example.com"]


def test_a_document_queued_twice_while_waiting_is_rendered_and_mailed_once(make_order, smtp_sink):
    order = order_to_confirm(make_order)
    held = HeldRender()

    with mock.patch.object(documents, "_render", held):
        first = documents.document_request(
            obj=order, kind="order_confirmation", title="First", email_to="first@example.com"
        )
        assert held.started.wait(WAIT)  # the thread is busy with the first document
        second = documents.document_request(
            obj=order, kind="order_confirmation", title="Second", email_to="second@example.com"
        )
        documents._queue(second.pk)  # asked for again (a download) while it waits
        held.go_on.set()
        assert documents.renders_in_background.wait(WAIT)

    assert held.rendered == [first.pk, second.pk]
    assert sorted(smtp_sink.recipients()) == ["first@example.com", "second@example.com"]


def test_downloading_a_pending_document_answers_202_and_has_it_rendered(
    client, user_in, make_order
):
    order = order_to_confirm(make_order)
    with mock.patch.object(documents.renders_in_background, "submit"):  # its job was lost
        document = documents.document_request(obj=order, kind="order_confirmation", title="OC")
    client.force_login(user_in("sales clerk"))
    held = HeldRender()

    with mock.patch.object(documents, "_render", held):
        pending = client.get(f"/documents/{document.pk}.pdf")
        assert held.started.wait(WAIT)  # the download queued its render, not done in it
        held.go_on.set()
        assert documents.renders_in_background.wait(WAIT)
    ready = client.get(f"/documents/{document.pk}.pdf")

    assert pending.status_code == 202
    assert pending["Retry-After"] == "2"
    assert b"being prepared" in pending.content
    assert b'http-equiv="refresh"' in pending.content
    assert held.threads == {"document-renders"}
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert b"".join(ready.streaming_content).startswith(b"%PDF")


def test_downloading_a_document_a_render_holds_queues_nothing(client, user_in, make_order):
    order = order_to_confirm(make_order)
    with mock.patch.object(documents.renders_in_background, "submit"):
        document = documents.document_request(obj=order, kind="order_confirmation", title="OC")
    assert documents._take_render_lease(document.pk)  # a render is under way elsewhere
    client.force_login(user_in("sales clerk"))

    with mock.patch.object(documents.renders_in_background, "submit") as submit:
        response = client.get(f"/documents/{document.pk}.pdf")

    assert response.status_code == 202
    submit.assert_not_called()


def test_with_a_broker_the_document_is_queued_to_celery_as_before(make_order):
    order = order_to_confirm(make_order)
    render_document.app.conf.task_always_eager = False  # the conftest fixture restores it

    with (
        mock.patch("salesmkt.core.queueing.enqueue") as enqueue,
        mock.patch.object(documents.renders_in_background, "submit") as submit,
    ):
        document = documents.document_request(obj=order, kind="order_confirmation", title="OC")

    enqueue.assert_called_once_with(render_document, document.pk)
    submit.assert_not_called()
    assert Document.objects.get().status == "pending"


def test_the_render_thread_closes_its_database_connection_after_each_job():
    used = []

    def job(_id):
        connection = connections["default"]  # the thread's own
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(connection)

    worker = InProcessQueue("test-jobs", job)
    worker.submit(1)
    assert worker.wait(WAIT)

    [connection] = used
    assert connection is not connections["default"]
    assert connection.connection is None
