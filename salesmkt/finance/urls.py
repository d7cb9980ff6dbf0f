from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("company/", views.CompanyProfileView.as_view(), name="company"),
    path("company/edit/", views.CompanyProfileEditView.as_view(), name="company-edit"),
    *views.SalesTaxCodeViews.urls(),
    *views.LedgerAccountViews.urls(),
    *views.PostingProfileViews.urls(),
    *views.PaymentTermsViews.urls(),
    *views.CurrencyViews.urls(),
]
