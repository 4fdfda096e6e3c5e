from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.saved_searches, name="list"),
    path("save/", views.save, name="save"),
    path("<int:pk>/", views.change, name="change"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
