"""Database triggers that make the audit table append-only even to raw SQL (DOMAIN MLPS-5).

Installed by migration 0002. On SQLite, a later migration that alters `AuditEvent` rebuilds the
table and loses its triggers; the app's post_migrate handler puts them back, and
`onetrip audit verify` warns whenever they are missing.

Tests: SQLite's `flush` (run after every transactional test) empties tables with DELETE, which the
triggers refuse. A transactional test that writes audit events must drop the triggers before the
flush (`drop_append_only_triggers`); the post_migrate signal that ends the flush reinstalls them.
PostgreSQL's flush uses TRUNCATE and needs nothing.

TRUNCATE, DROP TRIGGER and DROP TABLE are not blocked here: they need the table owner's rights,
which the application's database role must not hold in production. The hash chain and the head
row still reveal their effect to `audit verify`.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "police_audit_auditevent"
MESSAGE = "audit log is append-only"
TRIGGERS = (f"{TABLE}_no_update", f"{TABLE}_no_delete")
PG_FUNCTION = "police_audit_refuse_change"
TRIGGER_MIGRATION = "0002_append_only_triggers"

_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]

# SQLSTATE 23000 (integrity_constraint_violation): both vendors then surface the refusal as
# django.db.IntegrityError.
_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$""",
    *(
        stmt
        for verb in ("UPDATE", "DELETE")
        for stmt in (
            f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb.lower()} ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        )
    ),
]
_PG_DROP = [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in TRIGGERS]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_DROP
    if connection.vendor == "postgresql":
        return _PG_INSTALL if install else _PG_DROP
    raise NotImplementedError(
        f"append-only audit triggers are not written for {connection.vendor}; "
        "the audit log must not run unprotected"
    )


def install_append_only_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def drop_append_only_triggers(connection: BaseDatabaseWrapper) -> None:
    """For migrations that must rebuild the table, and for tests of what the chain catches."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)


def append_only_triggers_installed(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "AND tgenabled <> 'D'",
                [TABLE],
            )
        else:
            return False
        names = {row[0] for row in cursor.fetchall()}
    return set(TRIGGERS) <= names
