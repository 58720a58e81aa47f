"""Test-only contracts and handlers for the fault-injection suite.

`fault.ping` (portal → police) carries an index, a body and the SHA-256 of both; the police
handler recomputes the checksum and answers with a `fault.pong` (police → portal) in the same
transaction, so both channels carry N messages. The pong is the ping's *effect*: exactly one pong
per ping in the police outbox means the handler's effect committed exactly once. The portal's
`fault.pong` handler has no effect beyond its inbox row.

A checksum that does not match is a business reject, which the final checks count as a failure:
a ferry that let a corrupted payload through would show up there even if signatures were skipped.
Importing this module registers everything; `tests.ferry.faults.agent` imports it in the agents.
"""

from __future__ import annotations

import hashlib
import random

from django.db import transaction

from onetrip.contracts.base import Contract, register
from onetrip.ferry.agent.handlers import BusinessReject, Envelope, register_handler
from onetrip.ferry.agent.outbox import emit
from onetrip.ferry.registry import get_store

PING = "fault.ping"
PONG = "fault.pong"

_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789 居住证服务平台最多跑一次杭州西湖区派出所"\\/\t'


def checksum(n: int, body: str) -> str:
    return hashlib.sha256(f"{n}:{body}".encode()).hexdigest()


@register
class FaultPingV1(Contract):
    message_type = PING
    version = 1
    aggregate_type = "fault"

    n: int
    body: str
    sha256: str


@register
class FaultPongV1(Contract):
    message_type = PONG
    version = 1
    aggregate_type = "fault"

    n: int
    ping_id: str
    sha256: str


@register_handler(zone="police", message_type=PING)
def on_fault_ping(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, FaultPingV1)
    digest = checksum(message.n, message.body)
    if digest != message.sha256:
        raise BusinessReject(f"checksum mismatch for ping {message.n}")
    emit(
        zone="police",
        message=FaultPongV1(n=message.n, ping_id=str(envelope.message_id), sha256=digest),
        aggregate_id=str(envelope.message_id),
        correlation_id=envelope.correlation_id,
        actor="ferry",
        purpose="fault suite pong",
    )


@register_handler(zone="portal", message_type=PONG)
def on_fault_pong(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, FaultPongV1)


def ping_body(rng: random.Random) -> str:
    """A body of 0–600 characters, with multi-byte and JSON-escaped characters."""
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 600)))


def emit_pings(start: int, count: int, rng: random.Random) -> dict[str, tuple[int, str]]:
    """Emit pings `start` … `start + count - 1` from the portal in one transaction.

    Returns {message id: (n, checksum)} for the final comparison."""
    sent: dict[str, tuple[int, str]] = {}
    with transaction.atomic(using=get_store("portal").db):
        for n in range(start, start + count):
            body = ping_body(rng)
            digest = checksum(n, body)
            row = emit(
                zone="portal",
                message=FaultPingV1(n=n, body=body, sha256=digest),
                aggregate_id=f"fault-{n}",
                correlation_id=f"F{n:08d}",
                actor="fault-suite",
                purpose="fault suite ping",
            )
            sent[str(row.message_id)] = (n, digest)
    return sent
