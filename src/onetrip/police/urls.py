from django.urls import include, path

from onetrip.police.workbench.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("onetrip.police.accounts.urls")),
    path("", include("onetrip.police.workbench.urls")),
]
