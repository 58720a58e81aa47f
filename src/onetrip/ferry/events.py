"""The audit of ferry steps (DESIGN §3 "Operate"): one `FerryEvent` row per batch step.

Cheap on purpose: one row per batch and step (never per message), ids, counts and reasons only,
never payloads. Rows are written in the transaction of the step where there is one (a batch
applied and its `applied` row commit together).
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from .tables import get_tables

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
)


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
    get_tables(zone).event._default_manager.create(
        at=timezone.now(),
        channel=channel,
        step=step,
        batch_id=batch_id,
        first_seq=first_seq,
        last_seq=last_seq,
        count=count,
        detail=detail[:300],
    )
