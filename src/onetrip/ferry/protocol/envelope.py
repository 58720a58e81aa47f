"""The envelope every ferry message travels in, and the canonical JSON both zones hash and sign.

Canonical means one byte sequence per value: sorted keys, no spaces, UTF-8 kept as is. Hashes and
signatures are over these bytes, so both sides must produce them the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

ENVELOPE_FIELDS = (
    "message_id",
    "sequence",
    "message_type",
    "version",
    "aggregate_type",
    "aggregate_id",
    "correlation_id",
    "actor",
    "purpose",
    "occurred_at",
    "payload",
)


def canonical_json(value: Any) -> bytes:
    """The one serialisation used for hashing, signing and the batch file itself."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_time(value: dt.datetime) -> str:
    """UTC with microseconds, so the text (and hence the hash) never depends on a time zone."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


class EnvelopeError(ValueError):
    """A message line that is not a well-formed envelope."""


@dataclass(frozen=True)
class Envelope:
    """What a handler learns about a message besides its payload."""

    message_id: uuid.UUID
    sequence: int
    message_type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    correlation_id: str
    actor: str
    purpose: str
    occurred_at: dt.datetime
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": str(self.message_id),
            "sequence": self.sequence,
            "message_type": self.message_type,
            "version": self.version,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "correlation_id": self.correlation_id,
            "actor": self.actor,
            "purpose": self.purpose,
            "occurred_at": format_time(self.occurred_at),
            "payload": self.payload,
        }

    def to_line(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        """Parse strictly: exact field set and types, because the line came over the boundary."""
        if not isinstance(data, dict):
            raise EnvelopeError("message line is not a JSON object")
        if set(data) != set(ENVELOPE_FIELDS):
            raise EnvelopeError(f"message fields {sorted(data)} differ from the envelope fields")
        text_fields = (
            "message_type",
            "aggregate_type",
            "aggregate_id",
            "correlation_id",
            "actor",
            "purpose",
        )
        for name in text_fields:
            if not isinstance(data[name], str):
                raise EnvelopeError(f"envelope field {name} is not a string")
        for name in ("sequence", "version"):
            if not isinstance(data[name], int) or isinstance(data[name], bool):
                raise EnvelopeError(f"envelope field {name} is not an integer")
        if not isinstance(data["payload"], dict):
            raise EnvelopeError("envelope payload is not a JSON object")
        try:
            message_id = uuid.UUID(str(data["message_id"]))
            occurred_at = dt.datetime.fromisoformat(str(data["occurred_at"]))
        except ValueError as exc:
            raise EnvelopeError(f"bad envelope id or time: {exc}") from None
        if occurred_at.tzinfo is None:
            raise EnvelopeError("envelope occurred_at has no time zone")
        return cls(
            message_id=message_id,
            sequence=data["sequence"],
            message_type=data["message_type"],
            version=data["version"],
            aggregate_type=data["aggregate_type"],
            aggregate_id=data["aggregate_id"],
            correlation_id=data["correlation_id"],
            actor=data["actor"],
            purpose=data["purpose"],
            occurred_at=occurred_at,
            payload=data["payload"],
        )
