"""Test-only contracts and handlers, so the ferry tests depend on no business app.

`test.ping` is handled in both zones: the handler emits a `test.pong` back in the same transaction
(its effect, visible in the receiving zone's outbox), then raises BusinessReject or a plain error if
the ping asks for it — so a reject must also roll the pong back. `test.pong` is handled as a no-op.
Importing this module registers everything; the agent subprocess of the SIGKILL test imports it too.
"""

from __future__ import annotations

from django.db import transaction

from onetrip.contracts.base import Contract, register
from onetrip.ferry.agent.handlers import BusinessReject, Envelope, register_handler
from onetrip.ferry.agent.outbox import emit
from onetrip.ferry.registry import get_store


@register
class PingV1(Contract):
    message_type = "test.ping"
    version = 1
    aggregate_type = "test"

    n: int
    text: str = ""
    reject: str = ""
    explode: bool = False


@register
class PongV1(Contract):
    message_type = "test.pong"
    version = 1
    aggregate_type = "test"

    n: int
    ping_id: str
    correlation_id: str


@register
class OrphanV1(Contract):
    """A known contract that no zone has a handler for (a deployment error)."""

    message_type = "test.orphan"
    version = 1
    aggregate_type = "test"

    n: int


class Explosion(RuntimeError):
    """A handler bug, as opposed to a business reject."""


def _on_ping(zone: str, envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PingV1)
    emit(
        zone=zone,
        message=PongV1(
            n=message.n, ping_id=str(envelope.message_id), correlation_id=envelope.correlation_id
        ),
        aggregate_id=str(envelope.message_id),
        correlation_id=envelope.correlation_id,
        actor="ferry",
        purpose="test pong",
    )
    if message.reject:
        raise BusinessReject(message.reject)
    if message.explode:
        raise Explosion("boom")


@register_handler(zone="police", message_type="test.ping")
def on_ping_police(envelope: Envelope, message: Contract) -> None:
    _on_ping("police", envelope, message)


@register_handler(zone="portal", message_type="test.ping")
def on_ping_portal(envelope: Envelope, message: Contract) -> None:
    _on_ping("portal", envelope, message)


@register_handler(zone="police", message_type="test.pong")
def on_pong_police(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PongV1)


@register_handler(zone="portal", message_type="test.pong")
def on_pong_portal(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PongV1)


def send_pings(zone: str, count: int, *, start: int = 0, **fields: object) -> list[str]:
    """Emit `count` pings from `zone` in one transaction; return their message ids."""
    ids: list[str] = []
    with transaction.atomic(using=get_store(zone).db):
        for n in range(start, start + count):
            row = emit(
                zone=zone,
                message=PingV1(n=n, text="你好 ferry", **fields),  # type: ignore[arg-type]
                aggregate_id=f"ping-{n}",
                correlation_id=f"C{n:06d}",
                actor="test",
                purpose="test ping",
            )
            ids.append(str(row.message_id))
    return ids
