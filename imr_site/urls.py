from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/", include("django.contrib.auth.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("decisions.urls")),
]
