"""Reading a zone's quarantined ferry documents safely (DESIGN §3 "Operate", §8).

A quarantined batch or ack is kept with its raw bytes. `quarantined_batches` / `quarantined_batch`
give the record and a *safe* summary of the document — manifest fields, message types and counts
— never a message payload, because payloads carry personal data. `classify_reason` sorts the
receiver's reason text into a few categories an operator page can explain.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .. import models as abstract
from ..registry import get_store
from .errors import QuarantineNotFound

_MAX_TEXT = 120  # longest manifest string shown; the bytes came over the boundary

# Why a document was quarantined, from the receiver's reason text. Order matters: the first
# matching needle wins.
CATEGORY_CONFLICT = "conflict"
CATEGORY_CHAIN = "chain"
CATEGORY_BAD_SIGNATURE = "bad_signature"
CATEGORY_UNKNOWN_KEY = "unknown_key"
CATEGORY_WRONG_CHANNEL = "wrong_channel"
CATEGORY_HASH_MISMATCH = "hash_mismatch"
CATEGORY_TRUNCATED = "truncated"
CATEGORY_SCHEMA = "schema"
CATEGORY_NO_HANDLER = "no_handler"
CATEGORY_ACK_MISMATCH = "ack_mismatch"
CATEGORY_DECRYPT = "decrypt"
CATEGORY_MALFORMED = "malformed"
CATEGORY_OTHER = "other"
SECURITY_CATEGORIES = frozenset({CATEGORY_CONFLICT, CATEGORY_CHAIN})
_CATEGORY_NEEDLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (CATEGORY_CONFLICT, ("conflicting batch", "conflict")),
    (CATEGORY_CHAIN, ("hash chain",)),
    (CATEGORY_UNKNOWN_KEY, ("unknown key", "retired key", "key id")),
    (CATEGORY_BAD_SIGNATURE, ("bad signature", "signature")),
    (CATEGORY_WRONG_CHANNEL, ("wrong channel", "does not send here")),
    (CATEGORY_DECRYPT, ("decrypt",)),
    (CATEGORY_HASH_MISMATCH, ("hash mismatch",)),
    (CATEGORY_TRUNCATED, ("truncated", "count mismatch")),
    (
        CATEGORY_SCHEMA,
        ("unknown message type", "fails schema", "unsupported", "schema version"),
    ),
    (CATEGORY_NO_HANDLER, ("no handler",)),
    (CATEGORY_ACK_MISMATCH, ("ack names", "ack sequences", "ack from unexpected")),
    (CATEGORY_MALFORMED, ("not json", "not a json", "not a uuid", "fields", "appears twice")),
)


@dataclass(frozen=True)
class MessageTypeCount:
    message_type: str
    version: int
    count: int


@dataclass(frozen=True)
class DocumentSummary:
    """What can be said about a quarantined document without showing any payload.

    Everything comes from unverified bytes: it is what the document *claims*."""

    readable: bool
    problem: str = ""
    format: str = ""
    channel: str = ""
    zone: str = ""  # sender_zone of a batch, receiver_zone of an ack
    batch_id: str = ""
    first_seq: int | None = None
    last_seq: int | None = None
    message_count: int | None = None  # as the manifest declares
    message_lines: int = 0  # as the file holds
    unreadable_lines: int = 0
    key_id: str = ""
    created_at: str = ""  # created_at of a batch, acked_at of an ack
    prev_batch_sha256: str = ""
    encrypted: bool = False  # sealed message lines: their types cannot be listed
    applied_through: int | None = None  # acks only
    reject_count: int | None = None  # acks only
    message_types: list[MessageTypeCount] = field(default_factory=list)


@dataclass(frozen=True)
class QuarantinedItem:
    id: int
    zone: str
    channel: str
    kind: str
    file_name: str
    reason: str
    category: str
    sha256: str
    size: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    times_seen: int
    summary: DocumentSummary

    @property
    def is_security_alarm(self) -> bool:
        return self.category in SECURITY_CATEGORIES


def classify_reason(reason: str) -> str:
    text = reason.lower()
    for category, needles in _CATEGORY_NEEDLES:
        if any(needle in text for needle in needles):
            return category
    return CATEGORY_OTHER


def _text(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _int(document: dict[str, Any], name: str) -> int | None:
    value = document.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summarize_document(
    raw: bytes, kind: str = abstract.QuarantinedBatch.KIND_BATCH
) -> DocumentSummary:
    """Parse the first line as the manifest (or the whole ack) if it is JSON.

    Of each message line only `message_type` and `version` are read; the parsed line is dropped
    at once, so no payload value leaves this function."""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return DocumentSummary(readable=False, problem="empty")
    try:
        document = json.loads(lines[0])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return DocumentSummary(readable=False, problem="first line is not JSON")
    if not isinstance(document, dict):
        return DocumentSummary(readable=False, problem="first line is not a JSON object")
    if kind == abstract.QuarantinedBatch.KIND_ACK:
        rejects = document.get("rejects")
        return DocumentSummary(
            readable=True,
            format=_text(document, "format"),
            channel=_text(document, "channel"),
            zone=_text(document, "receiver_zone"),
            batch_id=_text(document, "batch_id"),
            first_seq=_int(document, "first_seq"),
            last_seq=_int(document, "last_seq"),
            key_id=_text(document, "key_id"),
            created_at=_text(document, "acked_at"),
            applied_through=_int(document, "applied_through"),
            reject_count=len(rejects) if isinstance(rejects, list) else None,
        )
    counts: Counter[tuple[str, int]] = Counter()
    unreadable = 0
    for line in lines[1:]:
        try:
            message = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            unreadable += 1
            continue
        message_type = message.get("message_type") if isinstance(message, dict) else None
        version = message.get("version") if isinstance(message, dict) else None
        del message
        if isinstance(message_type, str) and isinstance(version, int):
            counts[(message_type[:_MAX_TEXT], version)] += 1
        else:
            unreadable += 1
    return DocumentSummary(
        readable=True,
        format=_text(document, "format"),
        channel=_text(document, "channel"),
        zone=_text(document, "sender_zone"),
        batch_id=_text(document, "batch_id"),
        first_seq=_int(document, "first_seq"),
        last_seq=_int(document, "last_seq"),
        message_count=_int(document, "message_count"),
        message_lines=len(lines) - 1,
        unreadable_lines=unreadable,
        key_id=_text(document, "key_id"),
        created_at=_text(document, "created_at"),
        prev_batch_sha256=_text(document, "prev_batch_sha256"),
        encrypted=document.get("encryption") is not None,
        message_types=[
            MessageTypeCount(message_type=t, version=v, count=n)
            for (t, v), n in sorted(counts.items())
        ],
    )


def _item(zone: str, row: abstract.QuarantinedBatch) -> QuarantinedItem:
    raw = bytes(row.raw)
    return QuarantinedItem(
        id=row.pk,
        zone=zone,
        channel=row.channel,
        kind=row.kind,
        file_name=row.file_name,
        reason=row.reason,
        category=classify_reason(row.reason),
        sha256=row.sha256,
        size=len(raw),
        first_seen_at=row.quarantined_at,
        last_seen_at=row.last_seen_at,
        times_seen=row.times_seen,
        summary=summarize_document(raw, row.kind),
    )


def quarantined_batches(zone: str, *, limit: int = 500) -> list[QuarantinedItem]:
    """The zone's quarantined batches and acks, most recently seen first."""
    manager = get_store(zone).quarantined_batch._default_manager
    rows = manager.order_by("-last_seen_at", "-id")[:limit]
    return [_item(zone, row) for row in rows]


def quarantined_batch(zone: str, quarantine_id: int) -> QuarantinedItem:
    row = get_store(zone).quarantined_batch._default_manager.filter(pk=quarantine_id).first()
    if row is None:
        raise QuarantineNotFound(quarantine_id)
    return _item(zone, row)
