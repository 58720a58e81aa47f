from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "onetrip.common"
    label = "common"
    verbose_name = "Common"
