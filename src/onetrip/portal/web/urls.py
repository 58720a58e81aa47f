from django.urls import path

from . import views

app_name = "portal_web"

urlpatterns = [
    path("", views.home, name="home"),
]
