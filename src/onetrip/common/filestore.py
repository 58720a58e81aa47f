"""Uploaded documents and photos at rest (DESIGN §8): encrypted with the field keys, outside the
web root, under `ONETRIP_FILES_DIR/<zone>/`, named by a random id that says nothing of the
person. Written under a temporary name, fsynced and renamed, so a crash leaves either the whole
file or none; a file is read only through a view or service that checks permission and audits.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .crypto import decrypt_bytes, encrypt_bytes

_NAME = re.compile(r"^[0-9a-f]{32}$")


class StoredFileMissing(LookupError):
    pass


@dataclass(frozen=True)
class StoredFile:
    name: str  # the id under which the ciphertext lies; stored in the database beside the hash
    sha256: str  # of the plain content, so a copy in the other zone can be checked against it
    size: int


def _root(zone: str) -> Path:
    if zone not in ("portal", "police"):
        raise ValueError(f"unknown zone {zone!r}")
    return Path(settings.ONETRIP_FILES_DIR) / zone


def _path(zone: str, name: str) -> Path:
    if not _NAME.match(name):
        raise StoredFileMissing(name)
    return _root(zone) / name[:2] / name


def file_put(*, zone: str, content: bytes) -> StoredFile:
    """Encrypt and store `content`; returns its new name and the hash of the plain bytes."""
    name = secrets.token_hex(16)
    path = _path(zone, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{name}.tmp")
    sealed = encrypt_bytes(content)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return StoredFile(name=name, sha256=hashlib.sha256(content).hexdigest(), size=len(content))


def file_get(*, zone: str, name: str) -> bytes:
    try:
        sealed = _path(zone, name).read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing(name) from exc
    return decrypt_bytes(sealed)


def file_delete(*, zone: str, name: str) -> None:
    """Remove a stored file (a replaced draft upload, retention); absent is fine."""
    try:
        _path(zone, name).unlink(missing_ok=True)
    except StoredFileMissing:
        return


def file_orphans_delete(
    *, zone: str, kept: Callable[[list[str]], set[str]], older_than_seconds: float = 3600
) -> int:
    """Delete stored files that no row refers to: a file written in a transaction that rolled
    back (a refused batch, a crash between the write and the commit) would otherwise keep a
    person's document on disk for ever. `kept(names)` answers which of `names` rows still refer
    to; files younger than `older_than_seconds` are left, as their transaction may still be
    open. Leftover temporary files of that age go too. Returns how many files were deleted."""
    root = _root(zone)
    if not root.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    deleted = 0
    for shard in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        old = {
            path.name: path
            for path in shard.iterdir()
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff
        }
        names = [name for name in old if _NAME.match(name)]
        keep = kept(names) if names else set()
        for name, path in old.items():
            if name in keep:
                continue
            if _NAME.match(name) or name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
