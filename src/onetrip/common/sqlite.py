"""A fair queue for SQLite's write lock, shared by every process that opens the database.

SQLite lets one writer in at a time. A writer that finds the lock taken waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries: while it sleeps, writers that
arrive later take the lock first. Under load some writers lose again and again. With ten processes
writing short transactions, the busy handler gave a p99 of 180–240 ms and a worst case over 700 ms,
where the same writers queuing on an advisory lock gave a p99 of 20–75 ms and a worst case under
250 ms (measured for issue 9; benchmarks/README.md).

`QueuedConnection` is the `sqlite3.Connection` class the zones' SQLite databases use (OPTIONS
`factory`, see `onetrip.settings.base.database`). Before a transaction begins (BEGIN, which Django
issues as BEGIN IMMEDIATE) and around a write outside a transaction, it takes an `flock` on
`<database>.lock`, and it lets go when the transaction ends. Waiting polls every 0.5–2 ms and gives
up after the connection's timeout with SQLite's own "database is locked" error. The kernel drops
the lock of a process that dies; a database in memory, or a lock file that cannot be created (a
read-only directory), simply goes without the queue.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
FIRST_PAUSE_SECONDS = 0.0005
LONGEST_PAUSE_SECONDS = 0.002

_T = TypeVar("_T")
_CursorT = TypeVar("_CursorT", bound=sqlite3.Cursor)


class WriteQueue:
    """One connection's place in the queue for one database file's write lock."""

    def __init__(self, lock_path: str, *, timeout: float) -> None:
        self.lock_path = lock_path
        self.timeout = timeout
        self.held = False
        self._file: IO[bytes] | None = None
        self._guard = threading.Lock()

    def _lock_file(self) -> IO[bytes] | None:
        if self._file is None:
            try:
                self._file = open(self.lock_path, "ab")  # noqa: SIM115 (kept open while connected)
            except OSError:
                return None
        return self._file

    def acquire(self) -> None:
        with self._guard:
            if self.held:
                return
            lock_file = self._lock_file()
            if lock_file is None:
                return
            deadline = time.monotonic() + self.timeout
            pause = FIRST_PAUSE_SECONDS
            while True:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError(
                            "database is locked (no turn in the write queue "
                            f"within {self.timeout:g} s)"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
                else:
                    self.held = True
                    return

    def release(self) -> None:
        with self._guard:
            if self.held and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self.held = False

    def close(self) -> None:
        self.release()
        with self._guard:
            if self._file is not None:
                self._file.close()
                self._file = None


def _verb(sql: str) -> str:
    return sql.lstrip()[:8].upper()


class QueuedConnection(sqlite3.Connection):
    """`sqlite3.Connection` whose transactions and lone writes take their turn in the queue."""

    write_queue: WriteQueue | None

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        path = os.fsdecode(database) if isinstance(database, str | bytes | os.PathLike) else ""
        timeout = float(kwargs.get("timeout", args[0] if args else 5.0))
        self.write_queue = (
            WriteQueue(f"{path}.lock", timeout=timeout) if _is_file_database(path) else None
        )

    def cursor(  # type: ignore[override]
        self,
        factory: Callable[[sqlite3.Connection], _CursorT] = sqlite3.Cursor,  # type: ignore[assignment]
    ) -> _CursorT:
        if self.write_queue is None or not isinstance(factory, type):
            return super().cursor(factory)
        return super().cursor(_queued_cursor_class(factory))  # type: ignore[no-any-return]

    def run(self, statement: Callable[..., _T], sql: str, *args: Any) -> _T:
        """Run one statement of a cursor, taking and leaving the queue around it as needed."""
        queue = self.write_queue
        if queue is None:
            return statement(sql, *args)
        verb = _verb(sql)
        if verb.startswith("BEGIN"):
            queue.acquire()
            try:
                return statement(sql, *args)
            except BaseException:
                if not self.in_transaction:
                    queue.release()
                raise
        if not self.in_transaction and verb.startswith(WRITE_VERBS):
            queue.acquire()
            try:
                return statement(sql, *args)
            finally:
                if not self.in_transaction:
                    queue.release()
        try:
            return statement(sql, *args)
        finally:
            # COMMIT, END or ROLLBACK as a statement, or SQLite ending a transaction on an error.
            if queue.held and not self.in_transaction:
                queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_queue_after_transaction()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue_after_transaction()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.write_queue is not None:
                self.write_queue.close()

    def _leave_queue_after_transaction(self) -> None:
        if self.write_queue is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
                if self.in_transaction:
                    return
            self.write_queue.release()


def _is_file_database(path: str) -> bool:
    return bool(path) and path != ":memory:" and "mode=memory" not in path


@functools.cache
def _queued_cursor_class(base: type[_CursorT]) -> type[_CursorT]:
    """`base` (sqlite3.Cursor or Django's SQLiteCursorWrapper) with its statements queued."""

    class QueuedCursor(base):  # type: ignore[valid-type,misc]
        def execute(self, sql: str, *args: Any) -> Any:
            return self.connection.run(super().execute, sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:
            return self.connection.run(super().executemany, sql, *args)

    QueuedCursor.__name__ = QueuedCursor.__qualname__ = f"Queued{base.__name__}"
    return QueuedCursor
