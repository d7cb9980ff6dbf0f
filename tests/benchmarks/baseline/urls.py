from django.urls import path

from .api import OrderCreateView

urlpatterns = [path("orders/", OrderCreateView.as_view(), name="baseline-order-create")]
