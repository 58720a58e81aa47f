from django.apps import AppConfig


class PortalDeclarationsConfig(AppConfig):
    name = "onetrip.portal.declarations"
    label = "portal_declarations"
    verbose_name = "Residence declarations"

    def ready(self) -> None:
        from . import handlers  # noqa: F401
        from .sms import register_declaration_sms_templates

        register_declaration_sms_templates()
