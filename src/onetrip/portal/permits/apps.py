from django.apps import AppConfig


class PortalPermitsConfig(AppConfig):
    name = "onetrip.portal.permits"
    label = "portal_permits"
    verbose_name = "Residence permits"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
