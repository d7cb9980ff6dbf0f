"""Read-only queries of invoicing that more than one page or service asks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from crm.models import Customer
from orders.models import PackingSlip, PackingSlipLine, SalesOrder
from orders.services.approval import UNAPPROVED

from .models import Invoice, InvoiceLine, InvoiceRun, InvoiceRunCustomer


def drafted_quantities(order_line_ids) -> dict[int, Decimal]:
    """What draft invoices (not pro formas) already hold of these order lines, so that nothing
    is invoiced twice."""
    held: dict[int, Decimal] = defaultdict(Decimal)
    for order_line_id, quantity in (
        InvoiceLine.objects.filter(
            order_line_id__in=order_line_ids, invoice__status=Invoice.Status.DRAFT
        )
        .exclude(invoice__kind=Invoice.Kind.PRO_FORMA)
        .values_list("order_line_id", "quantity")
    ):
        held[order_line_id] += quantity
    return held


def _on_a_draft():
    return Invoice.packing_slips.through.objects.filter(
        packingslip_id=OuterRef("pk"), invoice__status=Invoice.Status.DRAFT
    )


def with_draft_flag(slips: QuerySet[PackingSlip]) -> QuerySet[PackingSlip]:
    """The slips with `on_draft_invoice`: whether a draft invoice holds them (what the packing
    slip's `invoice` action asks, without a query per slip)."""
    return slips.annotate(on_draft_invoice=Exists(_on_a_draft()))


def packing_slips_on_drafts(slip_ids) -> set[int]:
    """Which of these packing slips a draft invoice holds."""
    return set(
        Invoice.packing_slips.through.objects.filter(
            packingslip_id__in=slip_ids, invoice__status=Invoice.Status.DRAFT
        ).values_list("packingslip_id", flat=True)
    )


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
    in_a_run = InvoiceRunCustomer.packing_slips.through.objects.filter(
        packingslip_id=OuterRef("pk"), invoiceruncustomer__status=InvoiceRunCustomer.Status.PENDING
    )
    slips = (
        with_draft_flag(PackingSlip.objects.filter(invoiced=False))
        .exclude(order__order_type=SalesOrder.OrderType.RETURNED)
        .exclude(order__status=SalesOrder.Status.CANCELED)
        .filter(on_draft_invoice=False)
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


class SalesInvoiceLookup:
    """What orders ask of posted invoices to tie a return to the sale
    (`orders.services.returns.InvoiceLookup`); registered when invoicing starts."""

    SOLD_ON = (Invoice.Kind.CUSTOMER, Invoice.Kind.FREE_TEXT)

    def _sold_on(self) -> QuerySet[Invoice]:
        return Invoice.objects.filter(status=Invoice.Status.POSTED, kind__in=self.SOLD_ON)

    def invoiced_line(self, pk: int):
        from orders.services.returns import InvoicedLine

        line = (
            InvoiceLine.objects.filter(pk=pk, invoice__in=self._sold_on())
            .values("order_line_id", "invoice__number")
            .first()
        )
        if line is None:
            return None
        return InvoicedLine(
            order_line_id=line["order_line_id"], invoice_number=line["invoice__number"]
        )

    def invoiced_lines(self, pks: list[int]) -> dict:
        from orders.services.returns import InvoicedLine

        return {
            line["pk"]: InvoicedLine(
                order_line_id=line["order_line_id"], invoice_number=line["invoice__number"]
            )
            for line in InvoiceLine.objects.filter(pk__in=pks, invoice__in=self._sold_on()).values(
                "pk", "order_line_id", "invoice__number"
            )
        }

    def invoice_exists(self, *, number: str, customer_id: int) -> bool:
        return self._sold_on().filter(number=number, customer_id=customer_id).exists()

    def sold_lines_by_item(self, *, number: str, customer_id: int) -> dict[int, list[int]]:
        item_lines: dict[int, list[int]] = {}
        for item_id, order_line_id in (
            InvoiceLine.objects.filter(
                invoice__in=self._sold_on().filter(number=number, customer_id=customer_id),
                order_line__isnull=False,
            )
            .order_by("order_line_id")
            .values_list("order_line__item_id", "order_line_id")
            .distinct()
        ):
            item_lines.setdefault(item_id, []).append(order_line_id)
        return item_lines

    def last_invoice_numbers(self, order_line_ids: list[int]) -> dict[int, str]:
        numbers: dict[int, str] = {}
        for order_line_id, number in (
            InvoiceLine.objects.filter(
                order_line_id__in=order_line_ids, invoice__in=self._sold_on()
            )
            .order_by("order_line_id", "-invoice__posted_at", "-invoice_id")
            .values_list("order_line_id", "invoice__number")
        ):
            numbers.setdefault(order_line_id, number)
        return numbers


def invoices_sold_on(credit_note: Invoice) -> list[Invoice]:
    """The posted invoices a return's credit note credits the goods of: the one its return
    names first, then those that invoiced the lines the return takes back, oldest first. Of the
    credit note's customer and currency; none for another kind of document."""
    order = credit_note.sales_order
    if order is None or not order.is_return:
        return []
    sold = Invoice.objects.filter(
        status=Invoice.Status.POSTED,
        kind__in=SalesInvoiceLookup.SOLD_ON,
        customer_id=credit_note.customer_id,
        currency_id=credit_note.currency_id,
    )
    returned_lines = credit_note.lines.filter(order_line__returned_line__isnull=False).values(
        "order_line__returned_line"
    )
    wanted = Q(lines__order_line__in=returned_lines)
    if order.original_invoice_number:
        wanted |= Q(number=order.original_invoice_number)
    invoices = list(sold.filter(wanted).distinct().order_by("invoice_date", "pk"))
    # sorted() keeps the order of equal keys: the named invoice first, the others oldest first
    return sorted(invoices, key=lambda invoice: invoice.number != order.original_invoice_number)
