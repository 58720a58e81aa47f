"""The directory and the home page without any booking page, for the tests that check the
directory shows no booking link while booking is not installed."""

from django.urls import include, path

urlpatterns = [
    path("", include("onetrip.portal.windows.urls")),
    path("", include("onetrip.portal.web.urls")),
]
