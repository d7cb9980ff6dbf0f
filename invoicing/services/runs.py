"""Invoice runs: "post all invoiceable packing slips up to a date, one invoice per customer".

The run records one row per customer (and currency) with its packing slips before any work
starts. Workers claim rows one at a time (SKIP LOCKED) and post each row's invoice in the same
transaction that marks the row, so a row is posted exactly once however often the task runs; a
customer whose invoice fails keeps its reason on the row and the run goes on with the others.

A row's claim is its row lock, held by the live transaction: a worker that dies gives it up with
its connection, and one that stops answering inside the transaction (frozen) is cut off by
PostgreSQL after `INVOICE_RUN_ROW_LEASE`. The periodic sweep queues unfinished runs again.

A run reads what posting needs besides the documents (customers, tax codes, the company profile)
once, not per invoice; each customer's invoice is drafted and posted in one go, with one audit
event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import PackingSlip
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.transitions import lock, retry_on_conflict

from ..actions import INVOICE_RUN, PACKING_SLIP
from ..models import InvoiceRun, InvoiceRunCustomer
from ..selectors import invoiceable_packing_slips, run_progress
from . import invoices

log = logging.getLogger(__name__)


def invoice_run_create(
    *, up_to_date: date, actor, invoice_date: date | None = None, customer_group=None
) -> InvoiceRun:
    """Record a run and its rows (one per customer and currency), then queue the work. The
    slips of an order waiting for approval or rejected are left for a later run (the run's
    event names those orders); should an order go back to approval before its row is posted,
    the row fails with the reason. A slip is left out as `PACKING_SLIP`'s `invoice` action
    declares (its order not approved, or approved and not confirmed yet)."""
    with transaction.atomic():
        slips, held = [], set()
        for slip in (
            invoiceable_packing_slips(delivered_to=up_to_date, group=customer_group)
            .select_for_update(of=("self",))
            .prefetch_related(None)
        ):
            if PACKING_SLIP.refusal(slip, "invoice") is None:
                slips.append(slip)
            else:
                held.add(slip.order.number)
        if not slips:
            raise ConflictError(
                _("No packing slip up to %(date)s is waiting to be invoiced.")
                % {"date": up_to_date},
                code="nothing_to_invoice",
            )
        run = InvoiceRun.objects.create(
            up_to_date=up_to_date,
            invoice_date=invoice_date or timezone.localdate(),
            customer_group=customer_group,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        grouped: dict[tuple[int, int], list[PackingSlip]] = defaultdict(list)
        for slip in slips:
            grouped[(slip.order.customer_id, slip.order.currency_id)].append(slip)
        rows = InvoiceRunCustomer.objects.bulk_create(
            [
                InvoiceRunCustomer(run=run, customer_id=customer, currency_id=currency)
                for customer, currency in grouped
            ]
        )
        InvoiceRunCustomer.packing_slips.through.objects.bulk_create(
            [
                InvoiceRunCustomer.packing_slips.through(
                    invoiceruncustomer_id=row.pk, packingslip_id=slip.pk
                )
                for row, key in zip(rows, grouped, strict=True)
                for slip in grouped[key]
            ]
        )
        record_event(
            actor=actor,
            obj=run,
            action="created",
            data={
                "up_to": up_to_date,
                "customers": len(rows),
                "packing_slips": len(slips),
                "held_for_approval": sorted(held),
            },
        )
        transaction.on_commit(lambda: _queue(run.pk))
        return run


@retry_on_conflict
def invoice_run_resume(*, run: InvoiceRun, actor) -> InvoiceRun:
    """Queue an unfinished run again at once, rather than wait for the periodic sweep (a lost
    worker): its pending customers are posted, the others are left as they are. Refused as
    `INVOICE_RUN`'s `resume` action declares (a run that is done)."""
    with transaction.atomic():
        run = lock(run)
        INVOICE_RUN.refuse(run, "resume")
        record_event(actor=actor, obj=run, action="resumed", data=run_progress(run))
        transaction.on_commit(lambda: _queue(run.pk))
        return run


def _queue(run_id: int) -> None:
    from salesmkt.core.queueing import enqueue

    from ..tasks import process_invoice_run

    enqueue(process_invoice_run, run_id)


def _claim(run_id: int) -> InvoiceRunCustomer | None:
    return (
        InvoiceRunCustomer.objects.select_for_update(skip_locked=True)
        .filter(run_id=run_id, status=InvoiceRunCustomer.Status.PENDING)
        .order_by("id")
        .first()
    )


@contextmanager
def _row_lease():
    """While a worker runs: a transaction it leaves idle for `INVOICE_RUN_ROW_LEASE` (a frozen
    worker holding a row) is ended by PostgreSQL, which gives the row up. Set for the worker's
    session once, not for each row, and reset after."""
    if connection.vendor != "postgresql":
        yield
        return
    lease_ms = int(settings.INVOICE_RUN_ROW_LEASE.total_seconds() * 1000)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('idle_in_transaction_session_timeout', %s, false)",
            [f"{lease_ms}ms"],
        )
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET idle_in_transaction_session_timeout")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(getattr(exc, "message", "") or exc)


def _slips_by_row(run_id: int) -> dict[int, list[PackingSlip]]:
    """The packing slips of each pending row of the run (recorded when the run was made), read
    once for the run."""
    through = InvoiceRunCustomer.packing_slips.through
    slips: dict[int, list[PackingSlip]] = defaultdict(list)
    for row_id, slip_id in through.objects.filter(
        invoiceruncustomer__run_id=run_id,
        invoiceruncustomer__status=InvoiceRunCustomer.Status.PENDING,
    ).values_list("invoiceruncustomer_id", "packingslip_id"):
        slips[row_id].append(PackingSlip(pk=slip_id))
    return slips


def invoice_run_process(run_id: int) -> dict[str, int]:
    """Post the pending rows of a run, one customer per transaction. Safe to run twice and in
    parallel: rows are claimed with SKIP LOCKED and marked in the transaction that posts. What
    posting reads besides the documents (customers, tax codes, the company profile) and the
    rows' packing slips are read once for the run; each invoice writes one audit event."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == InvoiceRun.Status.QUEUED:
        InvoiceRun.objects.filter(pk=run_id, status=InvoiceRun.Status.QUEUED).update(
            status=InvoiceRun.Status.RUNNING
        )
    actor = run.created_by
    slips = _slips_by_row(run_id)
    lookups = invoices.posting_lookups(
        customer_ids=run.rows.filter(status=InvoiceRunCustomer.Status.PENDING).values_list(
            "customer_id", flat=True
        )
    )
    with _row_lease():
        while True:
            with transaction.atomic():
                row = _claim(run_id)
                if row is None:
                    break
                try:
                    with transaction.atomic():
                        invoice = invoices.invoice_post_packing_slips(
                            packing_slips=slips.get(row.pk) or list(row.packing_slips.all()),
                            actor=actor,
                            invoice_date=run.invoice_date,
                            lookups=lookups,
                            event_data={"invoice_run": run.pk},
                        )
                    row.status, row.invoice, row.error = (
                        InvoiceRunCustomer.Status.POSTED,
                        invoice,
                        "",
                    )
                except (DomainError, ValidationError, DatabaseError) as exc:
                    log.warning(
                        "invoice run %s: customer %s failed: %s", run_id, row.customer_id, exc
                    )
                    row.status, row.error = InvoiceRunCustomer.Status.FAILED, _reason(exc)[:500]
                row.save(update_fields=["status", "invoice", "error"])
    _finish(run_id)
    return run_progress(InvoiceRun.objects.get(pk=run_id))


def _finish(run_id: int) -> None:
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().get(pk=run_id)
        if run.status == InvoiceRun.Status.DONE:
            return
        if run.rows.filter(status=InvoiceRunCustomer.Status.PENDING).exists():
            return  # another worker still holds a row; it finishes the run
        run.status, run.finished_at = InvoiceRun.Status.DONE, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        record_event(actor=None, obj=run, action="finished", data=run_progress(run))


def unfinished_runs() -> list[int]:
    """Runs not done: the periodic sweep queues them again, so a lost task resumes (a run
    being worked on meanwhile is not harmed: rows are claimed with SKIP LOCKED)."""
    return list(
        InvoiceRun.objects.exclude(status=InvoiceRun.Status.DONE).values_list("pk", flat=True)
    )
