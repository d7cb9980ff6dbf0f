from . import views

app_name = "invoicing"

urlpatterns = views.urls()
