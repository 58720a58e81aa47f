"""Reusable ferry fixtures for any test that moves messages between the zones.

Use from another test package::

    from tests.ferry.helpers import ferry_env, pump  # noqa: F401  (ferry_env is a fixture)

    @pytest.mark.django_db(databases=["default", "police"], transaction=True)
    def test_something(ferry_env):
        ...  # emit in one zone inside its transaction
        pump()  # until both agents are idle

The transport comes from ONETRIP_TEST_FERRY_TRANSPORT: `dir` (default) or `amqp` (RabbitMQ at
settings.FERRY_AMQP_URL, queues under a prefix of the test's own, deleted afterwards). FerryEnv's
file helpers work on both: under amqp they return `QueuedDocument`s, which stand in for the batch
and ack files with the part of Path the tests use.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from onetrip.ferry.agent.loop import AgentReport, run_once
from onetrip.ferry.protocol.batch import build_batch
from onetrip.ferry.protocol.channels import CHANNELS
from onetrip.ferry.protocol.envelope import Envelope
from onetrip.ferry.protocol.signing import SigningKey, generate_key
from onetrip.ferry.transports import close_transports, get_transport

from .pingpong import PingV1  # importing it registers the test contracts and handlers

TRANSPORT_ENV = "ONETRIP_TEST_FERRY_TRANSPORT"
TRANSPORTS = ("dir", "amqp")

# Tests that reach into the dir transport itself; under amqp they are skipped with this reason.
DIR_ONLY = {
    "test_ferry.py::test_crash_between_apply_and_ack": (
        "dir only: patches DirTransport methods "
        "(amqp variant in tests/ferry/transports/test_amqp.py)"
    ),
    "test_ferry.py::test_crash_between_batching_and_export": (
        "dir only: patches DirTransport methods "
        "(amqp variant in tests/ferry/transports/test_amqp.py)"
    ),
}

_KINDS = {"batches": ("batch", ".jsonl"), "acks": ("ack", ".json")}


def chosen_transport() -> str:
    name = os.environ.get(TRANSPORT_ENV, "dir") or "dir"
    if name not in TRANSPORTS:
        raise pytest.UsageError(f"{TRANSPORT_ENV} must be one of {TRANSPORTS}, not {name!r}")
    return name


def amqp_url() -> str:
    return str(django_settings.FERRY_AMQP_URL)


def amqp_reachable(url: str | None = None, timeout: float = 1.0) -> bool:
    parts = urlsplit(url or amqp_url())
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout):
            return True
    except OSError:
        return False


@dataclass
class FerryEnv:
    """Where the ferry of this test keeps its documents, and ways to reach them as a gateway
    (or an attacker on it) would: list, read, replace, drop and deliver batches and acks."""

    root: Path
    keys: Path
    transport: str = "dir"
    prefix: str = ""

    # -- the documents, transport-neutral ---------------------------------------------------

    def batches(self, channel: str) -> list[Any]:
        """Pending batches, in sequence order: Paths under dir, QueuedDocuments under amqp."""
        if self.transport == "dir":
            return sorted((self.root / channel / "batches").glob("*.jsonl"))
        return self._documents(channel, "batches")

    def acks(self, channel: str) -> list[Any]:
        if self.transport == "dir":
            return sorted((self.root / channel / "acks").glob("*.json"))
        return self._documents(channel, "acks")

    def quarantined(self, channel: str) -> list[Any]:
        """What the transport set aside: files under dir, names in the quarantine queue."""
        if self.transport == "dir":
            return sorted((self.root / channel / "quarantine").glob("*"))
        return [name for name, _body in self.amqp().browse_quarantine(channel)]

    def pending_batches(self, channel: str) -> list[tuple[str, bytes]]:
        return [(doc.name, doc.read_bytes()) for doc in self.batches(channel)]

    def deliver(self, channel: str, name: str, body: bytes) -> Any:
        """Put a batch where the receiver of `channel` looks, as a gateway would."""
        if self.transport == "dir":
            directory = self.root / channel / "batches"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(body)
            return directory / name
        self.amqp().put_batch(channel, name, body)
        return QueuedDocument(self, channel, "batches", name)

    def drop(self, channel: str, kind: str, name: str, body: bytes) -> None:
        """Put any document under any name where the receiver of `channel` looks (`kind`:
        "batches" or "acks"), as a hostile gateway would: under dir a file written as is, under
        amqp a message whose `x-ferry-name` is `name`, published without the transport's own
        name check."""
        if self.transport == "dir":
            directory = self.root / channel / kind
            directory.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(body)
            return
        transport = self.amqp()
        queue = transport.queue(channel, kind)
        transport._call(lambda chan: transport._publish(chan, queue, name, kind, body))

    def pending_names(self, channel: str, kind: str) -> list[str]:
        """Every name waiting in `kind` ("batches" or "acks") of `channel`, whatever it is."""
        if self.transport == "dir":
            directory = self.root / channel / kind
            return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        return sorted(self._snapshot(channel, kind))

    # -- amqp --------------------------------------------------------------------------------

    def amqp(self) -> Any:
        """This thread's AMQP transport: the very one run_once()/pump() use in this thread."""
        assert self.transport == "amqp", "only under ONETRIP_TEST_FERRY_TRANSPORT=amqp"
        return get_transport()

    def _list(self, channel: str, kind: str) -> list[str]:
        names: list[str] = getattr(self.amqp(), f"list_{kind}")(channel)
        return names

    def _snapshot(self, channel: str, kind: str) -> dict[str, bytes]:
        """Name → body of every pending document, handed back to the broker afterwards so that
        the test holds nothing an agent (in this thread or another process) should see."""
        transport = self.amqp()
        singular = _KINDS[kind][0]
        try:
            names = self._list(channel, kind)
            return {
                name: body
                for name in names
                if (body := getattr(transport, f"read_{singular}")(channel, name)) is not None
            }
        finally:
            transport.release(channel, kind)

    def _documents(self, channel: str, kind: str) -> list[Any]:
        return [QueuedDocument(self, channel, kind, name) for name in self._snapshot(channel, kind)]

    def _remove(self, channel: str, kind: str, name: str) -> bool:
        transport = self.amqp()
        try:
            found = name in self._list(channel, kind)
            getattr(transport, f"remove_{_KINDS[kind][0]}")(channel, name)
            return found
        finally:
            transport.release(channel, kind)

    def _put(self, channel: str, kind: str, name: str, body: bytes) -> None:
        getattr(self.amqp(), f"put_{_KINDS[kind][0]}")(channel, name, body)


@dataclass(frozen=True)
class QueuedDocument:
    """A batch or ack waiting in RabbitMQ, in the role of the file `dir` would hold: `name`,
    `read_bytes`, `write_bytes` (replace), `unlink`, `exists` and `rename` (move to another
    channel's queue, given the path the file would have under FerryEnv.root)."""

    env: FerryEnv
    channel: str
    kind: str
    name: str

    def read_bytes(self) -> bytes:
        body = self.env._snapshot(self.channel, self.kind).get(self.name)
        if body is None:
            raise FileNotFoundError(f"{self} is no longer pending")
        return body

    def write_bytes(self, body: bytes) -> int:
        self.env._remove(self.channel, self.kind, self.name)
        self.env._put(self.channel, self.kind, self.name, body)
        return len(body)

    def unlink(self, missing_ok: bool = False) -> None:
        if not self.env._remove(self.channel, self.kind, self.name) and not missing_ok:
            raise FileNotFoundError(f"{self} is no longer pending")

    def exists(self) -> bool:
        return self.name in self.env._snapshot(self.channel, self.kind)

    def rename(self, target: Path) -> QueuedDocument:
        channel, kind, name = Path(target).relative_to(self.env.root).parts
        if kind not in _KINDS:
            raise ValueError(f"cannot move a queued document to {target}")
        body = self.read_bytes()
        self.unlink()
        self.env._put(channel, kind, name, body)
        return QueuedDocument(self.env, channel, kind, name)

    def __str__(self) -> str:
        return f"amqp:{self.env.prefix}.{self.channel}.{self.kind}/{self.name}"


def make_ferry_env(
    tmp_path: Path, settings: Any, monkeypatch: Any, request: Any, transport: str
) -> Iterator[FerryEnv]:
    root, keys = tmp_path / "ferry", tmp_path / "keys"
    settings.FERRY_DIR = root
    settings.FERRY_KEYS_DIR = keys
    settings.FERRY_TRANSPORT = transport
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    # Agent processes a test starts inherit the same transport.
    monkeypatch.setenv("ONETRIP_FERRY_TRANSPORT", transport)
    prefix = ""
    if transport == "amqp":
        test = f"{Path(str(request.path)).name}::{getattr(request.function, '__name__', '')}"
        reason = DIR_ONLY.get(test)
        if reason:
            pytest.skip(reason)
        url = amqp_url()
        if not amqp_reachable(url):
            pytest.fail(f"{TRANSPORT_ENV}=amqp but RabbitMQ is unreachable at {url}")
        prefix = f"test.{uuid.uuid4().hex[:8]}"
        settings.FERRY_AMQP_URL = url
        settings.FERRY_AMQP_PREFIX = prefix
        monkeypatch.setenv("ONETRIP_FERRY_AMQP_URL", url)
        monkeypatch.setenv("ONETRIP_FERRY_AMQP_PREFIX", prefix)
    for channel in CHANNELS:
        generate_key(channel, keys)
    env = FerryEnv(root=root, keys=keys, transport=transport, prefix=prefix)
    yield env
    if transport == "amqp":
        close_transports()
        admin = env.amqp()
        try:
            for channel in CHANNELS:
                admin.delete_queues(channel)
        finally:
            admin.close()


@pytest.fixture
def ferry_env(tmp_path: Path, settings: Any, monkeypatch: Any, request: Any) -> Iterator[FerryEnv]:
    """Point FERRY_DIR/FERRY_KEYS_DIR at tmp_path, choose the transport (see the module
    docstring), create both keys.

    Resends are off by default (a long timeout); set settings.FERRY_RESEND_AFTER_SECONDS = 0
    in a test to make every pass resend what is unacked."""
    yield from make_ferry_env(tmp_path, settings, monkeypatch, request, chosen_transport())


def forged_batch(
    key: SigningKey, *, channel: str, first_seq: int, prev: str = ""
) -> tuple[str, bytes]:
    """A validly signed batch of one ping that no outbox wrote: what a stolen key, a sender
    restored from a backup or a key used on the wrong channel would put on the boundary."""
    envelope = Envelope(
        message_id=uuid.uuid4(),
        sequence=first_seq,
        message_type="test.ping",
        version=1,
        aggregate_type="test",
        aggregate_id="forged",
        correlation_id="X",
        actor="mallory",
        purpose="test",
        occurred_at=dt.datetime.now(dt.UTC),
        payload=PingV1(n=999).model_dump(mode="json"),
    )
    built = build_batch(
        channel=channel,
        sender_zone="portal",
        envelopes=[envelope],
        prev_sha256=prev,
        key=key,
        created_at=dt.datetime.now(dt.UTC),
    )
    return built.file_name, built.body


def pump(times: int = 20) -> list[AgentReport]:
    """Run portal then police passes until a round in which neither moved anything.

    Fails if the ferry is still busy after `times` rounds (a livelock is a bug)."""
    reports: list[AgentReport] = []
    for _ in range(times):
        round_reports = [run_once("portal"), run_once("police")]
        reports.extend(round_reports)
        if not any(r.busy for r in round_reports):
            return reports
    raise AssertionError(f"ferry still busy after {times} rounds: {reports[-2:]}")
