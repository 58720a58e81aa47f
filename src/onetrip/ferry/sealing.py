"""Optional encryption of batch bodies to the receiving zone (settings.FERRY_ENCRYPT).

Each channel's receiving zone holds an X25519 key pair, `<channel>.x25519.key` (private, 0600) and
`<channel>.x25519.pub`, in FERRY_KEYS_DIR; the sending zone holds a copy of the public key. For each
batch the sender makes an ephemeral X25519 key, derives an AES-256 key with HKDF-SHA256 from the
shared secret (bound to the channel and batch id) and seals the message lines with AES-GCM.

The manifest stays in clear and signed: it names the recipient key id, the ephemeral public key,
the nonce and the SHA-256 of the ciphertext line, so the receiver checks signature and ciphertext
hash before decrypting, and the per-message hashes after. Only the message lines are secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .channels import CHANNELS
from .signing import FerryKeyError, keys_dir

ALGORITHM = "X25519-HKDF-SHA256-AES256GCM"
ENCRYPTION_FIELDS: dict[str, type] = {
    "alg": str,
    "recipient_key_id": str,
    "ephemeral_public": str,
    "nonce": str,
    "ciphertext_sha256": str,
}


class SealError(ValueError):
    """The sealed body cannot be opened (wrong key, tampered ciphertext, bad header)."""


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encryption_key_id(public_key: X25519PublicKey) -> str:
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def _private_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.x25519.key"


def _public_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.x25519.pub"


def generate_encryption_key(channel: str, directory: Path | None = None) -> tuple[str, bool]:
    """Create the receiver's X25519 pair for `channel` unless it exists; (key id, created)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown ferry channel {channel!r}")
    directory = directory or keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    private_path = _private_path(channel, directory)
    if private_path.exists():
        return load_decryption_key(channel, directory)[0], False
    private_key = X25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    _public_path(channel, directory).write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return encryption_key_id(private_key.public_key()), True


def load_encryption_key(channel: str, directory: Path | None = None) -> tuple[str, X25519PublicKey]:
    """The sender's view: the receiver's public key for `channel`."""
    path = _public_path(channel, directory or keys_dir())
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise FerryKeyError(
            f"缺少加密公钥 missing encryption key {path}; copy it from the receiving zone "
            "(`onetrip ferry keygen` with FERRY_ENCRYPT there)"
        ) from None
    if not isinstance(key, X25519PublicKey):
        raise FerryKeyError(f"{path} is not an X25519 public key")
    return encryption_key_id(key), key


def load_decryption_key(
    channel: str, directory: Path | None = None
) -> tuple[str, X25519PrivateKey]:
    """The receiver's view: its private key for batches arriving on `channel`."""
    path = _private_path(channel, directory or keys_dir())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise FerryKeyError(f"缺少解密私钥 missing decryption key {path}") from None
    if not isinstance(key, X25519PrivateKey):
        raise FerryKeyError(f"{path} is not an X25519 private key")
    return encryption_key_id(key.public_key()), key


def _context(channel: str, batch_id: str) -> bytes:
    return f"onetrip-ferry-batch|{channel}|{batch_id}".encode()


def _derive(shared: bytes, salt: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=context).derive(shared)


@dataclass(frozen=True)
class Sealed:
    header: dict[str, Any]
    line: bytes  # base64 of the ciphertext: the batch file's second and last line


def seal(
    *,
    channel: str,
    batch_id: str,
    plaintext: bytes,
    recipient: tuple[str, X25519PublicKey],
) -> Sealed:
    key_id, public_key = recipient
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    context = _context(channel, batch_id)
    aes_key = _derive(ephemeral.exchange(public_key), ephemeral_raw + _raw(public_key), context)
    nonce = os.urandom(12)
    ciphertext = AESGCM(aes_key).encrypt(nonce, plaintext, context)
    line = base64.b64encode(ciphertext)
    header = {
        "alg": ALGORITHM,
        "recipient_key_id": key_id,
        "ephemeral_public": base64.b64encode(ephemeral_raw).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext_sha256": hashlib.sha256(line).hexdigest(),
    }
    return Sealed(header=header, line=line)


def open_sealed(
    *,
    channel: str,
    batch_id: str,
    header: dict[str, Any],
    line: bytes,
    recipient: tuple[str, X25519PrivateKey],
) -> bytes:
    """Decrypt after checking the header against the receiver's key; raise SealError."""
    key_id, private_key = recipient
    if header.get("alg") != ALGORITHM:
        raise SealError(f"unsupported encryption {header.get('alg')!r}")
    if header.get("recipient_key_id") != key_id:
        raise SealError(
            f"encrypted to key {header.get('recipient_key_id')!r}, "
            f"this zone's decryption key is {key_id!r}"
        )
    if hashlib.sha256(line).hexdigest() != header.get("ciphertext_sha256"):
        raise SealError("ciphertext hash mismatch")
    try:
        ephemeral_raw = base64.b64decode(str(header["ephemeral_public"]), validate=True)
        nonce = base64.b64decode(str(header["nonce"]), validate=True)
        ciphertext = base64.b64decode(line, validate=True)
        ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
    except (binascii.Error, ValueError, KeyError):
        raise SealError("malformed encryption header or ciphertext") from None
    context = _context(channel, batch_id)
    own_raw = _raw(private_key.public_key())
    aes_key = _derive(private_key.exchange(ephemeral), ephemeral_raw + own_raw, context)
    try:
        return AESGCM(aes_key).decrypt(nonce, ciphertext, context)
    except (InvalidTag, ValueError):
        raise SealError("decryption failed (wrong key or tampered ciphertext)") from None
