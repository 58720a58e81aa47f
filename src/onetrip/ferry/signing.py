"""Ed25519 keys per channel (DESIGN §3).

Layout of `settings.FERRY_KEYS_DIR`: `<channel>.key` (private, PKCS#8 PEM) and `<channel>.pub`
(public, SubjectPublicKeyInfo PEM). Retired public keys may stay beside them as
`<channel>.<anything>.pub`, so batches signed before a rotation still verify. A key id is the first
16 hex digits of the SHA-256 of the raw public key; the manifest names it so the receiver knows
which key to check with.

Who holds what: the sending zone of a channel holds its private key; the receiving zone holds its
public key. Acks travel the other way and are signed with the *acking* zone's own sending key
(the receiver of channel A is the sender of channel B, so it holds B's private key, and A's sender
holds B's public key because it receives on B). No zone ever needs the other zone's private key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from .channels import CHANNELS


class FerryKeyError(RuntimeError):
    """A key the ferry needs is missing or unreadable."""


def keys_dir() -> Path:
    return Path(settings.FERRY_KEYS_DIR)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    channel: str
    key_id: str
    private_key: Ed25519PrivateKey

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private_key.sign(data)).decode()


def _private_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.key"


def _public_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.pub"


def generate_key(channel: str, directory: Path | None = None) -> tuple[str, bool]:
    """Create `<channel>.key`/`.pub` unless the private key exists. Returns (key id, created).

    Idempotent so that `ferry keygen` can run on every deployment without rotating keys."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown ferry channel {channel!r}")
    directory = directory or keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    private_path = _private_path(channel, directory)
    if private_path.exists():
        return load_signing_key(channel, directory).key_id, False
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_private(private_path, private_pem)
    _public_path(channel, directory).write_bytes(public_pem)
    return key_id_of(private_key.public_key()), True


def _write_private(path: Path, data: bytes) -> None:
    """Owner-only from the first byte: create with mode 0600 rather than chmod afterwards."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def load_signing_key(channel: str, directory: Path | None = None) -> SigningKey:
    path = _private_path(channel, directory or keys_dir())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise FerryKeyError(
            f"缺少签名私钥 missing private key {path}; run `onetrip ferry keygen`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise FerryKeyError(f"{path} is not an Ed25519 private key")
    return SigningKey(channel=channel, key_id=key_id_of(key.public_key()), private_key=key)


def known_public_keys(channel: str, directory: Path | None = None) -> dict[str, Ed25519PublicKey]:
    """Every public key trusted for `channel`, by key id (current and retired)."""
    directory = directory or keys_dir()
    paths = [_public_path(channel, directory), *sorted(directory.glob(f"{channel}.*.pub"))]
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        if not path.is_file():
            continue
        key = serialization.load_pem_public_key(path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            keys[key_id_of(key)] = key
    return keys


def verify(channel: str, key_id: str, data: bytes, signature_b64: str) -> str | None:
    """None if `signature_b64` is a valid signature of `data` by a key trusted for `channel`,
    else the reason it is not."""
    key = known_public_keys(channel).get(key_id)
    if key is None:
        return f"unknown key id {key_id!r} for channel {channel}"
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, data)
    except (InvalidSignature, ValueError):
        return "bad signature"
    return None
