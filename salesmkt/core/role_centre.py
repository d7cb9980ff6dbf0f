"""The role centre: the start page of each role (`salesmkt.core.roles`) as work queues ("cues":
a count, an amount where there is one, and the filtered list it opens) and the few charts that
matter to the role.

Each cue counts with one query from its app's cue selectors (`orders.selectors.cues`,
`invoicing.cues`, `crm.cues`); the list it opens filters with the same selector (`?queue=...`),
so the list shows exactly the records counted. A user in several groups sees the cues of each of
their roles (a cue once); a superuser sees every role's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, When
from django.db.models.functions import ExtractDay
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm import cues as crm_cues
from invoicing import cues as invoicing_cues
from orders.selectors import cues as order_cues

from .money import round_money

SALES_CLERK, SALES_MANAGER, MARKETING, ACCOUNTANT = (
    "sales clerk",
    "sales manager",
    "marketing",
    "accountant",
)
ROLE_LABELS = {
    SALES_CLERK: _("Sales clerk"),
    SALES_MANAGER: _("Sales manager"),
    MARKETING: _("Marketing"),
    ACCOUNTANT: _("Accountant"),
}


@dataclass(frozen=True)
class Amount:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Cue:
    key: str
    label: str
    icon: str
    count: int
    url: str
    amounts: list[Amount] = field(default_factory=list)
    urgent: bool = False  # shown in red when there is something in it


Records = Callable[[Any, date], QuerySet]


@dataclass(frozen=True)
class CueDefinition:
    key: str
    label: Any  # lazy translation
    icon: str
    permission: str  # the view permission of the list it opens
    url_name: str
    params: dict[str, str]
    records: Records  # (user, today) -> the queue's records, as the list filters them
    urgent: bool = False
    amount: str = ""  # the field summed as the queue's amount (with `currency`), if any
    currency: str = "currency__code"

    def evaluate(self, user, today: date) -> Cue:
        records = self.records(user, today)
        if self.amount:
            count, amounts = counted_with_amounts(
                records, amount=self.amount, currency=self.currency
            )
        else:
            count, amounts = records.count(), []
        return Cue(
            key=self.key,
            label=str(self.label),
            icon=self.icon,
            count=count,
            amounts=amounts,
            url=f"{reverse(self.url_name)}?{urlencode(self.params)}",
            urgent=self.urgent,
        )


def counted_with_amounts(
    queryset: QuerySet, *, amount: str, currency: str
) -> tuple[int, list[Amount]]:
    """The count and the amount per currency, in one query (amounts in different currencies
    are never added together)."""
    rows = (
        queryset.order_by()
        .values(code=F(currency))
        .annotate(records=Count("pk"), total=Sum(amount))
        .order_by("code")
    )
    rows = list(rows)
    return (
        sum(row["records"] for row in rows),
        [Amount(row["code"], round_money(row["total"] or Decimal(0))) for row in rows],
    )


CUES: dict[str, CueDefinition] = {
    cue.key: cue
    for cue in [
        CueDefinition(
            "quotations_expiring",
            _("Quotations expiring this week"),
            "bi-hourglass-split",
            "orders.view_salesquotation",
            "orders:quotations-list",
            {"queue": "expiring"},
            lambda user, today: order_cues.quotations_expiring(today=today),
        ),
        CueDefinition(
            "orders_to_confirm",
            _("Orders to confirm"),
            "bi-check2-circle",
            "orders.view_salesorder",
            "orders:sales-orders-list",
            {"queue": "to_confirm"},
            lambda user, today: order_cues.orders_to_confirm(),
        ),
        CueDefinition(
            "orders_ship_today",
            _("Orders to ship today"),
            "bi-truck",
            "orders.view_salesorder",
            "orders:sales-orders-list",
            {"queue": "ship_today"},
            lambda user, today: order_cues.orders_to_ship_today(today=today),
        ),
        CueDefinition(
            "orders_late",
            _("Late orders"),
            "bi-alarm",
            "orders.view_salesorder",
            "orders:sales-orders-list",
            {"queue": "late"},
            lambda user, today: order_cues.orders_late(today=today),
            urgent=True,
        ),
        CueDefinition(
            "orders_delivered_not_invoiced",
            _("Delivered, not invoiced"),
            "bi-box-arrow-right",
            "orders.view_salesorder",
            "orders:sales-orders-list",
            {"queue": "delivered_not_invoiced"},
            lambda user, today: order_cues.orders_delivered_not_invoiced(),
        ),
        CueDefinition(
            "quotations_awaiting_approval",
            _("Quotations awaiting approval"),
            "bi-hand-thumbs-up",
            "orders.view_salesquotation",
            "orders:quotations-list",
            {"queue": "awaiting_approval"},
            lambda user, today: order_cues.quotations_awaiting_approval(),
            urgent=True,
        ),
        CueDefinition(
            "orders_awaiting_approval",
            _("Orders awaiting approval"),
            "bi-hand-thumbs-up",
            "orders.view_salesorder",
            "orders:sales-orders-list",
            {"queue": "awaiting_approval"},
            lambda user, today: order_cues.orders_awaiting_approval(),
            urgent=True,
        ),
        CueDefinition(
            "invoices_to_post",
            _("Invoices to post"),
            "bi-journal-check",
            "invoicing.view_invoice",
            "invoicing:invoices-list",
            {"queue": "to_post"},
            lambda user, today: invoicing_cues.invoices_to_post(),
        ),
        CueDefinition(
            "invoices_overdue",
            _("Overdue invoices"),
            "bi-exclamation-triangle",
            "invoicing.view_invoice",
            "invoicing:invoices-list",
            {"queue": "overdue"},
            lambda user, today: invoicing_cues.invoices_overdue(today=today),
            urgent=True,
            amount="open_item__remaining",
        ),
        CueDefinition(
            "payments_unapplied",
            _("Unapplied payments"),
            "bi-cash-coin",
            "invoicing.view_payment",
            "invoicing:payments-list",
            {"queue": "unapplied"},
            lambda user, today: invoicing_cues.payments_unapplied(),
            amount="unapplied",
        ),
        CueDefinition(
            "campaigns_running",
            _("Campaigns running"),
            "bi-megaphone",
            "crm.view_campaign",
            "crm:campaigns-list",
            {"status": "active"},
            lambda user, today: crm_cues.campaigns_running(),
        ),
        CueDefinition(
            "leads_to_qualify",
            _("Leads to qualify"),
            "bi-funnel",
            "crm.view_lead",
            "crm:leads-list",
            {"status": "open"},
            lambda user, today: crm_cues.leads_to_qualify(),
        ),
        CueDefinition(
            "my_activities_due",
            _("My activities due"),
            "bi-calendar-check",
            "crm.view_activity",
            "crm:activities-list",
            {"mine": "1", "queue": "due"},
            lambda user, today: crm_cues.my_activities_due(user, today=today),
        ),
    ]
}

ROLE_CUES: dict[str, list[str]] = {
    SALES_CLERK: [
        "quotations_expiring",
        "orders_to_confirm",
        "orders_ship_today",
        "orders_late",
        "orders_delivered_not_invoiced",
        "my_activities_due",
    ],
    SALES_MANAGER: [
        "quotations_awaiting_approval",
        "orders_awaiting_approval",
        "orders_late",
        "orders_delivered_not_invoiced",
        "my_activities_due",
    ],
    MARKETING: ["campaigns_running", "leads_to_qualify", "my_activities_due"],
    ACCOUNTANT: [
        "invoices_to_post",
        "invoices_overdue",
        "payments_unapplied",
        "orders_delivered_not_invoiced",
    ],
}

ROLE_CHARTS: dict[str, list[str]] = {
    SALES_CLERK: ["sales_by_day"],
    SALES_MANAGER: ["sales_by_day", "top_customers"],
    MARKETING: [],
    ACCOUNTANT: ["overdue_by_bucket", "sales_by_day"],
}


def user_roles(user) -> list[str]:
    """The user's roles in the order of `ROLE_CUES`; a superuser has them all."""
    if user.is_superuser:
        return list(ROLE_CUES)
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in ROLE_CUES if role in names]


def role_sections(user, roles: list[str] | None = None) -> list[dict[str, Any]]:
    """[{role, label, cues}] for each of the user's roles with a cue to show; a cue shown for
    an earlier role is not repeated, a cue on a list the user may not open is left out."""
    today = timezone.localdate()
    roles = user_roles(user) if roles is None else roles
    seen: set[str] = set()
    sections = []
    for role in roles:
        cues = []
        for key in ROLE_CUES[role]:
            definition = CUES[key]
            if key in seen or not user.has_perm(definition.permission):
                continue
            seen.add(key)
            cues.append(definition.evaluate(user, today))
        if cues:
            sections.append({"role": role, "label": ROLE_LABELS[role], "cues": cues})
    return sections


def user_cues(user) -> list[Cue]:
    return [cue for section in role_sections(user) for cue in section["cues"]]


# --- charts ---------------------------------------------------------------------------------------


def accounting_currency() -> str:
    from salesmkt.finance.models import CompanyProfile

    return (
        CompanyProfile.objects.values_list("accounting_currency", flat=True).first()
        or CompanyProfile._meta.get_field("accounting_currency").default
    )


def _posted_sales(currency: str):
    """Posted invoices in the accounting currency, with `signed_net`: credit notes negative."""
    from invoicing.models import Invoice

    signed = Case(
        When(kind=Invoice.Kind.CREDIT_NOTE, then=-F("net_amount")),
        default=F("net_amount"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    return (
        Invoice.objects.filter(status=Invoice.Status.POSTED, currency__code=currency)
        .exclude(kind=Invoice.Kind.PRO_FORMA)
        .annotate(signed_net=signed)
    )


def sales_by_day(today: date, currency: str) -> dict[str, Any]:
    """Net sales of this month against last month, added up day by day (one query)."""
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    rows = (
        _posted_sales(currency)
        .filter(invoice_date__gte=last_month, invoice_date__lte=today)
        .annotate(day=ExtractDay("invoice_date"))
        .values("day")
        .annotate(
            this=Sum("signed_net", filter=Q(invoice_date__gte=this_month)),
            last=Sum("signed_net", filter=Q(invoice_date__lt=this_month)),
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    days_last_month = (this_month - last_month).days

    def running(column: str, last_day: int) -> list[str]:
        total, values = Decimal(0), []
        for day in range(1, last_day + 1):
            total += (by_day.get(day) or {}).get(column) or Decimal(0)
            values.append(str(round_money(total)))
        return values

    return {
        "labels": [str(day) for day in range(1, max(days_last_month, today.day) + 1)],
        "datasets": [
            {"label": str(_("This month")), "values": running("this", today.day)},
            {"label": str(_("Last month")), "values": running("last", days_last_month)},
        ],
    }


TOP_CUSTOMERS = 5


def top_customers(today: date, currency: str) -> dict[str, Any]:
    """The customers with the most net sales this year (one query)."""
    rows = (
        _posted_sales(currency)
        .filter(invoice_date__gte=today.replace(month=1, day=1), invoice_date__lte=today)
        .values("customer__party__name")
        .annotate(total=Sum("signed_net"))
        .order_by("-total", "customer__party__name")[:TOP_CUSTOMERS]
    )
    return {
        "labels": [row["customer__party__name"] for row in rows],
        "values": [str(round_money(row["total"])) for row in rows],
    }


OVERDUE_BUCKETS = [
    (_("1-30 days"), 1, 30),
    (_("31-60 days"), 31, 60),
    (_("61-90 days"), 61, 90),
    (_("over 90 days"), 91, None),
]


def overdue_by_bucket(today: date, currency: str) -> dict[str, Any]:
    """The open amounts of posted invoices by days past due (one query)."""
    from invoicing.models import CustomerTransaction

    sums = {}
    for index, (_label, low, high) in enumerate(OVERDUE_BUCKETS):
        condition = Q(due_date__lte=today - timedelta(days=low))
        if high is not None:
            condition &= Q(due_date__gte=today - timedelta(days=high))
        sums[f"bucket{index}"] = Sum("remaining", filter=condition)
    totals = CustomerTransaction.objects.filter(remaining__gt=0, currency__code=currency).aggregate(
        **sums
    )
    return {
        "labels": [str(label) for label, _low, _high in OVERDUE_BUCKETS],
        "values": [
            str(round_money(totals[f"bucket{index}"] or Decimal(0)))
            for index in range(len(OVERDUE_BUCKETS))
        ],
    }


@dataclass(frozen=True)
class ChartDefinition:
    key: str
    title: Any  # lazy, with %(currency)s
    chart_type: str
    permission: str
    build: Callable[[date, str], dict[str, Any]]


CHARTS = {
    chart.key: chart
    for chart in [
        ChartDefinition(
            "sales_by_day",
            _("Net sales this month against last month (%(currency)s)"),
            "line",
            "invoicing.view_invoice",
            sales_by_day,
        ),
        ChartDefinition(
            "top_customers",
            _("Top customers by net sales this year (%(currency)s)"),
            "bar",
            "invoicing.view_invoice",
            top_customers,
        ),
        ChartDefinition(
            "overdue_by_bucket",
            _("Overdue by days past due (%(currency)s)"),
            "bar",
            "invoicing.view_customertransaction",
            overdue_by_bucket,
        ),
    ]
}


def role_charts(user, roles: list[str] | None = None) -> list[dict[str, Any]]:
    """[{key, title, type, data}] of the charts of the user's roles (each once)."""
    roles = user_roles(user) if roles is None else roles
    keys = []
    for role in roles:
        keys += [key for key in ROLE_CHARTS[role] if key not in keys]
    keys = [key for key in keys if user.has_perm(CHARTS[key].permission)]
    if not keys:
        return []
    today, currency = timezone.localdate(), accounting_currency()
    return [
        {
            "key": key,
            "data_id": f"data-{key}",
            "title": CHARTS[key].title % {"currency": currency},
            "type": CHARTS[key].chart_type,
            "data": CHARTS[key].build(today, currency),
        }
        for key in keys
    ]


def recent_events(user, limit: int = 10):
    """The latest audit events of the kinds of records the user may view."""
    from .models import AuditEvent

    events = AuditEvent.objects.select_related("actor", "content_type")
    if not user.is_superuser:
        viewable = Q(pk__in=[])
        for permission in user.get_all_permissions():
            app_label, codename = permission.split(".", 1)
            if codename.startswith("view_"):
                viewable |= Q(
                    content_type__app_label=app_label,
                    content_type__model=codename.removeprefix("view_"),
                )
        events = events.filter(viewable)
    return list(events[:limit])
