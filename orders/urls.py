from .views import SalesOrderViews, SalesQuotationViews

app_name = "orders"

urlpatterns = [*SalesOrderViews.urls(), *SalesQuotationViews.urls()]
