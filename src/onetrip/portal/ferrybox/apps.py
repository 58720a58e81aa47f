from django.apps import AppConfig


class PortalFerryboxConfig(AppConfig):
    name = "onetrip.portal.ferrybox"
    label = "portal_ferrybox"
    verbose_name = "Portal ferry"
