from . import views, views_purchasing

app_name = "inventory"

urlpatterns = [
    *views.ItemViews.urls(),
    *views.WarehouseViews.urls(),
    *views.UnitViews.urls(),
    *views.ItemDiscountGroupViews.urls(),
    *views_purchasing.PurchaseOrderViews.urls(),
]
