"""Ed25519 keys per channel, with key ids and rotation without downtime (DESIGN §3).

Layout of `settings.FERRY_KEYS_DIR` (the v1 files keep their names and meaning)::

    <channel>.key                    current private key (sending zone only; PKCS#8 PEM, 0600)
    <channel>.pub                    current public key (SubjectPublicKeyInfo PEM)
    <channel>/<key_id>.pub           further trusted public keys: the previous key after a
                                     rotation, or a staged next key before it
    <channel>/<key_id>.key           a staged next private key, until `rotate` makes it current
    <channel>/retired/<key_id>.pub   retired keys: recognised, never accepted
    <channel>.<anything>.pub         v1 spelling of a further trusted key (still honoured)
    <channel>.x25519.key|.pub        the receiver's encryption key pair (see `sealing`)

A key id is the first 16 hex digits of the SHA-256 of the raw public key; a manifest, ack or
heartbeat names the key it was signed with. The receiver accepts a document only if that id is
the channel's current or a trusted key: a retired key, an unknown key and a key of the other
channel are refused with distinct reasons (and alarms).

Rotation without downtime (`onetrip ferry rotate|retire`):

1. `rotate --stage` on the sending zone creates the next pair under `<channel>/`; its public key
   is trusted at once. Copy `<channel>/<new_id>.pub` to the receiving zone's keys dir (same
   place) — the receiver now trusts both keys.
2. `rotate` makes the staged (or, without `--stage` first, a fresh) key current; the old public
   key stays trusted as `<channel>/<old_id>.pub`, so batches in flight and resends still verify.
3. Once nothing signed with the old key can still arrive, `retire --key-id <old_id>` on both
   zones moves it to `<channel>/retired/`.

Who holds what: the sending zone of a channel holds its private key; the receiving zone holds its
public keys. Acks, resend requests and heartbeats are signed with the sending key of the zone
that writes them, so no zone ever needs the other zone's private key.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from .channels import CHANNELS
from .keyfiles import private_pem, public_pem, replace_file, write_new_private, write_public


class FerryKeyError(RuntimeError):
    """A key the ferry needs is missing or unreadable, or a key operation is not allowed."""


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


def _check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"unknown ferry channel {channel!r}")
    return channel


def _private_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.key"


def _public_path(channel: str, directory: Path) -> Path:
    return directory / f"{channel}.pub"


def _trusted_dir(channel: str, directory: Path) -> Path:
    return directory / channel


def _retired_dir(channel: str, directory: Path) -> Path:
    return directory / channel / "retired"


def generate_key(channel: str, directory: Path | None = None) -> tuple[str, bool]:
    """Create `<channel>.key`/`.pub` unless the private key exists. Returns (key id, created).

    Idempotent so that `ferry keygen` can run on every deployment without rotating keys."""
    _check_channel(channel)
    directory = directory or keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    private_path = _private_path(channel, directory)
    if private_path.exists():
        return load_signing_key(channel, directory).key_id, False
    private_key = Ed25519PrivateKey.generate()
    write_new_private(private_path, private_pem(private_key))
    write_public(_public_path(channel, directory), public_pem(private_key.public_key()))
    return key_id_of(private_key.public_key()), True


def _load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise FerryKeyError(f"{path} is not an Ed25519 private key")
    return key


def load_signing_key(channel: str, directory: Path | None = None) -> SigningKey:
    path = _private_path(channel, directory or keys_dir())
    try:
        key = _load_private(path)
    except FileNotFoundError:
        raise FerryKeyError(
            f"缺少签名私钥 missing private key {path}; run `onetrip ferry keygen`"
        ) from None
    return SigningKey(channel=channel, key_id=key_id_of(key.public_key()), private_key=key)


# Public keys are read on every verification; parse each file once per change of its mtime.
_PUBLIC_CACHE: dict[Path, tuple[tuple[int, int, int], Ed25519PublicKey | None]] = {}


def _load_public(path: Path) -> Ed25519PublicKey | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    cached = _PUBLIC_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None
    result = key if isinstance(key, Ed25519PublicKey) else None
    _PUBLIC_CACHE[path] = (stamp, result)
    return result


def _keys_in(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        key = _load_public(path) if path.is_file() else None
        if key is not None:
            keys[key_id_of(key)] = key
    return keys


def current_key_id(channel: str, directory: Path | None = None) -> str:
    """The id of `<channel>.pub`, or "" if there is none."""
    key = _load_public(_public_path(channel, directory or keys_dir()))
    return key_id_of(key) if key is not None else ""


def retired_public_keys(channel: str, directory: Path | None = None) -> dict[str, Ed25519PublicKey]:
    directory = directory or keys_dir()
    return _keys_in(sorted(_retired_dir(channel, directory).glob("*.pub")))


def known_public_keys(channel: str, directory: Path | None = None) -> dict[str, Ed25519PublicKey]:
    """Every public key trusted for `channel`, by key id: the current one and the further trusted
    ones (previous or staged); never a retired one."""
    directory = directory or keys_dir()
    paths = [
        _public_path(channel, directory),
        *sorted(_trusted_dir(channel, directory).glob("*.pub")),
        *sorted(p for p in directory.glob(f"{channel}.*.pub") if ".x25519." not in p.name),
    ]
    keys = _keys_in(paths)
    for key_id in retired_public_keys(channel, directory):
        keys.pop(key_id, None)
    return keys


@dataclass
class KeyIds:
    """The key ids of one channel as this zone's keys dir holds them (for `ferry status`)."""

    current: str = ""
    trusted: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)


def key_ids(channel: str, directory: Path | None = None) -> KeyIds:
    directory = directory or keys_dir()
    return KeyIds(
        current=current_key_id(channel, directory),
        trusted=sorted(known_public_keys(channel, directory)),
        retired=sorted(retired_public_keys(channel, directory)),
        staged=sorted(p.stem for p in _trusted_dir(channel, directory).glob("*.key")),
    )


@dataclass(frozen=True)
class SignatureProblem:
    """Why a signature is not accepted: `kind` is the alarm kind, `reason` the text shown."""

    kind: str
    reason: str


def check_signature(
    channel: str, key_id: str, data: bytes, signature_b64: str
) -> SignatureProblem | None:
    """None if `signature_b64` is a valid signature of `data` by a key trusted for `channel`."""
    key = known_public_keys(channel).get(key_id)
    if key is None:
        if key_id in retired_public_keys(channel):
            return SignatureProblem(
                "key_retired",
                f"retired key id {key_id!r} for channel {channel}: "
                "documents signed with a retired key are refused",
            )
        for other in CHANNELS:
            if other == channel:
                continue
            if key_id in known_public_keys(other) or key_id in retired_public_keys(other):
                return SignatureProblem(
                    "key_wrong_channel",
                    f"wrong channel key: key id {key_id!r} is a key of channel {other}, "
                    f"not {channel} (unknown key id for this channel)",
                )
        return SignatureProblem("key_unknown", f"unknown key id {key_id!r} for channel {channel}")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        # Only the one canonical spelling: b64decode ignores the unused low bits of the last
        # character, so a flipped bit there would verify yet change the document's hash.
        if base64.b64encode(signature).decode() != signature_b64:
            raise ValueError("non-canonical base64")
        key.verify(signature, data)
    except (InvalidSignature, ValueError):
        return SignatureProblem("quarantine", "bad signature")
    return None


def verify(channel: str, key_id: str, data: bytes, signature_b64: str) -> str | None:
    """None if the signature is valid for `channel`, else the reason it is not (v1 API)."""
    problem = check_signature(channel, key_id, data, signature_b64)
    return problem.reason if problem else None


# -- rotation -------------------------------------------------------------------------------------


def stage_key(channel: str, directory: Path | None = None) -> str:
    """Create the next key pair of `channel` under `<channel>/`, trusted but not yet used."""
    _check_channel(channel)
    directory = directory or keys_dir()
    target = _trusted_dir(channel, directory)
    target.mkdir(parents=True, exist_ok=True)
    private_key = Ed25519PrivateKey.generate()
    key_id = key_id_of(private_key.public_key())
    write_public(target / f"{key_id}.pub", public_pem(private_key.public_key()))
    write_new_private(target / f"{key_id}.key", private_pem(private_key))
    return key_id


def rotate_key(
    channel: str, directory: Path | None = None, key_id: str | None = None
) -> tuple[str, str]:
    """Make a staged key (or, if none is staged, a fresh one) the current signing key of
    `channel`; the previous public key stays trusted. Returns (old id, new id).

    Every step leaves a usable state: the new pair is saved and trusted first, the old public
    key is saved as trusted, and only then are `<channel>.key`/`.pub` replaced atomically."""
    _check_channel(channel)
    directory = directory or keys_dir()
    old = load_signing_key(channel, directory)
    staged_dir = _trusted_dir(channel, directory)
    staged = sorted(p.stem for p in staged_dir.glob("*.key"))
    if key_id is None:
        if len(staged) > 1:
            raise FerryKeyError(f"several staged keys {staged}; choose one with --key-id")
        key_id = staged[0] if staged else stage_key(channel, directory)
    elif key_id not in staged:
        raise FerryKeyError(f"no staged key {key_id!r} for channel {channel}")
    if key_id == old.key_id:
        raise FerryKeyError(f"key {key_id!r} is already current for {channel}")
    new_private = _load_private(staged_dir / f"{key_id}.key")
    write_public(staged_dir / f"{old.key_id}.pub", public_pem(old.private_key.public_key()))
    replace_file(_private_path(channel, directory), private_pem(new_private), 0o600)
    replace_file(_public_path(channel, directory), public_pem(new_private.public_key()), 0o644)
    (staged_dir / f"{key_id}.key").unlink()
    (staged_dir / f"{key_id}.pub").unlink(missing_ok=True)
    return old.key_id, key_id


def retire_key(key_id: str, directory: Path | None = None) -> list[str]:
    """Stop trusting `key_id` wherever this keys dir trusts it; return the channels affected.

    The current key of a channel cannot be retired (rotate first)."""
    directory = directory or keys_dir()
    channels: list[str] = []
    for channel in CHANNELS:
        if current_key_id(channel, directory) == key_id:
            raise FerryKeyError(
                f"{key_id} is the current key of {channel}; rotate before retiring it"
            )
        candidates = [
            *sorted(_trusted_dir(channel, directory).glob("*.pub")),
            *sorted(p for p in directory.glob(f"{channel}.*.pub") if ".x25519." not in p.name),
        ]
        moved = False
        for path in candidates:
            key = _load_public(path)
            if key is None or key_id_of(key) != key_id:
                continue
            retired = _retired_dir(channel, directory)
            retired.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), retired / f"{key_id}.pub")
            moved = True
        (_trusted_dir(channel, directory) / f"{key_id}.key").unlink(missing_ok=True)
        if moved:
            channels.append(channel)
    return channels
