"""Heartbeats, lag each way, liveness alarms and the audit of steps (DESIGN §3 "Acknowledge",
"Operate")."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from onetrip.ferry.agent.events import STEPS
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.operations.status import format_status, zone_status
from onetrip.ferry.protocol.batch import heartbeat_file_name
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def heartbeats(ferry_env: FerryEnv, channel: str) -> list:
    return [doc for doc in ferry_env.batches(channel) if doc.name.startswith("heartbeat-")]


@DB
def test_no_heartbeat_while_recently_active(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    reports = pump()
    assert sum(r.heartbeats_sent for r in reports) == 0  # FERRY_HEARTBEAT_SECONDS is 10
    assert heartbeats(ferry_env, PORTAL_TO_POLICE) == []


@DB
def test_idle_zone_sends_signed_heartbeat_and_peer_learns_lag(
    ferry_env: FerryEnv, settings
) -> None:
    send_pings("portal", 3)
    pump()
    settings.FERRY_HEARTBEAT_SECONDS = 0
    assert run_once("portal").heartbeats_sent == 1
    [beat] = heartbeats(ferry_env, PORTAL_TO_POLICE)
    assert beat.name == heartbeat_file_name("portal")
    document = json.loads(beat.read_bytes())
    assert document["last_seq"] == 3
    assert document["applied_through"] == 3  # the portal applied the 3 pongs
    assert document["signature"]

    assert run_once("police").heartbeats_received == 1
    assert heartbeats(ferry_env, PORTAL_TO_POLICE) == []
    police = zone_status("police")
    assert police.last_heartbeat_received_at is not None
    assert police.peer_last_seq_sent == 3 and police.lag_in == 0
    assert police.last_heard_at is not None
    portal = zone_status("portal")
    assert portal.last_heartbeat_sent_at is not None
    assert portal.lag_out == 0 and portal.peer_applied_through == 3

    # The police side's heartbeat tells the portal how far it has applied, both ways.
    run_once("portal")
    police = zone_status("police")
    assert police.peer_applied_through == 3  # police→portal pongs applied by the portal
    text = format_status(police)
    assert "最近收到心跳 last heartbeat received" in text
    assert "接收滞后 lag in: 0" in text


@DB
def test_heartbeat_reveals_a_lost_tail_batch(ferry_env: FerryEnv, settings) -> None:
    send_pings("portal", 2)
    run_once("portal")
    [batch] = ferry_env.batches(PORTAL_TO_POLICE)
    batch.unlink()  # the last batch is lost and nothing comes after it
    settings.FERRY_HEARTBEAT_SECONDS = 0
    run_once("portal")  # idle now: a heartbeat saying "built through 2"
    report = run_once("police")
    assert report.resend_requests_sent == 1
    police = zone_status("police")
    assert (police.lag_in, police.gap) == (2, "1-2")
    assert run_once("portal").batches_resent == 1
    assert run_once("police").batches_applied == 1
    assert zone_status("police").lag_in == 0


@DB
def test_replayed_old_heartbeat_does_not_move_figures_back(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_HEARTBEAT_SECONDS = 0
    run_once("portal")
    [beat] = heartbeats(ferry_env, PORTAL_TO_POLICE)
    old = beat.read_bytes()
    run_once("police")
    send_pings("portal", 2)
    pump()
    run_once("portal")
    run_once("police")
    state = police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE)
    assert state.peer_last_seq == 2
    clock = state.peer_clock_at
    ferry_env.deliver(PORTAL_TO_POLICE, beat.name, old)
    run_once("police")
    state.refresh_from_db()
    assert state.peer_clock_at == clock and state.peer_last_seq == 2


@DB
def test_tampered_heartbeat_is_quarantined_with_an_alarm(ferry_env: FerryEnv, settings) -> None:
    settings.FERRY_HEARTBEAT_SECONDS = 0
    run_once("portal")
    [beat] = heartbeats(ferry_env, PORTAL_TO_POLICE)
    beat.write_bytes(beat.read_bytes().replace(b'"last_seq":0', b'"last_seq":9'))
    assert run_once("police").quarantined == 1
    record = police_box.QuarantinedBatch.objects.get()
    assert (record.kind, record.reason) == ("heartbeat", "bad signature")
    alarm = police_box.Alarm.objects.get()
    assert alarm.key == f"heartbeat:{beat.name}"
    assert police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE).peer_last_seq == 0
    run_once("portal")
    run_once("police")  # a good heartbeat under the same name clears it
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


@DB
def test_silence_raises_heartbeat_missing_cleared_when_heard(ferry_env: FerryEnv, settings) -> None:
    run_once("police")
    assert not police_box.Alarm.objects.exists()
    settings.FERRY_HEARTBEAT_ALARM_SECONDS = 0
    run_once("police")
    alarm = police_box.Alarm.objects.get()
    assert (alarm.kind, alarm.channel) == ("heartbeat_missing", PORTAL_TO_POLICE)
    assert "nothing from portal" in alarm.detail
    settings.FERRY_HEARTBEAT_SECONDS = 0
    run_once("portal")
    run_once("police")  # heard: cleared (and raised again only if silence returns)
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


@DB
def test_every_step_is_audited_once_per_batch(ferry_env: FerryEnv, settings) -> None:
    send_pings("portal", 2)
    send_pings("portal", 1, start=2, reject="材料不全")
    pump()
    portal_steps = list(
        portal_box.FerryEvent.objects.filter(channel=PORTAL_TO_POLICE).values_list("step", "count")
    )
    assert portal_steps == [("built", 3), ("exported", 3), ("acked", 3)]
    police_steps = list(
        police_box.FerryEvent.objects.filter(channel=PORTAL_TO_POLICE).values_list(
            "step", "count", "detail"
        )
    )
    assert police_steps == [
        ("verified", 3, police_steps[0][2]),
        ("applied", 2, "rejected=1 skipped=0"),
        ("rejected", 1, "business reject"),
    ]
    assert {step for step, *_ in portal_steps + police_steps} <= set(STEPS)
    # The reverse channel too: the pongs.
    assert police_box.FerryEvent.objects.filter(channel=POLICE_TO_PORTAL, step="built").exists()
    assert not any("材料" in e.detail for e in police_box.FerryEvent.objects.all())


@DB
def test_status_command_shows_new_figures(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    pump()
    out = StringIO()
    call_command("ferry", "status", "--zone-name", "police", stdout=out)
    text = out.getvalue()
    for label in (
        "发送滞后 lag out",
        "接收滞后 lag in",
        "当前公钥 current key ids",
        "停用公钥 retired key ids",
        "告警 open alarms: 0",
        "加密 encryption: 关 off",
    ):
        assert label in text
