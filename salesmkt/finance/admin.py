from django.contrib import admin

from salesmkt.core.admin_base import ServiceAdmin

from .models import Currency, LedgerAccount, PaymentTerms, PostingProfile, SalesTaxCode


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
