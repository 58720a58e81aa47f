"""The audit administrator's viewer (MLPS-5, MLPS-10): filters on date, user, event type,
outcome and object; keyset pages; the chain check; every view audited; nobody else gets in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connections, router
from django.test import Client
from django.utils import timezone

from onetrip.police.accounts.models import Role
from onetrip.police.audit.models import AuditEvent
from onetrip.police.audit.selectors import AuditQuery, audit_events_page
from onetrip.police.audit.services import audit_record
from onetrip.police.audit.triggers import drop_append_only_triggers
from tests.fixtures import staff

pytestmark = pytest.mark.django_db(databases=["default", "police"])


@pytest.fixture
def auditor(reference_data):
    return staff("audit_admin", Role.AUDIT_ADMIN, None)


@pytest.fixture
def viewer(auditor):
    c = Client(HTTP_HOST="police.testserver")
    c.force_login(auditor)
    return c


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "police-anchors.jsonl"


def sequences(html: str) -> list[int]:
    return [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", html)]


def event(**fields):
    base = {"actor": "zhang.wei", "action": "declaration.verify", "object_type": "declaration"}
    return audit_record(**{**base, "object_id": "JZ1", **fields})


def test_mlps5_viewer_filters_by_user_type_outcome_object_and_date(viewer):
    with time_machine.travel(dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC), tick=False):
        old = event(object_id="JZ-OLD")
    a = event(actor="li.jing", action="login.failure", success=False, object_id="li.jing")
    b = event(actor="li.jing", action="login.success", object_id="li.jing")
    c = event(object_id="JZ2")
    page = viewer.get("/security/audit/", {"actor": "li.jing"}).content.decode()
    assert sequences(page) == [b.sequence, a.sequence]
    page = viewer.get("/security/audit/", {"action": "login.", "success": "0"}).content.decode()
    assert sequences(page) == [a.sequence]
    assert sequences(viewer.get("/security/audit/", {"object": "JZ2"}).content.decode()) == [
        c.sequence
    ]
    today = timezone.localdate().isoformat()
    page = viewer.get("/security/audit/", {"to": "2026-11-01", "from": "2026-11-01"})
    assert sequences(page.content.decode()) == [old.sequence]
    page = viewer.get("/security/audit/", {"from": today, "object": "JZ-OLD"})
    assert sequences(page.content.decode()) == []


def test_mlps5_viewing_is_audited_with_the_filters_named_not_their_values(viewer):
    event()
    viewer.get("/security/audit/", {"actor": "zhang.wei", "object": "13800138000"})
    read = AuditEvent.objects.filter(action="audit.view").latest("sequence")
    assert (read.actor, read.actor_role, read.success) == ("audit_admin", Role.AUDIT_ADMIN, True)
    assert read.detail["filters"] == ["actor", "object_id"]
    assert "13800138000" not in str(read.detail)


def test_mlps5_pages_are_keyset_pages_newest_first():
    events = [event(object_id=f"JZ{i}") for i in range(7)]
    first = audit_events_page(AuditQuery(object_id=""), size=3)
    assert [e.sequence for e in first.events] == [e.sequence for e in events[::-1][:3]]
    second = audit_events_page(AuditQuery(), before=first.next_before, size=3)
    assert [e.sequence for e in second.events] == [e.sequence for e in events[::-1][3:6]]
    assert second.next_before == second.events[-1].sequence


def test_mlps5_viewer_links_the_next_page(viewer):
    for i in range(60):
        event(object_id=f"JZ{i}")
    html = viewer.get("/security/audit/", {"action": "declaration."}).content.decode()
    shown = sequences(html)
    assert len(shown) == 50
    link = re.search(r'href="\?([^"]*before=(\d+))"', html)
    assert link and int(link[2]) == shown[-1]
    older = viewer.get("/security/audit/?" + link[1].replace("&amp;", "&")).content.decode()
    assert len(sequences(older)) == 10
    assert max(sequences(older)) < shown[-1]


def test_mlps5_verify_button_runs_the_chain_check_and_is_audited(viewer):
    event()
    html = viewer.post("/security/audit/").content.decode()
    assert "审计链完整" in html
    check = AuditEvent.objects.get(action="audit.verify")
    assert check.success and check.detail["first_bad_sequence"] is None


def test_mlps5_verify_button_shows_a_broken_chain(viewer, settings):
    target = event()
    event()
    connection = connections[router.db_for_write(AuditEvent)]
    drop_append_only_triggers(connection)  # the test's rollback restores them
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE police_audit_auditevent SET object_id = %s WHERE sequence = %s",
            ["JZ-FORGED", target.sequence],
        )
    html = viewer.post("/security/audit/").content.decode()
    assert "审计链损坏" in html
    assert str(target.sequence) in html
    assert not AuditEvent.objects.get(action="audit.verify").success


@pytest.mark.parametrize(
    "role", [Role.CITY_ADMIN, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.WINDOW_CLERK]
)
def test_mlps10_only_the_audit_admin_opens_the_viewer(role, beishan):
    station = beishan if role == Role.WINDOW_CLERK else None
    user = staff(f"u_{role}", role, station)
    c = Client(HTTP_HOST="police.testserver")
    c.force_login(user)
    assert c.get("/security/audit/").status_code == 404
    assert c.post("/security/audit/").status_code == 404
    assert not AuditEvent.objects.filter(action__in=["audit.view", "audit.verify"], success=True)
