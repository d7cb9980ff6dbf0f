from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .health import health
from .login_throttle import LoginView
from .otp_views import EnrolView, SignInCodeView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", LoginView.as_view(), name="login"),
    path("login/code/", SignInCodeView.as_view(), name="sign-in-code"),
    path("login/enrol/", EnrolView.as_view(), name="sign-in-enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health, name="health"),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document-pdf"),
]
