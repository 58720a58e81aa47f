"""The audit of ferry steps (DESIGN §3 "Operate"): one `FerryEvent` row per batch step.

Cheap on purpose: one row per batch and step (never per message), ids, counts and reasons only,
never payloads. Rows are written in the transaction of the step where there is one (a batch
applied and its `applied` row commit together).

The table still grows with the traffic, so `prune_events` (`onetrip ferry prune-events`, run from
a daily timer) deletes rows past the retention, FERRY_EVENT_RETENTION_DAYS, and leaves a `pruned`
row behind so that the trail shows its own pruning.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.utils import timezone

from ..log import log_event
from ..registry import get_store

BUILT = "built"
EXPORTED = "exported"
RESENT = "resent"
ACKED = "acked"
VERIFIED = "verified"
APPLIED = "applied"
DUPLICATE = "duplicate"
REJECTED = "rejected"
PARKED = "parked"
QUARANTINED = "quarantined"
RESEND_REQUESTED = "resend_requested"
ALARM = "alarm"
ALARM_CLEARED = "alarm_cleared"
KEY_CHANGED = "key_changed"
PRUNED = "pruned"
# Operator actions (onetrip.ferry.operations.actions); the detail names the actor and the reason.
RELEASED = "released"
DISCARDED = "discarded"

STEPS = (
    BUILT,
    EXPORTED,
    RESENT,
    ACKED,
    VERIFIED,
    APPLIED,
    DUPLICATE,
    REJECTED,
    PARKED,
    QUARANTINED,
    RESEND_REQUESTED,
    ALARM,
    ALARM_CLEARED,
    KEY_CHANGED,
    PRUNED,
    RELEASED,
    DISCARDED,
)

# Rows deleted per statement by prune_events: small enough that each DELETE (and its commit) is
# over in a moment, so agents writing their own events are never queued behind it for long.
PRUNE_CHUNK_SIZE = 1000


def record_event(
    zone: str,
    step: str,
    channel: str,
    *,
    batch_id: uuid.UUID | str | None = None,
    first_seq: int | None = None,
    last_seq: int | None = None,
    count: int = 0,
    detail: str = "",
) -> None:
    """Append one audit row in the zone's database (in the caller's transaction, if any)."""
    if step not in STEPS:
        raise ValueError(f"unknown ferry step {step!r}")
    get_store(zone).event._default_manager.create(
        at=timezone.now(),
        channel=channel,
        step=step,
        batch_id=batch_id,
        first_seq=first_seq,
        last_seq=last_seq,
        count=count,
        detail=detail[:300],
    )


def prune_events(zone: str, older_than: dt.timedelta, *, chunk_size: int = PRUNE_CHUNK_SIZE) -> int:
    """Delete the zone's audit rows older than `older_than`; return how many were deleted.

    The rows go `chunk_size` at a time, oldest first, each chunk its own DELETE and (outside a
    caller's transaction) its own commit: a single DELETE over a big table would hold its locks
    and a long transaction open while the agent keeps writing events. Afterwards one `pruned`
    row (channel left empty: it concerns the whole zone) and one log line record the pruning,
    so a gap in the trail is explained by the trail itself."""
    if older_than < dt.timedelta(0):
        raise ValueError("older_than must not be negative")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    before = timezone.now() - older_than
    manager = get_store(zone).event._default_manager
    deleted = 0
    while True:
        chunk = list(
            manager.filter(at__lt=before)
            .order_by("at", "pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not chunk:
            break
        count, _per_model = manager.filter(pk__in=chunk).delete()
        deleted += count
    stamp = before.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_event(zone, PRUNED, "", count=deleted, detail=f"deleted {deleted} events before {stamp}")
    log_event(logging.INFO, "events_pruned", zone=zone, deleted=deleted, before=stamp)
    return deleted
