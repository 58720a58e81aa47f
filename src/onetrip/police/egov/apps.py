from django.apps import AppConfig


class PoliceEgovConfig(AppConfig):
    name = "onetrip.police.egov"
    label = "police_egov"
    verbose_name = "Department data"
