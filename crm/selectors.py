"""Read queries. Joins are kept to what each reader shows: a join more costs PostgreSQL more
planning time than the rows themselves on a page of 50."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from salesmkt.core.money import round_money

from .models import Activity, Customer, Opportunity, Party, SalesStage, Vendor

PIPELINE_CARDS_PER_STAGE = 50


def party_list() -> QuerySet[Party]:
    return Party.objects.select_related("customer", "vendor").prefetch_related(
        "addresses", "contacts"
    )


def customer_list() -> QuerySet[Customer]:
    """Customers with their party, its addresses and contacts (the API's shape)."""
    return Customer.objects.select_related("party", "party__vendor").prefetch_related(
        "party__addresses", "party__contacts"
    )


def customer_overview() -> QuerySet[Customer]:
    """What the clerk's customer list shows: name, group, city, currency."""
    return Customer.objects.select_related("party", "customer_group", "currency").prefetch_related(
        "party__addresses"
    )


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.select_related("party", "party__customer").prefetch_related(
        "party__addresses", "party__contacts"
    )


def vendor_overview() -> QuerySet[Vendor]:
    return Vendor.objects.select_related("party", "currency", "payment_terms")


# --- pipeline ---------------------------------------------------------------------------------
def pipeline_board(*, cards_per_stage: int = PIPELINE_CARDS_PER_STAGE) -> list[dict]:
    """The open opportunities by sales stage: each stage's count, estimated revenue and weighted
    revenue (revenue x probability) over all its opportunities, and its first cards (soonest
    to close first). Active stages, and an inactive one while open opportunities are in it.
    Three queries, however many stages and cards."""
    open_ = Opportunity.objects.filter(status=Opportunity.Status.OPEN)
    weighted = ExpressionWrapper(
        F("estimated_revenue") * F("probability") / Decimal(100),
        output_field=DecimalField(max_digits=30, decimal_places=6),
    )
    sums = {
        row["stage"]: row
        for row in open_.values("stage").annotate(
            count=Count("id"),
            revenue=Coalesce(Sum("estimated_revenue"), Decimal(0)),
            weighted=Coalesce(Sum(weighted), Decimal(0)),
        )
    }
    stages = list(
        SalesStage.objects.filter(Q(active=True) | Q(pk__in=[k for k in sums if k])).order_by(
            "sequence", "id"
        )
    )
    cards: dict[int | None, list[Opportunity]] = {}
    ranked = open_.select_related("party", "owner", "currency").order_by(
        "stage", F("expected_close_date").asc(nulls_last=True), "-estimated_revenue", "id"
    )
    # the first cards of every stage in one query: numbered within their stage
    ranked = ranked.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("stage")],
            order_by=[
                F("expected_close_date").asc(nulls_last=True),
                F("estimated_revenue").desc(),
                F("id").asc(),
            ],
        )
    ).filter(rank__lte=cards_per_stage)
    for opportunity in ranked:
        cards.setdefault(opportunity.stage_id, []).append(opportunity)
    columns = []
    for stage in stages:
        row = sums.get(stage.pk, {})
        columns.append(
            {
                "stage": stage,
                "cards": cards.get(stage.pk, []),
                "count": row.get("count", 0),
                "revenue": round_money(row.get("revenue") or 0),
                "weighted": round_money(row.get("weighted") or 0),
            }
        )
    if None in sums:  # open opportunities in no stage (none was set up when they were made)
        row = sums[None]
        columns.insert(
            0,
            {
                "stage": None,
                "cards": cards.get(None, []),
                "count": row["count"],
                "revenue": round_money(row["revenue"]),
                "weighted": round_money(row["weighted"]),
            },
        )
    return columns


def closed_opportunity_totals() -> dict[str, dict]:
    """Won and lost opportunities: count and estimated revenue, by status (one query)."""
    rows = (
        Opportunity.objects.exclude(status=Opportunity.Status.OPEN)
        .values("status")
        .annotate(count=Count("id"), revenue=Coalesce(Sum("estimated_revenue"), Decimal(0)))
    )
    return {row["status"]: row for row in rows}


# --- activities -------------------------------------------------------------------------------
def activities_about(record) -> QuerySet[Activity]:
    """The notes and activities on one record, open ones first (soonest due), then the done
    ones and notes, latest first."""
    content_type = ContentType.objects.get_for_model(record)
    return Activity.objects.filter(content_type=content_type, object_id=record.pk).select_related(
        "owner", "done_by"
    )


def my_activities_due(user, on: date) -> QuerySet[Activity]:
    """The user's open calls, meetings and to-dos due on `on` or before (overdue ones
    included), soonest first: one query, with what a list shows (party, record, owner)."""
    return (
        Activity.objects.filter(owner=user, done=False, due_at__date__lte=on)
        .exclude(kind=Activity.Kind.NOTE)
        .select_related("party", "owner")
        .order_by("due_at", "id")
    )


def my_open_activities(user) -> QuerySet[Activity]:
    """All the user's open calls, meetings and to-dos, soonest due first (one query)."""
    return (
        Activity.objects.filter(owner=user, done=False)
        .exclude(kind=Activity.Kind.NOTE)
        .select_related("party", "owner")
        .order_by("due_at", "id")
    )
