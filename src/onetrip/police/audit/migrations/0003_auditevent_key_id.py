"""Keyed audit chain: each event records the audit key it was chained with.

Rows already in the table were chained with unkeyed SHA-256 and cannot be re-chained without
rewriting the audit history itself (which the triggers forbid, rightly). They get the key id
`sha256-legacy` and keep their hashes; `audit verify` checks them the old way, says they are
weaker, and accepts them only up to ONETRIP_AUDIT_LEGACY_THROUGH (set it to the count printed
here). New rows always name a real key.

On SQLite adding a NOT NULL column rebuilds the table, which drops its triggers: they are put
back at the end of this migration (and, on the way back, after the column is removed).
"""

from django.db import migrations, models

from onetrip.police.audit.triggers import install_append_only_triggers

LEGACY_KEY_ID = "sha256-legacy"


def reinstall_triggers(apps, schema_editor):
    install_append_only_triggers(schema_editor.connection)


def report_legacy_rows(apps, schema_editor):
    AuditEvent = apps.get_model("police_audit", "AuditEvent")
    last = (
        AuditEvent.objects.using(schema_editor.connection.alias)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if last:
        print(
            f"\n  police_audit: sequences 1–{last} keep their unkeyed SHA-256 chain "
            f"(key id {LEGACY_KEY_ID}); set ONETRIP_AUDIT_LEGACY_THROUGH={last} so "
            "`audit verify` accepts them, and anchor the chain (`audit anchor`) to pin them."
        )


class Migration(migrations.Migration):
    dependencies = [("police_audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, reinstall_triggers, elidable=False),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                default=LEGACY_KEY_ID,
                help_text='Audit key the row was chained with, or "sha256-legacy".',
                max_length=32,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(report_legacy_rows, migrations.RunPython.noop, elidable=False),
    ]
