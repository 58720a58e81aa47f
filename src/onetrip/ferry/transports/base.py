"""The small interface the agent needs from a transport.

Documents are opaque bytes with a name; the protocol (signatures, sequences, acks) lives above this
line, so a directory, a gateway or RabbitMQ only has to move named files. Semantics:

* `put_*` must be atomic: a reader sees the whole document or nothing, and a put under an existing
  name replaces it (a resend).
* `list_*` returns names in sequence order (names are zero-padded sequence numbers).
* Reading a name that has vanished returns None (another process or the gateway took it).
* A batch stays pending until the receiver removes it or quarantines it: a parked batch is simply
  left where it is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Transport(ABC):
    @abstractmethod
    def put_batch(self, channel: str, name: str, body: bytes) -> None: ...

    @abstractmethod
    def list_batches(self, channel: str) -> list[str]: ...

    @abstractmethod
    def read_batch(self, channel: str, name: str) -> bytes | None: ...

    @abstractmethod
    def remove_batch(self, channel: str, name: str) -> None: ...

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

    @abstractmethod
    def quarantine_ack(self, channel: str, name: str) -> str: ...

    def count_batches(self, channel: str) -> int:
        """How many batch documents wait on `channel`, for status pages: must not take, hold or
        reorder anything the agent is about to read."""
        return sum(1 for name in self.list_batches(channel) if not name.startswith("heartbeat-"))
