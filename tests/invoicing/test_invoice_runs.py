"""Invoice runs: every invoiceable packing slip up to a date, one invoice per customer, posted;
one failing customer is listed and does not stop the others; nothing is invoiced twice."""

import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connections
from django.utils import timezone

from invoicing.models import Invoice, InvoiceRun, InvoiceRunCustomer, LedgerVoucher
from invoicing.selectors import invoiceable_packing_slips, run_progress
from invoicing.services import runs
from invoicing.services.runs import invoice_run_create, invoice_run_process
from invoicing.tasks import resume_invoice_runs
from orders.services.delivery import packing_slip_post
from salesmkt.core.errors import ConflictError
from tests import factories as f


def today():
    """The date the code under test takes as today (Oslo's, not the machine's UTC date), asked
    when a test runs, not when the module is imported: a run that crosses midnight still agrees."""
    return timezone.localdate()


def deliver(order, quantity, on=None):
    return packing_slip_post(
        order=order,
        lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
        actor=None,
        delivery_date=on or today(),
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the queued work as a commit would (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def delivered_order(make_order, customer, quantity="2", on=None):
    order = make_order(quantities=[quantity], customer=customer)
    return order, deliver(order, quantity, on)


@pytest.mark.django_db
def test_a_run_posts_one_invoice_per_customer_of_the_slips_up_to_its_date(
    make_order, accounts, committed
):
    first, second = f.CustomerFactory(), f.CustomerFactory()
    _, slip_a = delivered_order(make_order, first, on=today() - timedelta(days=3))
    _, slip_b = delivered_order(make_order, first, on=today() - timedelta(days=1))
    _, slip_c = delivered_order(make_order, second, on=today() - timedelta(days=2))
    _, later = delivered_order(make_order, second, on=today() + timedelta(days=5))

    with committed():
        run = invoice_run_create(up_to_date=today(), actor=None)

    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.DONE
    posted = {i.customer: i for i in Invoice.objects.filter(status=Invoice.Status.POSTED)}
    assert set(posted) == {first, second}
    assert {s.number for s in posted[first].packing_slips.all()} == {slip_a.number, slip_b.number}
    assert posted[first].lines.count() == 2 and posted[first].invoice_date == today()
    assert [s.number for s in posted[second].packing_slips.all()] == [slip_c.number]
    later.refresh_from_db()
    assert later.invoiced is False
    assert run_progress(run) == {
        "total": 2,
        "posted": 2,
        "failed": 0,
        "pending": 0,
        "percent": 100,
    }


@pytest.mark.django_db
def test_a_failing_customer_is_listed_with_its_reason_and_the_others_are_posted(
    make_order, accounts, committed
):
    good = f.CustomerFactory()
    broken = f.CustomerFactory(posting_profile=f.PostingProfileFactory(code="EXP", name="Export"))
    delivered_order(make_order, good)
    _, broken_slip = delivered_order(make_order, broken)

    with committed():
        run = invoice_run_create(up_to_date=today(), actor=None)

    rows = {row.customer: row for row in run.rows.all()}
    assert rows[good].status == InvoiceRunCustomer.Status.POSTED and rows[good].invoice
    assert rows[broken].status == InvoiceRunCustomer.Status.FAILED
    assert "no sales revenue account" in rows[broken].error
    assert not Invoice.objects.filter(customer=broken).exists()  # nothing half-written
    assert LedgerVoucher.objects.count() == 1
    broken_slip.refresh_from_db()
    assert broken_slip.invoiced is False
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.DONE


@pytest.mark.django_db
def test_running_a_run_again_posts_nothing_twice(make_order, accounts, committed):
    delivered_order(make_order, f.CustomerFactory())
    with committed():
        run = invoice_run_create(up_to_date=today(), actor=None)

    invoice_run_process(run.pk)
    invoice_run_process(run.pk)

    assert Invoice.objects.count() == 1
    assert run.rows.get().invoice.number == "INV000001"


@pytest.mark.django_db
def test_a_run_whose_task_was_lost_is_resumed_by_the_sweep(make_order, accounts, committed):
    delivered_order(make_order, f.CustomerFactory())
    with mock.patch.object(runs, "_queue"), committed():  # the broker lost the task
        run = invoice_run_create(up_to_date=today(), actor=None)
    assert run.rows.get().status == InvoiceRunCustomer.Status.PENDING

    resumed = resume_invoice_runs.delay().get()

    run.refresh_from_db()
    assert resumed == [run.pk]
    assert run.status == InvoiceRun.Status.DONE and run.rows.get().invoice.status == "posted"
    assert resume_invoice_runs.delay().get() == []


@pytest.mark.django_db
def test_a_run_with_nothing_to_invoice_is_refused_and_leaves_no_run(make_order, accounts):
    delivered_order(make_order, f.CustomerFactory(), on=today() + timedelta(days=1))

    with pytest.raises(ConflictError) as refused:
        invoice_run_create(up_to_date=today(), actor=None)

    assert refused.value.code == "nothing_to_invoice"
    assert not InvoiceRun.objects.exists()


@pytest.mark.django_db
def test_slips_already_on_a_draft_invoice_are_not_in_a_run(make_order, accounts):
    from invoicing.services.invoices import invoice_from_packing_slips

    customer = f.CustomerFactory()
    _, drafted = delivered_order(make_order, customer)
    invoice_from_packing_slips(packing_slips=[drafted], actor=None)

    assert not invoiceable_packing_slips(delivered_to=today()).exists()


@pytest.mark.django_db
def test_a_run_can_be_limited_to_a_customer_group(make_order, accounts, committed):
    wholesale = f.CustomerFactory(
        customer_group=f.CustomerGroupFactory(code="WHOLESALE", name="Wholesale")
    )
    retail = f.CustomerFactory()
    delivered_order(make_order, wholesale)
    delivered_order(make_order, retail)

    with committed():
        invoice_run_create(up_to_date=today(), actor=None, customer_group=retail.customer_group)

    assert list(Invoice.objects.values_list("customer", flat=True)) == [retail.pk]


@pytest.mark.django_db
def test_the_api_starts_a_run_and_starting_needs_the_posting_permission(
    api_as, make_order, accounts, committed
):
    delivered_order(make_order, f.CustomerFactory())
    body = {"up_to_date": today().isoformat()}

    refused = api_as("sales manager").post("/api/v1/invoice-runs/", body, format="json")
    with committed():
        started = api_as("accountant").post("/api/v1/invoice-runs/", body, format="json")
    empty = api_as("accountant").post("/api/v1/invoice-runs/", body, format="json")

    assert refused.status_code == 403
    assert started.status_code == 201, started.content
    run = api_as("sales manager").get(f"/api/v1/invoice-runs/{started.json()['id']}/").json()
    assert run["status"] == "done"
    assert run["progress"] == {"total": 1, "posted": 1, "failed": 0, "pending": 0, "percent": 100}
    assert run["rows"][0]["invoice_number"] == "INV000001"
    assert empty.status_code == 409 and empty.json()["code"] == "nothing_to_invoice"


@pytest.mark.django_db
def test_a_run_up_to_9999_12_31_answers_400_naming_the_date_and_starts_nothing(api_as):
    refused = api_as("accountant").post(
        "/api/v1/invoice-runs/", {"up_to_date": "9999-12-31"}, format="json"
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["up_to_date"]
    assert not InvoiceRun.objects.exists()


@pytest.mark.django_db
def test_the_run_pages_start_a_run_and_show_each_customers_result(
    client, user_in, make_order, accounts, committed
):
    customer = f.CustomerFactory()
    delivered_order(make_order, customer)
    client.force_login(user_in("accountant"))

    form = client.get("/invoicing/runs/new/")
    with committed():
        created = client.post(
            "/invoicing/runs/new/",
            {"up_to_date": today().isoformat(), "invoice_date": today().isoformat()},
        )
    run = InvoiceRun.objects.get()
    detail = client.get(created["Location"])
    progress = client.get(f"/invoicing/runs/{run.pk}/progress/")
    listing = client.get("/invoicing/runs/")

    assert form.status_code == 200
    assert created.status_code == 302 and created["Location"] == f"/invoicing/runs/{run.pk}/"
    assert 'data-status="posted"' in detail.content.decode()
    assert run.rows.get().invoice.number in detail.content.decode()
    assert progress.status_code == 286  # done: htmx stops polling
    assert listing.status_code == 200 and "100 %" in listing.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_run_post_each_customer_once_with_gapless_numbers(make_order, accounts):
    for _ in range(12):
        delivered_order(make_order, f.CustomerFactory(), quantity="1")
    with mock.patch.object(runs, "_queue"):  # the workers below do the work
        run = invoice_run_create(up_to_date=today(), actor=None)
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            invoice_run_process(run.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV{n:06d}" for n in range(1, 13)]
    assert run.rows.filter(status="posted").count() == 12
    run.refresh_from_db()
    assert run.status == InvoiceRun.Status.DONE


@pytest.mark.django_db
def test_slips_waiting_in_a_run_are_not_taken_by_another_run(make_order, accounts, committed):
    delivered_order(make_order, f.CustomerFactory())
    with mock.patch.object(runs, "_queue"):
        first = invoice_run_create(up_to_date=today(), actor=None)

    with pytest.raises(ConflictError) as refused:
        invoice_run_create(up_to_date=today(), actor=None)

    assert refused.value.code == "nothing_to_invoice"
    assert InvoiceRun.objects.get() == first
