from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm.views.public import unsubscribe

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, as script-src 'self' needs.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("salesmkt.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("salesmkt.core.urls")),
    path("crm/", include("crm.urls")),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("inventory/", include("inventory.urls")),
    path("agreements/", include("agreements.urls")),
    path("orders/", include("orders.urls")),
    path("invoicing/", include("invoicing.urls")),
    path("setup/", include("salesmkt.finance.urls")),
]

handler404 = "salesmkt.core.api.exceptions.not_found"
handler400 = "salesmkt.core.request_errors.bad_request"
handler500 = "salesmkt.core.request_errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
