from django.apps import AppConfig


class PortalWebConfig(AppConfig):
    name = "onetrip.portal.web"
    label = "portal_web"
    verbose_name = "Portal pages"
