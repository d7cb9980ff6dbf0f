"""The work queues of invoices and payments, as the role centre counts them and as the lists
filter by them (`?queue=...`): one definition each, so that a cue's count and the list it opens
always agree. (`invoicing.selectors` is a module; these live beside it.)"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesmkt.core.queues import Queue, queue_filter, with_filters

from .models import Invoice, Payment


def _invoices(queryset: QuerySet[Invoice] | None) -> QuerySet[Invoice]:
    return Invoice.objects.all() if queryset is None else queryset


def invoices_to_post(queryset: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Draft invoices and credit notes waiting to be posted (a pro forma is never posted)."""
    return (
        _invoices(queryset).filter(status=Invoice.Status.DRAFT).exclude(kind=Invoice.Kind.PRO_FORMA)
    )


def invoices_overdue(
    queryset: QuerySet[Invoice] | None = None, *, today: date
) -> QuerySet[Invoice]:
    """Posted invoices with an amount still open after their due date."""
    return _invoices(queryset).filter(
        status=Invoice.Status.POSTED,
        open_item__remaining__gt=0,
        open_item__due_date__lt=today,
    )


def payments_unapplied(queryset: QuerySet[Payment] | None = None) -> QuerySet[Payment]:
    """Registered payments with an amount not applied to any invoice yet."""
    return (Payment.objects.all() if queryset is None else queryset).filter(unapplied__gt=0)


INVOICE_QUEUES = [
    Queue("to_post", _("to post"), invoices_to_post),
    Queue("overdue", _("overdue"), lambda qs: invoices_overdue(qs, today=timezone.localdate())),
]

PAYMENT_QUEUES = [Queue("unapplied", _("not fully applied"), payments_unapplied)]


def invoice_filterset(base):
    return with_filters(base, queue=queue_filter(INVOICE_QUEUES))


def payment_filterset(base):
    return with_filters(base, queue=queue_filter(PAYMENT_QUEUES))
