"""Optional encryption of batch bodies to the receiving zone (settings.FERRY_ENCRYPT).

Each channel's receiving zone holds an X25519 key pair, `<channel>.x25519.key` (private, 0600) and
`<channel>.x25519.pub`, in FERRY_KEYS_DIR; the sending zone holds a copy of the public key. For each
batch the sender makes an ephemeral X25519 key, derives an AES-256 key with HKDF-SHA256 from the
shared secret (bound to the channel and batch id) and seals the message lines with AES-GCM.

The manifest stays in clear and signed: it names the recipient key id, the ephemeral public key,
the nonce and the SHA-256 of the ciphertext line, so the receiver checks signature and ciphertext
hash before decrypting, and the per-message hashes after. Only the message lines are secret.

Rotation without downtime (`onetrip ferry rotate|retire --encryption`, on the receiving zone).
The receiver holds every private key, so it can accept the old and the new key at once while the
sender switches whenever the new public key reaches it. Layout in FERRY_KEYS_DIR::

    <channel>.x25519.key|.pub                 the current pair (the sender holds only the .pub)
    <channel>.x25519/<key_id>.key|.pub        previous pairs after a rotation: still decrypt
    <channel>.x25519/staged/<key_id>.key|.pub a staged next pair: decrypts at once, not yet current
    <channel>.x25519/retired/<key_id>.pub     retired: recognised and refused; private key deleted

A batch is opened with the key its manifest names (`recipient_key_id`), so a batch sealed to the
previous key before the sender switched, or resent byte for byte later, still opens until that
key is retired. A batch sealed to a retired key is refused as such; to a key this zone never
held, as unknown (both are quarantined, never applied).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .channels import CHANNELS
from .keyfiles import private_pem, public_pem, replace_file, write_new_private, write_public
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


class DecryptionKeyError(FerryKeyError):
    """This zone holds no usable private key for the key a batch was sealed to.

    `kind` is the alarm kind the refusal raises (an `Alarm.KIND_*` value): `key_retired` for a
    key retired here, so that it stands out from a key that was never distributed (`quarantine`,
    as before rotation existed)."""

    def __init__(self, message: str, kind: str = "quarantine") -> None:
        super().__init__(message)
        self.kind = kind


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encryption_key_id(public_key: X25519PublicKey) -> str:
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def _private_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.x25519.key"


def _public_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.x25519.pub"


def _previous_dir(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.x25519"


def _staged_dir(channel: str, directory: Path) -> Path:
    return _previous_dir(channel, directory) / "staged"


def _retired_dir(channel: str, directory: Path) -> Path:
    return _previous_dir(channel, directory) / "retired"


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
    write_new_private(private_path, private_pem(private_key))
    write_public(_public_path(channel, directory), public_pem(private_key.public_key()))
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


KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")


def _key_at(path: Path, key_id: str) -> X25519PrivateKey | None:
    """The private key in `path` if it is an X25519 key whose id is `key_id`, else None.

    Further keys are found by file name; checking the content as well means a misnamed or
    damaged file is never taken for the key it claims to be."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (FileNotFoundError, ValueError, TypeError):
        return None
    if not isinstance(key, X25519PrivateKey) or encryption_key_id(key.public_key()) != key_id:
        return None
    return key


def _ids_in(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.key") if _key_at(p, p.stem) is not None)


def _retired_ids(channel: str, directory: Path) -> list[str]:
    return sorted(p.stem for p in _retired_dir(channel, directory).glob("*.pub"))


def _current_id(channel: str, directory: Path) -> str:
    try:
        return load_decryption_key(channel, directory)[0]
    except (FerryKeyError, ValueError, TypeError):
        return ""


@dataclass
class EncryptionKeyIds:
    """The X25519 key ids of one channel in this zone's keys dir (for `ferry status`)."""

    current: str = ""
    accepted: list[str] = field(default_factory=list)  # current, previous and staged
    staged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def encryption_key_ids(channel: str, directory: Path | None = None) -> EncryptionKeyIds:
    """Which keys this zone decrypts with for `channel`: empty lists on a zone that only sends."""
    directory = directory or keys_dir()
    retired = _retired_ids(channel, directory)
    current = _current_id(channel, directory)
    staged = [i for i in _ids_in(_staged_dir(channel, directory)) if i not in retired]
    previous = [i for i in _ids_in(_previous_dir(channel, directory)) if i not in retired]
    accepted = sorted({*previous, *staged, *([current] if current else [])} - set(retired))
    return EncryptionKeyIds(current=current, accepted=accepted, staged=staged, retired=retired)


def find_decryption_key(
    channel: str, key_id: str, directory: Path | None = None
) -> tuple[str, X25519PrivateKey]:
    """The private key a batch sealed to `key_id` opens with: the current, a previous or a
    staged key of `channel`. Raise DecryptionKeyError for a retired or unknown key id."""
    directory = directory or keys_dir()
    if not KEY_ID_RE.match(key_id):
        raise DecryptionKeyError(f"sealed to a malformed encryption key {key_id[:40]!r}")
    if key_id in _retired_ids(channel, directory):
        raise DecryptionKeyError(
            f"sealed to encryption key {key_id!r}, retired here for channel {channel}; "
            "batches sealed to a retired encryption key are refused",
            "key_retired",
        )
    for path in (
        _private_path(channel, directory),
        _previous_dir(channel, directory) / f"{key_id}.key",
        _staged_dir(channel, directory) / f"{key_id}.key",
    ):
        key = _key_at(path, key_id)
        if key is not None:
            return key_id, key
    accepted = encryption_key_ids(channel, directory).accepted
    if not accepted:
        raise DecryptionKeyError(
            f"缺少解密私钥 missing or unreadable decryption key {_private_path(channel, directory)}"
        )
    raise DecryptionKeyError(
        f"sealed to encryption key {key_id!r}, which this zone does not hold for {channel} "
        f"(it decrypts with {', '.join(accepted)})"
    )


def stage_encryption_key(channel: str, directory: Path | None = None) -> str:
    """Create the next X25519 pair of `channel` under `<channel>.x25519/staged/`.

    It decrypts at once, so the sender may be given its public key before `rotate` makes it
    current here."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown ferry channel {channel!r}")
    directory = directory or keys_dir()
    target = _staged_dir(channel, directory)
    target.mkdir(parents=True, exist_ok=True)
    private_key = X25519PrivateKey.generate()
    key_id = encryption_key_id(private_key.public_key())
    replace_file(target / f"{key_id}.key", private_pem(private_key), 0o600)
    replace_file(target / f"{key_id}.pub", public_pem(private_key.public_key()), 0o644)
    return key_id


def rotate_encryption_key(
    channel: str, directory: Path | None = None, key_id: str | None = None
) -> tuple[str, str]:
    """Make a staged (or, if none is staged, a fresh) pair the current decryption key of
    `channel`; the previous pair keeps decrypting from `<channel>.x25519/`. Returns (old, new).

    Every step leaves a usable state: the old pair is saved among the previous keys before
    `<channel>.x25519.key`/`.pub` are replaced, each file atomically."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown ferry channel {channel!r}")
    directory = directory or keys_dir()
    old_id, old_key = load_decryption_key(channel, directory)
    staged_dir = _staged_dir(channel, directory)
    staged = _ids_in(staged_dir)
    if key_id is None:
        if len(staged) > 1:
            raise FerryKeyError(f"several staged encryption keys {staged}; choose with --key-id")
        key_id = staged[0] if staged else stage_encryption_key(channel, directory)
    elif key_id not in staged:
        raise FerryKeyError(f"no staged encryption key {key_id!r} for channel {channel}")
    if key_id == old_id:
        raise FerryKeyError(f"encryption key {key_id!r} is already current for {channel}")
    new_key = _key_at(staged_dir / f"{key_id}.key", key_id)
    if new_key is None:
        raise FerryKeyError(f"staged encryption key {key_id!r} of {channel} is unreadable")
    previous = _previous_dir(channel, directory)
    previous.mkdir(parents=True, exist_ok=True)
    replace_file(previous / f"{old_id}.key", private_pem(old_key), 0o600)
    replace_file(previous / f"{old_id}.pub", public_pem(old_key.public_key()), 0o644)
    replace_file(_private_path(channel, directory), private_pem(new_key), 0o600)
    replace_file(_public_path(channel, directory), public_pem(new_key.public_key()), 0o644)
    (staged_dir / f"{key_id}.key").unlink()
    (staged_dir / f"{key_id}.pub").unlink(missing_ok=True)
    return old_id, key_id


def retire_encryption_key(key_id: str, directory: Path | None = None) -> list[str]:
    """Stop decrypting with `key_id` (a previous or staged key); return the channels affected.

    The private key is deleted and only its public key kept under `retired/`, so a batch still
    sealed to it is refused with a reason that names the retirement. The current key cannot be
    retired (rotate first)."""
    directory = directory or keys_dir()
    if not KEY_ID_RE.match(key_id):
        return []
    channels: list[str] = []
    for channel in CHANNELS:
        if _current_id(channel, directory) == key_id:
            raise FerryKeyError(
                f"{key_id} is the current encryption key of {channel}; rotate before retiring it"
            )
        paths = [
            folder / f"{key_id}.key"
            for folder in (_previous_dir(channel, directory), _staged_dir(channel, directory))
        ]
        found = [(path, key) for path in paths if (key := _key_at(path, key_id)) is not None]
        if not found:
            continue
        retired = _retired_dir(channel, directory)
        retired.mkdir(parents=True, exist_ok=True)
        # The retired marker first: from then on the key is refused even if a step below fails.
        replace_file(retired / f"{key_id}.pub", public_pem(found[0][1].public_key()), 0o644)
        for path, _key in found:
            path.unlink()
            path.with_suffix(".pub").unlink(missing_ok=True)
        channels.append(channel)
    return channels


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
