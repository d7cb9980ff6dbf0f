from .views import ProjectViews, SalesOrderViews, SalesQuotationViews

app_name = "orders"

urlpatterns = [*SalesOrderViews.urls(), *SalesQuotationViews.urls(), *ProjectViews.urls()]
