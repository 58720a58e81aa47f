"""Signatures on the department-data exchange (DESIGN §3, the X-Road model; DOMAIN MLPS-7).

Both directions sign the exact bytes of the body with Ed25519: our requests with the deployment's
key, which the department knows by its key id; each department's answers with its own key, which
the deployment trusts for that source only. The header is
`X-Egov-Signature: <key id>:<base64 signature>`. A request's body names its own `request_id` and
the answer repeats it, so an answer cannot be replayed onto another question.

Keys travel as base64 of the 32 raw bytes (private seed or public key). Pure: no settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_HEADER = "X-Egov-Signature"
CLIENT_HEADER = "X-Egov-Client"


class SignatureError(ValueError):
    """A signature header that is missing, malformed or does not verify."""


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value that is signed and hashed."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def private_key(b64: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("private key is not base64") from exc
    if len(raw) != 32:
        raise SignatureError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key(b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("public key is not base64") from exc
    if len(raw) != 32:
        raise SignatureError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_from_seed(seed: str) -> Ed25519PrivateKey:
    """A key derived from a text, for published development keys only."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def private_b64(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def sign(key: Ed25519PrivateKey, key_id: str, body: bytes) -> str:
    """The header value that signs `body`."""
    return f"{key_id}:{base64.b64encode(key.sign(body)).decode()}"


def verify(header: str | None, body: bytes, trusted: dict[str, Ed25519PublicKey]) -> str:
    """Check `header` over `body` against the keys trusted by key id; return the key id.

    Raises SignatureError for a missing, malformed, unknown-key or forged signature, and for
    nothing else."""
    if not header:
        raise SignatureError("no signature")
    key_id, sep, b64 = header.strip().partition(":")
    if not sep or not key_id or not b64:
        raise SignatureError("malformed signature header")
    key = trusted.get(key_id)
    if key is None:
        raise SignatureError("unknown key id")
    try:
        signature = base64.b64decode(b64, validate=True)
        key.verify(signature, body)
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise SignatureError("signature does not verify") from exc
    return key_id
