"""Hash chain for append-only audit logs (DOMAIN MLPS-5, NAT-17, WF-6).

Each record's hash covers the previous record's hash and the record's own canonical bytes, so
changing, removing or reordering any record breaks every hash after it. The first record chains
from `GENESIS`.

A record is a mapping of the row's content — everything except its own hash. When it carries a
`sequence`, `verify_chain` also checks that sequences run 1, 2, 3, … without a gap; when it carries
a `prev_hash`, the stored link is checked against the hash actually preceding it.

Pure: no Django, no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

_HEX = frozenset("0123456789abcdef")


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"audit record value of type {type(value).__name__} has no canonical form")


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """The record as canonical JSON: sorted keys, no whitespace, UTF-8 (not \\u-escaped).

    Aware datetimes are written in UTC with microseconds, so the same instant always gives the
    same bytes whatever time zone it was read in.
    """
    text = json.dumps(
        dict(record),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_json_default,
    )
    return text.encode("utf-8")


def _check_hash(value: str, what: str) -> None:
    if len(value) != 64 or not _HEX.issuperset(value):
        raise ValueError(f"{what} must be 64 lowercase hex digits")


def record_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash followed by the record's canonical bytes."""
    _check_hash(prev_hash, "prev_hash")
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_bytes(record))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Outcome of `verify_chain`.

    `checked` counts the records found good before the first bad one (all of them when `ok`);
    `last_sequence` and `last_hash` describe the end of the good part, so a caller can compare
    them with a separately kept head to detect records removed from the end.
    """

    ok: bool
    checked: int
    first_bad_sequence: int | None = None
    reason: str = ""
    last_sequence: int = 0
    last_hash: str = GENESIS


def _broken(reason: str, at: int, *, checked: int, prev: str) -> ChainReport:
    return ChainReport(
        ok=False,
        checked=checked,
        first_bad_sequence=at,
        reason=reason,
        last_sequence=checked,
        last_hash=prev,
    )


def _fault(record: Mapping[str, Any], stored_hash: str, expected: int, prev: str) -> str:
    """Why the record at position `expected` does not continue the chain ending in `prev`."""
    sequence = record.get("sequence", expected)
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        return f"sequence {sequence!r} is not an integer"
    if sequence > expected:
        missing = f"{expected}" if sequence == expected + 1 else f"{expected}–{sequence - 1}"
        return f"sequence gap: {missing} missing before {sequence}"
    if sequence < expected:
        return f"sequence out of order: {sequence} found where {expected} was expected"
    if "prev_hash" in record and record["prev_hash"] != prev:
        return f"broken link: prev_hash does not match the hash of sequence {expected - 1}"
    try:
        computed = record_hash(prev, record)
    except (TypeError, ValueError) as exc:
        return f"record cannot be hashed: {exc}"
    if computed != stored_hash:
        return "hash mismatch: the record's content was changed"
    return ""


def verify_chain(
    records: Iterable[tuple[Mapping[str, Any], str]],
) -> ChainReport:
    """Check (record, stored hash) pairs given in chain order; stop at the first bad one.

    The first bad sequence is the one where the chain stops holding: the first missing number
    of a gap, or the record whose link or content does not match.
    """
    prev = GENESIS
    checked = 0
    for record, stored_hash in records:
        fault = _fault(record, stored_hash, checked + 1, prev)
        if fault:
            return _broken(fault, checked + 1, checked=checked, prev=prev)
        prev = stored_hash
        checked += 1
    return ChainReport(ok=True, checked=checked, last_sequence=checked, last_hash=prev)
