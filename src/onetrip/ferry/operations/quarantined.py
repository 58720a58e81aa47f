"""Reading a zone's quarantined ferry documents safely (DESIGN §3 "Operate", §8).

A quarantined batch or ack is kept with (the beginning of) its raw bytes. `quarantined_batches` /
`quarantined_batch` give the record and a *safe* summary of the document — manifest fields,
message types and counts — never a message payload, because payloads carry personal data.
`classify_reason` sorts the receiver's reason text into a few categories an operator page can
explain.

Whatever was quarantined can be shown: the bytes are parsed with the ferry's bounded parser
(`protocol.untrusted.parse_json`), every string shown is printable ASCII of bounded length, and a
document whose first line cannot be read is shown as an escaped preview of that line's first
bytes (the manifest line of a batch, which carries no payload).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .. import models as abstract
from ..agent.quarantine import split_stored_note
from ..protocol.batch import is_ack_directory_name, is_batch_directory_name
from ..protocol.untrusted import parse_json, printable
from ..registry import get_store
from .errors import QuarantineNotFound

_MAX_TEXT = 120  # longest manifest string shown; the bytes came over the boundary
PREVIEW_BYTES = 120  # of an unreadable first line, shown escaped
SUMMARY_MAX_BYTES = 1024 * 1024  # of a record's bytes, summarized for the pages

# Only documents a receiver reads back from the transport can be put back; anything else the
# ferry may quarantine (heartbeats) is superseded by the next one and can only be discarded.
RELEASABLE_KINDS = frozenset(
    {abstract.QuarantinedBatch.KIND_BATCH, abstract.QuarantinedBatch.KIND_ACK}
)

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
CATEGORY_BAD_NAME = "bad_name"
CATEGORY_REFUSED = "refused"
CATEGORY_TOO_LARGE = "too_large"
CATEGORY_MALFORMED = "malformed"
CATEGORY_OTHER = "other"
SECURITY_CATEGORIES = frozenset({CATEGORY_CONFLICT, CATEGORY_CHAIN})
_CATEGORY_NEEDLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (CATEGORY_BAD_NAME, ("bad file name",)),
    (CATEGORY_REFUSED, ("refused without reading",)),
    (CATEGORY_TOO_LARGE, ("too large:",)),
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
    (
        CATEGORY_MALFORMED,
        ("not json", "not a json", "not a uuid", "fields", "appears twice", "malformed"),
    ),
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
    preview: str = ""  # unreadable first line: its first bytes, escaped
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
    sha256: str  # of the whole document; "" when nothing was read
    size: int  # of the whole document
    stored: int  # bytes kept in the record: all of them, or the first FERRY_QUARANTINE_PREFIX_BYTES
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    times_seen: int
    summary: DocumentSummary

    @property
    def is_security_alarm(self) -> bool:
        return self.category in SECURITY_CATEGORIES

    @property
    def complete(self) -> bool:
        """The record holds the whole document, as it came."""
        return bool(self.sha256) and self.stored == self.size

    @property
    def releasable(self) -> bool:
        """A release could put it back where its receiver reads it (`holds_whole_document`)."""
        return self.kind in RELEASABLE_KINDS and self.complete and _named(self.kind, self.file_name)


def holds_whole_document(row: abstract.QuarantinedBatch) -> bool:
    """Whether putting the record's bytes back gives the receiver what it got: all of them were
    kept (no stored note, a hash), under a name the receiver reads."""
    _reason, size = split_stored_note(row.reason)
    return bool(row.sha256) and size is None and _named(row.kind, row.file_name)


def _named(kind: str, file_name: str) -> bool:
    if kind == abstract.QuarantinedBatch.KIND_ACK:
        return is_ack_directory_name(file_name)
    return is_batch_directory_name(file_name)


def classify_reason(reason: str) -> str:
    text = reason.lower()
    for category, needles in _CATEGORY_NEEDLES:
        if any(needle in text for needle in needles):
            return category
    return CATEGORY_OTHER


def _text(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    return printable(value, _MAX_TEXT) if isinstance(value, str) else ""


def _int(document: dict[str, Any], name: str) -> int | None:
    value = document.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summarize_document(
    raw: bytes, kind: str = abstract.QuarantinedBatch.KIND_BATCH
) -> DocumentSummary:
    """Parse the first line as the manifest (or the whole ack) if it is JSON.

    Of each message line only `message_type` and `version` are read; the parsed line is dropped
    at once, so no payload value leaves this function. Only the first SUMMARY_MAX_BYTES are
    looked at (records made before quarantine kept a prefix only can be far larger)."""
    lines = raw[:SUMMARY_MAX_BYTES].split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return DocumentSummary(readable=False, problem="empty")
    preview = preview_bytes(lines[0])
    try:
        document = parse_json(lines[0])
    except ValueError as exc:
        return DocumentSummary(
            readable=False, problem=f"first line is not JSON: {exc}", preview=preview
        )
    if not isinstance(document, dict):
        return DocumentSummary(
            readable=False, problem="first line is not a JSON object", preview=preview
        )
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
            message = parse_json(line)
        except ValueError:
            unreadable += 1
            continue
        message_type = message.get("message_type") if isinstance(message, dict) else None
        version = message.get("version") if isinstance(message, dict) else None
        del message
        if isinstance(message_type, str) and isinstance(version, int):
            counts[(printable(message_type, _MAX_TEXT), version)] += 1
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


def preview_bytes(data: bytes) -> str:
    """The first PREVIEW_BYTES of `data` as printable ASCII, every other byte as \\xNN."""
    head = data[:PREVIEW_BYTES].decode("latin-1")
    shown = printable(head, 4 * PREVIEW_BYTES)
    return shown + ("..." if len(data) > PREVIEW_BYTES else "")


def _item(zone: str, row: abstract.QuarantinedBatch) -> QuarantinedItem:
    raw = bytes(row.raw)
    reason, size = split_stored_note(row.reason)
    return QuarantinedItem(
        id=row.pk,
        zone=zone,
        channel=row.channel,
        kind=row.kind,
        file_name=row.file_name,
        reason=reason,
        category=classify_reason(reason),
        sha256=row.sha256,
        size=len(raw) if size is None else size,
        stored=len(raw),
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
