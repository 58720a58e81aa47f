from django.apps import AppConfig


class PoliceReportingConfig(AppConfig):
    name = "onetrip.police.reporting"
    label = "police_reporting"
    verbose_name = "Organisation reporting"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
