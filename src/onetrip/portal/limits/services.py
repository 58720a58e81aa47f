"""Fixed-window rate limits that hold under concurrency and across servers.

Each hit is one short transaction whose first statement is a conditional UPDATE: on PostgreSQL it
takes the key's row lock, on SQLite the database's write lock, so parallel hits queue and the count
is exact. The window starts with the first hit and ends `window_seconds` later whatever happens
in between; `Retry-After` is the real time left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from onetrip.common.db import atomic_for
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
    """Count one hit on each of `keys` in one transaction (one write lock taken on SQLite, not
    one per key); raise `RateLimited` if any of them is past `limit`, with the longest wait.
    Every key counts the hit even when another refuses it. Returns the highest count."""
    now = now or timezone.now()
    window = timedelta(seconds=window_seconds)
    counts: list[tuple[datetime, int]] = []
    with atomic_for(RateLimitWindow):
        for key in dict.fromkeys(k[:200] for k in keys):
            counts.append(_hit(key, now, window))
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


def _hit(key: str, now: datetime, window: timedelta) -> tuple[datetime, int]:
    rows = RateLimitWindow.objects.filter(key=key)
    cutoff = now - window
    counted = rows.filter(window_started_at__gt=cutoff).update(hits=F("hits") + 1)
    # Renew only a window that is over: a row another request has just created or renewed
    # is counted into, never reset (PostgreSQL re-checks the condition after the row lock).
    if not counted and not rows.filter(window_started_at__lte=cutoff).update(
        window_started_at=now, hits=1
    ):
        RateLimitWindow.objects.bulk_create(
            [RateLimitWindow(key=key, window_started_at=now, hits=0)], ignore_conflicts=True
        )
        rows.update(hits=F("hits") + 1)
    started, hits = rows.values_list("window_started_at", "hits").get()
    return started, hits


def rate_limit_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget windows long over; returns how many rows were deleted."""
    deleted, _ = RateLimitWindow.objects.filter(
        window_started_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
