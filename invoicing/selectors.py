"""Read-only queries of invoicing that more than one page or service asks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from crm.models import Customer
from orders.models import PackingSlip, PackingSlipLine, SalesOrder
from orders.services.approval import UNAPPROVED

from .models import Invoice, InvoiceRun, InvoiceRunCustomer


def invoiceable_packing_slips(
    *,
    customer: Customer | None = None,
    group=None,
    delivered_from: date | None = None,
    delivered_to: date | None = None,
    search: str = "",
    approved_only: bool = False,
) -> QuerySet[PackingSlip]:
    """Posted packing slips waiting for an invoice: not invoiced (invoicing an order as a whole
    marks the slips it covers), on no draft invoice, not waiting in an invoice run, of an order
    that is neither a return nor canceled. Each slip comes with its lines and order lines
    prefetched, so `packing_slip_net_amount` asks nothing more. `approved_only` leaves out the
    slips of orders waiting for approval or rejected (invoicing them is refused)."""
    on_draft = Invoice.packing_slips.through.objects.filter(
        packingslip_id=OuterRef("pk"), invoice__status=Invoice.Status.DRAFT
    )
    in_a_run = InvoiceRunCustomer.packing_slips.through.objects.filter(
        packingslip_id=OuterRef("pk"), invoiceruncustomer__status=InvoiceRunCustomer.Status.PENDING
    )
    slips = (
        PackingSlip.objects.filter(invoiced=False)
        .exclude(order__order_type=SalesOrder.OrderType.RETURNED)
        .exclude(order__status=SalesOrder.Status.CANCELED)
        .exclude(Exists(on_draft))
        .exclude(Exists(in_a_run))
        .select_related("order__customer__party", "order__currency")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PackingSlipLine.objects.select_related("order_line").order_by(
                    "order_line__line_number"
                ),
            )
        )
        .order_by("order__customer__party__name", "order__customer_id", "delivery_date", "pk")
    )
    if approved_only:
        slips = slips.exclude(order__approval_status__in=UNAPPROVED)
    if group is not None:
        slips = slips.filter(order__customer__customer_group=group)
    if customer is not None:
        slips = slips.filter(order__customer=customer)
    if delivered_from is not None:
        slips = slips.filter(delivery_date__gte=delivered_from)
    if delivered_to is not None:
        slips = slips.filter(delivery_date__lte=delivered_to)
    if search:
        slips = slips.filter(
            Q(number__icontains=search)
            | Q(order__number__icontains=search)
            | Q(order__customer__party__name__icontains=search)
            | Q(order__customer__account_number__icontains=search)
        )
    return slips


def packing_slip_net_amount(slip: PackingSlip) -> Decimal:
    """What the slip's lines come to at their order lines' prices and discounts, before tax:
    the amount an invoice of the slip has (each line by the one line-amount rule)."""
    return sum(
        (line.order_line.net_amount_of(line.quantity) for line in slip.lines.all()),
        Decimal(0),
    )


def _progress(*, posted: int, failed: int, pending: int) -> dict[str, int]:
    total = posted + failed + pending
    return {
        "total": total,
        "posted": posted,
        "failed": failed,
        "pending": pending,
        "percent": round(100 * (total - pending) / total) if total else 100,
    }


def runs_with_progress(queryset: QuerySet[InvoiceRun]) -> QuerySet[InvoiceRun]:
    """Invoice runs with their rows counted by status, for a page of runs in one query."""
    status = InvoiceRunCustomer.Status
    return queryset.annotate(
        rows_posted=Count("rows", filter=Q(rows__status=status.POSTED)),
        rows_failed=Count("rows", filter=Q(rows__status=status.FAILED)),
        rows_pending=Count("rows", filter=Q(rows__status=status.PENDING)),
    )


def run_progress(run: InvoiceRun) -> dict[str, int]:
    """A run's customers posted, failed and pending, and the percent done: from the
    annotations of `runs_with_progress` when present, else counted."""
    if hasattr(run, "rows_pending"):
        return _progress(posted=run.rows_posted, failed=run.rows_failed, pending=run.rows_pending)
    counts = dict(run.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    status = InvoiceRunCustomer.Status
    return _progress(
        posted=counts.get(status.POSTED, 0),
        failed=counts.get(status.FAILED, 0),
        pending=counts.get(status.PENDING, 0),
    )
