from django.urls import include, path

from onetrip.portal.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("onetrip.portal.declarations.urls")),
    path("", include("onetrip.portal.accounts.urls")),
    path("", include("onetrip.portal.web.urls")),
]
