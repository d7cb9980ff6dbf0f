from django.urls import path

from .views import ProjectViews, SalesOrderViews, SalesQuotationViews, approval_queue

app_name = "orders"

urlpatterns = [
    path("approvals/", approval_queue, name="approval-queue"),
    *SalesOrderViews.urls(),
    *SalesQuotationViews.urls(),
    *ProjectViews.urls(),
]
