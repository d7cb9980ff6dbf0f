from django.contrib import admin

from salesmkt.core.admin_base import ServiceAdmin

from .models import (
    ContactPerson,
    Customer,
    CustomerGroup,
    Party,
    PartyAddress,
    PriceGroup,
    SalesTaxGroup,
    Vendor,
)
from .services import parties


class PartyAddressInline(admin.TabularInline):
    model = PartyAddress
    extra = 0


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(Party)
class PartyAdmin(ServiceAdmin):
    list_display = ["name", "party_type", "email", "phone", "vat_number", "language"]
    list_filter = ["party_type", "language"]
    search_fields = ["name", "email", "vat_number", "phone"]
    inlines = [PartyAddressInline, ContactPersonInline]


class RoleAdmin(ServiceAdmin):
    autocomplete_fields = ["party"]
    readonly_fields = ["account_number", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The party of an existing role does not change.
        return [*self.readonly_fields, "party"] if obj else self.readonly_fields

    @admin.display(description=Party._meta.get_field("name").verbose_name, ordering="party__name")
    def party_name(self, obj):
        return obj.party.name


@admin.register(Customer)
class CustomerAdmin(RoleAdmin):
    list_display = [
        "account_number",
        "party_name",
        "customer_group",
        "currency",
        "credit_limit",
        "on_hold",
    ]
    list_filter = ["customer_group", "currency", "on_hold", "price_group", "sales_tax_group"]
    search_fields = ["account_number", "party__name", "party__email", "party__vat_number"]
    list_select_related = ["party", "customer_group", "currency"]
    create_service = parties.customer_create
    update_service = parties.customer_update


@admin.register(Vendor)
class VendorAdmin(RoleAdmin):
    list_display = ["account_number", "party_name", "currency", "payment_terms", "blocked"]
    list_filter = ["currency", "blocked"]
    search_fields = ["account_number", "party__name", "party__email"]
    list_select_related = ["party", "currency", "payment_terms"]
    create_service = parties.vendor_create
    update_service = parties.vendor_update


@admin.register(CustomerGroup, PriceGroup, SalesTaxGroup)
class CodeNameAdmin(ServiceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(ContactPerson)
class ContactPersonAdmin(ServiceAdmin):
    list_display = ["__str__", "party", "job_title", "email", "phone", "is_primary"]
    search_fields = ["first_name", "last_name", "email", "party__name"]
    list_select_related = ["party"]
    autocomplete_fields = ["party"]
