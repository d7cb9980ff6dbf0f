"""Read queries. Joins are kept to what each reader shows: a join more costs PostgreSQL more
planning time than the rows themselves on a page of 50."""

from django.db.models import QuerySet

from .models import Customer, Party, Vendor


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
