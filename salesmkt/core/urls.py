from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .login_throttle import LoginView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document-pdf"),
]
