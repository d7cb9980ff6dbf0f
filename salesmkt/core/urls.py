from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .login_throttle import LoginView
from .views import PLANNED_AREAS

area_patterns = (
    [path(f"{slug}/", views.planned_area, {"slug": slug}, name=slug) for slug in PLANNED_AREAS],
    "area",
)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("areas/", include(area_patterns)),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document-pdf"),
]
