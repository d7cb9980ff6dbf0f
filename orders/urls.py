from .views import SalesOrderViews

app_name = "orders"

urlpatterns = SalesOrderViews.urls()
