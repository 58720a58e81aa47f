from django.apps import AppConfig


class PortalLimitsConfig(AppConfig):
    name = "onetrip.portal.limits"
    label = "portal_limits"
    verbose_name = "Rate limits"
