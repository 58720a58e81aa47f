"""Field encryption and keyed lookup hashes for personal data at rest (DESIGN §8).

Ciphertext is `v1:<key id>:<base64(nonce + AES-GCM ciphertext)>`, so keys can rotate: new values
use the first configured key, old values decrypt with whichever key id they name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class FieldKeyError(RuntimeError):
    pass


def parse_keys(spec: str) -> dict[str, bytes]:
    """Parse "kid:base64key,kid2:base64key" (newest first) into an ordered mapping."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, _, b64 = part.partition(":")
        key = base64.b64decode(b64)
        if len(key) not in (16, 24, 32) or not kid:
            raise FieldKeyError(f"field key {kid!r} must be 16, 24 or 32 bytes of base64")
        keys[kid] = key
    if not keys:
        raise FieldKeyError("no field encryption key configured (ONETRIP_FIELD_KEYS)")
    return keys


@lru_cache(maxsize=8)
def _keys(spec: str) -> dict[str, bytes]:
    return parse_keys(spec)


@lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    """One cipher object per key: building it costs as much as sealing a short field, and bulk
    applies seal four fields a row. The object keeps no per-message state."""
    return AESGCM(key)


def _settings_keys() -> tuple[dict[str, bytes], bytes]:
    from django.conf import settings

    return _keys(settings.ONETRIP_FIELD_KEYS), settings.ONETRIP_LOOKUP_KEY.encode()


def encrypt_text(plain: str, *, keys: dict[str, bytes] | None = None) -> str:
    keys = keys if keys is not None else _settings_keys()[0]
    kid, key = next(iter(keys.items()))
    nonce = os.urandom(12)
    sealed = _aead(key).encrypt(nonce, plain.encode(), kid.encode())
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"


def encrypt_texts(plains: Sequence[str], *, keys: dict[str, bytes] | None = None) -> list[str]:
    """`encrypt_text` of each value, for bulk writes: the same format, key and associated data,
    and a fresh random 96-bit nonce for every value, all drawn in one read of the system's
    random source instead of one read per value."""
    keys = keys if keys is not None else _settings_keys()[0]
    kid, key = next(iter(keys.items()))
    seal = _aead(key).encrypt
    kid_bytes = kid.encode()
    prefix = f"{PREFIX}:{kid}:"
    nonces = os.urandom(12 * len(plains))
    sealed = []
    for at, plain in enumerate(plains):
        nonce = nonces[12 * at : 12 * at + 12]
        box = nonce + seal(nonce, plain.encode(), kid_bytes)
        sealed.append(prefix + base64.b64encode(box).decode())
    return sealed


def decrypt_text(token: str, *, keys: dict[str, bytes] | None = None) -> str:
    keys = keys if keys is not None else _settings_keys()[0]
    prefix, kid, b64 = token.split(":", 2)
    if prefix != PREFIX or kid not in keys:
        raise FieldKeyError(f"cannot decrypt: unknown key id {kid!r}")
    raw = base64.b64decode(b64)
    return _aead(keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()


def lookup_hash(value: str, *, purpose: str, key: bytes | None = None) -> str:
    """A keyed hash for finding rows by an ID number or phone without storing it in clear.

    `purpose` separates the hash spaces so a phone hash never matches an ID-number hash."""
    key = key if key is not None else _settings_keys()[1]
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def lookup_hasher(*, key: bytes | None = None) -> Callable[[str, str], str]:
    """`lookup_hash` as a function of (value, purpose) for many values under one key: the
    key's HMAC state is computed once and copied for each value. The same hashes."""
    key = key if key is not None else _settings_keys()[1]
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def lookup(value: str, purpose: str) -> str:
        digest = keyed.copy()
        digest.update(f"{purpose}\x00{value}".encode())
        return digest.hexdigest()

    return lookup


BYTES_PREFIX = b"OTB1"


def encrypt_bytes(plain: bytes, *, keys: dict[str, bytes] | None = None) -> bytes:
    """A file's content sealed with the newest field key: `OTB1`, key-id length, key id, nonce,
    AES-GCM ciphertext. The key id is bound as associated data, as for text."""
    keys = keys if keys is not None else _settings_keys()[0]
    kid, key = next(iter(keys.items()))
    nonce = os.urandom(12)
    kid_bytes = kid.encode()
    sealed = _aead(key).encrypt(nonce, plain, kid_bytes)
    return BYTES_PREFIX + bytes([len(kid_bytes)]) + kid_bytes + nonce + sealed


def decrypt_bytes(token: bytes, *, keys: dict[str, bytes] | None = None) -> bytes:
    keys = keys if keys is not None else _settings_keys()[0]
    if not token.startswith(BYTES_PREFIX) or len(token) < len(BYTES_PREFIX) + 1:
        raise FieldKeyError("cannot decrypt: not an encrypted file")
    at = len(BYTES_PREFIX)
    kid_bytes = token[at + 1 : at + 1 + token[at]]
    rest = token[at + 1 + token[at] :]
    kid = kid_bytes.decode(errors="replace")
    if kid not in keys:
        raise FieldKeyError(f"cannot decrypt: unknown key id {kid!r}")
    return _aead(keys[kid]).decrypt(rest[:12], rest[12:], kid_bytes)
