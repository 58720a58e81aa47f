"""Make the audit table append-only in the database itself, per vendor (see ../triggers.py).

RunPython rather than RunSQL because the SQL differs by vendor; the router lets it run only on
the police zone's database.
"""

from django.db import migrations

from onetrip.police.audit.triggers import (
    drop_append_only_triggers,
    install_append_only_triggers,
)


def install(apps, schema_editor):
    install_append_only_triggers(schema_editor.connection)


def drop(apps, schema_editor):
    drop_append_only_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("police_audit", "0001_initial")]

    operations = [migrations.RunPython(install, drop, elidable=False)]
