import pytest
from django.db import connections, router

from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.services import audit_record
from onetrip.police.audit.triggers import drop_append_only_triggers


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    """Each test anchors to its own file, never to var/ of a `make up` run."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "police-anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


@pytest.fixture
def audit_connection():
    """The police zone's connection, found through the router like the code under test."""
    return connections[router.db_for_write(AuditEvent)]


@pytest.fixture
def append():
    """Append `n` plain events and return them."""

    def _append(n=1, **overrides):
        fields = {
            "actor": "zhang.wei",
            "action": "declaration.verify",
            "object_type": "declaration",
            "object_id": "D-1",
            "purpose": "核查申报",
        }
        fields.update(overrides)
        return [audit_record(**fields) for _ in range(n)]

    return _append


@pytest.fixture
def raw_sql(audit_connection):
    """Run raw SQL in a savepoint, so a refused statement leaves the test's transaction usable."""
    from django.db import transaction

    def _run(sql, params=()):
        with transaction.atomic(using=audit_connection.alias), audit_connection.cursor() as cur:
            cur.execute(sql, params)

    return _run


@pytest.fixture
def without_triggers(audit_connection):
    """Drop the append-only triggers for this test; the test's rollback restores them."""
    drop_append_only_triggers(audit_connection)


@pytest.fixture
def flushable_audit_log(audit_connection):
    """For transactional tests: SQLite's flush empties tables with DELETE, which the triggers
    refuse, so drop them just before it; the post_migrate signal ending the flush restores them.
    Request this fixture after `transactional_db` so it is torn down before the flush."""
    yield
    drop_append_only_triggers(audit_connection)


@pytest.fixture
def forge(raw_sql, without_triggers):
    """Rewrite one event as someone with write access to the database would: change its
    columns, recompute the chain from it to the end — with plain SHA-256 (`hasher="sha256"`) or
    with the real audit key (`hasher="key"`) — optionally relabel the recomputed rows' key id,
    and move the head row along so it agrees."""
    from onetrip.common.audit_chain import keyed_record_hash, record_hash
    from onetrip.police.audit.keys import audit_keys

    def _forge(sequence, *, hasher="key", relabel=None, **changes):
        events = list(AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"))
        prev = events[0].prev_hash
        for event in events:
            if event.sequence == sequence:
                for name, value in changes.items():
                    setattr(event, name, value)
            if relabel is not None:
                event.key_id = relabel
            event.prev_hash = prev
            record = event.chain_record()
            if hasher == "sha256":
                event.hash = record_hash(prev, record)
            else:
                event.hash = keyed_record_hash(prev, record, audit_keys()[event.key_id])
            columns = dict(changes) if event.sequence == sequence else {}
            columns.update(prev_hash=event.prev_hash, hash=event.hash, key_id=event.key_id)
            assignments = ", ".join(f"{name} = %s" for name in columns)
            raw_sql(
                f"UPDATE police_audit_auditevent SET {assignments} WHERE sequence = %s",  # noqa: S608
                [*columns.values(), event.sequence],
            )
            prev = event.hash
        raw_sql("UPDATE police_audit_audithead SET last_hash = %s", [prev])

    return _forge


@pytest.fixture
def truncate(raw_sql, without_triggers):
    """Delete every event after `sequence` and rewind the head to it, so the table and the head
    agree on the shorter chain."""

    def _truncate(sequence):
        last = AuditEvent.objects.get(sequence=sequence)
        raw_sql("DELETE FROM police_audit_auditevent WHERE sequence > %s", [sequence])
        raw_sql(
            "UPDATE police_audit_audithead SET last_sequence = %s, last_hash = %s",
            [sequence, last.hash],
        )

    return _truncate
