"""Ferry transports: how batch and ack files cross the boundary (DESIGN §3)."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Transport

if TYPE_CHECKING:
    from .amqp import AmqpTransport

__all__ = ["Transport", "close_transports", "get_transport"]

# One AMQP transport (one connection) per thread and configuration: pika connections are not
# thread-safe, and the agent asks for its transport on every pass.
_local = threading.local()
_open: weakref.WeakSet[AmqpTransport] = weakref.WeakSet()
_open_lock = threading.Lock()


def get_transport() -> Transport:
    """The transport named by settings.FERRY_TRANSPORT: `dir` (default) or `amqp`."""
    name = settings.FERRY_TRANSPORT
    if name == "dir":
        from .dir import DirTransport

        return DirTransport(settings.FERRY_DIR)
    if name == "amqp":
        return _amqp_transport()
    raise ImproperlyConfigured(f"unsupported FERRY_TRANSPORT {name!r} (expected 'dir' or 'amqp')")


def _amqp_transport() -> AmqpTransport:
    from .amqp import AmqpTransport

    key = (
        str(settings.FERRY_AMQP_URL),
        str(settings.FERRY_AMQP_PREFIX),
        str(settings.FERRY_AMQP_QUEUE_TYPE),
        float(settings.FERRY_AMQP_RECONNECT_MAX_SECONDS),
    )
    cached: tuple[tuple[str, str, str, float], AmqpTransport] | None = getattr(_local, "amqp", None)
    if cached is not None:
        if cached[0] == key:
            return cached[1]
        cached[1].close()  # the settings changed (tests do): do not leak the old connection
    url, prefix, queue_type, reconnect_max = key
    try:
        transport = AmqpTransport(url, prefix, queue_type=queue_type, reconnect_max=reconnect_max)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    _local.amqp = (key, transport)
    with _open_lock:
        _open.add(transport)
    return transport


def close_transports() -> None:
    """Close every cached AMQP connection, in all threads; they reconnect on next use.

    Call it when the threads using them are done (process shutdown, test teardown)."""
    with _open_lock:
        transports = list(_open)
    for transport in transports:
        transport.close()
