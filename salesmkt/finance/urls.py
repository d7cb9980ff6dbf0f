from . import views

app_name = "finance"

urlpatterns = [
    *views.SalesTaxCodeViews.urls(),
    *views.LedgerAccountViews.urls(),
    *views.PostingProfileViews.urls(),
    *views.PaymentTermsViews.urls(),
    *views.CurrencyViews.urls(),
]
