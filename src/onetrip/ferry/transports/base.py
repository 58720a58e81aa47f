"""The small interface the agent needs from a transport.

Documents are opaque bytes with a name; the protocol (signatures, sequences, acks) lives above this
line, so a directory, a gateway or RabbitMQ only has to move named files. Semantics:

* `put_*` must be atomic: a reader sees the whole document or nothing, and a put under an existing
  name replaces it (a resend).
* `list_*` returns names in sequence order (names are zero-padded sequence numbers).
* Reading a name that has vanished returns None (another process or the gateway took it).
* A batch stays pending until the receiver removes it or quarantines it: a parked batch is simply
  left where it is.
* `list_*` returns every pending name, whatever it looks like (`dir` leaves out hidden names,
  which writers use while writing; `amqp` sets a message without a usable name aside at once and
  reports it through `take_set_aside`): the receiver checks each name against the protocol's
  pattern before reading, and quarantines what does not match, so that nothing sits in front of
  good documents for ever. `remove_*` and `quarantine_*` accept any listed name; `read_*` and
  `put_*` only plain ones.
* The agent reads with `read_*_limited`: at most `max_bytes` are held in memory; a larger
  document comes back as its first `keep_bytes` with its size and SHA-256, computed in chunks.
  Something that is not a plain document (with `dir`, a symbolic link, a directory, a FIFO …) is
  refused without being read.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Incoming:
    """A pending document as the receiver read it, within limits.

    `body` is the whole document when `complete`; otherwise (larger than the limit) its first
    bytes only, with the whole document's `size` and `sha256`. `refused` says why nothing was
    read at all ("symbolic link", "directory", "bad name" …); then `body` is empty, `size` 0 and
    `sha256` ""."""

    body: bytes
    size: int
    sha256: str
    complete: bool
    refused: str = ""

    @classmethod
    def whole(cls, body: bytes) -> Incoming:
        return cls(body, len(body), hashlib.sha256(body).hexdigest(), True)

    @classmethod
    def limited(cls, body: bytes, *, max_bytes: int, keep_bytes: int) -> Incoming:
        """A document already in memory (a broker delivered it), cut as a file would be read."""
        if len(body) <= max_bytes:
            return cls.whole(body)
        return cls(body[:keep_bytes], len(body), hashlib.sha256(body).hexdigest(), False)

    @classmethod
    def unread(cls, why: str) -> Incoming:
        return cls(b"", 0, "", False, why)


@dataclass(frozen=True)
class SetAside:
    """A document the transport moved to its quarantine by itself, before anyone could list it,
    because it had no usable name (an `amqp` message without `x-ferry-name`): `where` it went.
    The receiver records it like any other quarantined document."""

    name: str
    body: bytes
    where: str


class Transport(ABC):
    @abstractmethod
    def put_batch(self, channel: str, name: str, body: bytes) -> None: ...

    @abstractmethod
    def list_batches(self, channel: str) -> list[str]: ...

    @abstractmethod
    def read_batch(self, channel: str, name: str) -> bytes | None: ...

    @abstractmethod
    def remove_batch(self, channel: str, name: str) -> None: ...

    def read_batch_limited(
        self, channel: str, name: str, *, max_bytes: int, keep_bytes: int
    ) -> Incoming | None:
        """`read_batch` within limits (see the module docstring); None if it has vanished."""
        body = self.read_batch(channel, name)
        if body is None:
            return None
        return Incoming.limited(body, max_bytes=max_bytes, keep_bytes=keep_bytes)

    @abstractmethod
    def quarantine_batch(self, channel: str, name: str) -> str:
        """Move the batch out of the pending set; return where it went (for the operator)."""

    @abstractmethod
    def put_ack(self, channel: str, name: str, body: bytes) -> None: ...

    @abstractmethod
    def list_acks(self, channel: str) -> list[str]: ...

    @abstractmethod
    def read_ack(self, channel: str, name: str) -> bytes | None: ...

    @abstractmethod
    def remove_ack(self, channel: str, name: str) -> None: ...

    def read_ack_limited(
        self, channel: str, name: str, *, max_bytes: int, keep_bytes: int
    ) -> Incoming | None:
        body = self.read_ack(channel, name)
        if body is None:
            return None
        return Incoming.limited(body, max_bytes=max_bytes, keep_bytes=keep_bytes)

    @abstractmethod
    def quarantine_ack(self, channel: str, name: str) -> str: ...

    def take_set_aside(self, channel: str, kind: str) -> list[SetAside]:
        """The documents of `kind` ("batches" or "acks") this transport set aside since the last
        call; a transport that never does returns []."""
        return []

    def count_batches(self, channel: str) -> int:
        """How many batch documents wait on `channel`, for status pages: must not take, hold or
        reorder anything the agent is about to read."""
        return sum(1 for name in self.list_batches(channel) if not name.startswith("heartbeat-"))
