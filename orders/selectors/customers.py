"""Customers as order entry reads them: with what the order takes from them, in one query."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import Case, JSONField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import JSONObject

from crm.models import Customer, PartyAddress

_MISSING = object()


def with_delivery_address(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers with their party's delivery address as `Party.delivery_address` chooses it
    (the primary delivery address, else any delivery address, else any address), annotated
    instead of read once an order is entered."""
    chosen = (
        PartyAddress.objects.filter(party_id=OuterRef("party_id"))
        .order_by(
            Case(When(purpose=PartyAddress.Purpose.DELIVERY, then=Value(0)), default=Value(1)),
            "purpose",
            "-is_primary",
            "id",
        )
        .annotate(
            values=JSONObject(
                street="street", postal_code="postal_code", city="city", country="country"
            )
        )
        .values("values")[:1]
    )
    return customers.annotate(delivery_address_values=Subquery(chosen, output_field=JSONField()))


def delivery_address(customer: Customer):
    """The customer's delivery address (street, postal code, city, country), or None: from the
    annotation of `with_delivery_address` when the customer was read so, else read now."""
    values = getattr(customer, "delivery_address_values", _MISSING)
    if values is _MISSING:
        return customer.party.delivery_address
    return SimpleNamespace(**values) if values else None
