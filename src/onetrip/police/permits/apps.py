from django.apps import AppConfig


class PolicePermitsConfig(AppConfig):
    name = "onetrip.police.permits"
    label = "police_permits"
    verbose_name = "Residence-permit pre-review"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
