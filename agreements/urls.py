from . import views

app_name = "agreements"

urlpatterns = views.urls()
