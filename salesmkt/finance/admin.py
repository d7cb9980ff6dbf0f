from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from salesmkt.core.admin_base import ServiceAdmin

from .models import (
    CompanyBankAccount,
    CompanyProfile,
    Currency,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)


@admin.register(Currency)
class CurrencyAdmin(ServiceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(PaymentTerms)
class PaymentTermsAdmin(ServiceAdmin):
    list_display = ["code", "name", "net_days"]
    search_fields = ["code", "name"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ServiceAdmin):
    list_display = ["number", "name", "account_type", "blocked"]
    list_filter = ["account_type", "blocked"]
    search_fields = ["number", "name"]


@admin.register(PostingProfile)
class PostingProfileAdmin(ServiceAdmin):
    list_display = ["code", "name", "summary_account"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["summary_account"]


@admin.register(SalesTaxCode)
class SalesTaxCodeAdmin(ServiceAdmin):
    list_display = ["code", "name", "rate", "category", "tax_account"]
    list_filter = ["category"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["tax_account"]


class CompanyBankAccountInline(admin.TabularInline):
    model = CompanyBankAccount
    extra = 0
    fields = ["kind", "bank_name", "iban", "bic", "account_number", "currency", "is_default"]


@admin.register(CompanyProfile)
class CompanyProfileAdmin(ServiceAdmin):
    """The one company profile: changed, never added a second time or deleted."""

    list_display = ["legal_name", "org_number", "vat_number", "country", "updated_at"]
    inlines = [CompanyBankAccountInline]
    fieldsets = [
        (None, {"fields": ["legal_name", "street", "street2", "postal_code", "city", "country"]}),
        (
            _("Identifiers"),
            {
                "fields": [
                    "org_number_scheme",
                    "org_number",
                    "vat_number",
                    "endpoint_scheme",
                    "endpoint_id",
                ]
            },
        ),
        (
            _("Legal texts"),
            {
                "fields": [
                    "in_business_register",
                    "f_tax_approved",
                    "registered_office",
                    "legal_text",
                ]
            },
        ),
        (_("Contact"), {"fields": ["email", "phone", "website", "contact_name", "logo"]}),
        (
            _("Invoicing"),
            {
                "fields": [
                    "default_payment_terms",
                    "accounting_currency",
                    "payment_reference",
                    "payment_reference_length",
                    "payment_reference_with_customer",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return not CompanyProfile.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
