"""The write queue in front of SQLite's write lock (onetrip.common.sqlite): a transaction or a lone
write waits for its turn, leaves the queue when it ends however it ends, gives up after the
timeout with SQLite's own error, and a process that dies leaves no one waiting."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from onetrip.common.sqlite import QueuedConnection


def connect(path: Path, timeout: float = 5.0) -> QueuedConnection:
    connection = sqlite3.connect(
        str(path), timeout=timeout, isolation_level=None, factory=QueuedConnection
    )
    assert isinstance(connection, QueuedConnection)
    return connection


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "zone.sqlite3"
    with connect(path) as setup:
        setup.cursor().execute("PRAGMA journal_mode=WAL")
        setup.cursor().execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return path


def hold(
    path: Path, started: threading.Event, ended: list[float], seconds: float, end: str = "COMMIT"
) -> None:
    connection = connect(path)
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    cursor.execute("INSERT INTO t (v) VALUES ('first')")
    started.set()
    time.sleep(seconds)
    ended.append(time.monotonic())  # just before the turn ends
    if end == "COMMIT":
        connection.commit()
    else:
        cursor.execute(end)
    connection.close()


def ran_after_the_other_transaction(path: Path, sql: str, *, end: str = "COMMIT") -> bool:
    """Whether `sql`, sent while another connection's transaction is open, came back only after
    that transaction ended (timed on both sides, so a slow machine cannot fake a wait)."""
    started, ended = threading.Event(), []
    holder = threading.Thread(target=hold, args=(path, started, ended, 0.3, end))
    holder.start()
    assert started.wait(5)
    connection = connect(path)
    connection.cursor().execute(sql)
    finished = time.monotonic()
    if connection.in_transaction:
        connection.cursor().execute("INSERT INTO t (v) VALUES ('second')")
        connection.commit()
    holder.join()
    connection.close()
    return finished >= ended[0] if ended else False


def test_a_transaction_waits_for_its_turn(db):
    assert ran_after_the_other_transaction(db, "BEGIN IMMEDIATE")


def test_a_deferred_transaction_waits_too_and_so_never_reads_a_stale_snapshot(db):
    assert ran_after_the_other_transaction(db, "BEGIN")


def test_a_write_outside_a_transaction_waits_for_its_turn(db):
    assert ran_after_the_other_transaction(db, "INSERT INTO t (v) VALUES ('lone')")


def test_reads_never_wait(db):
    assert not ran_after_the_other_transaction(db, "SELECT count(*) FROM t")


@pytest.mark.parametrize("end", ["COMMIT", "ROLLBACK", "END"])
def test_the_turn_ends_with_the_transaction(db, end):
    assert ran_after_the_other_transaction(db, "BEGIN IMMEDIATE", end=end)
    connection = connect(db)
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    assert connection.write_queue is not None and connection.write_queue.held
    cursor.execute(end)
    assert not connection.write_queue.held
    connection.close()


def test_commit_and_rollback_of_the_connection_end_the_turn(db):
    connection = connect(db)
    for finish in (connection.commit, connection.rollback):
        connection.cursor().execute("BEGIN IMMEDIATE")
        assert connection.write_queue is not None and connection.write_queue.held
        finish()
        assert not connection.write_queue.held
    connection.close()


def test_a_failed_statement_keeps_or_gives_back_the_turn_as_the_transaction_does(db):
    connection = connect(db)
    connection.cursor().execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError):
        connection.cursor().execute("BEGIN")  # already in a transaction: still its turn
    assert connection.write_queue is not None and connection.write_queue.held
    connection.rollback()
    assert not connection.write_queue.held
    other = connect(db, timeout=0.1)
    other.close()
    with pytest.raises(sqlite3.OperationalError), connect(db, timeout=5) as third:
        third.cursor().execute("SELECT * FROM no_such_table")  # an error outside a transaction
    assert third.write_queue is not None and not third.write_queue.held
    connection.close()


def test_no_turn_within_the_timeout_is_sqlites_own_error(db):
    started = threading.Event()
    holder = threading.Thread(target=hold, args=(db, started, [], 0.6))
    holder.start()
    assert started.wait(5)
    connection = connect(db, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        connection.cursor().execute("BEGIN IMMEDIATE")
    assert connection.write_queue is not None and not connection.write_queue.held
    holder.join()
    connection.close()


def test_a_process_that_dies_holding_its_turn_leaves_no_one_waiting(db):
    script = (
        "import sqlite3, sys, time\n"
        "from onetrip.common.sqlite import QueuedConnection\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None, factory=QueuedConnection)\n"
        "c.cursor().execute('BEGIN IMMEDIATE')\n"
        "print('holding', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        child.kill()
        child.wait(5)
        connection = connect(db, timeout=2)
        connection.cursor().execute("BEGIN IMMEDIATE")
        connection.commit()
        connection.close()
    finally:
        child.kill()


def test_a_database_in_memory_has_no_queue():
    connection = sqlite3.connect(":memory:", factory=QueuedConnection)
    assert isinstance(connection, QueuedConnection)
    assert connection.write_queue is None
    connection.cursor().execute("CREATE TABLE t (id INTEGER)")
    connection.close()


def test_without_a_writable_directory_the_connection_works_without_the_queue(db, tmp_path):
    connection = connect(db)
    assert connection.write_queue is not None
    connection.write_queue.lock_path = str(tmp_path / "missing" / "zone.sqlite3.lock")
    connection.cursor().execute("BEGIN IMMEDIATE")
    connection.cursor().execute("INSERT INTO t (v) VALUES ('x')")
    connection.commit()
    connection.close()
