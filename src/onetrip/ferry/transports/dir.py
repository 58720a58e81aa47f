"""The `dir` transport: a directory per channel, as a boundary gateway carries files.

Layout under settings.FERRY_DIR::

    <channel>/batches/<first_seq:012d>-<batch_id>.jsonl   pending batches
    <channel>/acks/<last_seq:012d>-<batch_id>.json        acks from the receiver
    <channel>/quarantine/<utc time>-<name>                documents that failed verification

Writes go to a hidden temporary name in the same directory, are fsynced, renamed into place and
the directory fsynced, so a gateway or reader never sees a partial file and a crash never leaves a
visible one. Hidden names (leading dot) are ignored when listing.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from .base import Transport


class DirTransport(Transport):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _dir(self, channel: str, kind: str) -> Path:
        path = self.root / channel / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def _check_name(name: str) -> str:
        if not name or name.startswith(".") or "/" in name or "\\" in name:
            raise ValueError(f"bad ferry file name {name!r}")
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
    def _list(directory: Path, suffix: str) -> list[str]:
        return sorted(
            entry.name
            for entry in os.scandir(directory)
            if entry.is_file() and not entry.name.startswith(".") and entry.name.endswith(suffix)
        )

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def _quarantine(self, channel: str, directory: Path, name: str) -> str:
        self._check_name(name)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self._dir(channel, "quarantine") / f"{stamp}-{name}"
        try:
            os.replace(directory / name, target)
        except FileNotFoundError:
            return ""
        _fsync_dir(target.parent)
        return str(target)

    def put_batch(self, channel: str, name: str, body: bytes) -> None:
        self._put(self._dir(channel, "batches"), name, body)

    def list_batches(self, channel: str) -> list[str]:
        return self._list(self._dir(channel, "batches"), ".jsonl")

    def read_batch(self, channel: str, name: str) -> bytes | None:
        return self._read(self._dir(channel, "batches") / self._check_name(name))

    def remove_batch(self, channel: str, name: str) -> None:
        (self._dir(channel, "batches") / self._check_name(name)).unlink(missing_ok=True)

    def quarantine_batch(self, channel: str, name: str) -> str:
        return self._quarantine(channel, self._dir(channel, "batches"), name)

    def put_ack(self, channel: str, name: str, body: bytes) -> None:
        self._put(self._dir(channel, "acks"), name, body)

    def list_acks(self, channel: str) -> list[str]:
        return self._list(self._dir(channel, "acks"), ".json")

    def read_ack(self, channel: str, name: str) -> bytes | None:
        return self._read(self._dir(channel, "acks") / self._check_name(name))

    def remove_ack(self, channel: str, name: str) -> None:
        (self._dir(channel, "acks") / self._check_name(name)).unlink(missing_ok=True)

    def quarantine_ack(self, channel: str, name: str) -> str:
        return self._quarantine(channel, self._dir(channel, "acks"), name)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; without it a power cut can lose the new name."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
