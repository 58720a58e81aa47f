from django.apps import AppConfig


class PortalWindowsConfig(AppConfig):
    name = "onetrip.portal.windows"
    label = "portal_windows"
    verbose_name = "Service windows"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
