"""The window directory and its calendars reach the portal as whole snapshots over the ferry:
once when the reference data are loaded, again only for what changed, and on every edit by the
station admin, in the transaction of the change, window before calendar (DESIGN §7)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from onetrip.contracts.base import contract_for
from onetrip.ferry.agent.handlers import handler_for
from onetrip.police.audit.models import AuditEvent
from onetrip.police.stations.errors import ReferenceDataError, WindowError, WindowNotFound
from onetrip.police.stations.models import Window, WindowCalendar
from onetrip.police.stations.services import (
    PACKAGED_DIR,
    reference_load,
    window_calendar_update,
    window_update,
)
from onetrip.portal.windows.models import Window as PortalWindow
from onetrip.portal.windows.models import WindowCalendar as PortalCalendar

from .conftest import BEISHAN_WINDOW, HUBIN_WINDOW, calendar_data, client_for, police_outbox

pytestmark = pytest.mark.django_db(databases=["default", "police"])

TYPES = ("window.published", "window.calendar")


def window_data(window: Window, **overrides):
    data = {
        "opening_hours": window.opening_hours,
        "lunch_starts": window.lunch_starts,
        "lunch_ends": window.lunch_ends,
        "counters": window.counters,
        "services": list(window.services),
        "phone": window.phone,
        "address": window.address,
        "active": window.active,
    }
    data.update(overrides)
    return data


def apply_on_portal(rows) -> None:
    """What the portal's agent does with the police zone's messages, without the transport."""
    for row in rows:
        message = contract_for(row.message_type, row.version).model_validate(row.payload)
        handler = handler_for("portal", row.message_type)
        assert handler is not None
        handler(None, message)  # type: ignore[arg-type]


def test_load_reference_publishes_every_window_then_its_calendar(reference_data):
    rows = police_outbox(*TYPES)
    assert len(rows) == 2 * 199
    for window_row, calendar_row in zip(rows[::2], rows[1::2], strict=True):
        assert window_row.message_type == "window.published"
        assert calendar_row.message_type == "window.calendar"
        assert window_row.payload["code"] == calendar_row.payload["window_code"]
        assert window_row.payload["as_of"] == calendar_row.payload["as_of"]
    beishan = next(r.payload for r in rows if r.payload.get("code") == BEISHAN_WINDOW)
    assert beishan["station_name"] == "杭州市公安局西湖区分局北山派出所"
    assert beishan["street_code"] == "330106002"
    assert beishan["services"] == ["permit_first", "permit_endorsement", "permit_reissue"]
    calendar = next(r.payload for r in rows if r.payload.get("window_code") == BEISHAN_WINDOW)
    assert calendar["slot_minutes"] == 20
    assert calendar["hours"][0]["lunch_starts"] == "12:00:00"
    assert calendar["hours"][5]["lunch_starts"] is None  # Saturday morning only
    assert "2026-10-01" in calendar["holidays"]
    assert {"date": "2026-10-10", "as_weekday": 0} in calendar["workdays"]


def test_load_reference_twice_publishes_nothing_more(reference_data):
    before = len(police_outbox())
    report = reference_load()
    assert not report.changed
    assert report.published == 0
    assert len(police_outbox()) == before
    assert WindowCalendar.objects.count() == 199


def test_load_reference_publishes_only_the_window_that_changed(reference_data, tmp_path):
    own = tmp_path / "ref"
    shutil.copytree(PACKAGED_DIR, own)
    path = own / "windows.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["code"] == BEISHAN_WINDOW:
            row["phone"] = "0571-80000000"
        if row["code"] == HUBIN_WINDOW:
            row["lunch_starts"], row["lunch_ends"] = "12:15", "13:45"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    before = len(police_outbox())
    report = reference_load(directory=own)
    new = police_outbox()[before:]
    assert report.published == 3
    assert [(r.message_type, r.aggregate_id) for r in new] == [
        ("window.published", HUBIN_WINDOW),
        ("window.calendar", HUBIN_WINDOW),
        ("window.published", BEISHAN_WINDOW),
    ]
    assert new[0].payload["phone"] != "0571-80000000"
    assert new[2].payload["phone"] == "0571-80000000"


def test_a_bad_calendar_file_is_refused_with_the_rule_in_words(reference_data, tmp_path):
    own = tmp_path / "ref"
    shutil.copytree(PACKAGED_DIR, own)
    holidays = own / "holidays.csv"
    holidays.write_text(
        holidays.read_text(encoding="utf-8") + "2026-09-21,workday,0,错误的调休\n",
        encoding="utf-8",
    )
    before = len(police_outbox())
    with pytest.raises(ReferenceDataError, match="not a Saturday or Sunday") as info:
        reference_load(directory=own)
    assert "调休上班日 2026-09-21 是周一" in info.value.message_zh
    assert len(police_outbox()) == before


def test_the_command_says_what_it_published(db):
    from io import StringIO

    out = StringIO()
    call_command("load_reference", stdout=out)
    assert "预约日历 calendars: 199 (新增 created 199" in out.getvalue()
    assert "published to the portal: 398" in out.getvalue()


def test_wf6_editing_a_window_publishes_it_and_is_audited(beishan_admin):
    window = Window.objects.get(code=BEISHAN_WINDOW)
    before = len(police_outbox())
    window_update(
        user=beishan_admin, code=BEISHAN_WINDOW, data=window_data(window, phone="0571-81112222")
    )
    new = police_outbox()[before:]
    assert [r.message_type for r in new] == ["window.published"]
    assert new[0].payload["phone"] == "0571-81112222"
    audit = AuditEvent.objects.filter(action="window.update").get()
    assert (audit.object_id, audit.detail["fields"]) == (BEISHAN_WINDOW, ["phone"])
    # Saving the same again changes, publishes and audits nothing.
    window_update(
        user=beishan_admin, code=BEISHAN_WINDOW, data=window_data(window, phone="0571-81112222")
    )
    assert len(police_outbox()) == before + 1


def test_moving_the_lunch_break_publishes_the_window_before_its_calendar(beishan_admin):
    window = Window.objects.get(code=BEISHAN_WINDOW)
    before = len(police_outbox())
    window_update(
        user=beishan_admin,
        code=BEISHAN_WINDOW,
        data=window_data(window, lunch_starts="12:00", lunch_ends="13:00"),
    )
    new = police_outbox()[before:]
    assert [r.message_type for r in new] == ["window.published", "window.calendar"]
    assert new[1].payload["hours"][0]["lunch_ends"] == "13:00:00"
    assert new[0].payload["as_of"] == new[1].payload["as_of"]


def test_editing_the_calendar_publishes_it_whole_and_the_portal_takes_it(beishan_admin):
    apply_on_portal(police_outbox(*TYPES))
    before = len(police_outbox())
    window_calendar_update(
        user=beishan_admin,
        code=BEISHAN_WINDOW,
        data=calendar_data(
            closures=[{"date": "2026-12-24", "starts": "09:00", "ends": "12:00", "reason": "升级"}]
        ),
    )
    new = police_outbox()[before:]
    assert [r.message_type for r in new] == ["window.calendar"]
    assert new[0].payload["closures"] == [
        {"date": "2026-12-24", "starts": "09:00:00", "ends": "12:00:00", "reason": "升级"}
    ]
    assert AuditEvent.objects.filter(action="window.calendar_update").count() == 1
    apply_on_portal(new)
    portal = PortalCalendar.objects.get(window__code=BEISHAN_WINDOW)
    assert portal.counters_per_slot == 2
    assert portal.holidays == ["2026-10-01", "2026-10-02"]
    assert portal.closures[0]["reason"] == "升级"
    assert PortalWindow.objects.count() == 199


def test_an_invalid_edit_changes_and_publishes_nothing(beishan_admin):
    before = len(police_outbox())
    with pytest.raises(Exception) as info:
        window_calendar_update(
            user=beishan_admin,
            code=BEISHAN_WINDOW,
            data=calendar_data(workdays=[{"date": "2026-09-21", "as_weekday": 0}]),
        )
    assert getattr(info.value, "code", "") == "window_invalid"
    assert len(police_outbox()) == before
    assert WindowCalendar.objects.get(window__code=BEISHAN_WINDOW).holidays[0] == "2026-01-01"


def test_another_stations_admin_cannot_edit_the_window(hubin_admin):
    window = Window.objects.get(code=BEISHAN_WINDOW)
    with pytest.raises(WindowNotFound):
        window_update(user=hubin_admin, code=BEISHAN_WINDOW, data=window_data(window))
    client = client_for(hubin_admin)
    assert client.get(f"/windows/{BEISHAN_WINDOW}/").status_code == 404
    response = client.post(f"/windows/{BEISHAN_WINDOW}/calendar/", {"slot_minutes": "10"})
    assert response.status_code == 404
    api = client.post(
        f"/api/v1/windows/{BEISHAN_WINDOW}/calendar",
        data=calendar_data(),
        content_type="application/json",
    )
    assert (api.status_code, api.json()["code"]) == (404, "window_not_found")


def test_district_admin_sees_but_cannot_change(district_admin):
    window = Window.objects.get(code=BEISHAN_WINDOW)
    with pytest.raises(WindowError) as info:
        window_update(user=district_admin, code=BEISHAN_WINDOW, data=window_data(window))
    assert info.value.status == 403
    client = client_for(district_admin)
    page = client.get(f"/windows/{BEISHAN_WINDOW}/")
    assert page.status_code == 200
    assert "只有窗口所属派出所的所管理员可以修改" in page.content.decode()
    listing = client.get("/windows/").content.decode()
    assert BEISHAN_WINDOW in listing and HUBIN_WINDOW not in listing


def test_clerk_has_no_window_settings(clerk_client):
    assert clerk_client.get("/windows/").status_code == 403
    assert clerk_client.get(f"/windows/{BEISHAN_WINDOW}/").status_code == 404


def test_the_pages_save_and_show_each_problem_beside_its_field(beishan_admin):
    client = client_for(beishan_admin)
    page = client.get(f"/windows/{BEISHAN_WINDOW}/calendar/")
    assert page.status_code == 200
    assert "2026-10-01" in page.content.decode()
    form = {
        "slot_minutes": "20",
        "counters_per_slot": "2",
        "horizon_days": "14",
        "min_notice_minutes": "120",
        "online_quota_per_day": "30",
        **{f"opens_{d}": "08:30" for d in range(5)},
        **{f"closes_{d}": "17:00" for d in range(5)},
        "opens_5": "09:00",
        "closes_5": "08:00",
        "holidays": "2026-10-01\n2026-10-02",
        "workdays": "2026-09-21 周一",
        "closures": "2026-12-24 09:00-12:00 系统升级",
    }
    refused = client.post(f"/windows/{BEISHAN_WINDOW}/calendar/", form)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "周六的关门时间 08:00 须晚于开门时间 09:00" in text
    assert "调休上班日 2026-09-21 是周一，不是周末" in text
    before = len(police_outbox())
    saved = client.post(
        f"/windows/{BEISHAN_WINDOW}/calendar/",
        {**form, "closes_5": "12:00", "workdays": "2026-10-10 周一"},
    )
    assert saved.status_code == 302
    assert [r.message_type for r in police_outbox()[before:]] == ["window.calendar"]
    calendar = WindowCalendar.objects.get(window__code=BEISHAN_WINDOW)
    assert calendar.closures == [
        {"date": "2026-12-24", "starts": "09:00", "ends": "12:00", "reason": "系统升级"}
    ]
    edit = client.post(
        f"/windows/{BEISHAN_WINDOW}/",
        {
            "opening_hours": "周一至周五 08:30-17:00",
            "lunch_starts": "12:00",
            "lunch_ends": "18:00",
            "counters": "3",
            "services": ["permit_first"],
            "phone": "0571-87654321",
            "address": "杭州市西湖区北山路1号",
            "active": "on",
        },
    )
    assert edit.status_code == 400
    assert "午休须在办公时间之内" in edit.content.decode()


def test_api_reads_and_updates_the_window(beishan_admin):
    client = client_for(beishan_admin)
    listed = client.get("/api/v1/windows").json()
    assert [w["code"] for w in listed] == [BEISHAN_WINDOW]
    assert listed[0]["can_edit"] is True
    calendar = client.get(f"/api/v1/windows/{BEISHAN_WINDOW}/calendar").json()
    assert calendar["hours"][0]["lunch_starts"] == "12:00"
    body = {**listed[0], "counters": 1}
    for key in (
        "code",
        "station_code",
        "station_name",
        "district_code",
        "street_code",
        "name",
        "latitude",
        "longitude",
        "can_edit",
    ):
        body.pop(key)
    refused = client.post(
        f"/api/v1/windows/{BEISHAN_WINDOW}", data=body, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "fewer_than_bookings_per_slot"
    body["counters"] = 4
    saved = client.post(
        f"/api/v1/windows/{BEISHAN_WINDOW}", data=body, content_type="application/json"
    )
    assert (saved.status_code, saved.json()["counters"]) == (200, 4)


def test_the_data_file_says_where_the_holidays_come_from():
    text = (Path(PACKAGED_DIR) / "holidays.csv").read_text(encoding="utf-8")
    assert "国务院办公厅关于2026年部分节假日安排的通知" in text
    assert "A deployment edits its own copy" in text
