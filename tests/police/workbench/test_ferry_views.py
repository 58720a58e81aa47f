"""The workbench's ferry page: city administrators only; release, discard and clearing audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.protocol.signing import generate_key
from onetrip.police.audit.models import AuditEvent
from onetrip.police.ferrybox import models as police_box
from tests.ferry.helpers import FerryEnv, pump
from tests.ferry.pingpong import send_pings
from tests.fixtures import staff

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


@pytest.fixture
def admin_client(reference_data) -> Client:
    user = staff("city_admin_wu", "city_admin", None)
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    return client


def quarantine_a_batch(env: FerryEnv, tmp_path: Path) -> tuple[police_box.QuarantinedBatch, Path]:
    """The portal signs with a key the police zone does not trust yet: its batch is quarantined.
    Returns the record and the new public key, to install when the test trusts it."""
    new_dir = tmp_path / "new-keys"
    generate_key(PORTAL_TO_POLICE, new_dir)
    (env.keys / f"{PORTAL_TO_POLICE}.key").unlink()
    shutil.copy(new_dir / f"{PORTAL_TO_POLICE}.key", env.keys / f"{PORTAL_TO_POLICE}.key")
    send_pings("portal", 2)
    run_once("portal")
    assert run_once("police").quarantined == 1
    return police_box.QuarantinedBatch.objects.get(), new_dir / f"{PORTAL_TO_POLICE}.pub"


def ferry_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="ferry.").order_by("sequence"))


@DB
def test_city_admin_sees_the_ferry_page(ferry_env: FerryEnv, admin_client, tmp_path) -> None:
    send_pings("portal", 3)
    pump()
    row, _ = quarantine_a_batch(ferry_env, tmp_path)

    response = admin_client.get("/ferry/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "数据摆渡" in html
    assert 'href="/ferry/"' in html  # the nav link, for city administrators
    assert '<dd id="last-applied">3</dd>' in html
    assert PORTAL_TO_POLICE in html
    assert row.file_name in html
    assert "未知或已停用的密钥" in html
    assert f'href="/ferry/quarantine/{row.pk}/"' in html
    assert 'name="viewport"' in html


@DB
def test_inspect_page_shows_the_manifest_but_no_payload(
    ferry_env: FerryEnv, admin_client, tmp_path
) -> None:
    row, _ = quarantine_a_batch(ferry_env, tmp_path)
    response = admin_client.get(f"/ferry/quarantine/{row.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert row.file_name in html
    assert "unknown key id" in html
    assert "test.ping v1" in html
    assert "1 – 2" in html
    assert f'action="/ferry/quarantine/{row.pk}/release/"' in html
    assert f'action="/ferry/quarantine/{row.pk}/discard/"' in html
    for payload_text in ("你好", "ping-0", "C000000"):
        assert payload_text not in html
    assert admin_client.get("/ferry/quarantine/999999/").status_code == 404


@DB
def test_other_staff_get_404(ferry_env: FerryEnv, clerk_client, tmp_path) -> None:
    row, _ = quarantine_a_batch(ferry_env, tmp_path)
    assert clerk_client.get("/ferry/").status_code == 404
    assert clerk_client.get(f"/ferry/quarantine/{row.pk}/").status_code == 404
    for action in ("release", "discard"):
        response = clerk_client.post(
            f"/ferry/quarantine/{row.pk}/{action}/", {"reason": "let me try"}
        )
        assert response.status_code == 404
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()
    assert ferry_audits() == []
    assert 'href="/ferry/"' not in clerk_client.get("/declarations/").content.decode()


@DB
def test_district_admin_gets_404_and_anonymous_must_log_in(
    ferry_env: FerryEnv, reference_data
) -> None:
    user = staff("district_admin_xihu", "district_admin", None, district_code="330106")
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    assert client.get("/ferry/").status_code == 404
    anonymous = Client(HTTP_HOST="police.testserver").get("/ferry/")
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]


@DB
def test_release_is_audited_and_the_batch_applies_once_trusted(
    ferry_env: FerryEnv, admin_client, tmp_path
) -> None:
    row, new_pub = quarantine_a_batch(ferry_env, tmp_path)
    shutil.copy(new_pub, ferry_env.keys / f"{PORTAL_TO_POLICE}.rotated.pub")

    response = admin_client.post(
        f"/ferry/quarantine/{row.pk}/release/", {"reason": "新公钥已核实并安装"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/ferry/"
    assert "已放行" in admin_client.get("/ferry/").content.decode()
    assert not police_box.QuarantinedBatch.objects.exists()
    [event] = ferry_audits()
    assert event.action == "ferry.quarantine_release"
    assert event.object_type == "ferry_batch"
    assert row.file_name == f"000000000001-{event.object_id}.jsonl"  # the batch id
    assert event.purpose == "新公钥已核实并安装"
    assert event.actor == "city_admin_wu"
    assert event.actor_role == "city_admin"
    assert event.detail["quarantine_id"] == row.pk
    assert event.detail["category"] == "unknown_key"

    pump()
    pings = police_box.InboxMessage.objects.filter(message_type="test.ping")
    assert pings.count() == 2


@DB
def test_discard_is_audited(ferry_env: FerryEnv, admin_client, tmp_path) -> None:
    row, _ = quarantine_a_batch(ferry_env, tmp_path)
    response = admin_client.post(
        f"/ferry/quarantine/{row.pk}/discard/", {"reason": "测试密钥误用，丢弃"}
    )
    assert response.status_code == 302
    assert not police_box.QuarantinedBatch.objects.exists()
    [event] = ferry_audits()
    assert event.action == "ferry.quarantine_discard"
    assert event.object_type == "ferry_batch"
    assert event.purpose == "测试密钥误用，丢弃"
    assert ferry_env.batches(PORTAL_TO_POLICE) == []
    assert admin_client.get(f"/ferry/quarantine/{row.pk}/").status_code == 404


@DB
@pytest.mark.parametrize("action", ["release", "discard"])
@pytest.mark.parametrize("reason", ["", "  ", "太短"])
def test_a_reason_is_required_and_the_error_is_in_chinese(
    ferry_env: FerryEnv, admin_client, tmp_path, action: str, reason: str
) -> None:
    row, _ = quarantine_a_batch(ferry_env, tmp_path)
    response = admin_client.post(f"/ferry/quarantine/{row.pk}/{action}/", {"reason": reason})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写操作原因（至少 4 个字）" in html
    assert 'role="alert"' in html
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()
    assert ferry_audits() == []
    assert ferry_env.batches(PORTAL_TO_POLICE) == []


@DB
def test_release_and_discard_are_post_only(ferry_env: FerryEnv, admin_client, tmp_path) -> None:
    row, _ = quarantine_a_batch(ferry_env, tmp_path)
    for action in ("release", "discard"):
        assert admin_client.get(f"/ferry/quarantine/{row.pk}/{action}/").status_code == 405
    assert police_box.QuarantinedBatch.objects.filter(pk=row.pk).exists()


@DB
def test_the_page_shows_alarms_heartbeat_lag_and_gap(
    ferry_env: FerryEnv, admin_client, monkeypatch
) -> None:
    import dataclasses
    import datetime as dt

    from onetrip.ferry.operations.status import ZoneStatus
    from onetrip.police.workbench import ferry_views

    @dataclasses.dataclass
    class Alarm:
        kind: str
        channel: str
        detail: str
        count: int

    real = ferry_views.zone_status

    def later(zone: str) -> ZoneStatus:
        return dataclasses.replace(
            real(zone),
            open_alarms=[Alarm("heartbeat_missing", PORTAL_TO_POLICE, "silent 300s", 4)],
            last_heartbeat_received_at=dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC),
            lag_in=7,
            gap="5-7",
        )

    monkeypatch.setattr(ferry_views, "zone_status", later)
    html = admin_client.get("/ferry/").content.decode()
    assert "有 1 个未解除的告警" in html
    assert f"心跳缺失 heartbeat missing · {PORTAL_TO_POLICE} · silent 300s (×4)" in html
    assert "2026-11-27 16:00:00" in html  # the heartbeat, in the city's time zone
    assert "待应用消息（滞后）</dt><dd>7</dd>" in html
    assert "5-7" in html


@DB
def test_ferry_page_shows_encryption_key_ids_when_batches_are_sealed(
    ferry_env: FerryEnv, admin_client, settings
) -> None:
    from onetrip.ferry.protocol.channels import POLICE_TO_PORTAL
    from onetrip.ferry.protocol.sealing import (
        encryption_key_ids,
        generate_encryption_key,
        rotate_encryption_key,
    )

    html = admin_client.get("/ferry/").content.decode()
    assert "批次加密" in html and "未开启" in html

    settings.FERRY_ENCRYPT = True
    for channel in (PORTAL_TO_POLICE, POLICE_TO_PORTAL):
        generate_encryption_key(channel, ferry_env.keys)
    old, new = rotate_encryption_key(PORTAL_TO_POLICE, ferry_env.keys)
    html = admin_client.get("/ferry/").content.decode()
    assert "已开启" in html
    # The police zone decrypts portal_to_police batches with the new and the previous key, and
    # seals its own batches to the portal's key.
    assert set(encryption_key_ids(PORTAL_TO_POLICE, ferry_env.keys).accepted) == {old, new}
    assert f"<code>{new}</code>" in html and f"<code>{old}</code>" in html
    assert f"<code>{encryption_key_ids(POLICE_TO_PORTAL, ferry_env.keys).current}</code>" in html


def test_only_city_administrators_may_operate_the_ferry() -> None:
    from onetrip.police.accounts.models import Role, StaffProfile
    from onetrip.police.accounts.selectors import staff_may_operate_ferry as may_operate_ferry

    assert not may_operate_ferry(None)
    for role in Role:
        assert may_operate_ferry(StaffProfile(role=role)) == (role == Role.CITY_ADMIN)


def raise_security_alarm() -> police_box.Alarm:
    from onetrip.ferry.agent.alarms import raise_alarm

    raise_alarm(
        "police",
        "security_conflict",
        PORTAL_TO_POLICE,
        key="000000000003-5f0c2b8e-9a41-4c1e-8d3a-2b7e6f1a9c04.jsonl",
        detail="batch: security alarm: conflicting batch",
    )
    return police_box.Alarm.objects.get()


@DB
def test_city_admin_clears_an_alarm_with_a_reason_and_it_is_audited(
    ferry_env: FerryEnv, admin_client
) -> None:
    alarm = raise_security_alarm()
    html = admin_client.get("/ferry/").content.decode()
    assert "有 1 个未解除的告警" in html
    assert f'name="alarm" value="{alarm.pk}"' in html

    response = admin_client.post("/ferry/", {"alarm": alarm.pk, "reason": "已核对双方批次记录"})
    assert response.status_code == 302
    assert response["Location"] == "/ferry/"
    html = admin_client.get("/ferry/").content.decode()
    assert "已解除告警" in html
    assert "有 1 个未解除的告警" not in html
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None
    [event] = ferry_audits()
    assert event.action == "ferry.alarm_clear"
    assert event.object_type == "ferry_alarm"
    assert event.object_id == str(alarm.pk)
    assert event.purpose == "已核对双方批次记录"
    assert event.actor == "city_admin_wu"
    assert event.actor_role == "city_admin"
    assert event.detail == {
        "alarm_id": alarm.pk,
        "kind": "security_conflict",
        "channel": PORTAL_TO_POLICE,
        "count": 1,
    }
    [detail] = police_box.FerryEvent.objects.filter(step="alarm_cleared").values_list(
        "detail", flat=True
    )
    assert detail.endswith("by city_admin_wu: 已核对双方批次记录")


@DB
def test_clearing_an_alarm_needs_a_reason_and_a_known_alarm(
    ferry_env: FerryEnv, admin_client
) -> None:
    alarm = raise_security_alarm()
    response = admin_client.post("/ferry/", {"alarm": alarm.pk, "reason": "太短"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写操作原因（至少 4 个字）" in html
    assert "太短</textarea>" in html

    response = admin_client.post("/ferry/", {"alarm": 999999, "reason": "已核对双方批次记录"})
    assert response.status_code == 404
    assert "没有未解除的告警 #999999" in response.content.decode()
    assert admin_client.post("/ferry/", {"alarm": "x", "reason": "已核对"}).status_code == 404

    alarm.refresh_from_db()
    assert alarm.cleared_at is None
    assert ferry_audits() == []


@DB
def test_other_staff_cannot_clear_alarms(ferry_env: FerryEnv, clerk_client) -> None:
    alarm = raise_security_alarm()
    response = clerk_client.post("/ferry/", {"alarm": alarm.pk, "reason": "let me try"})
    assert response.status_code == 404
    alarm.refresh_from_db()
    assert alarm.cleared_at is None
    assert ferry_audits() == []


HOSTILE_FILES = {
    "nested": (
        "000000000001-00000000-0000-4000-8000-000000000001.jsonl",
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
    ),
    "number": (
        "000000000001-00000000-0000-4000-8000-000000000002.jsonl",
        b'{"first_seq":' + b"1" * 5_000 + b"}\n",
    ),
    "binary": (
        "000000000001-00000000-0000-4000-8000-000000000003.jsonl",
        bytes(range(256)) * 64 + b"\n",
    ),
    "huge": (
        "000000000001-00000000-0000-4000-8000-000000000004.jsonl",
        b'{"batch_id":"<b>x</b>"}' + b"\xff" * 3000 + b"\n",
    ),
    "bad name": ("000000000001-\\<script>\u202e.jsonl", b"{}\n"),
}


@DB
def test_the_ferry_pages_render_whatever_was_quarantined(
    ferry_env: FerryEnv, admin_client, settings
) -> None:
    """Nested, binary, huge or badly named: the list and every inspect page answer 200 and show
    an escaped look at what arrived, never a payload and never markup from it."""
    settings.FERRY_MAX_DOCUMENT_BYTES = 2048  # "huge": over the limit, only a prefix kept
    settings.FERRY_QUARANTINE_PREFIX_BYTES = 1024
    for name, body in HOSTILE_FILES.values():
        ferry_env.drop(PORTAL_TO_POLICE, "batches", name, body)
    send_pings("portal", 1)
    run_once("portal")
    report = run_once("police")
    assert (report.quarantined, report.batches_applied) == (len(HOSTILE_FILES), 1)

    listing = admin_client.get("/ferry/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "<script>" not in html and "<b>x</b>" not in html
    assert "文件名不合规" in html and "文件过大" in html
    for row in police_box.QuarantinedBatch.objects.all():
        page = admin_client.get(f"/ferry/quarantine/{row.pk}/")
        assert page.status_code == 200, row.reason
        text = page.content.decode()
        assert "<script>" not in text and "<b>x</b>" not in text
        if "too large" in row.reason:
            assert "记录只保存了前 1024 字节" in text
            assert 'id="not-releasable"' in text
        if row.file_name.startswith("000000000001-00000000-0000-4000-8000-000000000003"):
            assert 'id="preview"' in text and "\\x00\\x01\\x02" in text


@pytest.mark.django_db(databases=["default", "police"])
def test_the_ferry_link_follows_the_same_rule_as_the_page(clerk_client, admin_client, beishan):
    """The header link is drawn by `staff_may_operate_ferry`, the rule that guards the page."""
    assert "/ferry/" in admin_client.get("/declarations/").content.decode()
    page = clerk_client.get("/declarations/").content.decode()
    assert "/ferry/" not in page
    assert clerk_client.get("/ferry/").status_code == 404
