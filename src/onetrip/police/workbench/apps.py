from django.apps import AppConfig


class PoliceWorkbenchConfig(AppConfig):
    name = "onetrip.police.workbench"
    label = "police_workbench"
    verbose_name = "Workbench"
