"""Workbench pages of one part of the station's work, kept in their own URL module so each part
can grow without touching the others' routes."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
