"""salesmkt's URLs plus the baseline's `/baseline/orders/` (benchmark settings only)."""

from django.urls import include, path

from salesmkt.urls import handler400, handler404, handler500
from salesmkt.urls import urlpatterns as product_urls

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("baseline/", include("tests.benchmarks.baseline.urls")),
    *product_urls,
]
