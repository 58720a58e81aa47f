"""SQLite does not fail under concurrency (issue 9: three residents signing in at once got
"database is locked"): every process opens it in WAL mode with a busy timeout, and `atomic()`
takes the write lock at its start, so a write that meets another one waits for it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from django.utils import timezone

from onetrip.common.sqlite import QueuedConnection
from onetrip.portal.limits.models import RateLimitWindow
from onetrip.settings.base import database
from onetrip.simulators.sms import SmsSimulator


def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL locks rows")


def test_sqlite_is_opened_in_wal_with_immediate_transactions_and_a_busy_timeout(monkeypatch):
    monkeypatch.delenv("ONETRIP_X_DATABASE_URL", raising=False)
    config = database("ONETRIP_X_DATABASE_URL", "x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    options = config["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert 5 <= options["timeout"] < 30  # below gunicorn's 30 s worker timeout
    assert options["factory"] is QueuedConnection
    assert config["CONN_MAX_AGE"] == 60  # kept between requests, as PostgreSQL's are


def test_an_sqlite_url_gets_the_same_options_and_keeps_its_own(monkeypatch):
    """Child processes of the ferry tests get their database as a sqlite:/// URL."""
    monkeypatch.setenv("ONETRIP_X_DATABASE_URL", "sqlite:////tmp/x.sqlite3?timeout=30")
    options = database("ONETRIP_X_DATABASE_URL", "x.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["factory"] is QueuedConnection
    assert options["timeout"] == 30


def test_postgresql_comes_from_the_url(monkeypatch):
    monkeypatch.setenv("ONETRIP_X_DATABASE_URL", "postgresql://u@db.example:5432/x")
    config = database("ONETRIP_X_DATABASE_URL", "x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "x"


def test_the_test_databases_use_the_same_options():
    for alias, config in settings.DATABASES.items():
        if config["ENGINE"] == "django.db.backends.sqlite3":
            assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE", alias
            assert config["OPTIONS"]["factory"] is QueuedConnection, alias


@pytest.mark.django_db(databases=["default", "police"])
def test_django_connections_are_queued_connections():
    sqlite_only()
    connection.ensure_connection()
    assert isinstance(connection.connection, QueuedConnection)
    assert connection.connection.write_queue is not None


def _window(key: str) -> RateLimitWindow:
    return RateLimitWindow.objects.create(key=key, window_started_at=timezone.now(), hits=1)


def _hold_the_write_lock(started: threading.Event, ended: list[float], seconds: float) -> None:
    try:
        with transaction.atomic():
            _window("first")
            started.set()
            time.sleep(seconds)
            ended.append(time.monotonic())  # just before the commit
    finally:
        connections.close_all()


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_a_transaction_that_reads_then_writes_waits_for_another_writer():
    """What login_code_request does (read the quota, then write) while another request writes."""
    sqlite_only()
    started, ended = threading.Event(), []
    writer = threading.Thread(target=_hold_the_write_lock, args=(started, ended, 0.5))
    writer.start()
    assert started.wait(10)
    with transaction.atomic():
        began = time.monotonic()
        seen = RateLimitWindow.objects.count()
        _window("second")
    writer.join()
    assert began >= ended[0]  # it queued for the lock …
    assert seen == 1  # … and then read what the other transaction committed
    assert RateLimitWindow.objects.count() == 2


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_without_immediate_the_same_transaction_fails_with_database_is_locked():
    """Why the setting exists: a deferred transaction reads a snapshot, and its write cannot wait
    for the other writer (the snapshot would be stale), so SQLite refuses it at once."""
    sqlite_only()
    connection.ensure_connection()
    connection.transaction_mode = None  # Django's default: BEGIN (deferred)
    queue, connection.connection.write_queue = connection.connection.write_queue, None
    try:
        started = threading.Event()
        writer = threading.Thread(target=_hold_the_write_lock, args=(started, [], 0.5))
        writer.start()
        assert started.wait(10)
        with pytest.raises(OperationalError, match="locked"), transaction.atomic():
            RateLimitWindow.objects.count()
            _window("second")
        writer.join()
    finally:
        connection.transaction_mode = "IMMEDIATE"
        connection.connection.write_queue = queue


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_thirty_residents_signing_in_at_once_get_no_error(settings, tmp_path):
    """Code requests and code checks in parallel, through the API, each its own connection."""
    settings.ONETRIP_SMS_CODES_PER_ADDRESS_PER_HOUR = 1000
    phones = [f"1390000{n:04d}" for n in range(30)]

    def post(path: str, body: dict[str, str]) -> int:
        try:
            response = Client(HTTP_HOST="portal.testserver").post(
                path, body, content_type="application/json"
            )
            return response.status_code
        finally:
            connections.close_all()

    with SmsSimulator(store=tmp_path / "sms") as sms:
        settings.ONETRIP_SMS_GATEWAY_URL = sms.url
        with ThreadPoolExecutor(max_workers=15) as pool:
            asked = list(pool.map(lambda p: post("/api/v1/auth/sms-code", {"phone": p}), phones))
        assert asked == [202] * len(phones)
        codes = {m["to"]: m["text"].split("验证码为")[1][:6] for m in sms.messages()}
        with ThreadPoolExecutor(max_workers=15) as pool:
            checked = list(
                pool.map(
                    lambda p: post("/api/v1/auth/token", {"phone": p, "code": codes[p]}), phones
                )
            )
    assert checked == [200] * len(phones)
