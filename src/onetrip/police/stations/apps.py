from django.apps import AppConfig


class PoliceStationsConfig(AppConfig):
    name = "onetrip.police.stations"
    label = "police_stations"
    verbose_name = "Stations and windows"
