from django.apps import AppConfig


class PoliceGuidanceConfig(AppConfig):
    name = "onetrip.police.guidance"
    label = "police_guidance"
    verbose_name = "Guidance content"
