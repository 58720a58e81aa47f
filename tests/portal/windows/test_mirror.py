"""The portal's copy of the window directory and calendars: the newest snapshot wins, a late
older one changes nothing, a calendar for an unknown window waits for its window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.contracts.booking import OpeningHoursV1, WindowCalendarV1, WindowPublishedV1
from onetrip.portal.windows.models import Window, WindowCalendar
from onetrip.portal.windows.services import window_calendar_apply, window_published_apply

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def window(as_of: dt.datetime, **changes) -> WindowPublishedV1:
    fields = {
        "code": "33010650002001",
        "station_code": "330106500020",
        "station_name": "北山派出所",
        "district_code": "330106",
        "street_code": "330106002",
        "name": "北山派出所户籍窗口",
        "address": "杭州市西湖区北山路262号",
        "phone": "0571-85601989",
        "opening_hours_text": "周一至周五 08:30-12:00, 13:30-17:00",
        "counters": 2,
        "services": ["permit_first", "permit_endorsement"],
        "latitude": 30.26,
        "longitude": 120.15,
        "active": True,
        "as_of": as_of,
    }
    return WindowPublishedV1(**{**fields, **changes})


def calendar(as_of: dt.datetime, **changes) -> WindowCalendarV1:
    fields = {
        "window_code": "33010650002001",
        "slot_minutes": 20,
        "counters_per_slot": 2,
        "horizon_days": 14,
        "min_notice_minutes": 120,
        "online_quota_per_day": 40,
        "hours": [
            OpeningHoursV1(
                weekday=d,
                opens=dt.time(8, 30),
                closes=dt.time(17, 0),
                lunch_starts=dt.time(12, 0),
                lunch_ends=dt.time(13, 30),
            )
            for d in range(5)
        ],
        "holidays": [dt.date(2027, 1, 1)],
        "as_of": as_of,
    }
    return WindowCalendarV1(**{**fields, **changes})


def test_the_newest_window_snapshot_wins_and_a_late_older_one_changes_nothing():
    now = timezone.now()
    assert window_published_apply(message=window(now)) is not None
    assert window_published_apply(message=window(now + dt.timedelta(seconds=5), phone="110"))
    assert (
        window_published_apply(message=window(now + dt.timedelta(seconds=1), phone="old")) is None
    )
    assert Window.objects.get().phone == "110"


def test_a_calendar_is_kept_whole_and_waits_for_its_window():
    now = timezone.now()
    assert window_calendar_apply(message=calendar(now)) is None
    window_published_apply(message=window(now))
    kept = window_calendar_apply(message=calendar(now))
    assert kept is not None and kept.hours[0]["lunch_starts"] == "12:00:00"
    assert kept.holidays == ["2027-01-01"]
    assert window_calendar_apply(message=calendar(now - dt.timedelta(1), slot_minutes=30)) is None
    window_calendar_apply(message=calendar(now + dt.timedelta(1), slot_minutes=30))
    assert WindowCalendar.objects.get().slot_minutes == 30
