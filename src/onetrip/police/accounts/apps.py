from django.apps import AppConfig


class PoliceAccountsConfig(AppConfig):
    name = "onetrip.police.accounts"
    label = "police_accounts"
    verbose_name = "Staff accounts"
