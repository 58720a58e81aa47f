from django.apps import AppConfig


class PoliceRegisterConfig(AppConfig):
    name = "onetrip.police.register"
    label = "police_register"
    verbose_name = "Residence register"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
