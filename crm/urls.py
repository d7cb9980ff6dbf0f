from . import views

app_name = "crm"

urlpatterns = [
    *views.CustomerViews.urls(),
    *views.PartyViews.urls(),
    *views.VendorViews.urls(),
    *views.CustomerGroupViews.urls(),
    *views.PriceGroupViews.urls(),
    *views.SalesTaxGroupViews.urls(),
]
