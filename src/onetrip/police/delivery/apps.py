from django.apps import AppConfig


class PoliceDeliveryConfig(AppConfig):
    name = "onetrip.police.delivery"
    label = "police_delivery"
    verbose_name = "Card delivery"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
