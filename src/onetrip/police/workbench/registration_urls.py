"""Workbench pages of one part of the station's work, kept in their own URL module so each part
can grow without touching the others' routes: changes (ZJ-11) and cancellation (WF-1) of a
registration."""

from django.urls import path

from . import views

urlpatterns: list = [
    path(
        "declarations/<str:reference>/change/",
        views.registration_change,
        name="registration_change",
    ),
    path(
        "declarations/<str:reference>/cancel/",
        views.registration_cancel_view,
        name="registration_cancel",
    ),
]
