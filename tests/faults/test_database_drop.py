"""PostgreSQL connection dropped mid-request: the client gets a 503, not a half-written document.

The fault is real: a second connection asks the server to terminate the request's backend
(`pg_terminate_backend`) at a chosen step inside a service, after some of the document is
written and before the rest is. The service's next query then meets a closed connection.
"""

from __future__ import annotations

import logging
import pkgutil
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse

from invoicing.models import CustomerTransaction, LedgerEntry, LedgerVoucher
from invoicing.services.invoices import invoice_from_order
from orders.models import SalesOrder, SalesOrderLine
from orders.services.delivery import packing_slip_post
from salesmkt.core.models import NumberSeries
from tests import factories as f
from tests.forms import sales_order_form
from tests.invoicing.conftest import accounts  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Steps inside the services at which the connection is dropped.
INVOICE_POSTED_HALFWAY = "invoicing.services.invoices._open_item"  # after number, voucher, header
ORDER_HEADER_WRITTEN = "orders.services.orders.insert_instances"  # after the header's INSERT


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_backend(pid: int) -> None:
    """Have the server end `pid` from a second, separate connection, as an administrator, a
    failover or a restart would; wait (up to 5 s) until that backend is gone."""
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()


@contextmanager
def connection_dropped_before(target: str, *, noticed: bool = False, **patch_options):
    """Run `target` (a step of a service) only after the server has terminated this thread's
    connection, once. Yields the mock, whose call_count shows the step was reached.

    The step's first query then fails with OperationalError ("server closed the connection");
    with `noticed`, a query before the step met that error and let it pass, so the step's query
    finds the driver's connection already closed: InterfaceError."""
    original = pkgutil.resolve_name(target)
    dropped = []

    def drop_then_run(*args, **kwargs):
        if not dropped:
            pid = backend_pid()
            terminate_backend(pid)
            dropped.append(pid)
            if noticed:
                with pytest.raises(OperationalError):
                    backend_pid()
        return original(*args, **kwargs)

    with mock.patch(target, side_effect=drop_then_run, **patch_options) as step:
        yield step
    assert dropped, f"{target} was never reached: the connection was not dropped mid-request"


def database_state() -> dict:
    """Every row of every table, to compare before and after a request."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def assert_service_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"


@pytest.fixture
def draft_invoice(make_order, accounts):  # noqa: F811
    """A draft invoice of a delivered order line (4 of 4), ready to post."""
    customer = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)
    order = make_order(customer=customer, quantities=["4"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal(4)}], actor=None
    )
    return invoice_from_order(order=order, actor=None)


def order_body() -> dict:
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()
    return {
        "customer": customer.pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {"item": item.pk, "warehouse": warehouse.pk, "quantity": "3"},
            {"item": item.pk, "warehouse": warehouse.pk, "quantity": "2"},
        ],
    }


# --- API ------------------------------------------------------------------------------------------


def test_an_invoice_whose_posting_loses_the_database_stays_a_draft_and_posts_on_retry(
    api_as, draft_invoice, caplog
):
    accountant = api_as("accountant")
    order_line = draft_invoice.lines.get().order_line
    remainder = order_line.invoice_remainder
    before = database_state()
    url = f"/api/v1/invoices/{draft_invoice.pk}/post/"

    with (
        caplog.at_level(logging.WARNING, logger="salesmkt.core.api.exceptions"),
        connection_dropped_before(INVOICE_POSTED_HALFWAY) as step,
    ):
        dropped = accountant.post(url)

    halfway = step.call_args.args[0]  # the invoice as the transaction had written it so far
    assert (halfway.status, halfway.number) == ("posted", "INV000001") and halfway.voucher_id
    assert_service_unavailable(dropped)
    assert dropped.json()["code"] == "service_unavailable"
    assert [(r.name, r.exc_info[0]) for r in caplog.records if r.exc_info] == [
        ("salesmkt.core.api.exceptions", OperationalError)
    ]
    # The request's atomic block could not roll back on the dead connection and closed it: the
    # queries below run on a new connection without any help from the test.
    assert database_state() == before  # the server rolled the whole posting back
    draft_invoice.refresh_from_db()
    assert (draft_invoice.status, draft_invoice.number, draft_invoice.voucher) == (
        "draft",
        "",
        None,
    )
    assert not LedgerVoucher.objects.exists() and not LedgerEntry.objects.exists()
    assert not CustomerTransaction.objects.exists()
    assert not NumberSeries.objects.filter(code="invoice").exists()
    order_line.refresh_from_db()
    assert order_line.invoice_remainder == remainder
    assert not draft_invoice.packing_slips.filter(invoiced=True).exists()

    retried = accountant.post(url)  # the database is back: the same request succeeds

    assert retried.status_code == 200, retried.content
    assert retried.json()["number"] == "INV000001"  # the dropped attempt consumed no number
    assert LedgerVoucher.objects.count() == 1
    order_line.refresh_from_db()
    assert order_line.invoice_remainder == 0


def test_an_order_whose_lines_lose_the_database_leaves_no_header_behind(api_as):
    clerk = api_as("sales clerk")
    body = order_body()
    before = database_state()

    with connection_dropped_before(ORDER_HEADER_WRITTEN) as step:
        dropped = clerk.post("/api/v1/sales-orders/", body, format="json")

    assert step.call_args.args[0][0].order_id is not None  # the header was inserted first
    assert_service_unavailable(dropped)
    assert dropped.json() == {
        "code": "service_unavailable",
        "detail": "The database is unavailable right now; nothing was saved. Retry later.",
    }
    assert not SalesOrder.objects.exists() and not SalesOrderLine.objects.exists()
    assert database_state() == before

    retried = clerk.post("/api/v1/sales-orders/", body, format="json")

    assert retried.status_code == 201, retried.content
    assert SalesOrder.objects.get().number == "SO000001"
    assert SalesOrderLine.objects.count() == 2


def test_a_503_releases_the_idempotency_key_so_the_retry_runs(api_as):
    clerk = api_as("sales clerk")
    body = order_body()
    headers = {"Idempotency-Key": "order-1"}

    with connection_dropped_before(ORDER_HEADER_WRITTEN):
        dropped = clerk.post("/api/v1/sales-orders/", body, format="json", headers=headers)
    retried = clerk.post("/api/v1/sales-orders/", body, format="json", headers=headers)

    assert_service_unavailable(dropped)
    assert retried.status_code == 201, retried.content  # neither 409 nor a replayed 503
    assert "Idempotent-Replayed" not in retried
    assert SalesOrder.objects.count() == 1


def test_a_read_that_loses_the_database_answers_503_and_the_next_query_reconnects(api_as):
    """Outside any atomic block nothing closes the dead connection for Django (the test client
    also skips the request-end check that would): the handler closes it itself."""
    clerk = api_as("sales clerk")

    with connection_dropped_before(
        "orders.api.views.SalesOrderViewSet.filter_queryset", autospec=True
    ):
        dropped = clerk.get("/api/v1/sales-orders/")

    assert_service_unavailable(dropped)
    assert dropped.json()["code"] == "service_unavailable"
    assert clerk.get("/api/v1/sales-orders/").status_code == 200


def test_a_connection_the_driver_already_closed_answers_503_too(api_as, caplog):
    clerk = api_as("sales clerk")

    with (
        caplog.at_level(logging.WARNING, logger="salesmkt.core.api.exceptions"),
        connection_dropped_before(
            "orders.api.views.SalesOrderViewSet.filter_queryset", noticed=True, autospec=True
        ),
    ):
        dropped = clerk.get("/api/v1/sales-orders/")

    assert_service_unavailable(dropped)
    assert dropped.json()["code"] == "service_unavailable"
    # answered by the API's exception handler, not by the middleware behind it
    assert [(r.name, r.exc_info[0]) for r in caplog.records if r.exc_info] == [
        ("salesmkt.core.api.exceptions", InterfaceError)
    ]
    assert clerk.get("/api/v1/sales-orders/").status_code == 200


# --- The clerk's pages -------------------------------------------------------------------------


def test_posting_an_invoice_from_its_page_without_the_database_shows_the_503_page(
    client, user_in, draft_invoice, caplog
):
    client.force_login(user_in("accountant"))
    before = database_state()
    url = reverse("invoicing:invoices-action", args=[draft_invoice.pk, "post"])

    with (
        caplog.at_level(logging.WARNING, logger="salesmkt.core.database_outage"),
        connection_dropped_before(INVOICE_POSTED_HALFWAY) as step,
    ):
        dropped = client.post(url)

    assert step.call_args.args[0].number == "INV000001"  # written in the lost transaction
    assert_service_unavailable(dropped)
    page = dropped.content.decode()
    assert "Service unavailable" in page and "nothing was saved" in page
    assert [(r.name, r.exc_info[0]) for r in caplog.records if r.exc_info] == [
        ("salesmkt.core.database_outage", OperationalError)
    ]
    assert database_state() == before
    draft_invoice.refresh_from_db()
    assert (draft_invoice.status, draft_invoice.number) == ("draft", "")

    assert client.post(url).status_code == 302
    draft_invoice.refresh_from_db()
    assert (draft_invoice.status, draft_invoice.number) == ("posted", "INV000001")


def test_entering_an_order_in_the_ui_without_the_database_writes_no_header(client, user_in):
    client.force_login(user_in("sales clerk"))
    data = sales_order_form()
    before = database_state()

    with connection_dropped_before(ORDER_HEADER_WRITTEN) as step:
        dropped = client.post(reverse("orders:sales-orders-create"), data)

    assert step.call_args.args[0][0].order_id is not None  # the header was inserted first
    assert_service_unavailable(dropped)
    assert "<title>Service unavailable" in dropped.content.decode()
    assert database_state() == before

    assert client.post(reverse("orders:sales-orders-create"), data).status_code == 302
    assert SalesOrder.objects.get().lines.count() == 1


def test_a_page_that_loses_the_database_while_reading_answers_503(client, user_in, make_order):
    make_order()
    client.force_login(user_in("sales clerk"))
    url = reverse("orders:sales-orders-list")

    with connection_dropped_before("salesmkt.core.ui.Paginator.get_page", autospec=True):
        dropped = client.get(url)

    assert_service_unavailable(dropped)
    assert "<title>Service unavailable" in dropped.content.decode()
    assert client.get(url).status_code == 200  # the middleware closed the dead connection


def test_an_htmx_request_that_loses_the_database_gets_the_short_503_message(
    client, user_in, make_order
):
    make_order()
    client.force_login(user_in("sales clerk"))
    url = reverse("orders:sales-orders-list") + "?q=SO"

    with connection_dropped_before("salesmkt.core.ui.Paginator.get_page", autospec=True):
        dropped = client.get(url, headers={"HX-Request": "true"})

    assert_service_unavailable(dropped)
    body = dropped.content.decode()
    assert body.startswith('<div class="alert alert-warning" role="alert">')
    assert "nothing was saved" in body and "<html" not in body
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200


def test_losing_the_database_while_the_response_is_finished_answers_503_not_400(user_in, settings):
    """The session is saved by its middleware after the view returned: a database error there
    never reaches the views' handling, and Django reports it as an interrupted session (400);
    the 400 handler finds the database error behind it and answers 503."""
    from django.test import Client

    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client(raise_request_exception=False)
    client.force_login(user_in("sales clerk"))
    url = reverse("orders:sales-orders-list")

    with connection_dropped_before(
        "django.contrib.sessions.backends.db.SessionStore.save", autospec=True
    ):
        dropped = client.get(url)

    assert_service_unavailable(dropped)
    assert "<title>Service unavailable" in dropped.content.decode()
    assert client.get(url).status_code == 200


def test_an_api_error_that_is_not_the_database_still_answers_500_in_the_apis_shape(
    api_as, settings
):
    from rest_framework.test import APIClient

    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["testserver"]
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(api_as("sales manager").user)

    with mock.patch("orders.api.views.SalesOrderViewSet.list", side_effect=RuntimeError("a bug")):
        response = client.get("/api/v1/sales-orders/")

    assert response.status_code == 500
    body = response.json()
    assert body == {
        "code": "server_error",
        "detail": "Server error.",
        "request_id": body["request_id"],
    }
    assert body["request_id"] == response["X-Request-ID"]


def test_a_database_error_that_reaches_the_500_handler_answers_503(rf):
    from salesmkt.core.database_outage import server_error

    request = rf.get("/orders/sales-orders/")
    try:
        terminate_backend(backend_pid())
        backend_pid()
    except OperationalError:
        response = server_error(request)

    assert_service_unavailable(response)
