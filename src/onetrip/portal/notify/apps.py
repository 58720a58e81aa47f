from django.apps import AppConfig


class PortalNotifyConfig(AppConfig):
    name = "onetrip.portal.notify"
    label = "portal_notify"
    verbose_name = "Notifications"
