from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("permit/eligibility/", views.eligibility, name="eligibility"),
    path("permit/materials/", views.materials, name="materials"),
]
