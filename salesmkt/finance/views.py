from salesmkt.core.ui import simple_views

from .models import Currency, LedgerAccount, PaymentTerms, PostingProfile, SalesTaxCode

SalesTaxCodeViews = simple_views(
    SalesTaxCode,
    namespace="finance",
    slug="sales-tax-codes",
    fields=["code", "name", "rate", "category", "exemption_reason", "tax_account"],
    list_fields=["code", "name", "rate", "category"],
    search_fields=["code", "name"],
    filter_fields=["category"],
)
LedgerAccountViews = simple_views(
    LedgerAccount,
    namespace="finance",
    slug="ledger-accounts",
    fields=["number", "name", "account_type", "blocked"],
    search_fields=["number", "name"],
    filter_fields=["account_type", "blocked"],
)
PostingProfileViews = simple_views(
    PostingProfile,
    namespace="finance",
    slug="posting-profiles",
    fields=["code", "name", "summary_account"],
    search_fields=["code", "name"],
)
PaymentTermsViews = simple_views(
    PaymentTerms,
    namespace="finance",
    slug="payment-terms",
    fields=["code", "name", "net_days"],
    search_fields=["code", "name"],
)
CurrencyViews = simple_views(
    Currency,
    namespace="finance",
    slug="currencies",
    fields=["code", "name"],
    search_fields=["code", "name"],
)
