"""The `amqp` transport against the real RabbitMQ (DESIGN §3 "Transport"): the same protocol as
`dir`, durable queues, persistent confirmed publishes, manual acks, held parked batches,
duplicates, quarantine, reconnects, and the acceptance test: killing RabbitMQ for 30 s during a
transfer delays delivery but loses nothing.

Every test skips with its reason when RabbitMQ is unreachable; the tests that drop connections,
set policies or stop the broker also need `rabbitmqctl` (run as root). The acceptance test stops
the whole broker, which other users of it would notice, so it runs only with
ONETRIP_TEST_STOP_RABBITMQ=1 (CI sets it)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pika
import pytest
from django.db import connections

from onetrip.ferry.agent.loop import run_forever, run_once
from onetrip.ferry.protocol.channels import CHANNELS, POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.transports import close_transports, get_transport
from onetrip.ferry.transports.amqp import (
    KIND_HEADER,
    NAME_HEADER,
    REASON_HEADER,
    AmqpTransport,
    AmqpUnavailable,
)
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, amqp_reachable, amqp_url, make_ferry_env, pump
from ..pingpong import send_pings

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

REPO = Path(__file__).resolve().parents[3]


class Crash(BaseException):
    """Stands for the process dying at this point (not an error the agent could catch)."""


# -- helpers ---------------------------------------------------------------------------------


def police_pings() -> list[police_box.InboxMessage]:
    return list(police_box.InboxMessage.objects.filter(message_type="test.ping").order_by("id"))


def police_pong_ids() -> list[str]:
    return sorted(
        police_box.OutboxMessage.objects.filter(message_type="test.pong").values_list(
            "aggregate_id", flat=True
        )
    )


def transport() -> AmqpTransport:
    current = get_transport()
    assert isinstance(current, AmqpTransport)
    return current


def raw_channel() -> Any:
    """A connection of the test's own, outside the transport under test."""
    return pika.BlockingConnection(pika.URLParameters(amqp_url())).channel()


def ready(queue: str) -> int:
    """Messages ready in `queue` (not held unacked by anyone), counted by the broker now."""
    chan = raw_channel()
    try:
        return int(chan.queue_declare(queue=queue, passive=True).method.message_count)
    finally:
        chan.connection.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


_ctl_ok: bool | None = None


def rabbitmqctl(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return result.stdout


@pytest.fixture
def ctl() -> Callable[..., str]:
    """`rabbitmqctl`, or a skip saying why it cannot be used."""
    global _ctl_ok
    if _ctl_ok is None:
        try:
            _ctl_ok = shutil.which("rabbitmqctl") is not None
            if _ctl_ok:
                rabbitmqctl("-q", "list_policies", timeout=30)
        except (OSError, subprocess.SubprocessError):
            _ctl_ok = False
    if not _ctl_ok:
        pytest.skip("needs a working `rabbitmqctl` (run as root on the broker's host)")
    return rabbitmqctl


def drop_connections(prefix: str) -> int:
    """Close, from the broker's side, the connections of transports using `prefix`."""
    rows = json.loads(
        rabbitmqctl("-q", "list_connections", "name", "client_properties", "--formatter", "json")
    )
    ours = set()
    for row in rows:
        properties = {item[0]: item[2] for item in row["client_properties"]}
        if str(properties.get("connection_name", "")).startswith(f"onetrip-ferry {prefix} "):
            ours.add(row["name"])
    pids = rabbitmqctl("-q", "list_connections", "--no-table-headers", "pid", "name")
    closed = 0
    for line in pids.splitlines():
        pid, _, name = line.partition("\t")
        if name in ours:
            rabbitmqctl("close_connection", pid, "test: the link drops")
            closed += 1
    return closed


@pytest.fixture
def env(tmp_path: Path, settings: Any, monkeypatch: Any, request: Any) -> Iterator[FerryEnv]:
    """ferry_env on RabbitMQ, whatever ONETRIP_TEST_FERRY_TRANSPORT says."""
    if not amqp_reachable():
        pytest.skip(f"RabbitMQ unreachable at {amqp_url()}")
    yield from make_ferry_env(tmp_path, settings, monkeypatch, request, "amqp")


# -- the protocol end to end over RabbitMQ -----------------------------------------------------


def test_round_trip_both_directions(env: FerryEnv, ctl) -> None:
    ping_ids = send_pings("portal", 3)
    reports = pump()
    assert sum(r.messages_applied for r in reports if r.zone == "police") == 3
    inbox = police_pings()
    assert [str(m.message_id) for m in inbox] == ping_ids
    assert [m.sequence for m in inbox] == [1, 2, 3]
    assert police_pong_ids() == sorted(ping_ids)
    assert portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == 3

    back_ids = send_pings("police", 2, start=100)
    pump()
    portal_pings = portal_box.InboxMessage.objects.filter(message_type="test.ping")
    assert sorted(str(m.message_id) for m in portal_pings) == sorted(back_ids)
    assert police_box.InboxMessage.objects.filter(message_type="test.pong").count() == 2

    for box in (portal_box, police_box):
        assert not box.SentBatch.objects.filter(acked_at__isnull=True).exists()
    for channel in CHANNELS:
        assert env.batches(channel) == [] and env.acks(channel) == []
        for kind in ("batches", "acks"):
            assert ready(f"{env.prefix}.{channel}.{kind}") == 0
    # Durable quorum queues, one per channel and kind, under the test's prefix.
    queues = json.loads(ctl("-q", "list_queues", "name", "type", "durable", "--formatter", "json"))
    ours = {q["name"]: q for q in queues if q["name"].startswith(f"{env.prefix}.")}
    for channel in CHANNELS:
        for kind in ("batches", "acks"):
            queue = ours[f"{env.prefix}.{channel}.{kind}"]
            assert queue["durable"] is True and queue["type"] == "quorum"
    # One connection per thread, reused by every pass.
    assert transport().connects == 1


def test_documents_are_persistent_named_messages(env: FerryEnv) -> None:
    send_pings("portal", 2)
    run_once("portal")
    sent = portal_box.SentBatch.objects.get()
    chan = raw_channel()
    try:
        method, properties, body = chan.basic_get(
            queue=f"{env.prefix}.{PORTAL_TO_POLICE}.batches", auto_ack=False
        )
        assert method is not None
        assert properties.delivery_mode == 2
        assert properties.headers[NAME_HEADER] == sent.file_name
        assert properties.headers[KIND_HEADER] == "batches"
        assert body == bytes(sent.body)  # the very bytes `dir` would write
    finally:
        chan.connection.close()  # unacked: back to the queue
    pump()
    assert len(police_pings()) == 2


def test_publisher_confirms_are_used_and_a_refused_publish_is_not_counted_as_sent(
    env: FerryEnv, settings, ctl
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 1
    send_pings("portal", 1)
    run_once("portal")
    assert transport()._chan._delivery_confirmation is True  # confirm_delivery() is on
    # A queue full to the brim refuses publishes: the broker nacks, and only confirms tell.
    policy = f"{env.prefix}-full"
    ctl(
        "set_policy",
        "--apply-to",
        "queues",
        policy,
        f"^{env.prefix.replace('.', '[.]')}[.]",
        '{"max-length": 1, "overflow": "reject-publish"}',
    )
    try:
        send_pings("portal", 3, start=1)
        refused: list[int] = []
        deadline = time.monotonic() + 20
        while not refused and time.monotonic() < deadline:  # policies apply asynchronously
            try:
                run_once("portal")
            except ConnectionError:
                refused.append(1)
            time.sleep(0.2)
        assert refused, "the broker never refused a publish"
        unsent = portal_box.SentBatch.objects.filter(exported_at__isnull=True)
        assert unsent.exists()  # a nacked batch is not marked as written
    finally:
        ctl("clear_policy", policy)
    deadline = time.monotonic() + 30
    while True:
        # A quorum queue that overflowed accepts again once its consumer has drained it.
        run_once("police")
        try:
            pump(times=50)
            break
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert [m.sequence for m in police_pings()] == [1, 2, 3, 4]
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()


def test_parked_batch_is_held_unacked_and_redelivered_after_reconnect(
    env: FerryEnv, settings, ctl
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    ids = send_pings("portal", 6)
    run_once("portal")
    batches = f"{env.prefix}.{PORTAL_TO_POLICE}.batches"
    first, second, third = env.batches(PORTAL_TO_POLICE)
    late = first.read_bytes()
    first.unlink()  # batch 1 is delayed on the way

    report = run_once("police")
    assert (report.parked_batches, report.batches_applied) == (2, 0)
    assert ready(batches) == 0  # both parked batches are held, unacked, by the police agent
    assert sorted(transport()._held[batches]) == [second.name, third.name]
    assert transport().connects == 1

    assert drop_connections(env.prefix) == 1  # the link drops
    wait_until(lambda: ready(batches) == 2, 10, "the broker to requeue the held batches")

    env.deliver(PORTAL_TO_POLICE, first.name, late)
    report = run_once("police")  # reconnects; the buffer starts empty and refills
    assert report.batches_applied == 3
    assert transport().connects == 2
    inbox = police_pings()
    assert [str(m.message_id) for m in inbox] == ids
    assert [m.sequence for m in inbox] == [1, 2, 3, 4, 5, 6]
    pump()
    assert ready(batches) == 0 and not transport()._held.get(batches)


def test_counting_pending_batches_takes_nothing_off_the_queue(env: FerryEnv, settings) -> None:
    """`ferry status`, the ferry page and /metrics count with a passive declare: a status
    request must not hold deliveries the agent is about to read."""
    from onetrip.ferry.operations.status import zone_status
    from onetrip.ferry.transports.amqp import AmqpTransport

    settings.FERRY_BATCH_MAX_MESSAGES = 2
    send_pings("portal", 6)
    run_once("portal")
    batches = f"{env.prefix}.{PORTAL_TO_POLICE}.batches"
    assert ready(batches) == 3

    observer = AmqpTransport(url=settings.FERRY_AMQP_URL, prefix=env.prefix)
    try:
        assert observer.count_batches(PORTAL_TO_POLICE) == 3
        assert not observer._held
        assert zone_status("police").pending_incoming == 3
        assert ready(batches) == 3  # still ready for the agent, none unacked by the observers
    finally:
        observer.close()
    assert run_once("police").batches_applied == 3
    assert zone_status("police").pending_incoming == 0


def test_resent_batch_under_the_same_name_is_buffered_once(env: FerryEnv, settings) -> None:
    send_pings("portal", 2)
    run_once("portal")
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    assert run_once("portal").batches_resent == 1
    assert run_once("portal").batches_resent == 1
    batches = f"{env.prefix}.{PORTAL_TO_POLICE}.batches"
    assert ready(batches) == 3  # three copies of one batch
    settings.FERRY_RESEND_AFTER_SECONDS = 3600

    names = transport().list_batches(PORTAL_TO_POLICE)
    assert names == [portal_box.SentBatch.objects.get().file_name]
    assert ready(batches) == 0 and len(transport()._held[batches]) == 1  # superseded: acked
    report = run_once("police")
    assert (report.batches_applied, report.duplicate_batches) == (1, 0)
    pump()
    assert len(police_pings()) == 2 and len(police_pong_ids()) == 2
    assert ready(batches) == 0


def test_redelivered_batch_after_apply_is_a_duplicate(env: FerryEnv) -> None:
    send_pings("portal", 3)
    run_once("portal")
    [doc] = env.batches(PORTAL_TO_POLICE)
    body = doc.read_bytes()
    pump()
    env.deliver(PORTAL_TO_POLICE, doc.name, body)  # e.g. the broker redelivers a late copy
    report = run_once("police")
    assert (report.duplicate_batches, report.batches_applied, report.quarantined) == (1, 0, 0)
    assert len(police_pings()) == 3 and len(police_pong_ids()) == 3
    pump()
    assert env.batches(PORTAL_TO_POLICE) == [] and env.acks(PORTAL_TO_POLICE) == []


def test_bad_batch_and_bad_ack_go_to_the_quarantine_queue(env: FerryEnv, settings) -> None:
    send_pings("portal", 2)
    run_once("portal")
    [doc] = env.batches(PORTAL_TO_POLICE)
    good = doc.read_bytes()
    bad = good.replace(b"ping-0", b"ping-X", 1)
    doc.write_bytes(bad)
    report = run_once("police")
    assert (report.quarantined, report.batches_applied) == (1, 0)
    assert police_box.QuarantinedBatch.objects.get().file_name == doc.name
    assert env.batches(PORTAL_TO_POLICE) == []
    assert transport().browse_quarantine(PORTAL_TO_POLICE) == [(doc.name, bad)]
    assert env.quarantined(PORTAL_TO_POLICE) == [doc.name]  # browsing consumed nothing

    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")  # the resend recovers
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    assert run_once("police").batches_applied == 1
    [ack] = env.acks(PORTAL_TO_POLICE)
    tampered = ack.read_bytes().replace(b'"rejects":[]', b'"rejects":[{}]')
    ack.write_bytes(tampered)
    report = run_once("portal")
    assert report.quarantined == 1 and report.acks_received == 0
    assert portal_box.QuarantinedBatch.objects.get().kind == "ack"
    quarantined = transport().browse_quarantine(PORTAL_TO_POLICE)
    assert quarantined == [(doc.name, bad), (ack.name, tampered)]

    chan = raw_channel()
    try:
        kinds = []
        while True:
            method, properties, _body = chan.basic_get(
                queue=f"{env.prefix}.{PORTAL_TO_POLICE}.quarantine", auto_ack=False
            )
            if method is None:
                break
            kinds.append(properties.headers[KIND_HEADER])
            assert properties.delivery_mode == 2
        assert kinds == ["batches", "acks"]
    finally:
        chan.connection.close()


def test_message_without_a_name_is_set_aside(env: FerryEnv) -> None:
    chan = raw_channel()
    try:
        run_once("police")  # declares the queues
        chan.basic_publish(
            exchange="",
            routing_key=f"{env.prefix}.{PORTAL_TO_POLICE}.batches",
            body=b"who am I",
            properties=pika.BasicProperties(delivery_mode=2),
        )
        chan.basic_publish(
            exchange="",
            routing_key=f"{env.prefix}.{PORTAL_TO_POLICE}.batches",
            body=b"not a batch name",
            properties=pika.BasicProperties(delivery_mode=2, headers={NAME_HEADER: "../x"}),
        )
    finally:
        chan.connection.close()
    assert transport().list_batches(PORTAL_TO_POLICE) == []
    assert [body for _name, body in transport().browse_quarantine(PORTAL_TO_POLICE)] == [
        b"who am I",
        b"not a batch name",
    ]
    chan = raw_channel()
    try:
        _m, properties, _b = chan.basic_get(
            queue=f"{env.prefix}.{PORTAL_TO_POLICE}.quarantine", auto_ack=False
        )
        assert "x-ferry-name" in properties.headers[REASON_HEADER]
    finally:
        chan.connection.close()


@pytest.mark.parametrize("dies_in", ["put_ack", "remove_batch"])
def test_crash_between_apply_and_ack(env: FerryEnv, monkeypatch, dies_in: str) -> None:
    send_pings("portal", 3)
    run_once("portal")

    def die(self: AmqpTransport, *args: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(AmqpTransport, dies_in, die)
        with pytest.raises(Crash):
            run_once("police")
    close_transports()  # the process died: its connection went with it
    assert len(police_pings()) == 3  # committed
    assert len(env.batches(PORTAL_TO_POLICE)) == 1  # but the broker gives the batch back

    report = run_once("police")
    assert (report.duplicate_batches, report.batches_applied) == (1, 0)
    assert env.batches(PORTAL_TO_POLICE) == []
    assert len(env.acks(PORTAL_TO_POLICE)) == 1
    pump()
    assert portal_box.SentBatch.objects.get().acked_at is not None
    assert len(police_pings()) == 3
    assert len(police_pong_ids()) == 3


def test_crash_between_batching_and_export(env: FerryEnv, monkeypatch) -> None:
    send_pings("portal", 3)

    def die(self: AmqpTransport, channel: str, name: str, body: bytes) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(AmqpTransport, "put_batch", die)
        with pytest.raises(Crash):
            run_once("portal")
    close_transports()
    assert portal_box.SentBatch.objects.get().exported_at is None
    report = run_once("portal")
    assert (report.batches_built, report.batches_exported) == (0, 1)
    pump()
    assert len(police_pings()) == 3


# -- connection handling ----------------------------------------------------------------------


def test_one_transport_per_thread_and_configuration(env: FerryEnv, settings) -> None:
    first = transport()
    assert transport() is first
    others: list[AmqpTransport] = []
    thread = threading.Thread(target=lambda: others.append(transport()))
    thread.start()
    thread.join()
    assert others[0] is not first  # pika connections must not be shared between threads
    first.list_acks(PORTAL_TO_POLICE)
    assert first.connected
    settings.FERRY_AMQP_PREFIX = f"{env.prefix}.other"
    try:
        assert transport() is not first
        assert not first.connected  # the old configuration's connection is closed
    finally:
        transport().delete_queues(PORTAL_TO_POLICE)
        settings.FERRY_AMQP_PREFIX = env.prefix
    close_transports()
    assert not transport().connected


def test_reconnects_back_off_exponentially_up_to_the_cap() -> None:
    dead = AmqpTransport(
        "amqp://guest:guest@127.0.0.1:1/%2F",
        "test.nowhere",
        reconnect_initial=0.1,
        reconnect_max=0.4,
    )
    failures: list[float] = []
    start = time.monotonic()
    for _ in range(6):
        with pytest.raises(AmqpUnavailable):
            dead.list_batches(PORTAL_TO_POLICE)
        failures.append(time.monotonic() - start)
    gaps = [b - a for a, b in itertools.pairwise(failures)]
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4, 0.4, 0.4], strict=True):
        assert expected - 0.02 <= gap < expected + 0.5, gaps
    assert isinstance(AmqpUnavailable("x"), OSError)  # the agent logs its text


def test_agent_outlives_an_unreachable_broker(env: FerryEnv, settings, caplog) -> None:
    send_pings("portal", 2)
    good_url = settings.FERRY_AMQP_URL
    settings.FERRY_AMQP_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
    stop = threading.Event()
    errors: list[BaseException] = []

    def agent() -> None:
        try:
            run_forever("portal", 0.01, stop=stop)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with caplog.at_level(logging.INFO, logger="onetrip.ferry"):
        thread = threading.Thread(target=agent)
        thread.start()
        time.sleep(2)
        assert thread.is_alive()
        stop.set()
        thread.join(timeout=15)
    settings.FERRY_AMQP_URL = good_url
    assert not thread.is_alive() and errors == []
    messages = [r.getMessage() for r in caplog.records]
    failed = [m for m in messages if "event=agent_pass_failed" in m]
    attempts = [m for m in messages if "event=amqp_unavailable" in m]
    assert failed and all("error=AmqpUnavailable" in m for m in failed)
    assert 2 <= len(attempts) <= 5  # backoff: 0.5 s, 1 s, 2 s… not one per 10 ms poll
    assert "guest:***@" in failed[0] and "guest:guest@" not in " ".join(messages)
    # Nothing was lost meanwhile: with the broker back, the batch goes out.
    pump()
    assert len(police_pings()) == 2


# -- acceptance: RabbitMQ down for 30 s in the middle of a transfer ----------------------------

MESSAGES = 2000
CHUNK = 50
BATCH = 50
OUTAGE = 30.0


def database_url(alias: str) -> str:
    conf = connections[alias].settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{conf['NAME']}"


def start_agent(zone: str, env: FerryEnv, log: Path) -> subprocess.Popen[bytes]:
    """`onetrip ferry run` for one zone, in its own process, on the test databases and queues."""
    child_env = {
        **os.environ,  # ONETRIP_FERRY_TRANSPORT / _AMQP_URL / _AMQP_PREFIX from the fixture
        "DJANGO_SETTINGS_MODULE": "onetrip.settings.test",
        "ONETRIP_PORTAL_DATABASE_URL": database_url("default"),
        "ONETRIP_POLICE_DATABASE_URL": database_url("police"),
        "ONETRIP_FERRY_DIR": str(env.root),
        "ONETRIP_FERRY_KEYS_DIR": str(env.keys),
        "ONETRIP_FERRY_POLL": "0.05",
        "ONETRIP_FERRY_BATCH_MAX": str(BATCH),
        "ONETRIP_FERRY_RESEND_AFTER": "3600",  # nothing may depend on a resend
        "ONETRIP_FERRY_AMQP_RECONNECT_MAX": "4",
        "ONETRIP_LOG_LEVEL": "INFO",
    }
    assert child_env["ONETRIP_FERRY_TRANSPORT"] == "amqp"
    assert child_env["ONETRIP_FERRY_AMQP_PREFIX"] == env.prefix
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.ferry.agent_process", zone],
            cwd=REPO,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


STOP_ENV = "ONETRIP_TEST_STOP_RABBITMQ"


@pytest.fixture
def broker_restored(ctl) -> Iterator[Callable[..., str]]:
    """Permission to stop the broker (it may be shared: opt in with the env var), and whatever
    happens in the test, RabbitMQ is running again afterwards."""
    if os.environ.get(STOP_ENV) != "1":
        pytest.skip(f"stops the whole RabbitMQ for 30 s; set {STOP_ENV}=1 to run it")
    try:
        yield ctl
    finally:
        ctl("start_app")
        ctl("await_startup")


@pytest.mark.slow
def test_killing_rabbitmq_for_30s_during_a_transfer_delays_delivery_but_loses_nothing(
    env: FerryEnv, settings, tmp_path: Path, broker_restored
) -> None:
    ctl = broker_restored
    settings.FERRY_BATCH_MAX_MESSAGES = BATCH
    log = tmp_path / "agents.log"
    agents = {zone: start_agent(zone, env, log) for zone in ("portal", "police")}

    def applied() -> int:
        return police_box.InboxMessage.objects.filter(message_type="test.ping").count()

    def alive() -> None:
        for zone, proc in agents.items():
            if proc.poll() is not None:
                pytest.fail(f"{zone} agent exited ({proc.returncode}):\n{log.read_text()[-5000:]}")

    ping_ids: list[str] = []
    stopper: subprocess.Popen[bytes] | None = None
    stopped_at = 0.0
    try:
        # Feed the portal outbox steadily; the agents carry it across as it comes.
        for chunk in range(MESSAGES // CHUNK):
            ping_ids += send_pings("portal", CHUNK, start=chunk * CHUNK)
            time.sleep(0.2)
            alive()
            if stopper is None and applied() >= 2 * BATCH:
                # Mid-transfer: some applied, most not even written yet. Stop the broker
                # (in the background, so the outbox keeps filling while it goes down).
                assert applied() < MESSAGES
                stopper = subprocess.Popen(["rabbitmqctl", "stop_app"], stdout=subprocess.DEVNULL)
                stopped_at = time.monotonic()
        assert stopper is not None, "the transfer finished before RabbitMQ could be stopped"
        assert stopper.wait(timeout=120) == 0
        time.sleep(2)  # what was already in hand when the link dropped settles
        during = applied()
        assert during < MESSAGES
        time.sleep(max(0.0, stopped_at + OUTAGE - time.monotonic()))
        alive()
        assert applied() == during, "messages moved while RabbitMQ was down?"
        outage = time.monotonic() - stopped_at
    finally:
        ctl("start_app")
        ctl("await_startup")
    assert outage >= OUTAGE

    def drained() -> bool:
        alive()
        return (
            applied() == MESSAGES
            and portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == MESSAGES
            and not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()
            and not police_box.SentBatch.objects.filter(acked_at__isnull=True).exists()
            and not police_box.OutboxMessage.objects.filter(sequence__isnull=True).exists()
        )

    wait_until(drained, 180, "every message applied and acknowledged both ways")
    for proc in agents.values():
        proc.send_signal(signal.SIGTERM)
    for zone, proc in agents.items():
        assert proc.wait(timeout=30) == 0, f"{zone} agent did not stop cleanly"

    # Every ping applied exactly once, in sequence, and each had its effect exactly once.
    inbox = list(police_box.InboxMessage.objects.filter(message_type="test.ping"))
    assert len(inbox) == MESSAGES and len(ping_ids) == MESSAGES
    assert {str(m.message_id) for m in inbox} == set(ping_ids)
    assert sorted(m.sequence for m in inbox) == list(range(1, MESSAGES + 1))
    assert {m.status for m in inbox} == {"applied"}
    pongs = police_box.OutboxMessage.objects.filter(message_type="test.pong")
    assert sorted(pongs.values_list("aggregate_id", flat=True)) == sorted(ping_ids)
    portal_pongs = portal_box.InboxMessage.objects.filter(message_type="test.pong")
    assert {str(m) for m in portal_pongs.values_list("message_id", flat=True)} == {
        str(m) for m in pongs.values_list("message_id", flat=True)
    }
    assert portal_pongs.count() == MESSAGES
    assert police_box.QuarantinedBatch.objects.count() == 0
    assert portal_box.QuarantinedBatch.objects.count() == 0
    for channel in CHANNELS:
        for kind in ("batches", "acks"):
            assert ready(f"{env.prefix}.{channel}.{kind}") == 0
    # The agents noticed the outage, waited it out and came back.
    text = log.read_text()
    for zone in ("portal", "police"):
        assert f"event=agent_started zone={zone}" in text
    assert "event=amqp_unavailable" in text and "event=amqp_reconnected" in text
    assert "Traceback" not in text
    # Nothing was resent: the broker kept what it had confirmed.
    assert not portal_box.SentBatch.objects.filter(send_count__gt=1).exists()
    assert not police_box.SentBatch.objects.filter(send_count__gt=1).exists()


def test_fixture_queues_are_per_test(env: FerryEnv) -> None:
    assert env.prefix.startswith("test.") and env.prefix != "onetrip.ferry"
    assert transport().prefix == env.prefix
    assert set(transport().queues(POLICE_TO_PORTAL)) == {
        f"{env.prefix}.{POLICE_TO_PORTAL}.{kind}" for kind in ("batches", "acks", "quarantine")
    }
