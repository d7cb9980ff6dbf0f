"""The work queues the quotation and sales order lists filter by (`?queue=...`), from the same
selectors the role centre's cues count with (`orders.selectors.cues`)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesmkt.core.queues import Queue, queue_filter, with_filters

from .selectors import cues

QUOTATION_QUEUES = [
    Queue(
        "expiring",
        _("expiring within 7 days"),
        lambda qs: cues.quotations_expiring(qs, today=timezone.localdate()),
    ),
    Queue("awaiting_approval", _("awaiting approval"), cues.quotations_awaiting_approval),
]

SALES_ORDER_QUEUES = [
    Queue("to_confirm", _("to confirm"), cues.orders_to_confirm),
    Queue(
        "ship_today",
        _("to ship today"),
        lambda qs: cues.orders_to_ship_today(qs, today=timezone.localdate()),
    ),
    Queue("late", _("late"), lambda qs: cues.orders_late(qs, today=timezone.localdate())),
    Queue(
        "delivered_not_invoiced", _("delivered, not invoiced"), cues.orders_delivered_not_invoiced
    ),
    Queue("awaiting_approval", _("awaiting approval"), cues.orders_awaiting_approval),
]


def quotation_filterset(base):
    return with_filters(base, queue=queue_filter(QUOTATION_QUEUES))


def sales_order_filterset(base):
    return with_filters(base, queue=queue_filter(SALES_ORDER_QUEUES))
