"""Build, and verify before acting on, the ferry's batch and ack documents (DESIGN §3).

A batch file is canonical JSON Lines: line 1 is the signed manifest, each further line one message
envelope. The manifest lists the SHA-256 of every message line and the SHA-256 of the previous
batch file (a hash chain), and is signed with Ed25519 over its canonical form without `signature`.
An encrypted batch (settings.FERRY_ENCRYPT) has an `encryption` object in its manifest and a single
second line, the sealed message lines (see `sealing`); the manifest stays clear and signed.

The reverse direction carries acks (one per batch, with business rejects) and resend requests
(`missing: [first, last]`, written by a receiver that sees a gap). Heartbeats travel with the
batches of the sender's channel under the name `heartbeat-<zone>.jsonl`. All are signed with the
sending key of the zone that writes them.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import ValidationError

from onetrip.contracts.base import Contract, contract_for

from .channels import sender_of
from .envelope import Envelope, EnvelopeError, canonical_json, format_time, sha256_hex
from .sealing import (
    ENCRYPTION_FIELDS,
    DecryptionKeyError,
    SealError,
    find_decryption_key,
    open_sealed,
    seal,
)
from .signing import SigningKey, check_signature
from .untrusted import parse_json

BATCH_FORMAT = "onetrip-ferry-batch/1"
ACK_FORMAT = "onetrip-ferry-ack/1"
RESEND_FORMAT = "onetrip-ferry-resend/1"
HEARTBEAT_FORMAT = "onetrip-ferry-heartbeat/1"

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
RESEND_FIELDS = {
    "format": str,
    "channel": str,
    "receiver_zone": str,
    "missing": list,
    "applied_through": int,
    "requested_at": str,
    "key_id": str,
    "signature": str,
}
HEARTBEAT_FIELDS = {
    "format": str,
    "channel": str,
    "sender_zone": str,
    "last_seq": int,
    "last_seq_sent": int,
    "applied_through": int,
    "sent_at": str,
    "key_id": str,
    "signature": str,
}
BATCH_NAME_RE = re.compile(r"^(\d{12})-([0-9a-f-]{36})\.jsonl$")
ACK_NAME_RE = re.compile(r"^(\d{12})-([0-9a-f-]{36})\.json$")
HEARTBEAT_NAME_RE = re.compile(r"^heartbeat-([a-z]+)\.jsonl$")


class BatchInvalid(Exception):
    """The document must not be acted on; `reason` says why (for the quarantine record) and
    `kind` which alarm it raises (an `Alarm.KIND_*`)."""

    def __init__(self, reason: str, kind: str = "quarantine") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def batch_file_name(first_seq: int, batch_id: uuid.UUID) -> str:
    """Zero-padded so that a directory listing sorts in sequence order."""
    return f"{first_seq:012d}-{batch_id}.jsonl"


def ack_file_name(last_seq: int, batch_id: uuid.UUID) -> str:
    return f"{last_seq:012d}-{batch_id}.json"


def resend_file_name(first_missing: int, request_id: uuid.UUID) -> str:
    return f"{first_missing:012d}-{request_id}.json"


def heartbeat_file_name(zone: str) -> str:
    """One name per zone: a newer heartbeat replaces an unread older one."""
    return f"heartbeat-{zone}.jsonl"


def is_heartbeat_name(name: str) -> bool:
    return HEARTBEAT_NAME_RE.match(name) is not None


def is_batch_directory_name(name: str) -> bool:
    """A name that may stand in a channel's batches directory (queue): a batch or a heartbeat.
    Anything else is quarantined before any path is built from it."""
    return BATCH_NAME_RE.match(name) is not None or is_heartbeat_name(name)


def is_ack_directory_name(name: str) -> bool:
    """A name that may stand in a channel's acks directory (queue): an ack or a resend request."""
    return ACK_NAME_RE.match(name) is not None


def _canonical_text(document: dict[str, Any]) -> bytes | None:
    """The canonical bytes of a parsed document; None if it has none (a lone surrogate from a
    `\\ud800` escape cannot be encoded as UTF-8)."""
    try:
        return canonical_json(document)
    except ValueError:
        return None


def _signed_bytes(document: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


def _check_fields(
    document: Any,
    spec: dict[str, type],
    what: str,
    optional: dict[str, type] | None = None,
) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise BatchInvalid(f"{what} is not a JSON object")
    optional = optional or {}
    present_optional = {name for name in optional if name in document}
    if set(document) != set(spec) | present_optional:
        raise BatchInvalid(f"{what} fields {sorted(document)} differ from {sorted(spec)}")
    for name, kind in {**spec, **{n: optional[n] for n in present_optional}}.items():
        value = document[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BatchInvalid(f"{what} field {name} is not {kind.__name__}")
    return document


def _check_signature(channel: str, document: dict[str, Any]) -> None:
    problem = check_signature(
        channel, document["key_id"], _signed_bytes(document), document["signature"]
    )
    if problem:
        raise BatchInvalid(problem.reason, problem.kind)


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
    encrypt_to: tuple[str, X25519PublicKey] | None = None,
) -> BuiltBatch:
    """Serialise envelopes (already numbered, consecutive) into a signed batch file, with the
    message lines sealed to the receiver's key when `encrypt_to` is given."""
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
    body_lines = lines
    if encrypt_to is not None:
        sealed = seal(
            channel=channel,
            batch_id=str(batch_id),
            plaintext=b"".join(line + b"\n" for line in lines),
            recipient=encrypt_to,
        )
        manifest["encryption"] = sealed.header
        body_lines = [sealed.line]
    manifest["signature"] = key.sign(canonical_json(manifest))
    body = b"".join(line + b"\n" for line in [canonical_json(manifest), *body_lines])
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
    """A batch whose every byte has been checked; safe to apply if the sequence and chain fit.

    `unknown` lists the (type, version) pairs with no contract in this zone: such a batch is
    authentic but cannot apply yet (it is parked); its `messages` then hold only the known ones."""

    channel: str
    file_name: str
    batch_id: uuid.UUID
    first_seq: int
    last_seq: int
    prev_sha256: str
    sha256: str
    key_id: str
    messages: list[tuple[Envelope, Contract]] = field(default_factory=list)
    unknown: list[tuple[str, int]] = field(default_factory=list)
    encrypted: bool = False


def _decrypt(
    channel: str,
    manifest: dict[str, Any],
    lines: list[bytes],
    decryption_key: tuple[str, X25519PrivateKey] | None,
) -> list[bytes]:
    header = _check_fields(manifest["encryption"], ENCRYPTION_FIELDS, "encryption header")
    if len(lines) != 2:
        raise BatchInvalid(f"encrypted batch has {len(lines) - 1} body lines, not 1 (truncated?)")
    if decryption_key is None:
        # The key the batch names, so batches sealed before a rotation still open (until that
        # key is retired); a retired key raises its own alarm kind.
        try:
            decryption_key = find_decryption_key(channel, header["recipient_key_id"])
        except DecryptionKeyError as exc:
            raise BatchInvalid(f"cannot decrypt: {exc}", exc.kind) from None
    try:
        plaintext = open_sealed(
            channel=channel,
            batch_id=manifest["batch_id"],
            header=header,
            line=lines[1],
            recipient=decryption_key,
        )
    except SealError as exc:
        raise BatchInvalid(f"cannot decrypt: {exc}") from None
    if plaintext and not plaintext.endswith(b"\n"):
        raise BatchInvalid("decrypted body does not end with a newline")
    return [lines[0], *plaintext[:-1].split(b"\n")] if plaintext else [lines[0]]


def verify_batch(
    *,
    channel: str,
    file_name: str,
    body: bytes,
    decryption_key: tuple[str, X25519PrivateKey] | None = None,
) -> VerifiedBatch:
    """Check signature, channel, count, hashes, sequences and schemas; raise BatchInvalid.

    Nothing here looks at the database, so a bad batch is rejected before any lock is taken. A
    message of an unknown (type, version) does not make the batch invalid: it is listed in
    `unknown` for the receiver to park the batch."""
    if not body.endswith(b"\n"):
        raise BatchInvalid("truncated: file does not end with a newline")
    lines = body[:-1].split(b"\n")
    try:
        parsed = parse_json(lines[0])
    except ValueError as exc:
        raise BatchInvalid(f"manifest is not JSON: {exc}") from None
    manifest = _check_fields(parsed, MANIFEST_FIELDS, "manifest", {"encryption": dict})
    if manifest["format"] != BATCH_FORMAT:
        raise BatchInvalid(f"unsupported batch format {manifest['format']!r}")
    if lines[0] != _canonical_text(manifest):
        # The signature covers the parsed manifest; insisting on its canonical bytes as well
        # makes the batch hash a function of the signed content alone.
        raise BatchInvalid("bad signature: manifest line is not canonical JSON")
    if manifest["channel"] != channel:
        raise BatchInvalid(
            f"wrong channel: manifest says {manifest['channel']!r}, not {channel}",
            "wrong_channel",
        )
    _check_signature(channel, manifest)
    # From here on the manifest is authentic; the rest checks the body against it.
    if manifest["sender_zone"] != sender_of(channel):
        raise BatchInvalid(f"manifest sender zone {manifest['sender_zone']!r} does not send here")
    try:
        batch_id = uuid.UUID(manifest["batch_id"])
    except ValueError:
        raise BatchInvalid("manifest batch_id is not a UUID") from None
    encrypted = "encryption" in manifest
    if encrypted:
        lines = _decrypt(channel, manifest, lines, decryption_key)
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
    unknown: list[tuple[str, int]] = []
    seen_ids: set[uuid.UUID] = set()
    for index, line in enumerate(lines[1:]):
        if sha256_hex(line) != hashes[index]:
            raise BatchInvalid(f"message {index + 1} hash mismatch")
        try:
            envelope = Envelope.from_dict(parse_json(line))
        except EnvelopeError as exc:
            raise BatchInvalid(f"message {index + 1}: {exc}") from None
        except ValueError as exc:
            raise BatchInvalid(f"message {index + 1} is not JSON: {exc}") from None
        if envelope.sequence != first_seq + index:
            raise BatchInvalid(f"message {index + 1} has sequence {envelope.sequence}")
        if envelope.message_id in seen_ids:
            raise BatchInvalid(f"message id {envelope.message_id} appears twice")
        seen_ids.add(envelope.message_id)
        contract = contract_for(envelope.message_type, envelope.version)
        if contract is None:
            pair = (envelope.message_type, envelope.version)
            if pair not in unknown:
                unknown.append(pair)
            continue
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
        unknown=unknown,
        encrypted=encrypted,
    )


def peek_manifest(body: bytes) -> dict[str, Any] | None:
    """The manifest's fields without any check, for bookkeeping only (never to act on)."""
    try:
        manifest = parse_json(body.split(b"\n", 1)[0])
    except ValueError:
        return None
    return manifest if isinstance(manifest, dict) else None


# -- the reverse direction: acks and resend requests ----------------------------------------------


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


@dataclass(frozen=True)
class ResendRequest:
    """The receiver misses sequences `first`…`last` of `channel` and asks for them at once."""

    channel: str
    receiver_zone: str
    first: int
    last: int
    applied_through: int
    requested_at: str
    key_id: str


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


def build_resend_request(
    *,
    channel: str,
    receiver_zone: str,
    first: int,
    last: int,
    applied_through: int,
    requested_at: dt.datetime,
    key: SigningKey,
) -> tuple[str, bytes]:
    """A signed request for sequences `first`…`last` of `channel`; travels like an ack."""
    if not 1 <= first <= last:
        raise ValueError(f"bad missing range {first}-{last}")
    document: dict[str, Any] = {
        "format": RESEND_FORMAT,
        "channel": channel,
        "receiver_zone": receiver_zone,
        "missing": [first, last],
        "applied_through": applied_through,
        "requested_at": format_time(requested_at),
        "key_id": key.key_id,
    }
    document["signature"] = key.sign(canonical_json(document))
    return resend_file_name(first, uuid.uuid4()), canonical_json(document) + b"\n"


def _one_line_document(body: bytes, what: str) -> dict[str, Any]:
    """The JSON object of a one-line document, which must be exactly its canonical bytes.

    The signature covers the parsed fields, so without the byte check a file cut just before its
    newline, or re-spaced, would verify although it is not what the peer wrote (batches are held
    to the same rule: their manifest line must be canonical)."""
    if not body.endswith(b"\n"):
        raise BatchInvalid(f"truncated: {what} does not end with a newline")
    try:
        document = parse_json(body)
    except ValueError as exc:
        raise BatchInvalid(f"{what} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BatchInvalid(f"{what} is not a JSON object")
    if body != (_canonical_text(document) or b"") + b"\n":
        raise BatchInvalid(f"bad signature: {what} is not canonical JSON")
    return document


def _reverse_document(body: bytes) -> dict[str, Any]:
    return _one_line_document(body, "ack")


def verify_ack(*, channel: str, signer_channel: str, body: bytes) -> Ack:
    """Check an ack for our batches on `channel`, signed with a key of `signer_channel`."""
    document = _check_fields(_reverse_document(body), ACK_FIELDS, "ack")
    if document["format"] != ACK_FORMAT:
        raise BatchInvalid(f"unsupported ack format {document['format']!r}")
    if document["channel"] != channel:
        raise BatchInvalid(
            f"wrong channel: ack says {document['channel']!r}, not {channel}", "wrong_channel"
        )
    _check_signature(signer_channel, document)
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


def verify_resend_request(*, channel: str, signer_channel: str, body: bytes) -> ResendRequest:
    document = _check_fields(_reverse_document(body), RESEND_FIELDS, "resend request")
    if document["channel"] != channel:
        raise BatchInvalid(
            f"wrong channel: resend request says {document['channel']!r}, not {channel}",
            "wrong_channel",
        )
    _check_signature(signer_channel, document)
    missing = document["missing"]
    if (
        len(missing) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in missing)
        or not 1 <= missing[0] <= missing[1]
    ):
        raise BatchInvalid(f"resend request has a bad missing range {missing!r}")
    return ResendRequest(
        channel=channel,
        receiver_zone=document["receiver_zone"],
        first=missing[0],
        last=missing[1],
        applied_through=document["applied_through"],
        requested_at=document["requested_at"],
        key_id=document["key_id"],
    )


def verify_reverse(*, channel: str, signer_channel: str, body: bytes) -> Ack | ResendRequest:
    """An ack or a resend request, by its format; anything else is invalid."""
    kind = _reverse_document(body).get("format")
    if kind == RESEND_FORMAT:
        return verify_resend_request(channel=channel, signer_channel=signer_channel, body=body)
    return verify_ack(channel=channel, signer_channel=signer_channel, body=body)


# -- heartbeats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    """The sender of `channel` is alive: it has built through `last_seq`, shipped through
    `last_seq_sent`, and applied through `applied_through` on its own receiving channel."""

    channel: str
    sender_zone: str
    last_seq: int
    last_seq_sent: int
    applied_through: int
    sent_at: dt.datetime
    key_id: str


def build_heartbeat(
    *,
    channel: str,
    sender_zone: str,
    last_seq: int,
    last_seq_sent: int,
    applied_through: int,
    sent_at: dt.datetime,
    key: SigningKey,
) -> tuple[str, bytes]:
    if key.channel != channel:
        raise ValueError(f"key of {key.channel} cannot sign for {channel}")
    document: dict[str, Any] = {
        "format": HEARTBEAT_FORMAT,
        "channel": channel,
        "sender_zone": sender_zone,
        "last_seq": last_seq,
        "last_seq_sent": last_seq_sent,
        "applied_through": applied_through,
        "sent_at": format_time(sent_at),
        "key_id": key.key_id,
    }
    document["signature"] = key.sign(canonical_json(document))
    return heartbeat_file_name(sender_zone), canonical_json(document) + b"\n"


def verify_heartbeat(*, channel: str, body: bytes) -> Heartbeat:
    """Check a heartbeat arriving on `channel`, signed with a key trusted for `channel`."""
    document = _check_fields(_one_line_document(body, "heartbeat"), HEARTBEAT_FIELDS, "heartbeat")
    if document["format"] != HEARTBEAT_FORMAT:
        raise BatchInvalid(f"unsupported heartbeat format {document['format']!r}")
    if document["channel"] != channel:
        raise BatchInvalid(
            f"wrong channel: heartbeat says {document['channel']!r}, not {channel}",
            "wrong_channel",
        )
    _check_signature(channel, document)
    if document["sender_zone"] != sender_of(channel):
        raise BatchInvalid(f"heartbeat from unexpected zone {document['sender_zone']!r}")
    try:
        sent_at = dt.datetime.fromisoformat(document["sent_at"])
    except ValueError:
        raise BatchInvalid("heartbeat sent_at is not a time") from None
    if sent_at.tzinfo is None:
        raise BatchInvalid("heartbeat sent_at has no time zone")
    return Heartbeat(
        channel=channel,
        sender_zone=document["sender_zone"],
        last_seq=document["last_seq"],
        last_seq_sent=document["last_seq_sent"],
        applied_through=document["applied_through"],
        sent_at=sent_at,
        key_id=document["key_id"],
    )
