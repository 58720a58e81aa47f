"""Handlers that apply incoming messages in the receiving zone.

A handler runs inside the ferry's apply transaction, in its own savepoint. It may change the zone's
tables and `emit` messages back; all of it commits with the inbox row. Raising `BusinessReject`
undoes the handler's effects, records the message as rejected with the reason and carries the
reason back in the ack: a message that breaks a business rule never blocks the channel. Any other
exception is a bug or an outage: the whole batch rolls back and is retried on the next pass.

Reject handlers run in the *sending* zone: when the ack carrying the far side's business reject of
one of our messages is processed, the handler registered with `register_reject_handler` for that
zone and message type is called exactly once, as `fn(envelope, message, reason)`, inside the
transaction that marks the batch acknowledged (and records the reject on the outbox row). It lets
the owner of the message tell its user. An exception rolls that transaction back; the ack is
processed again on the next pass.
"""

from __future__ import annotations

from collections.abc import Callable

from onetrip.contracts.base import Contract

from ..protocol.channels import check_zone
from ..protocol.envelope import Envelope

Handler = Callable[[Envelope, Contract], None]
RejectHandler = Callable[[Envelope, Contract, str], None]

__all__ = [
    "BusinessReject",
    "Envelope",
    "Handler",
    "RejectHandler",
    "handler_for",
    "register_handler",
    "register_reject_handler",
    "reject_handler_for",
]


class BusinessReject(Exception):
    """The message is well formed but the receiving zone refuses it (e.g. a duplicate case)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_HANDLERS: dict[tuple[str, str], Handler] = {}


def register_handler(*, zone: str, message_type: str) -> Callable[[Handler], Handler]:
    """Decorator: `fn(envelope, message)` applies `message_type` messages arriving in `zone`.

    One handler per (zone, type) — two would make the effect depend on import order."""
    check_zone(zone)

    def decorate(fn: Handler) -> Handler:
        key = (zone, message_type)
        existing = _HANDLERS.get(key)
        if existing is not None and _qualname(existing) != _qualname(fn):
            raise ValueError(f"a handler for {message_type} in zone {zone} is already registered")
        _HANDLERS[key] = fn
        return fn

    return decorate


def _qualname(fn: Handler | RejectHandler) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def handler_for(zone: str, message_type: str) -> Handler | None:
    return _HANDLERS.get((zone, message_type))


_REJECT_HANDLERS: dict[tuple[str, str], RejectHandler] = {}


def register_reject_handler(
    *, zone: str, message_type: str
) -> Callable[[RejectHandler], RejectHandler]:
    """Decorator: `fn(envelope, message, reason)` learns that the other zone rejected a
    `message_type` message that `zone` sent. One per (zone, type)."""
    check_zone(zone)

    def decorate(fn: RejectHandler) -> RejectHandler:
        key = (zone, message_type)
        existing = _REJECT_HANDLERS.get(key)
        if existing is not None and _qualname(existing) != _qualname(fn):
            raise ValueError(
                f"a reject handler for {message_type} in zone {zone} is already registered"
            )
        _REJECT_HANDLERS[key] = fn
        return fn

    return decorate


def reject_handler_for(zone: str, message_type: str) -> RejectHandler | None:
    return _REJECT_HANDLERS.get((zone, message_type))
