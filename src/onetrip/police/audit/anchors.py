"""The anchor file: signed checkpoints of the audit chain's head, outside the database.

One canonical JSON line per checkpoint (see `common.audit_chain.anchor_line`), appended under an
exclusive lock and fsync-ed before the writer reports success, so a checkpoint that was reported
is on disk. The file is only ever appended to; in production it lives on storage the database's
administrators cannot rewrite (docs/operations.md, "Audit anchors").
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from onetrip.common.audit_chain import GENESIS, AnchorError, Checkpoint, parse_anchor_line

_TAIL_CHUNK = 4096


@dataclass(frozen=True)
class AnchorRead:
    """What `read_anchors` found: the good checkpoints, in file order, and the first fault.

    `fault_line` is the 1-based line number of the first bad line (0 when there is none);
    reading stops there, so `checkpoints` are only the lines before it.
    """

    path: Path
    exists: bool
    checkpoints: list[Checkpoint] = field(default_factory=list)
    fault: str = ""
    fault_line: int = 0

    @property
    def last(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


def _check_line(
    line: bytes, keys: Mapping[str, bytes], before: Checkpoint | None, seen: dict[int, str]
) -> Checkpoint:
    """The checkpoint on `line`, which must follow `before`; AnchorError says why not."""
    if not line.endswith(b"\n"):
        raise AnchorError("incomplete last line (torn write or truncated file)")
    checkpoint = parse_anchor_line(line, keys=keys, prev=before.digest if before else GENESIS)
    if before is not None and checkpoint.sequence < before.sequence:
        raise AnchorError(
            f"goes back from sequence {before.sequence} to {checkpoint.sequence} "
            "(the chain's head never moves backwards)"
        )
    if seen.get(checkpoint.sequence, checkpoint.hash) != checkpoint.hash:
        raise AnchorError(
            f"anchors sequence {checkpoint.sequence} with a different hash than an earlier line"
        )
    return checkpoint


def read_anchors(path: Path, keys: Mapping[str, bytes]) -> AnchorRead:
    """Read and check every line: signature, canonical form, link to the line before, order.

    Streams the file; stops at the first bad line. A missing file is not a fault here (nothing
    was anchored yet, or the file was lost): the caller says what that means.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return AnchorRead(path=path, exists=False)
    checkpoints: list[Checkpoint] = []
    seen: dict[int, str] = {}
    with handle:
        for number, line in enumerate(handle, start=1):
            try:
                checkpoint = _check_line(line, keys, checkpoints[-1] if checkpoints else None, seen)
            except AnchorError as exc:
                return AnchorRead(path, True, checkpoints, fault=str(exc), fault_line=number)
            checkpoints.append(checkpoint)
            seen[checkpoint.sequence] = checkpoint.hash
    return AnchorRead(path, True, checkpoints)


class OpenAnchorFile:
    """An anchor file held under an exclusive lock, for one read-the-tail-then-append."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    def last_line(self) -> bytes | None:
        """The last complete line, or None for an empty file.

        AnchorError when the file does not end in a newline: a torn write or a truncation must
        be looked at by a person before anything is appended after it.
        """
        size = os.fstat(self._fd).st_size
        if size == 0:
            return None
        if os.pread(self._fd, 1, size - 1) != b"\n":
            raise AnchorError(
                f"{self.path}: the last line is incomplete (torn write or truncated file); "
                "inspect the file before anchoring again"
            )
        chunk = _TAIL_CHUNK
        while True:
            start = max(0, size - chunk)
            tail = os.pread(self._fd, size - start, start)
            cut = tail.rfind(b"\n", 0, len(tail) - 1)
            if cut >= 0 or start == 0:
                return tail[cut + 1 :]
            chunk *= 2

    def append(self, line: bytes) -> None:
        """Append one line and fsync it."""
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked_anchor_file(path: Path) -> Iterator[OpenAnchorFile]:
    """Open (creating it if needed) and exclusively lock the anchor file.

    The lock serialises anchor writers (the periodic loop and a manual `audit anchor`), so each
    line links to the one truly before it. A newly created file's directory entry is fsync-ed
    too, or a crash could lose the file along with its first checkpoint.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if created:
            _fsync_dir(path.parent)
        yield OpenAnchorFile(fd, path)
    finally:
        os.close(fd)
