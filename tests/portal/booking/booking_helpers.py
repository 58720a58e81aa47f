"""A window with a capacity calendar, put in through the portal's own mirror services (as the
ferry would), and residents to book with. Times are fixed in 2027 so every case is about the
calendar, never about today's date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from onetrip.common.db import atomic_for
from onetrip.contracts.booking import OpeningHoursV1, WindowCalendarV1, WindowPublishedV1
from onetrip.portal.booking.calendar import TZ
from onetrip.portal.windows.models import Window
from onetrip.portal.windows.services import window_calendar_apply, window_published_apply

WINDOW_CODE = "33010650002001"
MONDAY = dt.date(2027, 1, 4)  # a Monday; 2027-01-01 is a Friday
AS_OF = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    """A wall-clock time in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(hh, mm), TZ)


def window_message(code: str = WINDOW_CODE, **changes: Any) -> WindowPublishedV1:
    fields: dict[str, Any] = {
        "code": code,
        "station_code": "330106500020",
        "station_name": "北山派出所",
        "district_code": "330106",
        "street_code": "330106002",
        "name": "北山派出所户籍窗口",
        "address": "杭州市西湖区北山路262号",
        "phone": "0571-85601989",
        "opening_hours_text": "周一至周五 08:30-12:00, 13:30-17:00",
        "counters": 3,
        "services": ["permit_first", "permit_endorsement"],
        "latitude": 30.26,
        "longitude": 120.15,
        "active": True,
        "as_of": AS_OF,
    }
    return WindowPublishedV1(**{**fields, **changes})


WEEKDAY_HOURS = [
    OpeningHoursV1(
        weekday=d,
        opens=dt.time(8, 30),
        closes=dt.time(17, 0),
        lunch_starts=dt.time(12, 0),
        lunch_ends=dt.time(13, 30),
    )
    for d in range(5)
]


def calendar_message(code: str = WINDOW_CODE, **changes: Any) -> WindowCalendarV1:
    fields: dict[str, Any] = {
        "window_code": code,
        "slot_minutes": 20,
        "counters_per_slot": 3,
        "horizon_days": 14,
        "min_notice_minutes": 120,
        "online_quota_per_day": 200,
        "hours": WEEKDAY_HOURS,
        "holidays": [],
        "workdays": [],
        "closures": [],
        "as_of": AS_OF,
    }
    return WindowCalendarV1(**{**fields, **changes})


def put_window(code: str = WINDOW_CODE, **calendar: Any) -> Window:
    with atomic_for(Window):
        window_published_apply(message=window_message(code))
        window_calendar_apply(message=calendar_message(code, **calendar))
    return Window.objects.get(code=code)


@pytest.fixture
def booking_window(db) -> Callable[..., Window]:
    return put_window


def make_residents(n: int, start: int = 0) -> list[Any]:
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    out = []
    for i in range(start, start + n):
        phone = f"139{i:08d}"
        out.append(Resident.objects.create(phone=phone, phone_hash=phone_hash_of(phone)))
    return out


@pytest.fixture
def residents(db) -> Callable[[int], list[Any]]:
    return make_residents
