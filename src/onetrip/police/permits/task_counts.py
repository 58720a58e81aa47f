"""The counts of the station's task queues (`TaskCount`), kept by database triggers.

The queue page shows how many cases wait in each of the officer's tasks. Counting them on every
page read 6,000 index entries at a busy station (33 ms of PostgreSQL's time a page); the triggers
here keep one row per station and task instead, changed in the same statement as the case, so
the count commits or rolls back with it, whoever writes the case (a service, `bulk_create`,
COPY). Installed and filled by migration 0006.

On PostgreSQL the two rows a move between tasks touches are locked in a fixed order (the
smaller station and task first), so two cases moving in opposite directions do not deadlock.

SQLite rebuilds a table that a later migration alters, and the table's triggers go with it: the
app's post_migrate handler puts them back and counts again (`task_counts_restore`).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

CASES = "police_permits_permitcase"
COUNTS = "police_permits_taskcount"
TRIGGER_MIGRATION = "0006_task_counts"
TRIGGERS = (f"{CASES}_count_insert", f"{CASES}_count_update", f"{CASES}_count_delete")
PG_FUNCTION = "police_permits_count_tasks"

# Table and column names are this module's constants; no value is ever formatted in.
_ADD = (
    f"INSERT INTO {COUNTS} (station_id, task, n) VALUES ({{row}}.station_id, {{row}}.task, 1) "  # noqa: S608
    f"ON CONFLICT (station_id, task) DO UPDATE SET n = {COUNTS}.n + 1"
)
_REMOVE = (
    f"UPDATE {COUNTS} SET n = n - 1 "  # noqa: S608
    "WHERE station_id = {row}.station_id AND task = {row}.task"
)

_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_ADD.format(row="NEW")};
    ELSIF TG_OP = 'DELETE' THEN
        {_REMOVE.format(row="OLD")};
    ELSIF NEW.task = '' THEN
        {_REMOVE.format(row="OLD")};
    ELSIF OLD.task = '' THEN
        {_ADD.format(row="NEW")};
    ELSIF (OLD.station_id, OLD.task) < (NEW.station_id, NEW.task) THEN
        {_REMOVE.format(row="OLD")};
        {_ADD.format(row="NEW")};
    ELSE
        {_ADD.format(row="NEW")};
        {_REMOVE.format(row="OLD")};
    END IF;
    RETURN NULL;
END;
$$""",
    f"DROP TRIGGER IF EXISTS {CASES}_count_insert ON {CASES}",
    f"CREATE TRIGGER {CASES}_count_insert AFTER INSERT ON {CASES} FOR EACH ROW "
    f"WHEN (NEW.task <> '') EXECUTE FUNCTION {PG_FUNCTION}()",
    f"DROP TRIGGER IF EXISTS {CASES}_count_update ON {CASES}",
    f"CREATE TRIGGER {CASES}_count_update AFTER UPDATE OF task, station_id ON {CASES} "
    "FOR EACH ROW WHEN (OLD.task IS DISTINCT FROM NEW.task "
    "OR OLD.station_id IS DISTINCT FROM NEW.station_id) "
    f"EXECUTE FUNCTION {PG_FUNCTION}()",
    f"DROP TRIGGER IF EXISTS {CASES}_count_delete ON {CASES}",
    f"CREATE TRIGGER {CASES}_count_delete AFTER DELETE ON {CASES} FOR EACH ROW "
    f"WHEN (OLD.task <> '') EXECUTE FUNCTION {PG_FUNCTION}()",
]
_PG_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {CASES}" for name in TRIGGERS),
    f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()",
]

# SQLite writes one transaction at a time, so the order of the two rows does not matter. The
# INSERT … SELECT … WHERE form lets the upsert be conditional (and its WHERE is what SQLite's
# parser needs before ON CONFLICT).
_SQLITE_ADD_NEW = (
    f"INSERT INTO {COUNTS} (station_id, task, n) SELECT NEW.station_id, NEW.task, 1 "
    f"WHERE NEW.task <> '' ON CONFLICT (station_id, task) DO UPDATE SET n = n + 1"
)
_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {CASES}_count_insert AFTER INSERT ON {CASES} "
    f"WHEN NEW.task <> '' BEGIN {_SQLITE_ADD_NEW}; END",
    f"CREATE TRIGGER IF NOT EXISTS {CASES}_count_update AFTER UPDATE OF task, station_id "
    f"ON {CASES} WHEN OLD.task IS NOT NEW.task OR OLD.station_id IS NOT NEW.station_id "
    f"BEGIN {_REMOVE.format(row='OLD')}; {_SQLITE_ADD_NEW}; END",
    f"CREATE TRIGGER IF NOT EXISTS {CASES}_count_delete AFTER DELETE ON {CASES} "
    f"WHEN OLD.task <> '' BEGIN {_REMOVE.format(row='OLD')}; END",
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]

_RECOUNT = [
    f"DELETE FROM {COUNTS}",  # noqa: S608
    f"INSERT INTO {COUNTS} (station_id, task, n) SELECT station_id, task, COUNT(*) "  # noqa: S608
    f"FROM {CASES} WHERE task <> '' GROUP BY station_id, task",
]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_DROP
    if connection.vendor == "postgresql":
        return _PG_INSTALL if install else _PG_DROP
    raise NotImplementedError(f"task-count triggers are not written for {connection.vendor}")


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def task_counts_install(connection: BaseDatabaseWrapper) -> None:
    """Install the triggers and count every station's queues afresh."""
    _run(connection, _statements(connection, install=True))
    _run(connection, _RECOUNT)


def task_counts_drop(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _statements(connection, install=False))


def task_counts_installed(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [CASES]
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                "AND tgenabled <> 'D'",
                [CASES],
            )
        else:
            return False
        names = {row[0] for row in cursor.fetchall()}
    return set(TRIGGERS) <= names
