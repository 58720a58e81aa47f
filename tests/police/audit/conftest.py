import pytest
from django.db import connections, router

from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.services import audit_record
from onetrip.police.audit.triggers import drop_append_only_triggers


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
