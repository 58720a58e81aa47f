from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PoliceAuditConfig(AppConfig):
    name = "onetrip.police.audit"
    label = "police_audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        post_migrate.connect(_restore_append_only_triggers, sender=self)


def _restore_append_only_triggers(*, using: str, **kwargs: Any) -> None:
    """Put the append-only triggers back wherever migration 0002 says they should be.

    On SQLite a migration that rebuilds the audit table, and `flush` in tests that must first
    drop the triggers to empty the table, leave it unprotected; both end in post_migrate.
    """
    from django.db import connections, router
    from django.db.migrations.recorder import MigrationRecorder

    from .models import AuditEvent
    from .triggers import (
        TRIGGER_MIGRATION,
        append_only_triggers_installed,
        install_append_only_triggers,
    )

    if not router.allow_migrate_model(using, AuditEvent):
        return
    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if (AuditEvent._meta.app_label, TRIGGER_MIGRATION) not in applied:
        return
    if not append_only_triggers_installed(connection):
        install_append_only_triggers(connection)
