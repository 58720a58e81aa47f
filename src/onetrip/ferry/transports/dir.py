"""The `dir` transport: a directory per channel, as a boundary gateway carries files.

Layout under settings.FERRY_DIR::

    <channel>/batches/<first_seq:012d>-<batch_id>.jsonl   pending batches
    <channel>/acks/<last_seq:012d>-<batch_id>.json        acks from the receiver
    <channel>/quarantine/<utc time>-<name>                documents that failed verification

Writes go to a hidden temporary name in the same directory, are fsynced, renamed into place and
the directory fsynced, so a gateway or reader never sees a partial file and a crash never leaves a
visible one. Hidden names (leading dot) are ignored when listing.

Whatever else stands in a directory is listed, so the receiver can quarantine it. Reading never
follows a symbolic link and never opens anything but a regular file (`lstat`, then `O_NOFOLLOW |
O_NONBLOCK` and `fstat` of what was opened), and holds at most the caller's limit in memory: a
larger file is hashed in chunks and only its beginning kept. Moving a file to quarantine renames
the directory entry itself (a link, not its target) under a name made of safe characters.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from .base import Incoming, Transport

CHUNK_BYTES = 1024 * 1024
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
_KINDS_OF_ENTRY = (
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


class DirTransport(Transport):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _dir(self, channel: str, kind: str) -> Path:
        path = self.root / channel / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def _check_name(name: str) -> str:
        """A plain name, for what the ferry itself writes and reads."""
        if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
            raise ValueError(f"bad ferry file name {name!r}")
        return name

    @staticmethod
    def _check_entry(name: str) -> str:
        """Any name a listing returned: one entry of the directory, never a way out of it."""
        if not name or name in (".", "..") or "/" in name or "\0" in name:
            raise ValueError(f"not a directory entry {name!r}")
        return name

    def _put(self, directory: Path, name: str, body: bytes) -> None:
        self._check_name(name)
        temp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, directory / name)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(directory)

    @staticmethod
    def _list(directory: Path) -> list[str]:
        """Every entry but the hidden ones (writes in progress), of whatever kind."""
        with os.scandir(directory) as entries:
            return sorted(entry.name for entry in entries if not entry.name.startswith("."))

    def _read(self, directory: Path, name: str) -> bytes | None:
        """The whole file, if it is a regular file; None if it is gone or is not one."""
        incoming = self._read_limited(
            directory, name, max_bytes=sys.maxsize, keep_bytes=sys.maxsize
        )
        return None if incoming is None or incoming.refused else incoming.body

    def _read_limited(
        self, directory: Path, name: str, *, max_bytes: int, keep_bytes: int
    ) -> Incoming | None:
        path = directory / self._check_name(name)
        try:
            before = os.lstat(path)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(before.st_mode):
            return Incoming.unread(_kind_of(before.st_mode))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Replaced by a link since the lstat (ELOOP), or not ours to read (EACCES …).
            if exc.errno == errno.ELOOP:
                return Incoming.unread("symbolic link")
            return Incoming.unread(f"unreadable ({errno.errorcode.get(exc.errno or 0, 'error')})")
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                return Incoming.unread(_kind_of(opened.st_mode))
            return _read_fd(fd, opened.st_size, max_bytes=max_bytes, keep_bytes=keep_bytes)
        finally:
            os.close(fd)

    def _quarantine(self, channel: str, directory: Path, name: str) -> str:
        self._check_entry(name)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        safe = _UNSAFE_IN_NAME.sub("_", name)[:120]
        target = self._dir(channel, "quarantine") / f"{stamp}-{safe}"
        try:
            os.replace(directory / name, target)
        except FileNotFoundError:
            return ""
        _fsync_dir(target.parent)
        return str(target)

    def _remove(self, directory: Path, name: str) -> None:
        (directory / self._check_entry(name)).unlink(missing_ok=True)

    def put_batch(self, channel: str, name: str, body: bytes) -> None:
        self._put(self._dir(channel, "batches"), name, body)

    def list_batches(self, channel: str) -> list[str]:
        return self._list(self._dir(channel, "batches"))

    def read_batch(self, channel: str, name: str) -> bytes | None:
        return self._read(self._dir(channel, "batches"), name)

    def read_batch_limited(
        self, channel: str, name: str, *, max_bytes: int, keep_bytes: int
    ) -> Incoming | None:
        return self._read_limited(
            self._dir(channel, "batches"), name, max_bytes=max_bytes, keep_bytes=keep_bytes
        )

    def remove_batch(self, channel: str, name: str) -> None:
        self._remove(self._dir(channel, "batches"), name)

    def quarantine_batch(self, channel: str, name: str) -> str:
        return self._quarantine(channel, self._dir(channel, "batches"), name)

    def put_ack(self, channel: str, name: str, body: bytes) -> None:
        self._put(self._dir(channel, "acks"), name, body)

    def list_acks(self, channel: str) -> list[str]:
        return self._list(self._dir(channel, "acks"))

    def read_ack(self, channel: str, name: str) -> bytes | None:
        return self._read(self._dir(channel, "acks"), name)

    def read_ack_limited(
        self, channel: str, name: str, *, max_bytes: int, keep_bytes: int
    ) -> Incoming | None:
        return self._read_limited(
            self._dir(channel, "acks"), name, max_bytes=max_bytes, keep_bytes=keep_bytes
        )

    def remove_ack(self, channel: str, name: str) -> None:
        self._remove(self._dir(channel, "acks"), name)

    def quarantine_ack(self, channel: str, name: str) -> str:
        return self._quarantine(channel, self._dir(channel, "acks"), name)


def _kind_of(mode: int) -> str:
    for test, kind in _KINDS_OF_ENTRY:
        if test(mode):
            return kind
    return "not a regular file"


def _read_fd(fd: int, size: int, *, max_bytes: int, keep_bytes: int) -> Incoming:
    """Read an open regular file in chunks: all of it while it stays within `max_bytes`, else
    only its first `keep_bytes`, hashing every byte either way."""
    digest = hashlib.sha256()
    kept = bytearray()
    keep = keep_bytes if size > max_bytes else max_bytes
    total = 0
    while chunk := os.read(fd, CHUNK_BYTES):
        digest.update(chunk)
        total += len(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
        if total > max_bytes and keep > keep_bytes:
            keep = keep_bytes  # it grew past the limit while being read
            del kept[keep:]
    if total > max_bytes:
        return Incoming(bytes(kept), total, digest.hexdigest(), False)
    return Incoming(bytes(kept), total, digest.hexdigest(), True)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; without it a power cut can lose the new name."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
