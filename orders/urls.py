from django.urls import path

from .views import ProjectViews, SalesOrderViews, SalesQuotationViews, approval_queue
from .views_allocation import allocation_page
from .views_backorders import (
    backorder_item,
    backorders_by_customer,
    backorders_by_item,
    backorders_by_vendor,
)
from .views_entry import urlpatterns as entry_urlpatterns

app_name = "orders"

urlpatterns = [
    path("approvals/", approval_queue, name="approval-queue"),
    path("allocation/", allocation_page, name="allocation"),
    path("backorders/by-item/", backorders_by_item, name="backorders-by-item"),
    path("backorders/by-item/<int:item>/", backorder_item, name="backorder-item"),
    path("backorders/by-customer/", backorders_by_customer, name="backorders-by-customer"),
    path("backorders/by-vendor/", backorders_by_vendor, name="backorders-by-vendor"),
    *entry_urlpatterns,
    *SalesOrderViews.urls(),
    *SalesQuotationViews.urls(),
    *ProjectViews.urls(),
]
