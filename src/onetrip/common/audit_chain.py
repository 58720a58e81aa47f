"""Keyed hash chain and signed anchors for append-only audit logs (DOMAIN MLPS-5, NAT-17, WF-6).

Each record's hash covers the previous record's hash and the record's own canonical bytes, so
changing, removing or reordering any record breaks every hash after it. The first record chains
from `GENESIS`.

The hash is an HMAC-SHA256 under an audit key the audited database does not hold: someone who
can write to the database but not read the key cannot recompute the chain after editing a row.
A record names the key it was chained with (`key_id`), so keys can rotate; verification needs
every key still named by a record. Records written before audit keys existed carry no `key_id`
and keep their unkeyed SHA-256 hash (`LEGACY_KEY_ID`): they may only form a prefix of the chain,
and only as long a prefix as the caller declares, because anyone with write access could
recompute them.

A key holder can still rewrite the chain. `anchor_line` makes signed checkpoints of the chain's
head — (sequence, hash, time) — for an append-only file kept outside the database; a checkpoint
pins every record up to its sequence, so `verify_chain(..., checkpoints=...)` finds a rewrite
before an anchored sequence even when it was re-chained with the right key.

A record is a mapping of the row's content — everything except its own hash. When it carries a
`sequence`, `verify_chain` also checks that sequences run 1, 2, 3, … without a gap; when it carries
a `prev_hash`, the stored link is checked against the hash actually preceding it.

Pure: no Django, no database, no files.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
LEGACY_KEY_ID = "sha256-legacy"
MIN_KEY_BYTES = 32
ANCHOR_VERSION = 1

_HEX = frozenset("0123456789abcdef")
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
# Separate subkeys for the chain and the anchors, so a value made for one can never pass as the
# other.
_CHAIN_CONTEXT = b"onetrip audit chain v1"
_ANCHOR_CONTEXT = b"onetrip audit anchor v1"
_ANCHOR_FIELDS = frozenset({"v", "sequence", "hash", "anchored_at", "prev", "key_id", "sig"})


class AuditKeyError(ValueError):
    """The audit keys are missing or malformed."""


class AnchorError(ValueError):
    """An anchor line is malformed, not canonical, or its signature or link does not hold."""


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


def parse_keys(spec: str) -> dict[str, bytes]:
    """Parse "kid:base64key,kid2:base64key" (commas or newlines; newest first) into a mapping.

    The first key chains new records and signs new anchors; the others stay to verify what was
    written with them. Keys are at least 32 bytes; `LEGACY_KEY_ID` is reserved.
    """
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,\n]", spec))):
        kid, _, b64 = part.partition(":")
        if not _KEY_ID.fullmatch(kid) or kid == LEGACY_KEY_ID:
            raise AuditKeyError(
                f"audit key id {kid!r} must be 1–32 letters, digits, '.', '_' or '-' "
                f"and not {LEGACY_KEY_ID!r}"
            )
        if kid in keys:
            raise AuditKeyError(f"audit key id {kid!r} is configured twice")
        try:
            key = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise AuditKeyError(f"audit key {kid!r} is not valid base64") from None
        if len(key) < MIN_KEY_BYTES:
            raise AuditKeyError(f"audit key {kid!r} must be at least {MIN_KEY_BYTES} bytes")
        keys[kid] = key
    if not keys:
        raise AuditKeyError("no audit key configured")
    return keys


def _subkey(key: bytes, context: bytes) -> bytes:
    return hmac.new(key, context, hashlib.sha256).digest()


def record_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """Unkeyed SHA-256 (hex) of the previous hash followed by the record's canonical bytes.

    Only for legacy records, written before audit keys existed; anyone can recompute it.
    """
    _check_hash(prev_hash, "prev_hash")
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_bytes(record))
    return digest.hexdigest()


def _keyed_hash(prev_hash: str, record: Mapping[str, Any], chain_key: bytes) -> str:
    _check_hash(prev_hash, "prev_hash")
    mac = hmac.new(chain_key, prev_hash.encode("ascii"), hashlib.sha256)
    mac.update(canonical_bytes(record))
    return mac.hexdigest()


def keyed_record_hash(prev_hash: str, record: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex), under the chain subkey of `key`, of the previous hash then the record.

    The record should carry the `key_id` of `key`, so the hash also binds which key made it.
    """
    return _keyed_hash(prev_hash, record, _subkey(key, _CHAIN_CONTEXT))


@dataclass(frozen=True)
class ChainReport:
    """Outcome of `verify_chain`.

    `checked` counts the records found good before the first bad one (all of them when `ok`);
    `last_sequence` and `last_hash` describe the end of the good part, so a caller can compare
    them with a separately kept head to detect records removed from the end. `legacy_through`
    is the last sequence chained without a key (0: none); `key_ids` the keys the good part was
    chained with; `anchored` how many checkpointed sequences were found to match.
    """

    ok: bool
    checked: int
    first_bad_sequence: int | None = None
    reason: str = ""
    last_sequence: int = 0
    last_hash: str = GENESIS
    legacy_through: int = 0
    key_ids: tuple[str, ...] = ()
    anchored: int = 0


class _Walk:
    """The state of one walk along the chain."""

    def __init__(
        self,
        keys: Mapping[str, bytes],
        checkpoints: Mapping[int, str],
        max_legacy: int | None,
        start_sequence: int,
        start_hash: str,
        start_keyed: bool,
    ) -> None:
        self.chain_keys = {kid: _subkey(key, _CHAIN_CONTEXT) for kid, key in keys.items()}
        self.checkpoints = checkpoints
        self.max_legacy = max_legacy
        self.start = start_sequence
        self.prev = start_hash
        self.keyed = start_keyed
        self.checked = 0
        self.legacy_through = 0 if start_keyed else start_sequence
        self.key_ids: set[str] = set()
        self.anchored = 0

    def fault(self, record: Mapping[str, Any], stored_hash: str) -> str:
        """Why `record` does not continue the chain, or "" when it does."""
        expected = self.start + self.checked + 1
        sequence = record.get("sequence", expected)
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            return f"sequence {sequence!r} is not an integer"
        if sequence > expected:
            missing = f"{expected}" if sequence == expected + 1 else f"{expected}–{sequence - 1}"
            return f"sequence gap: {missing} missing before {sequence}"
        if sequence < expected:
            return f"sequence out of order: {sequence} found where {expected} was expected"
        if "prev_hash" in record and record["prev_hash"] != self.prev:
            return f"broken link: prev_hash does not match the hash of sequence {expected - 1}"
        key_id = record.get("key_id")
        try:
            if key_id is None:
                if self.keyed:
                    return "downgrade: an unkeyed (legacy) record follows keyed records"
                if self.max_legacy is not None and expected > self.max_legacy:
                    declared = f"1–{self.max_legacy}" if self.max_legacy else "none"
                    return (
                        "undeclared legacy record: chained with unkeyed SHA-256 beyond the "
                        f"declared legacy prefix ({declared})"
                    )
                computed = record_hash(self.prev, record)
            else:
                chain_key = self.chain_keys.get(key_id) if isinstance(key_id, str) else None
                if chain_key is None:
                    return f"unknown audit key id {key_id!r}: the record cannot be checked"
                computed = _keyed_hash(self.prev, record, chain_key)
        except (TypeError, ValueError) as exc:
            return f"record cannot be hashed: {exc}"
        if computed != stored_hash:
            return "hash mismatch: the record's content was changed"
        anchored = self.checkpoints.get(expected)
        if anchored is not None and anchored != stored_hash:
            return (
                "anchor mismatch: the chain's hash here differs from the anchored checkpoint "
                "(a record up to this sequence was rewritten and the chain recomputed)"
            )
        return ""

    def advance(self, record: Mapping[str, Any], stored_hash: str) -> None:
        self.checked += 1
        key_id = record.get("key_id")
        if key_id is None:
            self.legacy_through = self.start + self.checked
        else:
            self.keyed = True
            self.key_ids.add(str(key_id))
        if self.start + self.checked in self.checkpoints:
            self.anchored += 1
        self.prev = stored_hash

    def report(self, fault: str = "") -> ChainReport:
        return ChainReport(
            ok=not fault,
            checked=self.checked,
            first_bad_sequence=self.start + self.checked + 1 if fault else None,
            reason=fault,
            last_sequence=self.start + self.checked,
            last_hash=self.prev,
            legacy_through=self.legacy_through,
            key_ids=tuple(sorted(self.key_ids)),
            anchored=self.anchored,
        )


def verify_chain(
    records: Iterable[tuple[Mapping[str, Any], str]],
    *,
    keys: Mapping[str, bytes] | None = None,
    checkpoints: Mapping[int, str] | None = None,
    max_legacy: int | None = None,
    start_sequence: int = 0,
    start_hash: str = GENESIS,
    start_keyed: bool = False,
) -> ChainReport:
    """Check (record, stored hash) pairs given in chain order; stop at the first bad one.

    The first bad sequence is the one where the chain stops holding: the first missing number
    of a gap, or the record whose link, content, key or anchored hash does not match.

    `keys` verifies records that name a `key_id`; records without one are legacy (unkeyed
    SHA-256), allowed only before the first keyed record and, when `max_legacy` is given, only
    up to that sequence. `checkpoints` maps anchored sequences to the hashes anchored for them.
    `start_*` continue a check from a known point of the chain (a verified anchor) instead of
    from the genesis.
    """
    walk = _Walk(
        keys or {},
        checkpoints or {},
        max_legacy,
        start_sequence,
        start_hash,
        start_keyed,
    )
    for record, stored_hash in records:
        fault = walk.fault(record, stored_hash)
        if fault:
            return walk.report(fault)
        walk.advance(record, stored_hash)
    return walk.report()


@dataclass(frozen=True)
class Checkpoint:
    """One signed anchor line: the chain's head at `anchored_at`.

    `prev` is `line_digest` of the line before it in the anchor file (`GENESIS` for the first),
    so a line removed from the middle of the file, or lines reordered, break the file's own
    chain. `digest` is this line's digest, for the next line's `prev`.
    """

    sequence: int
    hash: str
    anchored_at: str
    prev: str
    key_id: str
    digest: str


def line_digest(line: bytes) -> str:
    """SHA-256 (hex) of an anchor line without its newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _anchor_signature(key: bytes, body: Mapping[str, Any]) -> str:
    return hmac.new(
        _subkey(key, _ANCHOR_CONTEXT), canonical_bytes(body), hashlib.sha256
    ).hexdigest()


def anchor_line(
    *,
    sequence: int,
    hash: str,
    anchored_at: dt.datetime,
    prev: str,
    keys: Mapping[str, bytes],
) -> bytes:
    """A signed checkpoint as one canonical JSON line (with its newline), signed with the
    newest key (the first of `keys`)."""
    if sequence < 0:
        raise ValueError("an anchored sequence cannot be negative")
    _check_hash(hash, "hash")
    _check_hash(prev, "prev")
    if anchored_at.tzinfo is None:
        raise ValueError("anchored_at must be an aware datetime")
    if not keys:
        raise AuditKeyError("no audit key configured")
    key_id, key = next(iter(keys.items()))
    body: dict[str, Any] = {
        "v": ANCHOR_VERSION,
        "sequence": sequence,
        "hash": hash,
        "anchored_at": anchored_at,
        "prev": prev,
        "key_id": key_id,
    }
    body["sig"] = _anchor_signature(key, body)
    return canonical_bytes(body) + b"\n"


def parse_anchor_line(line: bytes, *, keys: Mapping[str, bytes], prev: str | None) -> Checkpoint:
    """Check one anchor line (with or without its newline) and return its checkpoint.

    The line must be exactly its canonical bytes, signed by a configured key, and link to
    `prev` (the digest of the line before it; None when only this line was read, to continue
    from it); otherwise AnchorError says why.
    """
    body = line.rstrip(b"\n")
    try:
        record = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AnchorError("not valid JSON (a torn or edited line)") from None
    if not isinstance(record, dict) or set(record) != _ANCHOR_FIELDS:
        raise AnchorError("not an anchor record (fields differ)")
    if record["v"] != ANCHOR_VERSION:
        raise AnchorError(f"unknown anchor version {record['v']!r}")
    if canonical_bytes(record) != body:
        raise AnchorError("not in canonical form (the line was edited)")
    sequence, digest_hex, at = record["sequence"], record["hash"], record["anchored_at"]
    key_id, sig, link = record["key_id"], record["sig"], record["prev"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise AnchorError(f"sequence {sequence!r} is not a non-negative integer")
    if not all(isinstance(v, str) for v in (digest_hex, at, key_id, sig, link)):
        raise AnchorError("hash, anchored_at, prev, key_id and sig must be strings")
    key = keys.get(key_id)
    if key is None:
        raise AnchorError(f"signed with unknown audit key id {key_id!r}")
    unsigned = {name: value for name, value in record.items() if name != "sig"}
    if not hmac.compare_digest(_anchor_signature(key, unsigned).encode(), sig.encode()):
        raise AnchorError("signature does not match (the line was forged or edited)")
    if prev is not None and link != prev:
        raise AnchorError("does not link to the line before it (a line was removed or moved)")
    try:
        _check_hash(digest_hex, "hash")
    except ValueError as exc:
        raise AnchorError(str(exc)) from None
    return Checkpoint(
        sequence=sequence,
        hash=digest_hex,
        anchored_at=at,
        prev=link,
        key_id=key_id,
        digest=line_digest(body),
    )
