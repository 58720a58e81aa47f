"""The ferry's Prometheus exposition at `/metrics` of each zone."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.operations import metrics
from onetrip.ferry.operations.status import ZoneStatus
from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import load_signing_key

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def scrape(host: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = Client(HTTP_HOST=host).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


def value(values, name: str, **labels: str) -> float:
    return values[("onetrip_ferry_" + name, frozenset(labels.items()))]


@DB
def test_metrics_after_a_round_trip(ferry_env: FerryEnv) -> None:
    send_pings("portal", 3)
    pump()
    send_pings("portal", 2, start=10)
    run_once("portal")  # built and sent, not yet applied

    portal = scrape("portal.testserver")
    out = {"zone": "portal", "channel": PORTAL_TO_POLICE}
    assert value(portal, "up", zone="portal") == 1
    assert value(portal, "last_sequence_built", **out) == 5
    assert value(portal, "last_sequence_sent", **out) == 5
    assert value(portal, "last_sequence_acked", **out) == 3
    assert value(portal, "unacked_batches", **out) == 1
    assert value(portal, "unacked_messages", **out) == 2
    assert value(portal, "unexported_batches", **out) == 0
    assert value(portal, "outbox_unbatched_messages", **out) == 0
    assert value(portal, "outbox_oldest_unbatched_age_seconds", **out) == 0
    assert 0 <= value(portal, "oldest_unacked_age_seconds", **out) < 60
    assert value(portal, "oldest_unacked_send_count", **out) == 1
    back = {"zone": "portal", "channel": POLICE_TO_PORTAL}
    assert value(portal, "last_sequence_applied", **back) == 3  # the three pongs
    assert value(portal, "messages_applied", **back) == 3
    assert value(portal, "batches_applied", **back) == 1
    assert value(portal, "quarantined_batches", kind="batch", **back) == 0
    key_id = load_signing_key(PORTAL_TO_POLICE).key_id
    assert value(portal, "signing_key_info", key_id=key_id, **out) == 1
    assert value(portal, "trusted_keys", **back) == 1
    assert not any(labels and ("zone", "police") in labels for _, labels in portal)

    police = scrape("police.testserver")
    into = {"zone": "police", "channel": PORTAL_TO_POLICE}
    assert value(police, "up", zone="police") == 1
    assert value(police, "last_sequence_applied", **into) == 3
    assert value(police, "messages_applied", **into) == 3
    assert value(police, "batches_applied", **into) == 1
    assert value(police, "pending_batches", **into) == 1
    assert value(police, "parked_batches", **into) == 0
    assert value(police, "rejected_messages", **into) == 0
    assert value(police, "last_sequence_acked", zone="police", channel=POLICE_TO_PORTAL) == 3


@DB
def test_metrics_count_quarantine_parked_and_rejects(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1, reject="no such community")
    send_pings("portal", 1, start=1)
    run_once("portal")
    send_pings("portal", 1, start=2)
    run_once("portal")
    first, _second = ferry_env.batches(PORTAL_TO_POLICE)
    body = first.read_bytes()
    first.unlink()  # lost on the way: the second batch parks behind the gap
    run_once("police")
    police = scrape("police.testserver")
    into = {"zone": "police", "channel": PORTAL_TO_POLICE}
    assert value(police, "parked_batches", **into) == 1

    ferry_env.deliver(PORTAL_TO_POLICE, first.name, body[:-5])  # truncated copy
    run_once("police")
    police = scrape("police.testserver")
    assert value(police, "quarantined_batches", kind="batch", **into) == 1

    ferry_env.deliver(PORTAL_TO_POLICE, first.name, body)
    pump()
    police = scrape("police.testserver")
    assert value(police, "rejected_messages", **into) == 1
    assert value(police, "messages_applied", **into) == 2
    assert value(police, "last_sequence_applied", **into) == 3
    assert value(police, "parked_batches", **into) == 0
    portal = scrape("portal.testserver")
    out = {"zone": "portal", "channel": PORTAL_TO_POLICE}
    assert value(portal, "rejected_by_peer_messages", **out) == 1


@dataclasses.dataclass
class Alarm:
    kind: str
    channel: str = PORTAL_TO_POLICE


@DB
def test_alarms_heartbeat_and_lag_are_exported(ferry_env: FerryEnv, monkeypatch) -> None:
    before = scrape("police.testserver")
    assert value(before, "open_alarms", zone="police") == 0
    assert not any(name.endswith("open_alarms_by_kind") for name, _ in before)

    real = metrics.zone_status
    beat = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)

    def later(zone: str) -> ZoneStatus:
        return dataclasses.replace(
            real(zone),
            open_alarms=[Alarm("gap"), Alarm("security_conflict"), Alarm("gap")],
            last_heartbeat_received_at=beat,
            lag_in=4,
            lag_out=1,
        )

    monkeypatch.setattr(metrics, "zone_status", later)
    after = scrape("police.testserver")
    assert value(after, "open_alarms", zone="police") == 3
    assert value(after, "open_alarms_by_kind", zone="police", kind="gap") == 2
    assert value(after, "open_alarms_by_kind", zone="police", kind="security_conflict") == 1
    assert value(after, "last_heartbeat_timestamp_seconds", zone="police") == beat.timestamp()
    into = {"zone": "police", "channel": PORTAL_TO_POLICE}
    assert value(after, "lag_messages", direction="in", **into) == 4
    out = {"zone": "police", "channel": POLICE_TO_PORTAL}
    assert value(after, "lag_messages", direction="out", **out) == 1


@DB
def test_a_quarantine_shows_as_an_open_alarm(ferry_env: FerryEnv) -> None:
    send_pings("portal", 1)
    run_once("portal")
    [path] = ferry_env.batches(PORTAL_TO_POLICE)
    path.write_bytes(path.read_bytes()[:-3])  # truncated on the way
    run_once("police")
    police = scrape("police.testserver")
    assert value(police, "open_alarms", zone="police") == 1
    assert value(police, "open_alarms_by_kind", zone="police", kind="quarantine") == 1


@pytest.mark.parametrize(
    ("alarms", "count"), [(2, 2), ([], 0), ({"gap": 2, "quarantine": 1}, 3), (["a"], 1)]
)
def test_alarm_counts_in_any_shape(alarms: object, count: float) -> None:
    assert metrics._count_of(alarms) == count


@DB
def test_unreadable_state_reports_up_zero(ferry_env: FerryEnv, monkeypatch) -> None:
    def broken(zone: str) -> ZoneStatus:
        raise OSError("transport unreachable")

    monkeypatch.setattr(metrics, "zone_status", broken)
    values = scrape("portal.testserver")
    assert value(values, "up", zone="portal") == 0
    assert [name for name, _ in values] == ["onetrip_ferry_up"]


@DB
def test_metrics_can_be_switched_off(ferry_env: FerryEnv, settings) -> None:
    settings.ONETRIP_METRICS_ENABLED = False
    assert Client(HTTP_HOST="portal.testserver").get("/metrics").status_code == 404
    assert Client(HTTP_HOST="police.testserver").get("/metrics").status_code == 404


@DB
def test_metrics_answer_get_only(ferry_env: FerryEnv) -> None:
    assert Client(HTTP_HOST="police.testserver").post("/metrics").status_code == 405


def get_metrics(address: str = "127.0.0.1", **headers: str):
    return Client(HTTP_HOST="police.testserver", REMOTE_ADDR=address).get("/metrics", **headers)


@DB
@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("127.0.0.1", 200),
        ("127.0.0.53", 200),
        ("::1", 200),
        ("::ffff:127.0.0.1", 200),
        ("10.20.30.7", 403),
        ("192.0.2.1", 403),
        ("2001:db8::1", 403),
        ("", 403),
        ("not an address", 403),
    ],
)
def test_metrics_answer_only_loopback_by_default(
    ferry_env: FerryEnv, address: str, status: int
) -> None:
    assert get_metrics(address).status_code == status


@DB
def test_metrics_answer_the_networks_in_onetrip_metrics_allow(
    ferry_env: FerryEnv, settings
) -> None:
    settings.ONETRIP_METRICS_ALLOW = ["10.20.30.0/24", "192.0.2.9"]
    assert get_metrics("10.20.30.7").status_code == 200
    assert get_metrics("192.0.2.9").status_code == 200
    refused = get_metrics("10.20.31.7")
    assert refused.status_code == 403
    assert b"onetrip_ferry" not in refused.content
    assert get_metrics("127.0.0.1").status_code == 403  # loopback only when listed
    with pytest.raises(ImproperlyConfigured, match="ONETRIP_METRICS_ALLOW"):
        metrics.allowed_networks(["10.20.30.0/33"])


@DB
def test_metrics_need_the_bearer_token_when_one_is_set(ferry_env: FerryEnv, settings) -> None:
    settings.ONETRIP_METRICS_TOKEN = "s3cret-token"
    missing = get_metrics()
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"onetrip_ferry" not in missing.content
    assert get_metrics(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert get_metrics(HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    assert get_metrics(HTTP_AUTHORIZATION="s3cret-token").status_code == 401
    ok = get_metrics(HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200
    assert b"onetrip_ferry_up" in ok.content
    # The token does not open the endpoint to other addresses: both must hold.
    assert get_metrics("192.0.2.1", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 403
    settings.ONETRIP_METRICS_ALLOW = ["0.0.0.0/0", "::/0"]
    assert get_metrics("192.0.2.1", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
