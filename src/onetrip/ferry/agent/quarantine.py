"""Setting a bad batch, ack or heartbeat aside, with its reason and raw bytes, for the operator.

Every quarantine also raises an alarm (kind by reason: unknown/retired/other channel's key, wrong
channel, a conflicting batch, a broken chain, or plain `quarantine`), keyed by the document's
name, and is audited. When a good copy under the same name is accepted later (a resend of a batch
that was truncated on the way), the receiver clears the alarms of that name.
"""

from __future__ import annotations

import logging

from .. import models as abstract
from ..log import log_event
from ..protocol.envelope import sha256_hex
from ..registry import Store
from ..transports.base import Transport
from . import events
from .alarms import raise_alarm


def alarm_key(kind: str, name: str) -> str:
    """The alarm key of a quarantined document: its name, prefixed for the reverse direction."""
    return name if kind == abstract.QuarantinedBatch.KIND_BATCH else f"{kind}:{name}"


def quarantine(
    store: Store,
    transport: Transport,
    channel: str,
    name: str,
    body: bytes,
    reason: str,
    kind: str = abstract.QuarantinedBatch.KIND_BATCH,
    *,
    alarm: bool = False,
    alarm_kind: str | None = None,
) -> None:
    """Move the document out of the pending set and record it; never apply any of it.

    A resend of the same bad bytes only bumps the existing record's counter, so a batch that
    fails deterministically does not fill the table. `alarm` marks a security event (a
    conflicting batch), logged at ERROR; any other quarantine is logged at WARNING. `alarm_kind`
    (an `Alarm.KIND_*`) says which alarm to raise; by default `security_conflict` with `alarm`,
    else `quarantine`."""
    sha256 = sha256_hex(body)
    manager = store.quarantined_batch._default_manager
    existing = manager.filter(channel=channel, kind=kind, sha256=sha256).first()
    if existing is not None:
        if kind == abstract.QuarantinedBatch.KIND_ACK:
            transport.remove_ack(channel, name)
        else:
            transport.remove_batch(channel, name)
        existing.times_seen += 1
        existing.save(update_fields=["times_seen", "last_seen_at"])
        where = "(seen before)"
    else:
        if kind == abstract.QuarantinedBatch.KIND_ACK:
            where = transport.quarantine_ack(channel, name)
        else:
            where = transport.quarantine_batch(channel, name)
        manager.create(
            channel=channel, kind=kind, file_name=name, reason=reason, sha256=sha256, raw=body
        )
    log_event(
        logging.ERROR if alarm else logging.WARNING,
        "security_alarm" if alarm else "quarantined",
        zone=store.zone,
        channel=channel,
        kind=kind,
        file=name,
        sha256=sha256,
        reason=reason,
        moved_to=where,
    )
    events.record_event(
        store.zone, events.QUARANTINED, channel, count=1, detail=f"{kind}: {reason}"
    )
    if alarm_kind is None:
        alarm_kind = (
            abstract.Alarm.KIND_SECURITY_CONFLICT if alarm else abstract.Alarm.KIND_QUARANTINE
        )
    raise_alarm(
        store.zone, alarm_kind, channel, key=alarm_key(kind, name), detail=f"{kind}: {reason}"
    )
