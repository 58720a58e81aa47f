from django.apps import AppConfig


class PortalPermitsConfig(AppConfig):
    name = "onetrip.portal.permits"
    label = "portal_permits"
    verbose_name = "Residence permits"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
        from .sms import register_permit_sms_templates

        register_permit_sms_templates()
