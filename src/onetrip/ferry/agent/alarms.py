"""Ferry alarms: conditions an operator must see, raised once and cleared when they end.

    raise_alarm(zone, kind, channel, key=..., detail=...)  # once per open (kind, channel, key)
    clear_alarm(zone, kind, channel, key=...)              # the condition ended
    open_alarms(zone)                                      # what `ferry status` shows

Kinds are the `Alarm.KIND_*` constants. Raising an alarm that is already open only bumps its
`count` and `last_seen_at`; a new alarm is also logged at ERROR and audited (`alarm` step). The
detail carries ids, counts and reasons, never personal data. An alarm whose condition does not end
by itself (a security alarm) is cleared by an operator, with a reason: `operations.actions`.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from onetrip.common.db import atomic_for

from .. import models as abstract
from ..log import log_event
from ..registry import get_store
from . import events

__all__ = ["clear_alarm", "clear_alarms_for_key", "open_alarms", "raise_alarm"]

KINDS = {kind for kind, _label in abstract.Alarm.KIND_CHOICES}
# Cleared only by an operator: the condition does not end by itself.
STICKY_KINDS = {abstract.Alarm.KIND_SECURITY_CONFLICT, abstract.Alarm.KIND_CHAIN_BROKEN}


def raise_alarm(zone: str, kind: str, channel: str, *, key: str = "", detail: str = "") -> bool:
    """Open the alarm, or bump the open one; True when a new alarm was opened."""
    if kind not in KINDS:
        raise ValueError(f"unknown ferry alarm kind {kind!r}")
    model = get_store(zone).alarm
    manager = model._default_manager
    now = timezone.now()
    key, detail = key[:200], detail[:500]
    open_ = manager.filter(kind=kind, channel=channel, key=key, cleared_at__isnull=True)
    for _attempt in range(3):
        if open_.update(count=F("count") + 1, last_seen_at=now, detail=detail):
            return False
        try:
            with atomic_for(model):
                manager.create(
                    kind=kind,
                    channel=channel,
                    key=key,
                    detail=detail,
                    raised_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            continue  # another agent opened it first: bump that one
        log_event(
            logging.ERROR,
            "alarm_raised",
            zone=zone,
            kind=kind,
            channel=channel,
            key=key,
            detail=detail,
        )
        events.record_event(zone, events.ALARM, channel, count=1, detail=f"{kind} {key}".strip())
        return True
    return False


def clear_alarm(zone: str, kind: str, channel: str, *, key: str | None = "") -> int:
    """Close the open alarm(s) of `kind` on `channel` (all keys when `key` is None)."""
    manager = get_store(zone).alarm._default_manager
    open_ = manager.filter(kind=kind, channel=channel, cleared_at__isnull=True)
    if key is not None:
        open_ = open_.filter(key=key[:200])
    cleared = open_.update(cleared_at=timezone.now())
    if cleared:
        log_event(logging.INFO, "alarm_cleared", zone=zone, kind=kind, channel=channel, key=key)
        events.record_event(
            zone, events.ALARM_CLEARED, channel, count=cleared, detail=f"{kind} {key or ''}".strip()
        )
    return cleared


def clear_alarms_for_key(zone: str, channel: str, key: str) -> int:
    """A document that once failed (e.g. a truncated batch) has now been accepted: close the
    non-sticky alarms it raised."""
    manager = get_store(zone).alarm._default_manager
    open_ = manager.filter(channel=channel, key=key[:200], cleared_at__isnull=True).exclude(
        kind__in=STICKY_KINDS
    )
    kinds = sorted(set(open_.values_list("kind", flat=True)))
    return sum(clear_alarm(zone, kind, channel, key=key) for kind in kinds)


def open_alarms(zone: str) -> list[abstract.Alarm]:
    manager = get_store(zone).alarm._default_manager
    return list(manager.filter(cleared_at__isnull=True).order_by("raised_at", "id"))
