from django.urls import path

from . import views

app_name = "windows"

urlpatterns = [
    path("windows/", views.directory, name="directory"),
    path("windows/map/", views.city_map, name="map"),
    path("windows/list/", views.published, name="published"),
    path("windows/list.csv", views.published_csv, name="published_csv"),
    path("windows/<str:code>/", views.detail, name="detail"),
]
