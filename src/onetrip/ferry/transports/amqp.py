"""The `amqp` transport: RabbitMQ for larger deployments (DESIGN §3 "Transport").

It moves the same signed batch and ack documents as `dir`; the protocol above does not change.
Per channel there are three durable queues (quorum queues by default)::

    <prefix>.<channel>.batches      pending batches
    <prefix>.<channel>.acks         acks from the receiver
    <prefix>.<channel>.quarantine   documents that failed verification (never consumed)

A document is one persistent message (delivery_mode 2) whose header `x-ferry-name` carries the
file name `dir` would use. Every publish waits for the broker's confirm (`confirm_delivery`), so a
put that returns is on disk in the queue; a refused or unroutable publish raises and the sender
retries on its next pass.

Receiving uses manual acks. `list_*` pulls the available deliveries (`basic.get`, which no
prefetch window limits, so batches held while parked never starve the one that fills the gap)
into a buffer keyed by name; `read_*` returns a buffered body; `remove_*` acks the delivery;
`quarantine_*` publishes the body to the quarantine queue, confirmed, then acks. (Given a name not
buffered yet, these first pull what the queue has, so no caller needs to list first.) Anything not
removed stays unacked and held: a parked batch is simply not acked, and the broker redelivers it
if the connection drops. A name delivered more than once (a redelivery, a resend) keeps only its
newest copy; superseded copies are acked at once, which the protocol allows because a duplicate
batch or ack is harmless.

On any connection or channel failure the connection is dropped and the buffer cleared: its
deliveries are back in the queue and come again on the next `list_*`. An operation that fails on
a connection that had been working is retried once on a fresh one (a broker restart or a lost
heartbeat); otherwise it raises `AmqpUnavailable` (an OSError) and reconnects wait with capped
exponential backoff. The agent logs the failed pass and retries, so it outlives the outage.

A transport object is not thread-safe (nor is pika): `get_transport()` keeps one per thread.

On RabbitMQ 4.x quorum queues have a default delivery limit (20 returns), after which a message
is dropped. Nothing is lost even then, since the sender resends an unacknowledged batch, but set
a policy with `delivery-limit` unlimited on `<prefix>.*` to avoid the wait.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pika
import pika.exceptions

from ..log import log_event
from .base import SetAside, Transport

BATCHES = "batches"
ACKS = "acks"
QUARANTINE = "quarantine"
NAME_HEADER = "x-ferry-name"
KIND_HEADER = "x-ferry-kind"
PUBLISHED_HEADER = "x-ferry-published-ns"
REASON_HEADER = "x-ferry-reason"
_SUFFIX = {BATCHES: ".jsonl", ACKS: ".json"}
QUEUE_TYPES = ("quorum", "classic")

# Errors after which the connection (and every delivery tag on it) is no longer usable.
_BROKEN = (pika.exceptions.AMQPError, OSError)

T = TypeVar("T")

# pika narrates every connection step, and logs each failed one at ERROR with a traceback. Each
# failure reaches this module as an exception, logged once as `amqp_unavailable` (or by the agent
# as its failed pass), so pika stays quiet unless the deployment's logging configures it.
if logging.getLogger("pika").level == logging.NOTSET:
    logging.getLogger("pika").setLevel(logging.CRITICAL)


class AmqpUnavailable(ConnectionError):
    """RabbitMQ could not be reached or dropped the connection; try again later."""


class PublishRefused(ConnectionError):
    """The broker did not confirm a publish (nack, or no queue to route it to)."""


@dataclass
class _Held:
    tag: int
    body: bytes
    published: int


def safe_url(url: str) -> str:
    """The URL without its password, for logs and status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))


def check_name(name: str) -> str:
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ValueError(f"bad ferry document name {name!r}")
    return name


class AmqpTransport(Transport):
    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        queue_type: str = "quorum",
        fetch_max: int = 1000,
        reconnect_initial: float = 0.5,
        reconnect_max: float = 10.0,
    ) -> None:
        if queue_type not in QUEUE_TYPES:
            raise ValueError(f"FERRY_AMQP_QUEUE_TYPE must be one of {QUEUE_TYPES}")
        if not prefix:
            raise ValueError("FERRY_AMQP_PREFIX must not be empty")
        self.url = url
        self.prefix = prefix
        self.queue_type = queue_type
        self.fetch_max = max(1, fetch_max)
        self.reconnect_initial = max(0.0, reconnect_initial)
        self.reconnect_max = max(self.reconnect_initial, reconnect_max)
        self._params = _parameters(url, prefix)
        self._conn: Any = None
        self._chan: Any = None
        self._declared: set[str] = set()
        self._held: dict[str, dict[str, _Held]] = {}
        self._set_aside: dict[tuple[str, str], list[SetAside]] = {}
        self._failures = 0
        self._next_attempt = 0.0
        self.connects = 0  # successful connections so far (tests and metrics)

    # -- queues and connection -------------------------------------------------------------

    def queue(self, channel: str, kind: str) -> str:
        return f"{self.prefix}.{channel}.{kind}"

    def queues(self, channel: str) -> list[str]:
        return [self.queue(channel, kind) for kind in (BATCHES, ACKS, QUARANTINE)]

    @property
    def connected(self) -> bool:
        return bool(self._chan is not None and self._chan.is_open and self._conn.is_open)

    def _channel(self) -> Any:
        if self.connected:
            return self._chan
        self._drop()
        wait = self._next_attempt - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            conn = pika.BlockingConnection(self._params)
            try:
                chan = conn.channel()
                chan.confirm_delivery()
            except BaseException:
                _close_quietly(conn)
                raise
        except _BROKEN as exc:
            self._failures += 1
            delay = min(self.reconnect_max, self.reconnect_initial * 2 ** (self._failures - 1))
            self._next_attempt = time.monotonic() + delay
            log_event(
                logging.WARNING,
                "amqp_unavailable",
                url=safe_url(self.url),
                error=type(exc).__name__,
                attempt=self._failures,
                retry_in_seconds=round(delay, 1),
                **({"detail": detail} if (detail := _describe(exc)) else {}),
            )
            raise AmqpUnavailable(
                f"RabbitMQ unreachable at {safe_url(self.url)} ({type(exc).__name__}); "
                f"next attempt in {delay:.1f}s"
            ) from exc
        if self._failures:
            log_event(
                logging.INFO,
                "amqp_reconnected",
                url=safe_url(self.url),
                after_attempts=self._failures,
            )
        self._failures = 0
        self._next_attempt = 0.0
        self._conn, self._chan = conn, chan
        self.connects += 1
        return chan

    def _drop(self) -> None:
        """Forget the connection and what it delivered: the broker requeues unacked deliveries."""
        conn, self._conn, self._chan = self._conn, None, None
        self._declared.clear()
        self._held.clear()
        if conn is not None:
            _close_quietly(conn)

    def close(self) -> None:
        """Close the connection; held deliveries go back to their queues. Reusable afterwards."""
        self._drop()

    def _call(self, operation: Callable[[Any], T]) -> T:
        """Run `operation(channel)`, once more on a fresh connection if a live one broke."""
        was_connected = self.connected
        chan = self._channel()
        try:
            return operation(chan)
        except PublishRefused:
            raise
        except _BROKEN as first:
            self._drop()
            if not was_connected:
                raise AmqpUnavailable(
                    f"RabbitMQ failed: {type(first).__name__}: {first}"
                ) from first
            log_event(logging.INFO, "amqp_connection_lost", error=type(first).__name__)
        chan = self._channel()
        try:
            return operation(chan)
        except PublishRefused:
            raise
        except _BROKEN as second:
            self._drop()
            raise AmqpUnavailable(f"RabbitMQ failed: {type(second).__name__}: {second}") from second

    def _declare(self, chan: Any, queue: str) -> None:
        if queue in self._declared:
            return
        chan.queue_declare(queue=queue, durable=True, arguments={"x-queue-type": self.queue_type})
        self._declared.add(queue)

    def _publish(
        self, chan: Any, queue: str, name: str, kind: str, body: bytes, **extra: str
    ) -> None:
        self._declare(chan, queue)
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            content_type="application/jsonl" if kind == BATCHES else "application/json",
            app_id="onetrip-ferry",
            timestamp=int(time.time()),
            headers={
                NAME_HEADER: name,
                KIND_HEADER: kind,
                PUBLISHED_HEADER: time.time_ns(),
                **extra,
            },
        )
        for attempt in (1, 2):
            try:
                chan.basic_publish(
                    exchange="", routing_key=queue, body=body, properties=properties, mandatory=True
                )
                return
            except pika.exceptions.UnroutableError as exc:
                # The queue vanished under us (deleted by an operator): declare it again, once.
                self._declared.discard(queue)
                self._declare(chan, queue)
                if attempt == 2:
                    raise PublishRefused(f"unroutable publish to {queue}") from exc
            except pika.exceptions.NackError as exc:
                # A fresh channel next time: after a quorum queue's overflow, the channel that
                # was refused can stay refused even once the queue has room again.
                self._drop()
                raise PublishRefused(f"broker refused publish to {queue}") from exc

    # -- receiving ---------------------------------------------------------------------------

    def _fetch(self, channel: str, kind: str) -> list[str]:
        queue = self.queue(channel, kind)

        def fetch(chan: Any) -> list[str]:
            self._declare(chan, queue)
            held = self._held.setdefault(queue, {})
            for _ in range(self.fetch_max):
                method, properties, body = chan.basic_get(queue=queue, auto_ack=False)
                if method is None:
                    break
                headers = (properties.headers if properties else None) or {}
                name = _text(headers.get(NAME_HEADER))
                body = bytes(body or b"")
                if not _valid_name(name, kind):
                    # No usable name: it could never be read, so set it aside for the operator
                    # rather than hold it forever; the receiver records it (`take_set_aside`).
                    self._publish(
                        chan,
                        self.queue(channel, QUARANTINE),
                        name or "-",
                        kind,
                        body,
                        **{REASON_HEADER: "missing or invalid x-ferry-name"},
                    )
                    chan.basic_ack(delivery_tag=method.delivery_tag)
                    log_event(
                        logging.WARNING,
                        "amqp_unnamed_message",
                        queue=queue,
                        name=repr(name[:100]) if name else "-",
                    )
                    self._set_aside.setdefault((channel, kind), []).append(
                        SetAside(name, body, f"amqp queue {self.queue(channel, QUARANTINE)}")
                    )
                    continue
                copy = _Held(method.delivery_tag, body, _int(headers.get(PUBLISHED_HEADER)))
                old = held.get(name)
                if old is None:
                    held[name] = copy
                elif copy.published >= old.published:
                    chan.basic_ack(delivery_tag=old.tag)
                    held[name] = copy
                else:
                    chan.basic_ack(delivery_tag=copy.tag)
            return sorted(held)

        return self._call(fetch)

    def _read(self, channel: str, kind: str, name: str) -> bytes | None:
        """The pending document under `name`, as `dir` would read its file: from the buffer,
        else after taking what the queue has now (a caller need not list first)."""
        queue = self.queue(channel, kind)
        held = self._held.get(queue, {}).get(check_name(name))
        if held is None:
            self._fetch(channel, kind)
            held = self._held.get(queue, {}).get(name)
        return None if held is None else held.body

    def _remove(self, channel: str, kind: str, name: str) -> None:
        queue = self.queue(channel, kind)
        check_name(name)
        if name not in self._held.get(queue, {}):
            self._fetch(channel, kind)
            if name not in self._held.get(queue, {}):
                return  # not pending (any more)

        def ack(chan: Any) -> None:
            held = self._held.get(queue, {}).pop(name, None)
            if held is not None:
                chan.basic_ack(delivery_tag=held.tag)

        self._ack_on_current(ack)

    def _quarantine(self, channel: str, kind: str, name: str) -> str:
        queue = self.queue(channel, kind)
        target = self.queue(channel, QUARANTINE)
        check_name(name)
        if name not in self._held.get(queue, {}):
            self._fetch(channel, kind)
            if name not in self._held.get(queue, {}):
                return ""

        def move(chan: Any) -> str:
            held = self._held.get(queue, {}).get(name)
            if held is None:
                return ""
            self._publish(chan, target, name, kind, held.body, **{"x-ferry-from": queue})
            chan.basic_ack(delivery_tag=held.tag)
            self._held[queue].pop(name, None)
            return f"amqp queue {target}: {name}"

        return self._ack_on_current(move)

    def _ack_on_current(self, operation: Callable[[Any], T]) -> T:
        """Acks only make sense on the channel that delivered: no reconnect, no retry. If the
        connection is gone, the delivery is back in the queue and comes again (a duplicate)."""
        if not self.connected:
            self._drop()
            raise AmqpUnavailable("RabbitMQ connection lost before the delivery could be acked")
        try:
            return operation(self._chan)
        except PublishRefused:
            raise
        except _BROKEN as exc:
            self._drop()
            raise AmqpUnavailable(f"RabbitMQ failed: {type(exc).__name__}: {exc}") from exc

    def release(self, channel: str, kind: str) -> int:
        """Hand every held delivery of one queue back to the broker (nack with requeue)."""
        queue = self.queue(channel, kind)
        held = self._held.pop(queue, {})
        if not held or not self.connected:
            return 0
        try:
            for copy in held.values():
                self._chan.basic_nack(delivery_tag=copy.tag, requeue=True)
        except _BROKEN:
            self._drop()
        return len(held)

    def take_set_aside(self, channel: str, kind: str) -> list[SetAside]:
        return self._set_aside.pop((channel, kind), [])

    def count_batches(self, channel: str) -> int:
        """The ready messages in the batches queue, by a passive declare: nothing is taken off
        the queue. Deliveries an agent holds unacked (parked batches) are not counted, and a
        heartbeat waiting there is."""
        queue = self.queue(channel, BATCHES)

        def count(chan: Any) -> int:
            self._declare(chan, queue)
            return int(chan.queue_declare(queue=queue, passive=True).method.message_count)

        return self._call(count)

    def delete_queues(self, channel: str) -> None:
        """Delete the channel's three queues and whatever they hold (tests, decommissioning)."""

        def delete(chan: Any) -> None:
            for queue in self.queues(channel):
                chan.queue_delete(queue=queue)
                self._declared.discard(queue)
                self._held.pop(queue, None)

        self._call(delete)

    def browse_quarantine(self, channel: str, limit: int = 10000) -> list[tuple[str, bytes]]:
        """What the quarantine queue holds, oldest first, without consuming it."""
        queue = self.queue(channel, QUARANTINE)

        def browse(chan: Any) -> list[tuple[str, bytes]]:
            self._declare(chan, queue)
            found: list[tuple[str, bytes]] = []
            tags: list[int] = []
            try:
                for _ in range(limit):
                    method, properties, body = chan.basic_get(queue=queue, auto_ack=False)
                    if method is None:
                        break
                    tags.append(method.delivery_tag)
                    headers = (properties.headers if properties else None) or {}
                    found.append((_text(headers.get(NAME_HEADER)), bytes(body or b"")))
            finally:
                for tag in tags:
                    chan.basic_nack(delivery_tag=tag, requeue=True)
            return found

        return self._call(browse)

    # -- the Transport interface -----------------------------------------------------------

    def put_batch(self, channel: str, name: str, body: bytes) -> None:
        queue = self.queue(channel, BATCHES)
        self._call(lambda chan: self._publish(chan, queue, check_name(name), BATCHES, body))

    def list_batches(self, channel: str) -> list[str]:
        return self._fetch(channel, BATCHES)

    def read_batch(self, channel: str, name: str) -> bytes | None:
        return self._read(channel, BATCHES, name)

    def remove_batch(self, channel: str, name: str) -> None:
        self._remove(channel, BATCHES, name)

    def quarantine_batch(self, channel: str, name: str) -> str:
        return self._quarantine(channel, BATCHES, name)

    def put_ack(self, channel: str, name: str, body: bytes) -> None:
        queue = self.queue(channel, ACKS)
        self._call(lambda chan: self._publish(chan, queue, check_name(name), ACKS, body))

    def list_acks(self, channel: str) -> list[str]:
        return self._fetch(channel, ACKS)

    def read_ack(self, channel: str, name: str) -> bytes | None:
        return self._read(channel, ACKS, name)

    def remove_ack(self, channel: str, name: str) -> None:
        self._remove(channel, ACKS, name)

    def quarantine_ack(self, channel: str, name: str) -> str:
        return self._quarantine(channel, ACKS, name)


def _parameters(url: str, prefix: str) -> Any:
    """Connection parameters from the URL, with bounded timeouts unless the URL sets its own."""
    params = pika.URLParameters(url)
    given = parse_qs(urlsplit(url).query)
    if "socket_timeout" not in given:
        params.socket_timeout = 5
    if "stack_timeout" not in given:
        params.stack_timeout = 15
    if "blocked_connection_timeout" not in given:
        params.blocked_connection_timeout = 60
    if "connection_attempts" not in given:
        params.connection_attempts = 1
    params.client_properties = {
        "connection_name": f"onetrip-ferry {prefix} pid {os.getpid()}",
    }
    return params


def _close_quietly(conn: Any) -> None:
    try:
        if conn.is_open:
            conn.close()
    except Exception:  # noqa: S110 - the connection is being thrown away either way
        pass


def _describe(exc: BaseException) -> str:
    """pika's own words (addresses, broker reply codes; never the password), in one short line."""
    return " ".join(str(exc).split())[:300]


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _valid_name(name: str, kind: str) -> bool:
    try:
        check_name(name)
    except ValueError:
        return False
    return name.endswith(_SUFFIX[kind])
