from django.apps import AppConfig


class PortalGuidanceConfig(AppConfig):
    name = "onetrip.portal.guidance"
    label = "portal_guidance"
    verbose_name = "Guidance"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
