from django.db.models import QuerySet

from .models import Customer, Party, Vendor


def party_list() -> QuerySet[Party]:
    return Party.objects.select_related("customer", "vendor").prefetch_related(
        "addresses", "contacts"
    )


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.select_related(
        "party",
        "party__vendor",
        "customer_group",
        "payment_terms",
        "currency",
        "sales_tax_group",
        "price_group",
        "posting_profile",
    ).prefetch_related("party__addresses", "party__contacts")


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.select_related(
        "party", "party__customer", "currency", "payment_terms"
    ).prefetch_related("party__addresses", "party__contacts")
