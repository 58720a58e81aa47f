from django.urls import include, path

from onetrip.ferry.operations.metrics import metrics_view
from onetrip.police.delivery.views import courier_callback
from onetrip.police.workbench import api_casework  # noqa: F401  (registers its operations)
from onetrip.police.workbench.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Only the monitoring network may reach this (docs/operations.md).
    path("metrics", metrics_view, {"zone": "police"}, name="metrics"),
    path("api/v1/", api.urls),
    path("courier/callbacks/", courier_callback, name="courier-callback"),
    path("", include("onetrip.police.accounts.urls")),
    path("reporting/", include("onetrip.police.reporting.urls")),
    path("guidance/", include("onetrip.police.guidance.urls")),
    path("", include("onetrip.police.workbench.urls")),
]
