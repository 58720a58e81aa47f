from django.apps import AppConfig


class PortalReportingConfig(AppConfig):
    name = "onetrip.portal.reporting"
    label = "portal_reporting"
    verbose_name = "Organisation reporting"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
