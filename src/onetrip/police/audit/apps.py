from django.apps import AppConfig


class PoliceAuditConfig(AppConfig):
    name = "onetrip.police.audit"
    label = "police_audit"
    verbose_name = "Audit"
