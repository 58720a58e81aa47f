"""Setting a bad batch, ack or heartbeat aside, with its reason and first bytes, for the operator.

Every quarantine also raises an alarm (kind by reason: unknown/retired/other channel's key, wrong
channel, a conflicting batch, a broken chain, or plain `quarantine`), keyed by the document's
name, and is audited. When a good copy under the same name is accepted later (a resend of a batch
that was truncated on the way), the receiver clears the alarms of that name.

Whatever arrives can be quarantined, however it is named or made: the record keeps the name as
printable ASCII (`untrusted.printable`), at most FERRY_QUARANTINE_PREFIX_BYTES of the document, and
the SHA-256 and size of the whole; a record that holds only the beginning says so at the end of
its reason (`stored_note`). Something the receiver did not read at all (a bad name, a symbolic
link, a directory …) is recorded with no bytes and no hash.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings

from .. import models as abstract
from ..log import log_event
from ..protocol.signing import FerryKeyError
from ..protocol.untrusted import printable
from ..registry import Store
from ..transports.base import Incoming, Transport
from . import events
from .alarms import raise_alarm

MAX_REASON_CHARS = 1000
# What checking a document may raise that is about this host, not the document (a keys directory
# that cannot be read): the pass fails and is retried, instead of quarantining good documents.
HOST_ERRORS = (OSError, FerryKeyError)
_STORED_NOTE = " [stored: the first {kept} of {size} bytes]"
_STORED_NOTE_RE = re.compile(r" \[stored: the first (\d+) of (\d+) bytes\]$")


def alarm_key(kind: str, name: str) -> str:
    """The alarm key of a quarantined document: its name, prefixed for the reverse direction."""
    return name if kind == abstract.QuarantinedBatch.KIND_BATCH else f"{kind}:{name}"


def stored_note(kept: int, size: int) -> str:
    return _STORED_NOTE.format(kept=kept, size=size)


def split_stored_note(reason: str) -> tuple[str, int | None]:
    """A record's reason without its stored note, and the whole document's size from the note
    (None: the record holds the whole document, or nothing was read)."""
    match = _STORED_NOTE_RE.search(reason)
    if match is None:
        return reason, None
    return reason[: match.start()], int(match.group(2))


def within_limits(body: bytes) -> Incoming:
    """A document a transport handed over whole, cut as a file over the limit would be read."""
    return Incoming.limited(
        body,
        max_bytes=int(settings.FERRY_MAX_DOCUMENT_BYTES),
        keep_bytes=int(settings.FERRY_QUARANTINE_PREFIX_BYTES),
    )


def unreadable_reason(incoming: Incoming, max_bytes: int) -> str:
    """Why `incoming` is quarantined before any parsing, or "" if it may be parsed."""
    if incoming.refused:
        return f"refused without reading: {incoming.refused}"
    if not incoming.complete:
        return f"too large: {incoming.size} bytes, over the limit of {max_bytes} bytes"
    return ""


def malformed_reason(exc: Exception) -> str:
    """The reason for a document whose checking failed in a way no check foresaw."""
    return f"malformed: checking it failed with {exc.__class__.__name__}"


def bad_name_reason(kind: str) -> str:
    expected = {
        abstract.QuarantinedBatch.KIND_ACK: "an ack or resend request",
        abstract.QuarantinedBatch.KIND_HEARTBEAT: "a heartbeat",
    }.get(kind, "a batch or heartbeat")
    return f"bad file name: not the name of {expected}; not read"


def quarantine(
    store: Store,
    transport: Transport,
    channel: str,
    name: str,
    document: bytes | Incoming,
    reason: str,
    kind: str = abstract.QuarantinedBatch.KIND_BATCH,
    *,
    alarm: bool = False,
    alarm_kind: str | None = None,
    moved_to: str | None = None,
) -> None:
    """Move the document out of the pending set and record it; never apply any of it.

    A resend of the same bad bytes only bumps the existing record's counter, so a batch that
    fails deterministically does not fill the table; what was not read (no hash) always gets a
    record of its own and is moved aside, never deleted. `alarm` marks a security event (a
    conflicting batch), logged at ERROR; any other quarantine is logged at WARNING. `alarm_kind`
    (an `Alarm.KIND_*`) says which alarm to raise; by default `security_conflict` with `alarm`,
    else `quarantine`. `moved_to` says the transport has already set the document aside there."""
    incoming = document if isinstance(document, Incoming) else Incoming.whole(document)
    shown = printable(name)
    kept = incoming.body[: max(0, int(settings.FERRY_QUARANTINE_PREFIX_BYTES))]
    reason = reason[:MAX_REASON_CHARS]
    if len(kept) < incoming.size:
        reason += stored_note(len(kept), incoming.size)
    manager = store.quarantined_batch._default_manager
    existing = (
        manager.filter(channel=channel, kind=kind, sha256=incoming.sha256).first()
        if incoming.sha256
        else None
    )
    if moved_to is not None:
        where = moved_to
    elif existing is not None:
        _remove(transport, channel, name, kind)
        where = "(seen before)"
    elif kind == abstract.QuarantinedBatch.KIND_ACK:
        where = transport.quarantine_ack(channel, name)
    else:
        where = transport.quarantine_batch(channel, name)
    if existing is not None:
        existing.times_seen += 1
        existing.save(update_fields=["times_seen", "last_seen_at"])
    else:
        manager.create(
            channel=channel,
            kind=kind,
            file_name=shown,
            reason=reason,
            sha256=incoming.sha256,
            raw=kept,
        )
    log_event(
        logging.ERROR if alarm else logging.WARNING,
        "security_alarm" if alarm else "quarantined",
        zone=store.zone,
        channel=channel,
        kind=kind,
        file=shown,
        sha256=incoming.sha256 or "-",
        size=incoming.size,
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
        store.zone, alarm_kind, channel, key=alarm_key(kind, shown), detail=f"{kind}: {reason}"
    )


def _remove(transport: Transport, channel: str, name: str, kind: str) -> None:
    if kind == abstract.QuarantinedBatch.KIND_ACK:
        transport.remove_ack(channel, name)
    else:
        transport.remove_batch(channel, name)
