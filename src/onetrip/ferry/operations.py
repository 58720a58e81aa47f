"""What an operator may do with a zone's quarantined ferry documents (DESIGN §3 "Operate").

A quarantined batch or ack is kept with its raw bytes. The operator can

* inspect it: `quarantined_batches` / `quarantined_batch` give the record and a *safe* summary of
  the document — manifest fields, message types and counts — never a message payload, because
  payloads carry personal data (DESIGN §8);
* release it (`quarantine_release`): the raw bytes go back into the transport's pending set of
  their channel under their original name, so the receiver verifies them again from scratch.
  Releasing is for after the cause was fixed (the key is now trusted, the schema deployed); a
  document that is still bad is simply quarantined again, and one that is good is applied exactly
  once like any other (the inbox remembers every message id);
* discard it for good (`quarantine_discard`), which also ends the alarms the document raised
  (not the security alarms, which an operator clears after investigating).

Both actions need a reason and name the actor. The ferry belongs to no zone and cannot write the
police audit log, so the caller passes `on_done`, which runs inside the same database transaction
as the change: if it raises (say the audit row cannot be written), the record stays as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction

from . import models as abstract
from .alarms import clear_alarms_for_key
from .log import log_event
from .quarantine import alarm_key
from .registry import Store, get_store
from .transports import get_transport

REASON_MIN_LENGTH = 4
_MAX_TEXT = 120  # longest manifest string shown; the bytes came over the boundary

# Only documents a receiver reads back from the transport can be put back; anything else the
# ferry may quarantine later (heartbeats) is superseded by the next one and can only be discarded.
RELEASABLE_KINDS = frozenset(
    {abstract.QuarantinedBatch.KIND_BATCH, abstract.QuarantinedBatch.KIND_ACK}
)

ACTION_RELEASE = "release"
ACTION_DISCARD = "discard"

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


class OperationError(Exception):
    """An operator action that was refused; carries a message in both languages."""

    code = "operation_refused"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


class ReasonRequired(OperationError):
    code = "reason_required"


class QuarantineNotFound(OperationError):
    code = "not_found"


class ReleaseConflict(OperationError):
    code = "release_conflict"


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


@dataclass(frozen=True)
class QuarantineAction:
    """What `quarantine_release` or `quarantine_discard` did (for the caller's audit row)."""

    action: str
    zone: str
    quarantine_id: int
    channel: str
    kind: str
    file_name: str
    sha256: str
    size: int
    batch_id: str
    category: str
    quarantine_reason: str
    times_seen: int
    actor: str
    reason: str
    put_back: bool
    alarms_cleared: int = 0


# -- reading -------------------------------------------------------------------------------------


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
        raise _not_found(quarantine_id)
    return _item(zone, row)


# -- acting --------------------------------------------------------------------------------------


def check_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if len(cleaned) < REASON_MIN_LENGTH:
        raise ReasonRequired(
            f"请填写操作原因（至少 {REASON_MIN_LENGTH} 个字）",
            f"give a reason of at least {REASON_MIN_LENGTH} characters",
        )
    return cleaned


def _not_found(quarantine_id: int) -> QuarantineNotFound:
    return QuarantineNotFound(
        f"未找到隔离记录 {quarantine_id}（可能已被处理）",
        f"no quarantined document {quarantine_id} (already handled?)",
    )


def _locked(store: Store, quarantine_id: int) -> abstract.QuarantinedBatch:
    row = (
        store.quarantined_batch._default_manager.select_for_update()
        .filter(pk=quarantine_id)
        .first()
    )
    if row is None:
        raise _not_found(quarantine_id)
    return row


def _action(
    action: str, zone: str, row: abstract.QuarantinedBatch, actor: str, reason: str
) -> QuarantineAction:
    raw = bytes(row.raw)
    return QuarantineAction(
        action=action,
        zone=zone,
        quarantine_id=row.pk,
        channel=row.channel,
        kind=row.kind,
        file_name=row.file_name,
        sha256=row.sha256,
        size=len(raw),
        batch_id=summarize_document(raw, row.kind).batch_id,
        category=classify_reason(row.reason),
        quarantine_reason=row.reason,
        times_seen=row.times_seen,
        actor=actor,
        reason=reason,
        put_back=action == ACTION_RELEASE,
    )


def _check_actor(actor: str) -> str:
    if not actor:
        raise ValueError("a quarantine action needs an actor (a username)")
    return actor


def quarantine_release(
    *,
    zone: str,
    quarantine_id: int,
    actor: str,
    reason: str,
    on_done: Callable[[QuarantineAction], None] | None = None,
) -> QuarantineAction:
    """Put the document's bytes back where its receiver looks, and forget the record.

    The bytes are written before the record is deleted and inside the same transaction, so a
    failure at any point leaves the record (and at worst a pending copy the receiver checks
    again — which is what a release asks for anyway). Refused if a *different* document is
    pending under the same name: overwriting it could drop a good batch."""
    reason = check_reason(reason)
    actor = _check_actor(actor)
    store = get_store(zone)
    transport = get_transport()
    with transaction.atomic(using=store.db):
        row = _locked(store, quarantine_id)
        if row.kind not in RELEASABLE_KINDS:
            raise OperationError(
                "此类文件不能放行，只能丢弃（对方会发送新的）",
                f"a quarantined {row.kind} cannot be released, only discarded",
            )
        body = bytes(row.raw)
        is_ack = row.kind == abstract.QuarantinedBatch.KIND_ACK
        pending = (
            transport.read_ack(row.channel, row.file_name)
            if is_ack
            else transport.read_batch(row.channel, row.file_name)
        )
        if pending is not None and pending != body:
            raise ReleaseConflict(
                f"通道 {row.channel} 上已有同名的另一份文件 {row.file_name} 待处理，"
                "请待其处理后再放行",
                f"a different document named {row.file_name} is pending on {row.channel}; "
                "release once it has been processed",
            )
        if is_ack:
            transport.put_ack(row.channel, row.file_name, body)
        else:
            transport.put_batch(row.channel, row.file_name, body)
        result = _action(ACTION_RELEASE, zone, row, actor, reason)
        row.delete()
        if on_done is not None:
            on_done(result)
    _log(result)
    return result


def quarantine_discard(
    *,
    zone: str,
    quarantine_id: int,
    actor: str,
    reason: str,
    on_done: Callable[[QuarantineAction], None] | None = None,
) -> QuarantineAction:
    """Delete the record and its bytes for good. A copy the `dir` transport moved to
    `<channel>/quarantine/` stays there for forensics until the operator removes it."""
    reason = check_reason(reason)
    actor = _check_actor(actor)
    store = get_store(zone)
    with transaction.atomic(using=store.db):
        row = _locked(store, quarantine_id)
        # The document is dealt with, so its own quarantine alarms end with it; security alarms
        # (conflict, broken chain) stay open until an operator clears them explicitly.
        cleared = clear_alarms_for_key(zone, row.channel, alarm_key(row.kind, row.file_name))
        result = replace(_action(ACTION_DISCARD, zone, row, actor, reason), alarms_cleared=cleared)
        row.delete()
        if on_done is not None:
            on_done(result)
    _log(result)
    return result


def release_transport_connections() -> None:
    """Close the broker connections this process opened, if the transport keeps any.

    For web requests (the ferry page, `/metrics`): counting pending batches on the `amqp`
    transport takes deliveries off the queue until the connection closes, and a web worker must
    not keep them from the agent between requests. The `dir` transport holds nothing."""
    from . import transports

    close = getattr(transports, "close_transports", None)
    if callable(close):
        close()


def _log(result: QuarantineAction) -> None:
    # The operator's reason is free text; the audit row keeps it, the log keeps ids only.
    log_event(
        logging.WARNING,
        "quarantine_released" if result.action == ACTION_RELEASE else "quarantine_discarded",
        zone=result.zone,
        channel=result.channel,
        kind=result.kind,
        file=result.file_name,
        sha256=result.sha256,
        quarantine_id=result.quarantine_id,
        actor=result.actor,
    )
