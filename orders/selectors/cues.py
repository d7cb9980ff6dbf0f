"""The work queues of quotations and sales orders, as the role centre counts them and as the
lists filter by them (`orders.list_filters`): one definition each, so that a cue's count and the
list it opens always agree. Each takes the queryset to narrow (the list's, or all records)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce

from ..models import PackingSlip, SalesOrder, SalesOrderLine, SalesQuotation
from ..services.approval import PENDING, UNAPPROVED

# How far ahead "expiring this week" looks: today and the six days after it.
EXPIRY_HORIZON_DAYS = 6

OPEN_QUOTATION = (SalesQuotation.Status.CREATED, SalesQuotation.Status.SENT)
# Orders that ship goods: a journal is a draft, a return brings goods back.
NOT_SHIPPING = (SalesOrder.OrderType.JOURNAL, SalesOrder.OrderType.RETURNED)


def _quotations(queryset: QuerySet[SalesQuotation] | None) -> QuerySet[SalesQuotation]:
    return SalesQuotation.objects.all() if queryset is None else queryset


def _orders(queryset: QuerySet[SalesOrder] | None) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.all() if queryset is None else queryset


def quotations_expiring(
    queryset: QuerySet[SalesQuotation] | None = None, *, today: date
) -> QuerySet[SalesQuotation]:
    """Open quotations (created or sent) whose expiry date is today or within the week."""
    return _quotations(queryset).filter(
        status__in=OPEN_QUOTATION,
        expiry_date__gte=today,
        expiry_date__lte=today + timedelta(days=EXPIRY_HORIZON_DAYS),
    )


def quotations_awaiting_approval(
    queryset: QuerySet[SalesQuotation] | None = None,
) -> QuerySet[SalesQuotation]:
    """Open quotations a sales manager has to approve or reject."""
    return _quotations(queryset).filter(approval_status=PENDING, status__in=OPEN_QUOTATION)


def orders_awaiting_approval(queryset: QuerySet[SalesOrder] | None = None) -> QuerySet[SalesOrder]:
    """Open sales orders a sales manager has to approve or reject."""
    return _orders(queryset).filter(approval_status=PENDING, status=SalesOrder.Status.OPEN)


def orders_to_confirm(queryset: QuerySet[SalesOrder] | None = None) -> QuerySet[SalesOrder]:
    """Open orders not confirmed to the customer yet that may be confirmed now: neither a
    journal nor a return, and not waiting for (or refused) a manager's approval."""
    return (
        _orders(queryset)
        .filter(status=SalesOrder.Status.OPEN, confirmed_at__isnull=True)
        .exclude(order_type__in=NOT_SHIPPING)
        .exclude(approval_status__in=UNAPPROVED)
    )


def _with_ship_date(queryset: QuerySet[SalesOrder]) -> QuerySet[SalesOrder]:
    """Open shipping orders with something left to deliver, with `ship_date`: the confirmed
    ship date, else the requested one."""
    remainder = SalesOrderLine.objects.filter(
        order=OuterRef("pk"), status=SalesOrderLine.Status.OPEN, deliver_remainder__gt=0
    )
    return (
        queryset.filter(status=SalesOrder.Status.OPEN)
        .exclude(order_type__in=NOT_SHIPPING)
        .filter(Exists(remainder))
        .annotate(ship_date=Coalesce("confirmed_ship_date", "requested_ship_date"))
    )


def orders_to_ship_today(
    queryset: QuerySet[SalesOrder] | None = None, *, today: date
) -> QuerySet[SalesOrder]:
    """Orders with goods left to deliver whose ship date is today."""
    return _with_ship_date(_orders(queryset)).filter(ship_date=today)


def orders_late(
    queryset: QuerySet[SalesOrder] | None = None, *, today: date
) -> QuerySet[SalesOrder]:
    """Orders with goods left to deliver whose ship date has passed."""
    return _with_ship_date(_orders(queryset)).filter(ship_date__lt=today)


def orders_delivered_not_invoiced(
    queryset: QuerySet[SalesOrder] | None = None,
) -> QuerySet[SalesOrder]:
    """Orders with a posted packing slip that no posted invoice covers yet (returns are
    credited, not invoiced)."""
    uninvoiced = PackingSlip.objects.filter(order=OuterRef("pk"), invoiced=False)
    return (
        _orders(queryset)
        .exclude(order_type=SalesOrder.OrderType.RETURNED)
        .exclude(status=SalesOrder.Status.CANCELED)
        .filter(Exists(uninvoiced))
    )
