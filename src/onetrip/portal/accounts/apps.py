from django.apps import AppConfig


class PortalAccountsConfig(AppConfig):
    name = "onetrip.portal.accounts"
    label = "portal_accounts"
    verbose_name = "Resident accounts"
