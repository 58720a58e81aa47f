"""Rows chained before audit keys existed: kept, checked the old way, and said to be weaker."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onetrip.common.audit_chain import GENESIS, LEGACY_KEY_ID, record_hash
from onetrip.police.audit.models import AuditEvent, AuditHead
from onetrip.police.audit.selectors import audit_triggers_installed, audit_verify
from onetrip.police.audit.services import audit_anchor

DATABASES = ["default", "police"]
pytestmark = pytest.mark.django_db(databases=DATABASES)


@pytest.fixture
def legacy_rows():
    """Write `n` rows as the code before audit keys did: unkeyed SHA-256, no key id."""

    def _write(n):
        prev = GENESIS
        for sequence in range(1, n + 1):
            event = AuditEvent(
                sequence=sequence,
                occurred_at=timezone.now(),
                actor="zhang.wei",
                action="declaration.verify",
                object_type="declaration",
                object_id=f"D-{sequence}",
                prev_hash=prev,
                key_id=LEGACY_KEY_ID,
            )
            event.hash = prev = record_hash(prev, event.chain_record())
            event.save()
        AuditHead.objects.update_or_create(
            pk=AuditHead.SINGLETON_ID, defaults={"last_sequence": n, "last_hash": prev}
        )

    return _write


def run(capsys, *args):
    try:
        call_command("audit", *args)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    out, err = capsys.readouterr()
    return code, out, err


def test_a_legacy_record_has_no_key_id_in_what_its_hash_covers(legacy_rows):
    legacy_rows(1)
    event = AuditEvent.objects.get()
    assert "key_id" not in event.chain_record()
    assert event.hash == record_hash(GENESIS, event.chain_record())


def test_undeclared_legacy_rows_fail_verification(legacy_rows, capsys):
    legacy_rows(3)
    result = audit_verify()
    assert result.first_bad_sequence == 1
    assert "undeclared legacy record" in result.reason
    code, _, err = run(capsys, "verify")
    assert code == 1
    assert "ONETRIP_AUDIT_LEGACY_THROUGH" in err


def test_declared_legacy_rows_verify_and_keyed_rows_continue_the_chain(
    legacy_rows, append, settings
):
    settings.AUDIT_LEGACY_THROUGH = 3
    legacy_rows(3)
    first_keyed, _ = append(2)
    assert first_keyed.prev_hash == AuditEvent.objects.get(sequence=3).hash
    assert first_keyed.key_id == "test-1"
    result = audit_verify()
    assert result.ok
    assert (result.report.legacy_through, result.report.key_ids) == (3, ("test-1",))


def test_verify_says_legacy_rows_are_weaker_and_whether_an_anchor_pins_them(
    legacy_rows, append, settings, capsys
):
    settings.AUDIT_LEGACY_THROUGH = 2
    legacy_rows(2)
    append(1)
    code, out, _ = run(capsys, "verify")
    assert code == 0
    assert "sequences 1–2 are legacy rows (sha256-legacy, unkeyed" in out
    assert "weaker" in out
    assert "not yet pinned by any checkpoint" in out
    assert "sequences 3–3 chained with HMAC-SHA256" in out
    audit_anchor()
    _, out, _ = run(capsys, "verify")
    assert "pinned by the checkpoint at sequence 3" in out


def test_a_rewritten_legacy_row_is_caught_by_the_first_keyed_row(
    legacy_rows, append, settings, raw_sql, without_triggers
):
    settings.AUDIT_LEGACY_THROUGH = 3
    legacy_rows(3)
    append(1)
    prev = AuditEvent.objects.get(sequence=1).hash
    for sequence in (2, 3):
        event = AuditEvent.objects.get(sequence=sequence)
        event.prev_hash = prev
        if sequence == 2:
            event.actor = "someone.else"
        prev = record_hash(prev, event.chain_record())
        raw_sql(
            "UPDATE police_audit_auditevent SET actor = %s, prev_hash = %s, hash = %s "
            "WHERE sequence = %s",
            [event.actor, event.prev_hash, prev, sequence],
        )
    result = audit_verify()
    assert result.first_bad_sequence == 4
    assert "broken link" in result.reason


def test_anchoring_refuses_undeclared_legacy_rows(legacy_rows):
    from onetrip.police.audit.services import AnchorRefused

    legacy_rows(2)
    with pytest.raises(AnchorRefused, match="undeclared legacy record"):
        audit_anchor()


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_migration_0003_keeps_existing_rows_as_legacy_and_the_table_append_only(
    flushable_audit_log, audit_connection, settings, capsys
):
    executor = MigrationExecutor(audit_connection)
    executor.migrate([("police_audit", "0002_append_only_triggers")])
    prev = GENESIS
    old_rows = []
    for sequence in (1, 2):
        record = {
            "sequence": sequence,
            "occurred_at": timezone.now(),
            "actor": "system",
            "actor_role": "",
            "station_code": "",
            "action": "login.failure",
            "object_type": "user",
            "object_id": "x",
            "purpose": "",
            "success": False,
            "detail": {},
            "prev_hash": prev,
        }
        prev = record_hash(prev, record)
        old_rows.append((record, prev))
    with audit_connection.cursor() as cursor:
        for record, digest in old_rows:
            cursor.execute(
                "INSERT INTO police_audit_auditevent (sequence, occurred_at, actor, actor_role, "
                "station_code, action, object_type, object_id, purpose, success, detail, "
                "prev_hash, hash) VALUES (%s, %s, %s, '', '', %s, %s, %s, '', %s, '{}', %s, %s)",
                [
                    record["sequence"],
                    record["occurred_at"],
                    record["actor"],
                    record["action"],
                    record["object_type"],
                    record["object_id"],
                    record["success"],
                    record["prev_hash"],
                    digest,
                ],
            )
        cursor.execute(
            "INSERT INTO police_audit_audithead (id, last_sequence, last_hash) VALUES (1, 2, %s)",
            [prev],
        )

    executor = MigrationExecutor(audit_connection)
    executor.migrate(executor.loader.graph.leaf_nodes("police_audit"))
    assert "sequences 1–2 keep their unkeyed SHA-256 chain" in capsys.readouterr().out

    assert audit_triggers_installed()
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {LEGACY_KEY_ID}
    with pytest.raises(IntegrityError, match="append-only"), audit_connection.cursor() as cursor:
        cursor.execute("UPDATE police_audit_auditevent SET actor = 'x' WHERE sequence = 1")
    connections.close_all()

    assert "undeclared legacy record" in audit_verify().reason
    settings.AUDIT_LEGACY_THROUGH = 2
    assert audit_verify().ok
    from onetrip.police.audit.services import audit_record

    event = audit_record(actor="system", action="x.y", object_type="x", object_id="1")
    assert (event.sequence, event.prev_hash, event.key_id) == (3, prev, "test-1")
    result = audit_verify()
    assert result.ok
    assert result.report.legacy_through == 2
