from django.apps import AppConfig


class FerryConfig(AppConfig):
    name = "onetrip.ferry"
    label = "ferry"
    verbose_name = "Ferry"
