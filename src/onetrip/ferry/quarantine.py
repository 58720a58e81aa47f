"""Setting a bad batch or ack aside, with its reason and raw bytes, for the operator."""

from __future__ import annotations

import logging

from . import models as abstract
from .envelope import sha256_hex
from .log import log_event
from .registry import Store
from .transports.base import Transport


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
) -> None:
    """Move the document out of the pending set and record it; never apply any of it.

    A resend of the same bad bytes only bumps the existing record's counter, so a batch that
    fails deterministically does not fill the table. `alarm` marks a security event (a
    conflicting batch), logged at ERROR; any other quarantine is logged at WARNING."""
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
