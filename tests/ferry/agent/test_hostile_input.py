"""One malformed document never stops a channel: whatever a receiver cannot parse — a batch, an
ack, a resend request or a heartbeat, under any name — is quarantined with a reason and an alarm
within one agent pass, and good traffic behind it still goes through (issue 8).

Transport-neutral: run with ONETRIP_TEST_FERRY_TRANSPORT=amqp for the RabbitMQ variant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.agent.report import AgentReport
from onetrip.ferry.models import Alarm
from onetrip.ferry.protocol.batch import build_resend_request
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import load_signing_key
from onetrip.ferry.protocol.untrusted import MAX_JSON_DEPTH, MAX_NUMBER_CHARS, printable
from onetrip.ferry.registry import get_store
from onetrip.ferry.transports import get_transport
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)

FIRST = "00000000-0000-4000-8000-000000000000"  # sorts before any real batch id
NESTED = b"[" * 100_000 + b"]" * 100_000
LONG_NUMBER = b"1" * 5_000


@dataclass(frozen=True)
class Kind:
    """Where a kind of document travels, who reads it, and what it looks like."""

    directory: str  # "batches" or "acks" of PORTAL_TO_POLICE
    reader: str  # the zone that reads and would quarantine it
    name: str  # a name its reader accepts, sorting before the genuine ones
    bad_name: str  # the same with a backslash
    format: str  # its "format" field


KINDS = {
    "batch": Kind(
        "batches",
        "police",
        f"000000000001-{FIRST}.jsonl",
        f"000000000001-{FIRST[:-1]}\\.jsonl",
        "onetrip-ferry-batch/1",
    ),
    "heartbeat": Kind(
        "batches",
        "police",
        "heartbeat-portal.jsonl",
        "heartbeat-por\\tal.jsonl",
        "onetrip-ferry-heartbeat/1",
    ),
    "ack": Kind(
        "acks",
        "portal",
        f"000000000000-{FIRST}.json",
        f"000000000000-{FIRST[:-1]}\\.json",
        "onetrip-ferry-ack/1",
    ),
    "resend": Kind(
        "acks",
        "portal",
        f"000000000000-{FIRST}.json",
        f"000000000000-{FIRST[:-1]}\\.json",
        "onetrip-ferry-resend/1",
    ),
}


def hostile_body(kind: Kind, hostility: str) -> bytes:
    """A one-line document of `kind` whose one field is hostile."""
    value = NESTED if hostility == "nested" else LONG_NUMBER
    return b'{"format":"' + kind.format.encode() + b'","last_seq":' + value + b"}\n"


HOSTILITY_REASONS = {
    "backslash": "bad file name",
    "nested": f"nested deeper than {MAX_JSON_DEPTH} levels",
    "long_number": f"a number longer than {MAX_NUMBER_CHARS} characters",
}


def quarantine_records(zone: str) -> list[tuple[str, str, str]]:
    manager = get_store(zone).quarantined_batch._default_manager
    return list(manager.values_list("kind", "file_name", "reason"))


def open_quarantine_alarms(zone: str) -> int:
    return (
        get_store(zone)
        .alarm._default_manager.filter(
            kind=Alarm.KIND_QUARANTINE, channel=PORTAL_TO_POLICE, cleared_at__isnull=True
        )
        .count()
    )


def police_pings() -> int:
    return police_box.InboxMessage.objects.filter(message_type="test.ping").count()


def _good_batch_behind(drop: Callable[[], None]) -> Callable[[], bool]:
    """Batches and heartbeats: the hostile document, then a genuine batch of pings."""
    drop()
    send_pings("portal", 2)
    run_once("portal")
    return lambda: police_pings() == 2


def _good_ack_behind(drop: Callable[[], None]) -> Callable[[], bool]:
    """Acks: the hostile document, then the police zone acks a genuine batch."""
    send_pings("portal", 2)
    run_once("portal")
    drop()
    run_once("police")
    return lambda: portal_box.SentBatch.objects.filter(acked_at__isnull=False).count() == 1


def _good_resend_request_behind(drop: Callable[[], None]) -> Callable[[], bool]:
    """Resend requests: the hostile document, then a genuine request for the batch sent."""
    send_pings("portal", 2)
    run_once("portal")
    drop()
    name, body = build_resend_request(
        channel=PORTAL_TO_POLICE,
        receiver_zone="police",
        first=1,
        last=2,
        applied_through=0,
        requested_at=dt.datetime.now(dt.UTC),
        key=load_signing_key("police_to_portal"),
    )
    get_transport().put_ack(PORTAL_TO_POLICE, name, body)  # travels like an ack
    return lambda: portal_box.SentBatch.objects.get().send_count == 2


GOOD_BEHIND = {
    "batch": _good_batch_behind,
    "heartbeat": _good_batch_behind,
    "ack": _good_ack_behind,
    "resend": _good_resend_request_behind,
}


@DB
@pytest.mark.parametrize("hostility", ["backslash", "nested", "long_number"])
@pytest.mark.parametrize("kind_name", ["batch", "ack", "resend", "heartbeat"])
def test_a_malformed_document_is_quarantined_and_good_traffic_behind_it_flows(
    ferry_env: FerryEnv, kind_name: str, hostility: str
) -> None:
    kind = KINDS[kind_name]
    if hostility == "backslash":
        name, body = kind.bad_name, b"{}\n"
    else:
        name, body = kind.name, hostile_body(kind, hostility)

    def drop() -> None:
        ferry_env.drop(PORTAL_TO_POLICE, kind.directory, name, body)

    good_arrived = GOOD_BEHIND[kind_name](drop)
    first: AgentReport = run_once(kind.reader)

    [(_kind, file_name, reason)] = quarantine_records(kind.reader)
    assert first.quarantined == 1
    assert HOSTILITY_REASONS[hostility] in reason
    assert file_name == printable(name)  # recorded escaped, a backslash doubled
    assert open_quarantine_alarms(kind.reader) == 1
    assert name not in ferry_env.pending_names(PORTAL_TO_POLICE, kind.directory)
    if not good_arrived():
        run_once(kind.reader)
    assert good_arrived()
    assert first.errors == []


@DB
def test_every_kind_of_hostile_batch_at_once_holds_nothing_up(ferry_env: FerryEnv) -> None:
    """Several bad documents in front of a genuine batch: all set aside in the same pass."""
    names = [f"000000000001-{FIRST[:-1]}{n}.jsonl" for n in range(3)]  # valid, sorting first
    ferry_env.drop(PORTAL_TO_POLICE, "batches", names[0], NESTED + b"\n")
    ferry_env.drop(PORTAL_TO_POLICE, "batches", names[1], b'{"first_seq":' + LONG_NUMBER + b"}\n")
    ferry_env.drop(PORTAL_TO_POLICE, "batches", names[2], b"\xff\xfe\x00binary\n")
    ferry_env.drop(PORTAL_TO_POLICE, "batches", "README.txt", b"hello")
    ferry_env.drop(PORTAL_TO_POLICE, "batches", "0000\nnewline.jsonl", b"{}\n")
    send_pings("portal", 3)
    run_once("portal")

    report = run_once("police")

    assert report.quarantined == 5
    assert report.batches_applied == 1
    assert police_pings() == 3
    reasons = sorted(reason for _k, _n, reason in quarantine_records("police"))
    assert sum("bad file name" in reason for reason in reasons) == 2
    assert any("UnicodeDecodeError" in reason for reason in reasons)
    assert all("\n" not in name for _k, name, _r in quarantine_records("police"))


@DB
def test_a_sender_keeps_its_batches_under_the_document_size_limit(
    ferry_env: FerryEnv, settings
) -> None:
    """A batch of FERRY_BATCH_MAX_MESSAGES that would exceed FERRY_MAX_DOCUMENT_BYTES is built
    with fewer messages, so its receiver never refuses it as too large."""
    settings.FERRY_MAX_DOCUMENT_BYTES = 4096
    send_pings("portal", 20)
    run_once("portal")
    sent = list(portal_box.SentBatch.objects.order_by("first_seq"))
    assert len(sent) > 1
    assert all(len(bytes(batch.body)) <= 4096 for batch in sent)
    assert sent[-1].last_seq == 20
    run_once("police")
    run_once("police")
    assert police_pings() == 20
    assert police_box.QuarantinedBatch.objects.count() == 0


@DB
def test_a_document_over_the_size_limit_keeps_only_a_prefix(ferry_env: FerryEnv, settings) -> None:
    """Over FERRY_MAX_DOCUMENT_BYTES: quarantined unparsed; the record holds the first
    FERRY_QUARANTINE_PREFIX_BYTES and the whole document's SHA-256 and size (both transports)."""
    settings.FERRY_MAX_DOCUMENT_BYTES = 256 * 1024
    settings.FERRY_QUARANTINE_PREFIX_BYTES = 1024
    body = b'{"first_seq":1,"pad":"' + b"x" * (300 * 1024) + b'"}\n'
    ferry_env.drop(PORTAL_TO_POLICE, "batches", f"000000000001-{FIRST}.jsonl", body)
    send_pings("portal", 1)
    run_once("portal")

    report = run_once("police")

    assert (report.quarantined, report.batches_applied) == (1, 1)
    record = police_box.QuarantinedBatch.objects.get()
    assert bytes(record.raw) == body[:1024]
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert "too large" in record.reason
    assert f"of {len(body)} bytes" in record.reason


@DB
def test_an_ack_over_the_size_limit_is_quarantined_and_the_genuine_ack_applies(
    ferry_env: FerryEnv, settings
) -> None:
    settings.FERRY_MAX_DOCUMENT_BYTES = 64 * 1024
    settings.FERRY_QUARANTINE_PREFIX_BYTES = 100
    send_pings("portal", 1)
    run_once("portal")
    ferry_env.drop(
        PORTAL_TO_POLICE, "acks", f"000000000000-{FIRST}.json", b" " * (100 * 1024) + b"\n"
    )
    run_once("police")

    report = run_once("portal")

    assert (report.quarantined, report.acks_received) == (1, 1)
    record = portal_box.QuarantinedBatch.objects.get()
    assert (record.kind, len(bytes(record.raw))) == ("ack", 100)
