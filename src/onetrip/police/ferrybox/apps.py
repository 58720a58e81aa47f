from django.apps import AppConfig


class PoliceFerryboxConfig(AppConfig):
    name = "onetrip.police.ferrybox"
    label = "police_ferrybox"
    verbose_name = "Police ferry"
