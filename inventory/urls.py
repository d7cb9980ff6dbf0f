from . import views

app_name = "inventory"

urlpatterns = [
    *views.ItemViews.urls(),
    *views.WarehouseViews.urls(),
    *views.UnitViews.urls(),
    *views.ItemDiscountGroupViews.urls(),
]
