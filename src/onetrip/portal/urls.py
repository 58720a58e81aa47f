from django.urls import include, path

from onetrip.ferry.operations.metrics import metrics_view
from onetrip.portal.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Only the monitoring network may reach this (docs/operations.md).
    path("metrics", metrics_view, {"zone": "portal"}, name="metrics"),
    path("api/v1/", api.urls),
    path("", include("onetrip.portal.declarations.urls")),
    path("", include("onetrip.portal.permits.urls")),
    path("", include("onetrip.portal.booking.urls")),
    path("org/", include("onetrip.portal.reporting.urls")),
    path("", include("onetrip.portal.windows.urls")),
    path("", include("onetrip.portal.guidance.urls")),
    path("", include("onetrip.portal.accounts.urls")),
    path("", include("onetrip.portal.web.urls")),
]
