"""Handlers that apply incoming messages in the receiving zone.

A handler runs inside the ferry's apply transaction, in its own savepoint. It may change the zone's
tables and `emit` messages back; all of it commits with the inbox row. Raising `BusinessReject`
undoes the handler's effects, records the message as rejected with the reason and carries the
reason back in the ack: a message that breaks a business rule never blocks the channel. Any other
exception is a bug or an outage: the whole batch rolls back and is retried on the next pass.
"""

from __future__ import annotations

from collections.abc import Callable

from onetrip.contracts.base import Contract

from .channels import check_zone
from .envelope import Envelope

Handler = Callable[[Envelope, Contract], None]

__all__ = ["BusinessReject", "Envelope", "Handler", "handler_for", "register_handler"]


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


def _qualname(fn: Handler) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def handler_for(zone: str, message_type: str) -> Handler | None:
    return _HANDLERS.get((zone, message_type))
