"""Build, and verify before acting on, the ferry's batch and ack documents (DESIGN §3).

A batch file is canonical JSON Lines: line 1 is the signed manifest, each further line one message
envelope. The manifest lists the SHA-256 of every message line and the SHA-256 of the previous
batch file (a hash chain), and is signed with Ed25519 over its canonical form without `signature`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from onetrip.contracts.base import Contract, contract_for

from .envelope import Envelope, EnvelopeError, canonical_json, format_time, sha256_hex
from .signing import SigningKey, verify

BATCH_FORMAT = "onetrip-ferry-batch/1"
ACK_FORMAT = "onetrip-ferry-ack/1"

MANIFEST_FIELDS = {
    "format": str,
    "channel": str,
    "sender_zone": str,
    "first_seq": int,
    "last_seq": int,
    "batch_id": str,
    "created_at": str,
    "message_count": int,
    "message_sha256": list,
    "prev_batch_sha256": str,
    "key_id": str,
    "signature": str,
}
ACK_FIELDS = {
    "format": str,
    "channel": str,
    "receiver_zone": str,
    "batch_id": str,
    "batch_sha256": str,
    "first_seq": int,
    "last_seq": int,
    "applied_through": int,
    "rejects": list,
    "acked_at": str,
    "key_id": str,
    "signature": str,
}
BATCH_NAME_RE = re.compile(r"^(\d{12})-([0-9a-f-]{36})\.jsonl$")
ACK_NAME_RE = re.compile(r"^(\d{12})-([0-9a-f-]{36})\.json$")


class BatchInvalid(Exception):
    """The document must not be acted on; `reason` says why (for the quarantine record)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def batch_file_name(first_seq: int, batch_id: uuid.UUID) -> str:
    """Zero-padded so that a directory listing sorts in sequence order."""
    return f"{first_seq:012d}-{batch_id}.jsonl"


def ack_file_name(last_seq: int, batch_id: uuid.UUID) -> str:
    return f"{last_seq:012d}-{batch_id}.json"


def _signed_bytes(document: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


def _check_fields(document: Any, spec: dict[str, type], what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise BatchInvalid(f"{what} is not a JSON object")
    if set(document) != set(spec):
        raise BatchInvalid(f"{what} fields {sorted(document)} differ from {sorted(spec)}")
    for name, kind in spec.items():
        value = document[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BatchInvalid(f"{what} field {name} is not {kind.__name__}")
    return document


# -- batches -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltBatch:
    batch_id: uuid.UUID
    first_seq: int
    last_seq: int
    message_count: int
    prev_sha256: str
    sha256: str
    file_name: str
    body: bytes


def build_batch(
    *,
    channel: str,
    sender_zone: str,
    envelopes: list[Envelope],
    prev_sha256: str,
    key: SigningKey,
    created_at: dt.datetime,
    batch_id: uuid.UUID | None = None,
) -> BuiltBatch:
    """Serialise envelopes (already numbered, consecutive) into a signed batch file."""
    if not envelopes:
        raise ValueError("a batch needs at least one message")
    if key.channel != channel:
        raise ValueError(f"key of {key.channel} cannot sign for {channel}")
    first_seq, last_seq = envelopes[0].sequence, envelopes[-1].sequence
    if [e.sequence for e in envelopes] != list(range(first_seq, last_seq + 1)):
        raise ValueError("batch sequences must be consecutive")
    batch_id = batch_id or uuid.uuid4()
    lines = [e.to_line() for e in envelopes]
    manifest: dict[str, Any] = {
        "format": BATCH_FORMAT,
        "channel": channel,
        "sender_zone": sender_zone,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "batch_id": str(batch_id),
        "created_at": format_time(created_at),
        "message_count": len(lines),
        "message_sha256": [sha256_hex(line) for line in lines],
        "prev_batch_sha256": prev_sha256,
        "key_id": key.key_id,
    }
    manifest["signature"] = key.sign(canonical_json(manifest))
    body = b"".join(line + b"\n" for line in [canonical_json(manifest), *lines])
    return BuiltBatch(
        batch_id=batch_id,
        first_seq=first_seq,
        last_seq=last_seq,
        message_count=len(lines),
        prev_sha256=prev_sha256,
        sha256=sha256_hex(body),
        file_name=batch_file_name(first_seq, batch_id),
        body=body,
    )


@dataclass(frozen=True)
class VerifiedBatch:
    """A batch whose every byte has been checked; safe to apply if the sequence and chain fit."""

    channel: str
    file_name: str
    batch_id: uuid.UUID
    first_seq: int
    last_seq: int
    prev_sha256: str
    sha256: str
    key_id: str
    messages: list[tuple[Envelope, Contract]] = field(default_factory=list)


def verify_batch(*, channel: str, file_name: str, body: bytes) -> VerifiedBatch:
    """Check signature, channel, count, hashes, sequences and schemas; raise BatchInvalid.

    Nothing here looks at the database, so a bad batch is rejected before any lock is taken."""
    if not body.endswith(b"\n"):
        raise BatchInvalid("truncated: file does not end with a newline")
    lines = body[:-1].split(b"\n")
    try:
        manifest = _check_fields(json.loads(lines[0]), MANIFEST_FIELDS, "manifest")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BatchInvalid(f"manifest is not JSON: {exc.__class__.__name__}") from None
    if manifest["format"] != BATCH_FORMAT:
        raise BatchInvalid(f"unsupported batch format {manifest['format']!r}")
    if lines[0] != canonical_json(manifest):
        # The signature covers the parsed manifest; insisting on its canonical bytes as well
        # makes the batch hash a function of the signed content alone.
        raise BatchInvalid("bad signature: manifest line is not canonical JSON")
    if manifest["channel"] != channel:
        raise BatchInvalid(f"wrong channel: manifest says {manifest['channel']!r}, not {channel}")
    problem = verify(channel, manifest["key_id"], _signed_bytes(manifest), manifest["signature"])
    if problem:
        raise BatchInvalid(problem)
    # From here on the manifest is authentic; the rest checks the body against it.
    try:
        batch_id = uuid.UUID(manifest["batch_id"])
    except ValueError:
        raise BatchInvalid("manifest batch_id is not a UUID") from None
    first_seq, last_seq = manifest["first_seq"], manifest["last_seq"]
    count = manifest["message_count"]
    hashes = manifest["message_sha256"]
    if first_seq < 1 or last_seq - first_seq + 1 != count or count < 1:
        raise BatchInvalid(f"manifest sequences {first_seq}-{last_seq} disagree with count {count}")
    if len(hashes) != count or len(lines) - 1 != count:
        raise BatchInvalid(
            f"message count mismatch: manifest {count}, hashes {len(hashes)}, "
            f"lines {len(lines) - 1} (truncated?)"
        )
    if file_name != batch_file_name(first_seq, batch_id):
        raise BatchInvalid(f"file name {file_name} does not match the manifest")
    messages: list[tuple[Envelope, Contract]] = []
    seen_ids: set[uuid.UUID] = set()
    for index, line in enumerate(lines[1:]):
        if sha256_hex(line) != hashes[index]:
            raise BatchInvalid(f"message {index + 1} hash mismatch")
        try:
            envelope = Envelope.from_dict(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BatchInvalid(f"message {index + 1} is not JSON") from None
        except EnvelopeError as exc:
            raise BatchInvalid(f"message {index + 1}: {exc}") from None
        if envelope.sequence != first_seq + index:
            raise BatchInvalid(f"message {index + 1} has sequence {envelope.sequence}")
        if envelope.message_id in seen_ids:
            raise BatchInvalid(f"message id {envelope.message_id} appears twice")
        seen_ids.add(envelope.message_id)
        contract = contract_for(envelope.message_type, envelope.version)
        if contract is None:
            raise BatchInvalid(
                f"unknown message type {envelope.message_type} v{envelope.version} "
                f"(message {envelope.message_id})"
            )
        try:
            message = contract.model_validate(envelope.payload)
        except ValidationError as exc:
            raise BatchInvalid(
                f"message {envelope.message_id} fails schema "
                f"{envelope.message_type} v{envelope.version}: {exc.error_count()} error(s)"
            ) from None
        messages.append((envelope, message))
    return VerifiedBatch(
        channel=channel,
        file_name=file_name,
        batch_id=batch_id,
        first_seq=first_seq,
        last_seq=last_seq,
        prev_sha256=manifest["prev_batch_sha256"],
        sha256=sha256_hex(body),
        key_id=manifest["key_id"],
        messages=messages,
    )


# -- acks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    channel: str
    receiver_zone: str
    batch_id: uuid.UUID
    batch_sha256: str
    first_seq: int
    last_seq: int
    applied_through: int
    rejects: list[dict[str, Any]]
    acked_at: str
    key_id: str

    @property
    def file_name(self) -> str:
        return ack_file_name(self.last_seq, self.batch_id)


def build_ack(
    *,
    channel: str,
    receiver_zone: str,
    batch_id: uuid.UUID,
    batch_sha256: str,
    first_seq: int,
    last_seq: int,
    applied_through: int,
    rejects: list[dict[str, Any]],
    acked_at: dt.datetime,
    key: SigningKey,
) -> tuple[str, bytes]:
    """A signed ack for one batch of `channel`; signed with the receiver's own sending key."""
    document: dict[str, Any] = {
        "format": ACK_FORMAT,
        "channel": channel,
        "receiver_zone": receiver_zone,
        "batch_id": str(batch_id),
        "batch_sha256": batch_sha256,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "applied_through": applied_through,
        "rejects": rejects,
        "acked_at": format_time(acked_at),
        "key_id": key.key_id,
    }
    document["signature"] = key.sign(canonical_json(document))
    return ack_file_name(last_seq, batch_id), canonical_json(document) + b"\n"


def verify_ack(*, channel: str, signer_channel: str, body: bytes) -> Ack:
    """Check an ack for our batches on `channel`, signed with a key of `signer_channel`."""
    try:
        document = _check_fields(json.loads(body), ACK_FIELDS, "ack")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BatchInvalid(f"ack is not JSON: {exc.__class__.__name__}") from None
    if document["format"] != ACK_FORMAT:
        raise BatchInvalid(f"unsupported ack format {document['format']!r}")
    if document["channel"] != channel:
        raise BatchInvalid(f"wrong channel: ack says {document['channel']!r}, not {channel}")
    problem = verify(
        signer_channel, document["key_id"], _signed_bytes(document), document["signature"]
    )
    if problem:
        raise BatchInvalid(problem)
    try:
        batch_id = uuid.UUID(document["batch_id"])
    except ValueError:
        raise BatchInvalid("ack batch_id is not a UUID") from None
    return Ack(
        channel=channel,
        receiver_zone=document["receiver_zone"],
        batch_id=batch_id,
        batch_sha256=document["batch_sha256"],
        first_seq=document["first_seq"],
        last_seq=document["last_seq"],
        applied_through=document["applied_through"],
        rejects=document["rejects"],
        acked_at=document["acked_at"],
        key_id=document["key_id"],
    )
