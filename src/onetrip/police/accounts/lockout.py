"""How django-axes counts failed staff log-ins (MLPS-3 b); named in the police settings.

The limits are read from `ONETRIP_LOGIN_MAX_FAILURES` and `ONETRIP_LOGIN_LOCKOUT_SECONDS` on
every attempt, so a deployment (or a test) changes them in one place. Attempts are keyed by the
username as typed, trimmed and lower-cased: unknown usernames are counted exactly like real
ones, so the answer reveals nothing about which accounts exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest

from onetrip.common.db import db_for


def failure_limit(request: HttpRequest | None, credentials: dict[str, Any] | None) -> int:
    return int(settings.ONETRIP_LOGIN_MAX_FAILURES)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    return timedelta(seconds=int(settings.ONETRIP_LOGIN_LOCKOUT_SECONDS))


def normalize_username(username: str) -> str:
    return username.strip().lower()[:150]


def username_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The key axes counts under: from the credentials of `authenticate`, else the form."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    if username is None:
        return None
    return normalize_username(str(username))


@contextmanager
def attempts_of_one_username(username: str) -> Iterator[None]:
    """One log-in attempt at a time per username, across processes: django-axes records a
    failure by `get_or_create` on a table without a unique key, so two first failures at once
    on PostgreSQL make two rows and the next attempt fails. Under this lock the count is exact
    too: no attempt is checked once the limit is reached. A transaction-scoped advisory lock on
    PostgreSQL; SQLite has one writer already."""
    alias = db_for(AccessAttempt)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    [f"staff-login:{normalize_username(username)}"],
                )
        yield
