"""Gaps and replays (DESIGN §3 "Receive"): a batch after a gap is parked, the receiver asks for
the missing range at once with a signed resend request, the sender resends byte for byte without
waiting for its timeout, a persisting gap raises an alarm that clears when the gap is filled, and
a different batch under an applied sequence is an `Alarm` row."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from onetrip.ferry.agent import alarms
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.agent.receiver import missing_ranges
from onetrip.ferry.operations.status import zone_status
from onetrip.ferry.protocol.batch import RESEND_FORMAT
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import load_signing_key
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, forged_batch, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def police_ping_seqs() -> list[int]:
    return list(
        police_box.InboxMessage.objects.filter(message_type="test.ping")
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )


def resend_requests(ferry_env: FerryEnv) -> list[dict]:
    documents = [json.loads(doc.read_bytes()) for doc in ferry_env.acks(PORTAL_TO_POLICE)]
    return [d for d in documents if d["format"] == RESEND_FORMAT]


def test_missing_ranges() -> None:
    assert missing_ranges(0, [], 0) == []
    assert missing_ranges(0, [(3, 4)], 0) == [(1, 2)]
    assert missing_ranges(2, [(3, 4), (7, 9)], 0) == [(5, 6)]
    assert missing_ranges(2, [(3, 4)], 6) == [(5, 6)]  # the tail, from the sender's heartbeat
    assert missing_ranges(4, [(5, 6), (5, 6)], 6) == []  # a parked batch right after: no hole


@DB
def test_gap_is_asked_for_and_resent_at_once(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 2
    send_pings("portal", 6)
    run_once("portal")
    first, _second, _third = ferry_env.batches(PORTAL_TO_POLICE)
    genuine = first.read_bytes()
    first.unlink()  # lost on the way

    report = run_once("police")
    assert (report.parked_batches, report.resend_requests_sent) == (2, 1)
    [request] = resend_requests(ferry_env)
    assert request["missing"] == [1, 2]
    assert request["receiver_zone"] == "police"
    assert request["key_id"] == load_signing_key("police_to_portal").key_id
    parked = list(police_box.ParkedBatch.objects.order_by("first_seq"))
    assert [(p.first_seq, p.reason) for p in parked] == [(3, "gap"), (5, "gap")]
    assert zone_status("police").parked == 2
    # Asked once: the next pass within FERRY_RESEND_REQUEST_SECONDS does not ask again.
    assert run_once("police").resend_requests_sent == 0

    # The resend timeout is an hour (ferry_env), yet the sender answers the request at once.
    report = run_once("portal")
    assert (report.resend_requests_received, report.batches_resent) == (1, 1)
    assert first.read_bytes() == genuine  # byte for byte
    assert resend_requests(ferry_env) == []
    sent = portal_box.SentBatch.objects.get(first_seq=1)
    assert sent.send_count == 2

    assert run_once("police").batches_applied == 3
    assert police_ping_seqs() == [1, 2, 3, 4, 5, 6]
    assert not police_box.ParkedBatch.objects.exists()
    state = police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE)
    assert state.gap_since is None and state.resend_requested_range == ""
    pump()
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()
    steps = set(police_box.FerryEvent.objects.values_list("step", flat=True))
    assert {"parked", "resend_requested", "verified", "applied"} <= steps
    resent = portal_box.FerryEvent.objects.get(step="resent")
    assert (resent.first_seq, resent.detail) == (1, "requested 1-2")


@DB
def test_request_is_repeated_while_the_gap_persists(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 1
    send_pings("portal", 2)
    run_once("portal")
    ferry_env.batches(PORTAL_TO_POLICE)[0].unlink()
    assert run_once("police").resend_requests_sent == 1
    for doc in ferry_env.acks(PORTAL_TO_POLICE):
        doc.unlink()  # the request is lost too
    settings.FERRY_RESEND_REQUEST_SECONDS = 0
    assert run_once("police").resend_requests_sent == 1
    assert [r["missing"] for r in resend_requests(ferry_env)] == [[1, 1]]


@DB
def test_persisting_gap_raises_an_alarm_cleared_when_filled(
    ferry_env: FerryEnv, settings, caplog
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = 1
    send_pings("portal", 3)
    run_once("portal")
    first = ferry_env.batches(PORTAL_TO_POLICE)[0]
    body = first.read_bytes()
    first.unlink()
    run_once("police")
    assert not police_box.Alarm.objects.exists()  # younger than FERRY_GAP_ALARM_SECONDS

    settings.FERRY_GAP_ALARM_SECONDS = 0
    run_once("police")
    run_once("police")
    alarm = police_box.Alarm.objects.get()
    assert (alarm.kind, alarm.channel, alarm.cleared_at) == ("gap", PORTAL_TO_POLICE, None)
    assert alarm.count == 2  # raised once, seen again: one open alarm, not two
    assert "missing 1-1" in alarm.detail
    status = zone_status("police")
    assert [a.kind for a in status.open_alarms] == ["gap"]
    assert status.gap == "1-1" and status.gap_since is not None

    ferry_env.deliver(PORTAL_TO_POLICE, first.name, body)
    assert run_once("police").batches_applied == 3
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None
    assert zone_status("police").open_alarms == []
    assert police_box.FerryEvent.objects.filter(step="alarm_cleared").count() == 1


@DB
def test_conflicting_batch_is_an_alarm_row(ferry_env: FerryEnv) -> None:
    send_pings("portal", 2)
    pump()
    name, body = forged_batch(
        load_signing_key(PORTAL_TO_POLICE), channel=PORTAL_TO_POLICE, first_seq=1
    )
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    assert run_once("police").quarantined == 1
    alarm = police_box.Alarm.objects.get()
    assert (alarm.kind, alarm.key) == ("security_conflict", name)
    assert "conflicting batch" in alarm.detail
    assert "你好" not in alarm.detail  # ids and reasons, never payloads
    # The same bytes again: counted on the one open alarm.
    ferry_env.deliver(PORTAL_TO_POLICE, name, body)
    run_once("police")
    alarm.refresh_from_db()
    assert alarm.count == 2
    # Security alarms stay open until an operator clears them.
    send_pings("portal", 1, start=2)
    pump()
    assert police_box.Alarm.objects.get().cleared_at is None
    out = StringIO()
    call_command("ferry", "alarms", "--zone-name", "police", stdout=out)
    assert f"#{alarm.pk} security_conflict" in out.getvalue()
    call_command(
        "ferry",
        "alarms",
        "--zone-name",
        "police",
        "--clear",
        str(alarm.pk),
        "--reason",
        "both batch logs checked",
        stdout=out,
    )
    assert alarms.open_alarms("police") == []


@DB
def test_truncated_batch_alarm_clears_when_the_resend_applies(
    ferry_env: FerryEnv, settings
) -> None:
    send_pings("portal", 2)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    path.write_bytes(path.read_bytes()[:-10])
    assert run_once("police").quarantined == 1
    alarm = police_box.Alarm.objects.get()
    assert (alarm.kind, alarm.key) == ("quarantine", path.name)
    assert "truncated" in alarm.detail
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    run_once("portal")
    assert run_once("police").batches_applied == 1
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


@DB
def test_raise_alarm_is_idempotent_per_open_key(ferry_env: FerryEnv) -> None:
    assert alarms.raise_alarm("portal", "gap", PORTAL_TO_POLICE, key="a", detail="one")
    assert not alarms.raise_alarm("portal", "gap", PORTAL_TO_POLICE, key="a", detail="two")
    assert alarms.raise_alarm("portal", "gap", PORTAL_TO_POLICE, key="b")
    assert portal_box.Alarm.objects.get(key="a").detail == "two"
    assert alarms.clear_alarm("portal", "gap", PORTAL_TO_POLICE, key="a") == 1
    assert alarms.clear_alarm("portal", "gap", PORTAL_TO_POLICE, key="a") == 0
    assert alarms.raise_alarm("portal", "gap", PORTAL_TO_POLICE, key="a")  # a new one
    assert portal_box.Alarm.objects.filter(key="a").count() == 2
    with pytest.raises(ValueError):
        alarms.raise_alarm("portal", "no_such_kind", PORTAL_TO_POLICE)
