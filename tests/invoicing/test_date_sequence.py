"""Dates in sequence: numbers ascend with dates within a series (chronological numbering), an
invoice is not posted far ahead, and no document or payment carries a date out of bounds."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from invoicing.models import Invoice, Payment
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from salesmkt.core.errors import ConflictError, DomainError
from tests import factories as f

TODAY = timezone.localdate()


@pytest.fixture
def draft_for(make_order, accounts):
    """draft_for() drafts an invoice of a delivered order of one unit."""

    def make():
        order = make_order(quantities=["1"])
        packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal("1")}],
            actor=None,
        )
        return invoice_from_order(order=order, actor=None)

    return make


@pytest.mark.django_db
def test_an_invoice_dated_before_the_last_posted_of_its_series_is_refused(draft_for):
    last = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)
    draft = draft_for()

    with pytest.raises(ConflictError) as refused:
        invoice_post(invoice=draft, actor=None, invoice_date=date(2020, 1, 1))

    assert refused.value.code == "date_out_of_sequence"
    assert last.number in refused.value.message
    assert refused.value.params == {"last_date": TODAY.isoformat(), "last_number": last.number}
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.invoice_date) == ("draft", "", None)
    # the refused posting took no number: the next one is the very next
    assert invoice_post(invoice=draft, actor=None, invoice_date=TODAY).number == "INV000002"


@pytest.mark.django_db
def test_an_invoice_dated_on_the_last_posted_date_or_later_is_posted(draft_for):
    invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY - timedelta(days=1))

    same_day = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY - timedelta(days=1))
    later = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)

    assert [same_day.status, later.status] == ["posted", "posted"]


@pytest.mark.django_db
def test_credit_notes_keep_their_own_date_sequence(draft_for):
    invoice = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY - timedelta(days=9))
    invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)
    first = invoice_post(
        invoice=credit_note_create(invoice=invoice, actor=None),
        actor=None,
        invoice_date=TODAY - timedelta(days=5),  # before the last invoice: another series
    )
    other = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)

    with pytest.raises(ConflictError) as refused:
        invoice_post(
            invoice=credit_note_create(invoice=other, actor=None),
            actor=None,
            invoice_date=TODAY - timedelta(days=6),
        )

    assert first.status == "posted"
    assert refused.value.code == "date_out_of_sequence"
    assert first.number in refused.value.message


@pytest.mark.django_db
def test_the_post_action_shows_why_a_draft_dated_before_the_series_is_refused(draft_for, clients):
    last = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)
    draft = draft_for()
    Invoice.objects.filter(pk=draft.pk).update(invoice_date=TODAY - timedelta(days=3))
    _page, api = clients

    listed = api.get("/api/v1/invoices/", {"status": "draft"}).json()["results"]
    one = api.get(f"/api/v1/invoices/{draft.pk}/").json()

    for shown in (listed[0], one):
        post = next(a for a in shown["allowed_actions"] if a["action"] == "post")
        assert post["refusal"] == "date_out_of_sequence"
        assert last.number in post["detail"]


@pytest.mark.django_db
def test_posting_through_the_api_before_the_last_posted_date_answers_409(draft_for, clients):
    invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY)
    draft = draft_for()
    _page, api = clients

    refused = api.post(
        f"/api/v1/invoices/{draft.pk}/post/", {"invoice_date": "2001-01-01"}, format="json"
    )

    assert refused.status_code == 409
    assert refused.json()["code"] == "date_out_of_sequence"
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
@override_settings(INVOICE_MAX_DAYS_AHEAD=10)
def test_an_invoice_dated_more_than_the_allowed_days_ahead_is_refused_naming_invoice_date(
    draft_for, clients
):
    draft = draft_for()
    _page, api = clients

    refused = api.post(
        f"/api/v1/invoices/{draft.pk}/post/",
        {"invoice_date": (TODAY + timedelta(days=11)).isoformat()},
        format="json",
    )
    allowed = invoice_post(invoice=draft_for(), actor=None, invoice_date=TODAY + timedelta(days=10))

    assert refused.status_code == 400
    assert (refused.json()["code"], list(refused.json()["errors"])) == (
        "date_too_far_ahead",
        ["invoice_date"],
    )
    assert Invoice.objects.get(pk=draft.pk).status == "draft"
    assert allowed.status == "posted"


@pytest.mark.django_db
def test_posting_dated_9999_12_31_answers_400_naming_invoice_date(draft_for, clients):
    draft = draft_for()
    _page, api = clients

    refused = api.post(
        f"/api/v1/invoices/{draft.pk}/post/", {"invoice_date": "9999-12-31"}, format="json"
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["invoice_date"]
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
def test_a_draft_dated_out_of_bounds_is_refused_at_posting_naming_invoice_date(draft_for):
    draft = draft_for()
    Invoice.objects.filter(pk=draft.pk).update(invoice_date=date(1900, 1, 1))

    with pytest.raises(ValidationError) as refused:
        invoice_post(invoice=draft, actor=None)

    assert "invoice_date" in refused.value.message_dict
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
def test_a_payment_dated_9999_12_31_answers_400_naming_date(clients, invoice_for):
    _page, api = clients

    refused = api.post(
        "/api/v1/payments/",
        {
            "customer": invoice_for.customer.pk,
            "date": "9999-12-31",
            "amount": "100.00",
            "reference": "probe",
        },
        format="json",
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["date"]
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_a_free_text_invoice_dated_9999_12_31_answers_400_naming_invoice_date(clients, accounts):
    customer = f.CustomerFactory(posting_profile=accounts.profile)
    _page, api = clients

    refused = api.post(
        "/api/v1/invoices/",
        {
            "customer": customer.pk,
            "invoice_date": "9999-12-31",
            "lines": [
                {
                    "ledger_account": accounts.revenue.pk,
                    "description": "Consulting",
                    "quantity": "1",
                    "unit_price": "100.00",
                    "sales_tax_code": accounts.tax_code.pk,
                }
            ],
        },
        format="json",
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["invoice_date"]
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_an_order_requested_for_9999_12_31_answers_400_naming_the_field(clients):
    customer = f.CustomerFactory()
    item = f.ItemFactory()
    warehouse = f.WarehouseFactory()
    _page, api = clients

    refused = api.post(
        "/api/v1/sales-orders/",
        {
            "customer": customer.pk,
            "requested_ship_date": "9999-12-31",
            "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "1"}],
        },
        format="json",
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["requested_ship_date"]
    assert SalesOrder.objects.count() == 0


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_at_once_cannot_both_pass_the_date_sequence(draft_for):
    later, earlier = draft_for(), draft_for()
    posted_later, release = threading.Event(), threading.Event()
    codes = []

    def post_today():
        try:
            with transaction.atomic():
                invoice_post(invoice=later, actor=None, invoice_date=TODAY)
                posted_later.set()
                release.wait(30)  # commits only once the other post waits on the series
        finally:
            connections.close_all()

    def post_yesterday():
        try:
            invoice_post(invoice=earlier, actor=None, invoice_date=TODAY - timedelta(days=1))
        except DomainError as exc:
            codes.append(exc.code)
        finally:
            connections.close_all()

    first = threading.Thread(target=post_today)
    first.start()
    assert posted_later.wait(30)
    second = threading.Thread(target=post_yesterday)
    second.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    first.join()
    second.join()

    assert codes == ["date_out_of_sequence"]
    assert Invoice.objects.get(pk=later.pk).status == "posted"
    assert Invoice.objects.get(pk=earlier.pk).status == "draft"
