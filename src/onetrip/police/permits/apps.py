from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PolicePermitsConfig(AppConfig):
    name = "onetrip.police.permits"
    label = "police_permits"
    verbose_name = "Residence-permit pre-review"

    def ready(self) -> None:
        from . import handlers  # noqa: F401

        post_migrate.connect(_restore_task_count_triggers, sender=self)


def _restore_task_count_triggers(*, using: str, **kwargs: Any) -> None:
    """Put the task-count triggers back, and count again, where migration 0006 installed them
    and they are missing: on SQLite a later migration that rebuilds the case table drops them."""
    from django.db import connections, router
    from django.db.migrations.recorder import MigrationRecorder

    from .models import PermitCase
    from .task_counts import TRIGGER_MIGRATION, task_counts_install, task_counts_installed

    if not router.allow_migrate_model(using, PermitCase):
        return
    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if (PermitCase._meta.app_label, TRIGGER_MIGRATION) not in applied:
        return
    if not task_counts_installed(connection):
        task_counts_install(connection)
