"""Fixed-window rate limits that hold under concurrency and across servers.

Each hit is one statement, an upsert of the key's row: on PostgreSQL it takes the key's row lock,
on SQLite the database's write lock, so parallel hits queue and the count is exact. The window
starts with the first hit and ends `window_seconds` later whatever happens in between;
`Retry-After` is the real time left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from django.utils import timezone

from onetrip.common.db import db_for
from onetrip.common.errors import RateLimited

from .models import RateLimitWindow


def rate_limit_hit(
    *,
    key: str,
    limit: int,
    window_seconds: int,
    message_zh: str,
    message_en: str,
    now: datetime | None = None,
) -> int:
    """Count one hit on `key`; raise `RateLimited` (with `retry_after`) past `limit` hits in the
    window. The messages may name `{seconds}`, the time left. Returns the hits so far."""
    return rate_limit_hits(
        keys=[key],
        limit=limit,
        window_seconds=window_seconds,
        message_zh=message_zh,
        message_en=message_en,
        now=now,
    )


def rate_limit_hits(
    *,
    keys: Sequence[str],
    limit: int,
    window_seconds: int,
    message_zh: str,
    message_en: str,
    now: datetime | None = None,
) -> int:
    """Count one hit on each of `keys` in one statement; raise `RateLimited` if any of them is
    past `limit`, with the longest wait. Every key counts the hit even when another refuses it.
    Returns the highest count."""
    now = now or timezone.now()
    window = timedelta(seconds=window_seconds)
    counts = list(_hit(sorted(dict.fromkeys(k[:200] for k in keys)), now, window).values())
    retry_after = 0
    for started, hits in counts:
        if hits > limit:
            retry_after = max(retry_after, math.ceil((started + window - now).total_seconds()), 1)
    if retry_after:
        raise RateLimited(
            "rate_limited",
            message_zh.format(seconds=retry_after),
            message_en.format(seconds=retry_after),
            retry_after=retry_after,
        )
    return max((hits for _, hits in counts), default=0)


@dataclass(frozen=True)
class RateLimit:
    """One limit of several counted together: its key, how many hits it allows in the window,
    and what a refusal says (`{seconds}`: the time left)."""

    key: str
    limit: int
    message_zh: str
    message_en: str


def rate_limits_hit(
    *, limits: Sequence[RateLimit], window_seconds: int, now: datetime | None = None
) -> list[int]:
    """Count one hit on each limit's key in one statement (the same window for all); raise
    `RateLimited` for the first limit, in the order given, that is past its count, with its own
    message. Every key counts the hit even when another refuses it. Returns each key's hits."""
    now = now or timezone.now()
    window = timedelta(seconds=window_seconds)
    keys = [limit.key[:200] for limit in limits]
    counts = _hit(sorted(set(keys)), now, window)
    for limit, key in zip(limits, keys, strict=True):
        started, hits = counts[key]
        if hits > limit.limit:
            retry_after = max(math.ceil((started + window - now).total_seconds()), 1)
            raise RateLimited(
                "rate_limited",
                limit.message_zh.format(seconds=retry_after),
                limit.message_en.format(seconds=retry_after),
                retry_after=retry_after,
            )
    return [counts[key][1] for key in keys]


def _hit(keys: list[str], now: datetime, window: timedelta) -> dict[str, tuple[datetime, int]]:
    """One upsert for all keys (sorted, so two requests lock shared rows in one order): a window
    still running counts the hit, one that is over starts again at `now` with this hit. The row
    lock (PostgreSQL) or the write lock (SQLite) makes parallel hits queue, so counts are exact;
    a refused hit never moves the window."""
    if not keys:
        return []
    connection = connections[db_for(RateLimitWindow)]
    ops = connection.ops
    table, key, started_at, hits = (
        ops.quote_name(name)
        for name in (RateLimitWindow._meta.db_table, "key", "window_started_at", "hits")
    )
    started = ops.adapt_datetimefield_value(now)
    cutoff = ops.adapt_datetimefield_value(now - window)
    running = f"{table}.{started_at} > %s"
    sql = (
        f"INSERT INTO {table} ({key}, {started_at}, {hits}) VALUES "  # noqa: S608 (model names)
        + ", ".join(["(%s, %s, 1)"] * len(keys))
        + f" ON CONFLICT ({key}) DO UPDATE SET"
        f" {hits} = CASE WHEN {running} THEN {table}.{hits} + 1 ELSE 1 END,"
        f" {started_at} = CASE WHEN {running} THEN {table}.{started_at}"
        f" ELSE excluded.{started_at} END"
        f" RETURNING {key}, {started_at}, {hits}"
    )
    params: list[object] = [value for name in keys for value in (name, started)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cutoff, cutoff])
        rows = cursor.fetchall()
    field = RateLimitWindow._meta.get_field("window_started_at")
    return {
        str(name): (_as_datetime(value, field, connection), int(count))
        for name, value, count in rows
    }


def _as_datetime(
    value: object, field: Field[Any, Any], connection: BaseDatabaseWrapper
) -> datetime:
    for converter in connection.ops.get_db_converters(field.get_col(field.model._meta.db_table)):
        value = converter(value, field, connection)
    assert isinstance(value, datetime)
    return value


def rate_limit_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget windows long over; returns how many rows were deleted."""
    deleted, _ = RateLimitWindow.objects.filter(
        window_started_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
