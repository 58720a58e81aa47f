"""The ferry protocol end to end on the `dir` transport, both zones in one process (DESIGN §3,
invariants 3 and 4)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction

from onetrip.contracts.base import Contract
from onetrip.ferry.agent import handlers as ferry_handlers
from onetrip.ferry.agent.loop import run_forever, run_once
from onetrip.ferry.agent.outbox import OutboxError, emit
from onetrip.ferry.agent.report import AgentReport
from onetrip.ferry.agent.sender import build_batches
from onetrip.ferry.protocol.batch import ACK_FORMAT
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.envelope import Envelope
from onetrip.ferry.protocol.signing import SigningKey, generate_key, load_signing_key
from onetrip.ferry.registry import get_store
from onetrip.ferry.transports.dir import DirTransport
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, forged_batch, pump
from ..pingpong import OrphanV1, PingV1, PongV1, on_ping_police, send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


class Crash(BaseException):
    """Stands for the process dying at this point (not an error the agent could catch)."""


def police_pings() -> list[police_box.InboxMessage]:
    return list(police_box.InboxMessage.objects.filter(message_type="test.ping").order_by("id"))


def police_pong_ids() -> list[str]:
    """The effects of applied pings in the police zone: one pong per ping, keyed by ping id."""
    return sorted(
        police_box.OutboxMessage.objects.filter(message_type="test.pong").values_list(
            "aggregate_id", flat=True
        )
    )


@DB
def test_round_trip_both_directions(ferry_env: FerryEnv) -> None:
    ping_ids = send_pings("portal", 3)
    reports = pump()
    assert sum(r.messages_applied for r in reports if r.zone == "police") == 3

    inbox = police_pings()
    assert [str(m.message_id) for m in inbox] == ping_ids
    assert [m.sequence for m in inbox] == [1, 2, 3]
    assert {m.status for m in inbox} == {"applied"}
    assert police_pong_ids() == sorted(ping_ids)
    pong = police_box.OutboxMessage.objects.get(aggregate_id=ping_ids[0])
    assert pong.payload["correlation_id"] == "C000000"
    assert portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == 3

    back_ids = send_pings("police", 2, start=100)
    pump()
    portal_pings = portal_box.InboxMessage.objects.filter(message_type="test.ping")
    assert sorted(str(m.message_id) for m in portal_pings) == sorted(back_ids)
    assert police_box.InboxMessage.objects.filter(message_type="test.pong").count() == 2

    for box in (portal_box, police_box):
        assert not box.SentBatch.objects.filter(acked_at__isnull=True).exists()
        assert not box.OutboxMessage.objects.filter(sequence__isnull=True).exists()
    for channel in (PORTAL_TO_POLICE, POLICE_TO_PORTAL):
        assert ferry_env.batches(channel) == []
        assert ferry_env.acks(channel) == []
    # Gapless sequences per channel, in the outbox and in the channel states.
    portal_seqs = list(
        portal_box.OutboxMessage.objects.order_by("sequence").values_list("sequence", flat=True)
    )
    assert portal_seqs == list(range(1, len(portal_seqs) + 1))
    state = police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE)
    assert state.last_seq == len(portal_seqs)


@DB
def test_batch_file_format(ferry_env: FerryEnv) -> None:
    send_pings("portal", 2)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    lines = path.read_bytes().decode().splitlines()
    manifest = json.loads(lines[0])
    assert manifest["channel"] == PORTAL_TO_POLICE
    assert manifest["sender_zone"] == "portal"
    assert (manifest["first_seq"], manifest["last_seq"], manifest["message_count"]) == (1, 2, 2)
    assert manifest["prev_batch_sha256"] == ""
    assert manifest["key_id"] == load_signing_key(PORTAL_TO_POLICE).key_id
    assert path.name == f"{1:012d}-{manifest['batch_id']}.jsonl"
    assert "你好" in lines[1]  # canonical JSON keeps UTF-8 as is
    assert lines[1] == json.dumps(
        json.loads(lines[1]), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    sent = portal_box.SentBatch.objects.get()
    assert bytes(sent.body) == path.read_bytes()
    # The next batch chains to this one.
    send_pings("portal", 1, start=2)
    run_once("portal")
    second = json.loads(ferry_env.batches(PORTAL_TO_POLICE)[1].read_bytes().splitlines()[0])
    assert second["prev_batch_sha256"] == sent.sha256
    assert second["first_seq"] == 3


@DB
def test_duplicated_batch_file_applies_once(ferry_env: FerryEnv) -> None:
    send_pings("portal", 5)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    body = path.read_bytes()
    assert run_once("police").batches_applied == 1
    path.write_bytes(body)  # the gateway delivers the same file again
    report = run_once("police")
    assert (report.duplicate_batches, report.batches_applied) == (1, 0)
    assert not path.exists()
    assert len(police_pings()) == 5
    assert len(police_pong_ids()) == 5
    pump()
    assert portal_box.SentBatch.objects.get().acked_at is not None


@DB
def test_reordered_batches_are_parked_then_applied_in_order(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    ids = send_pings("portal", 6)
    run_once("portal")
    files = ferry_env.batches(PORTAL_TO_POLICE)
    assert len(files) == 3
    late = files[0].read_bytes()
    files[0].unlink()  # batch 1 is delayed on the way

    report = run_once("police")
    assert (report.parked_batches, report.batches_applied) == (2, 0)
    assert police_pings() == []
    assert files[1].exists() and files[2].exists()

    files[0].write_bytes(late)
    report = run_once("police")
    assert report.batches_applied == 3
    inbox = police_pings()
    assert [str(m.message_id) for m in inbox] == ids
    assert [m.sequence for m in inbox] == [1, 2, 3, 4, 5, 6]


@DB
def test_lost_batch_is_resent_and_fills_the_gap(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    send_pings("portal", 4)
    run_once("portal")
    first, _second = ferry_env.batches(PORTAL_TO_POLICE)
    first.unlink()  # lost for good
    assert run_once("police").parked_batches == 1
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    report = run_once("portal")
    assert report.batches_resent == 2  # both unacked batches, byte for byte
    assert first.exists()
    assert run_once("police").batches_applied == 2
    assert [m.sequence for m in police_pings()] == [1, 2, 3, 4]
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    pump()
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()


@DB
@pytest.mark.parametrize("cut", ["mid_line", "whole_line"])
def test_truncated_batch_is_quarantined_and_resend_recovers(
    ferry_env: FerryEnv, settings, cut: str
) -> None:
    send_pings("portal", 4)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    body = path.read_bytes()
    if cut == "mid_line":
        path.write_bytes(body[: len(body) // 2])
    else:
        path.write_bytes(b"".join(body.splitlines(keepends=True)[:-1]))

    report = run_once("police")
    assert report.quarantined == 1
    assert police_pings() == []
    quarantined = police_box.QuarantinedBatch.objects.get()
    assert quarantined.file_name == path.name
    assert "truncated" in quarantined.reason
    assert not path.exists()
    assert len(ferry_env.quarantined(PORTAL_TO_POLICE)) == 1

    settings.FERRY_RESEND_AFTER_SECONDS = 0
    assert run_once("portal").batches_resent == 1
    assert run_once("police").batches_applied == 1
    assert len(police_pings()) == 4


def _flip_bit_in_message(body: bytes) -> bytes:
    data = bytearray(body)
    data[body.index(b"ping-0")] ^= 0x01
    return bytes(data)


def _rehash_without_resigning(body: bytes) -> bytes:
    """Change a payload and fix its hash in the manifest: only the signature can tell."""
    import hashlib

    lines = body.splitlines()
    lines[1] = lines[1].replace(b'"n":0', b'"n":7')
    manifest = json.loads(lines[0])
    manifest["message_sha256"][0] = hashlib.sha256(lines[1]).hexdigest()
    lines[0] = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return b"\n".join(lines) + b"\n"


def _change_manifest_sequence(body: bytes) -> bytes:
    lines = body.splitlines()
    manifest = json.loads(lines[0])
    manifest["last_seq"] += 1
    lines[0] = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return b"\n".join(lines) + b"\n"


def _drop_signature(body: bytes) -> bytes:
    lines = body.splitlines()
    manifest = json.loads(lines[0])
    del manifest["signature"]
    lines[0] = json.dumps(manifest).encode()
    return b"\n".join(lines) + b"\n"


def _swap_messages(body: bytes) -> bytes:
    lines = body.splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    return b"\n".join(lines) + b"\n"


@DB
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_flip_bit_in_message, "hash mismatch"),
        (_rehash_without_resigning, "bad signature"),
        (_change_manifest_sequence, "bad signature"),
        (_drop_signature, "fields"),
        (_swap_messages, "hash mismatch"),
        (lambda body: body.replace(b"\n", b"\r\n", 1), "bad signature"),
        (lambda body: b"garbage\n", "not JSON"),
    ],
)
def test_tampered_batch_is_quarantined_and_nothing_applied(
    ferry_env: FerryEnv, tamper, reason: str
) -> None:
    send_pings("portal", 3)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    path.write_bytes(tamper(path.read_bytes()))
    report = run_once("police")
    assert (report.quarantined, report.batches_applied) == (1, 0)
    assert reason in police_box.QuarantinedBatch.objects.get().reason
    assert police_box.InboxMessage.objects.count() == 0
    assert police_pong_ids() == []
    assert police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE).last_seq == 0


@DB
def test_same_bad_bytes_again_are_counted_not_duplicated(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    bad = _flip_bit_in_message(path.read_bytes())
    path.write_bytes(bad)
    run_once("police")
    path.write_bytes(bad)
    run_once("police")
    quarantined = police_box.QuarantinedBatch.objects.get()
    assert quarantined.times_seen == 2
    assert bytes(quarantined.raw) == bad
    assert len(ferry_env.quarantined(PORTAL_TO_POLICE)) == 1


@DB
def test_replayed_old_batch_is_skipped(ferry_env: FerryEnv) -> None:
    send_pings("portal", 2)
    run_once("portal")
    [first] = ferry_env.batches(PORTAL_TO_POLICE)
    old = first.read_bytes()
    pump()
    send_pings("portal", 2, start=2)
    pump()
    first.write_bytes(old)  # replayed long after it was applied and acked
    report = run_once("police")
    assert (report.duplicate_batches, report.batches_applied, report.quarantined) == (1, 0, 0)
    assert len(police_pings()) == 4
    assert len(police_pong_ids()) == 4
    pump()


@DB
def test_conflicting_batch_under_applied_sequence_is_a_security_alarm(
    ferry_env: FerryEnv, caplog
) -> None:
    send_pings("portal", 2)
    pump()
    # A validly signed but different batch 1: a stolen key or a sender restored from backup.
    name, body = forged_batch(
        load_signing_key(PORTAL_TO_POLICE), channel=PORTAL_TO_POLICE, first_seq=1
    )
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    with caplog.at_level(logging.INFO, logger="onetrip.ferry"):
        report = run_once("police")
    assert report.quarantined == 1
    assert police_box.QuarantinedBatch.objects.get().reason == "security alarm: conflicting batch"
    alarms = [r for r in caplog.records if "event=security_alarm" in r.getMessage()]
    assert alarms and alarms[0].levelno == logging.ERROR
    assert len(police_pings()) == 2
    # The log carries ids, never payload contents.
    assert not any("你好" in r.getMessage() for r in caplog.records)


@DB
def test_batch_with_broken_hash_chain_is_quarantined(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    pump()
    name, body = forged_batch(
        load_signing_key(PORTAL_TO_POLICE), channel=PORTAL_TO_POLICE, first_seq=2, prev="0" * 64
    )
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    assert run_once("police").quarantined == 1
    assert "hash chain" in police_box.QuarantinedBatch.objects.get().reason
    assert len(police_pings()) == 1


@DB
def test_batch_signed_with_unknown_key_is_quarantined(ferry_env: FerryEnv, tmp_path) -> None:
    generate_key(PORTAL_TO_POLICE, tmp_path / "rogue")
    rogue = load_signing_key(PORTAL_TO_POLICE, tmp_path / "rogue")
    name, body = forged_batch(rogue, channel=PORTAL_TO_POLICE, first_seq=1)
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    assert run_once("police").quarantined == 1
    assert "unknown key id" in police_box.QuarantinedBatch.objects.get().reason
    assert police_box.InboxMessage.objects.count() == 0


@DB
def test_batch_on_the_wrong_channel_is_quarantined(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    wrong = ferry_env.root / POLICE_TO_PORTAL / "batches" / path.name
    wrong.parent.mkdir(parents=True, exist_ok=True)
    path.rename(wrong)  # a portal→police batch dropped where the portal reads
    assert run_once("portal").quarantined == 1
    assert "wrong channel" in portal_box.QuarantinedBatch.objects.get().reason
    assert portal_box.InboxMessage.objects.count() == 0


@DB
def test_batch_signed_with_the_other_channels_key_is_quarantined(ferry_env: FerryEnv) -> None:
    portal_key = load_signing_key(PORTAL_TO_POLICE)
    misused = SigningKey(
        channel=POLICE_TO_PORTAL, key_id=portal_key.key_id, private_key=portal_key.private_key
    )
    name, body = forged_batch(misused, channel=POLICE_TO_PORTAL, first_seq=1)
    ferry_env.deliver(POLICE_TO_PORTAL, name, body)
    assert run_once("portal").quarantined == 1
    assert "unknown key id" in portal_box.QuarantinedBatch.objects.get().reason


@DB
def test_unknown_message_version_is_parked_not_quarantined(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    portal_box.OutboxMessage.objects.update(version=99)  # a schema the police zone lacks
    run_once("portal")
    report = run_once("police")
    assert (report.quarantined, report.parked_batches) == (0, 1)
    assert not police_box.QuarantinedBatch.objects.exists()
    assert police_box.ParkedBatch.objects.get().reason == "unknown_version"
    assert police_box.Alarm.objects.get().key == "test.ping v99"
    assert len(ferry_env.batches(PORTAL_TO_POLICE)) == 1  # still pending (see test_versions.py)


@DB
def test_message_without_handler_is_quarantined_until_deployed(
    ferry_env: FerryEnv, settings, monkeypatch
) -> None:
    with transaction.atomic(using=get_store("portal").db):
        emit(
            zone="portal",
            message=OrphanV1(n=1),
            aggregate_id="o",
            correlation_id="c",
            actor="t",
            purpose="p",
        )
    run_once("portal")
    assert run_once("police").quarantined == 1
    assert "no handler for test.orphan" in police_box.QuarantinedBatch.objects.get().reason
    assert police_box.InboxMessage.objects.count() == 0

    monkeypatch.setitem(ferry_handlers._HANDLERS, ("police", "test.orphan"), lambda e, m: None)
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")  # the resend after the handler is deployed
    assert run_once("police").batches_applied == 1
    assert police_box.InboxMessage.objects.get().message_type == "test.orphan"


@DB
def test_business_reject_is_recorded_and_channel_continues(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1, start=0)
    [rejected_id] = send_pings("portal", 1, start=1, reject="材料不全 papers missing")
    send_pings("portal", 1, start=2)
    pump()
    inbox = police_pings()
    assert [m.status for m in inbox] == ["applied", "rejected", "applied"]
    assert inbox[1].reject_reason == "材料不全 papers missing"
    # The rejected message's own effect (its pong) was rolled back with its savepoint.
    assert len(police_pong_ids()) == 2 and rejected_id not in police_pong_ids()
    sent = portal_box.SentBatch.objects.get()
    assert sent.ack_rejects == [
        {"message_id": rejected_id, "sequence": 2, "reason": "材料不全 papers missing"}
    ]
    send_pings("portal", 1, start=3)
    pump()
    assert [m.status for m in police_pings()][-1] == "applied"


@DB
def test_handler_error_rolls_back_the_whole_batch_until_fixed(
    ferry_env: FerryEnv, monkeypatch
) -> None:
    send_pings("portal", 1, start=0)
    send_pings("portal", 1, start=1, explode=True)
    run_once("portal")
    for _ in range(2):
        report = run_once("police")
        assert report.errors and report.batches_applied == 0
        assert police_box.InboxMessage.objects.count() == 0
        assert police_pong_ids() == []  # the first message's effect rolled back too
        assert len(ferry_env.batches(PORTAL_TO_POLICE)) == 1

    def fixed(envelope: Envelope, message: Contract) -> None:
        assert isinstance(message, PingV1)
        on_ping_police(envelope, message.model_copy(update={"explode": False}))

    monkeypatch.setitem(ferry_handlers._HANDLERS, ("police", "test.ping"), fixed)
    assert run_once("police").batches_applied == 1
    assert len(police_pings()) == 2


@DB
@pytest.mark.parametrize("dies_in", ["put_ack", "remove_batch"])
def test_crash_between_apply_and_ack(ferry_env: FerryEnv, monkeypatch, dies_in: str) -> None:
    send_pings("portal", 3)
    run_once("portal")

    def die(self: DirTransport, *args: object) -> None:
        raise Crash

    monkeypatch.setattr(DirTransport, dies_in, die)
    with pytest.raises(Crash):
        run_once("police")
    monkeypatch.undo()
    assert len(police_pings()) == 3  # committed
    assert len(ferry_env.batches(PORTAL_TO_POLICE)) == 1  # but the file was not removed

    report = run_once("police")
    assert (report.duplicate_batches, report.batches_applied) == (1, 0)
    assert ferry_env.batches(PORTAL_TO_POLICE) == []
    assert len(ferry_env.acks(PORTAL_TO_POLICE)) == 1
    pump()
    assert portal_box.SentBatch.objects.get().acked_at is not None
    assert len(police_pings()) == 3
    assert len(police_pong_ids()) == 3


@DB
def test_transport_failure_after_apply_is_logged_as_ack_pending_not_apply_failed(
    ferry_env: FerryEnv, monkeypatch, caplog
) -> None:
    """The broker going away between apply and ack must not read as a failed apply."""
    from onetrip.ferry.transports import get_transport

    send_pings("portal", 3)
    run_once("portal")
    transport_class = type(get_transport())

    def broker_gone(self: object, *args: object) -> None:
        raise OSError("connection lost")

    monkeypatch.setattr(transport_class, "remove_batch", broker_gone)
    with caplog.at_level(logging.INFO, logger="onetrip.ferry"):
        report = run_once("police")
    monkeypatch.undo()
    messages = [r.getMessage() for r in caplog.records]
    assert report.batches_applied == 1
    assert len(police_pings()) == 3
    assert any("event=ack_pending" in m and "error=OSError" in m for m in messages)
    assert not any("event=apply_failed" in m for m in messages)

    again = run_once("police")
    assert (again.duplicate_batches, again.batches_applied) == (1, 0)
    pump()
    assert portal_box.SentBatch.objects.get().acked_at is not None
    assert len(police_pings()) == 3
    assert len(police_pong_ids()) == 3


@DB
def test_crash_between_batching_and_export(ferry_env: FerryEnv, monkeypatch) -> None:
    send_pings("portal", 3)

    def die(self: DirTransport, channel: str, name: str, body: bytes) -> None:
        raise Crash

    monkeypatch.setattr(DirTransport, "put_batch", die)
    with pytest.raises(Crash):
        run_once("portal")
    monkeypatch.undo()
    assert portal_box.SentBatch.objects.get().exported_at is None
    report = run_once("portal")
    assert (report.batches_built, report.batches_exported) == (0, 1)
    pump()
    assert len(police_pings()) == 3


@DB
def test_tampered_ack_is_quarantined_and_batch_resent(ferry_env: FerryEnv, settings) -> None:
    send_pings("portal", 1)
    run_once("portal")
    run_once("police")
    [ack] = ferry_env.acks(PORTAL_TO_POLICE)
    ack.write_bytes(ack.read_bytes().replace(b'"rejects":[]', b'"rejects":[{}]'))
    report = run_once("portal")
    assert report.quarantined == 1 and report.acks_received == 0
    assert portal_box.QuarantinedBatch.objects.get().kind == "ack"
    assert portal_box.SentBatch.objects.get().acked_at is None
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")  # resend
    assert run_once("police").duplicate_batches == 1  # re-ack
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    assert run_once("portal").acks_received == 1
    assert portal_box.SentBatch.objects.get().acked_at is not None


@DB
def test_emit_requires_the_zone_transaction(ferry_env: FerryEnv) -> None:
    with pytest.raises(OutboxError):
        emit(
            zone="portal",
            message=PingV1(n=1),
            aggregate_id="a",
            correlation_id="c",
            actor="t",
            purpose="p",
        )
    # A transaction on the *other* zone's database does not count.
    with pytest.raises(OutboxError), transaction.atomic(using=get_store("police").db):
        emit(
            zone="portal",
            message=PingV1(n=1),
            aggregate_id="a",
            correlation_id="c",
            actor="t",
            purpose="p",
        )
    assert portal_box.OutboxMessage.objects.count() == 0


@DB
def test_emit_refuses_unregistered_contracts_and_routes_to_zone_db(ferry_env: FerryEnv) -> None:
    class Unregistered(Contract):
        message_type = "test.unregistered"
        version = 1
        aggregate_type = "test"

    with pytest.raises(OutboxError), transaction.atomic(using=get_store("portal").db):
        emit(
            zone="portal",
            message=Unregistered(),
            aggregate_id="a",
            correlation_id="c",
            actor="t",
            purpose="p",
        )
    with transaction.atomic(using=get_store("police").db):
        row = emit(
            zone="police",
            message=PongV1(n=1, ping_id="p", correlation_id="c"),
            aggregate_id="a",
            correlation_id="c",
            actor="t",
            purpose="p",
        )
    assert row._state.db == "police"
    assert row.channel == POLICE_TO_PORTAL
    assert row.sequence is None


@DB
def test_concurrent_exporters_assign_gapless_unique_sequences(
    ferry_env: FerryEnv, settings
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 7
    send_pings("portal", 120)
    store = get_store("portal")
    key = load_signing_key(PORTAL_TO_POLICE)
    errors: list[BaseException] = []

    def export() -> None:
        try:
            for _ in range(5):
                build_batches(store, key, AgentReport(zone="portal"))
                send_pings("portal", 3, start=1000 + threading.get_ident() % 1000)
            build_batches(store, key, AgentReport(zone="portal"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=export) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = sorted(portal_box.OutboxMessage.objects.values_list("sequence", flat=True))
    assert seqs == list(range(1, 120 + 3 * 5 * 3 + 1))
    batches = list(portal_box.SentBatch.objects.order_by("first_seq"))
    for before, after in itertools.pairwise(batches):
        assert after.first_seq == before.last_seq + 1
        assert after.prev_sha256 == before.sha256
    pump()
    assert len(police_pings()) == len(seqs)


@DB
def test_keygen_is_idempotent_and_status_reports(ferry_env: FerryEnv, settings, tmp_path) -> None:
    settings.FERRY_KEYS_DIR = tmp_path / "fresh"
    out = StringIO()
    call_command("ferry", "keygen", stdout=out)
    first = out.getvalue()
    assert first.count("created") == 2
    out = StringIO()
    call_command("ferry", "keygen", stdout=out)
    assert out.getvalue().count("exists") == 2
    assert out.getvalue().replace("已存在 exists", "") == first.replace("已创建 created", "")
    assert oct(os.stat(tmp_path / "fresh" / f"{PORTAL_TO_POLICE}.key").st_mode & 0o777) == "0o600"

    out = StringIO()
    call_command("ferry", "keygen", "--zone-name", "police", stdout=out)
    assert out.getvalue().startswith(POLICE_TO_PORTAL)

    settings.FERRY_KEYS_DIR = ferry_env.keys
    send_pings("portal", 2)
    run_once("portal")
    out = StringIO()
    call_command("ferry", "status", "--zone-name", "portal", stdout=out)
    text = out.getvalue()
    assert load_signing_key(PORTAL_TO_POLICE).key_id in text
    assert "未确认批次 unacked batches: 1" in text
    assert "已编号至 last seq built: 2" in text

    out = StringIO()
    call_command("ferry", "once", "--zone-name", "police", stdout=out)
    assert "batches_applied=1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("ferry", "once")


@DB
def test_run_forever_drains_and_stops_on_request(ferry_env: FerryEnv) -> None:
    send_pings("portal", 3)
    stop = threading.Event()

    def agent(zone: str) -> None:
        try:
            run_forever(zone, 0.01, stop=stop)
        finally:
            connections.close_all()

    agents = [threading.Thread(target=agent, args=(zone,)) for zone in ("portal", "police")]
    for thread in agents:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if portal_box.InboxMessage.objects.count() == 3:
                break
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in agents:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in agents)
    assert len(police_pings()) == 3
    assert portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == 3


@DB
def test_a_receive_pass_stops_after_pass_max_batches_and_ships_its_replies(
    ferry_env: FerryEnv, settings
) -> None:
    """Under a backlog the police zone must not apply everything before its replies leave."""
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    settings.FERRY_PASS_MAX_BATCHES = 3
    send_pings("portal", 10)
    run_once("portal")
    assert portal_box.SentBatch.objects.filter(exported_at__isnull=False).count() == 5

    first = run_once("police")
    assert first.batches_applied == 3
    assert len(police_pings()) == 6
    # The pongs of what was applied went out in the same pass, before the rest of the backlog.
    assert police_box.OutboxMessage.objects.filter(message_type="test.pong").count() == 6
    assert police_box.SentBatch.objects.filter(exported_at__isnull=False).count() == 3
    # Three acks, and no resend request for batches merely not looked at yet.
    formats = [json.loads(doc.read_bytes())["format"] for doc in ferry_env.acks(PORTAL_TO_POLICE)]
    assert formats == [ACK_FORMAT] * 3

    second = run_once("police")
    assert second.batches_applied == 2
    assert len(police_pings()) == 10
    pump()
    assert portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == 10


@DB
def test_build_batches_stops_after_max_batches_so_they_ship_early(ferry_env: FerryEnv, settings):
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    send_pings("portal", 9)
    store = get_store("portal")
    key = load_signing_key(PORTAL_TO_POLICE)
    report = AgentReport(zone="portal")
    assert build_batches(store, key, report, max_batches=2) == 2
    assert portal_box.OutboxMessage.objects.filter(sequence__isnull=True).count() == 5
    assert build_batches(store, key, report) == 3
    assert not portal_box.OutboxMessage.objects.filter(sequence__isnull=True).exists()
    assert list(
        portal_box.SentBatch.objects.order_by("first_seq").values_list("first_seq", "last_seq")
    ) == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 9)]
