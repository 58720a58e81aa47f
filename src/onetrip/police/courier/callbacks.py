"""Verifying and parsing the courier's status callbacks: pure functions, no database, no HTTP.

A callback arrives from the internet-facing courier, so nothing in it is trusted until its
signature matches: header `X-Courier-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
HMAC-SHA256 with the shared secret over `<t>.` followed by the raw body. The timestamp is inside
the MAC, so refusing a `t` more than five minutes from our clock refuses replays. Only then is the
body parsed, within limits (size, depth, known statuses, tracking number format), so a callback
can never cost more than a few kilobytes of work or raise anything but `CallbackRefused`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import STATUSES, CourierEvent
from .errors import CallbackRefused, expired_refused, invalid_refused, signature_refused

SIGNATURE_HEADER = "X-Courier-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 16 * 1024
MAX_HEADER_CHARS = 1024
MAX_JSON_DEPTH = 4
MAX_DETAIL_CHARS = 500
TRACKING_NUMBER_RE = re.compile(r"CN[0-9]{12}")
EVENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_HEX_RE = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("tracking_number", "event_id", "status", "at", "detail")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that ignores case, whatever mapping the caller has (Django's, a dict)."""
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value if isinstance(value, str) else None
    return None


def parse_signature(value: str) -> tuple[int, list[str]]:
    """`t=<unix>,v1=<hex>[,v1=<hex>…]` as (timestamp, signatures); raises CallbackRefused."""
    if len(value) > MAX_HEADER_CHARS:
        raise signature_refused("header too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            raise signature_refused("malformed header")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP_RE.fullmatch(item):
                raise signature_refused("malformed timestamp")
            timestamp = int(item)
        elif key == "v1":
            if not _HEX_RE.fullmatch(item):
                raise signature_refused("malformed signature")
            signatures.append(item)
        # Other schemes (v0, a future v2) are ignored, as a receiver must to allow upgrades.
    if timestamp is None or not signatures:
        raise signature_refused("timestamp or signature missing")
    return timestamp, signatures


def signature_for(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC the courier sends for `body` at `timestamp`; also what tests sign with."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise CallbackRefused unless the body is signed with `secret` at a time near `now`.

    The MAC is checked before the timestamp, so an attacker learns nothing about our clock."""
    if not secret:
        raise signature_refused("no courier secret configured")
    value = _header(headers, SIGNATURE_HEADER)
    if value is None:
        raise signature_refused("header missing")
    timestamp, signatures = parse_signature(value)
    expected = signature_for(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise signature_refused("mismatch")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise expired_refused()


def _too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests deeper than `limit`; iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_event(body: bytes) -> CourierEvent:
    """The event a callback body carries; raises CallbackRefused saying which check failed."""
    if len(body) > MAX_BODY_BYTES:
        raise invalid_refused("body too large")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise invalid_refused("not JSON") from exc
    if not isinstance(payload, dict):
        raise invalid_refused("not an object")
    if _too_deep(payload, MAX_JSON_DEPTH):
        raise invalid_refused("nested too deeply")
    values = {}
    for field in _FIELDS:
        value = payload.get(field)
        if not isinstance(value, str):
            raise invalid_refused(f"{field} missing")
        values[field] = value
    if not TRACKING_NUMBER_RE.fullmatch(values["tracking_number"]):
        raise invalid_refused("tracking_number format")
    if not EVENT_ID_RE.fullmatch(values["event_id"]):
        raise invalid_refused("event_id format")
    if values["status"] not in STATUSES:
        raise invalid_refused("unknown status")
    try:
        at = datetime.fromisoformat(values["at"])
    except ValueError as exc:
        raise invalid_refused("at is not an ISO 8601 time") from exc
    if at.tzinfo is None:
        raise invalid_refused("at has no time zone")
    detail = values["detail"]
    if len(detail) > MAX_DETAIL_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in detail):
        raise invalid_refused("detail too long or has control characters")
    return CourierEvent(
        tracking_number=values["tracking_number"],
        event_id=values["event_id"],
        status=values["status"],
        at=at,
        detail=detail,
    )


def verify_callback(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> CourierEvent:
    """Verify a callback's signature and freshness, then parse its event.

    Raises CallbackRefused and nothing else; a body is parsed only once it is proven the
    courier's."""
    if not isinstance(body, bytes | bytearray):
        raise invalid_refused("body is not bytes")
    if len(body) > MAX_BODY_BYTES:
        raise invalid_refused("body too large")
    verify_signature(secret=secret, headers=headers, body=bytes(body), now=now, tolerance=tolerance)
    return parse_event(bytes(body))


__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "TOLERANCE_SECONDS",
    "TRACKING_NUMBER_RE",
    "CallbackRefused",
    "parse_event",
    "parse_signature",
    "signature_for",
    "verify_callback",
    "verify_signature",
]
