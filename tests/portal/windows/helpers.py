"""A small directory for the window tests, published through the real mirror services as the
ferry handlers would apply it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from onetrip.contracts.booking import OpeningHoursV1, WindowCalendarV1, WindowPublishedV1
from onetrip.portal.windows.models import Window
from onetrip.portal.windows.services import window_calendar_apply, window_published_apply

BEISHAN = "33010650002001"
XIXI = "33010650004001"
HUBIN = "33010250003001"
QIANDAOHU = "33012750100001"
CUIYUAN_CLOSED = "33010650005001"

# Where each test window stands (approximate, as the police zone publishes them).
WINDOWS: dict[str, dict[str, Any]] = {
    BEISHAN: {
        "station_name": "北山派出所",
        "district_code": "330106",
        "street_code": "330106002",
        "name": "北山派出所户籍窗口",
        "address": "杭州市西湖区北山路262号",
        "phone": "0571-85601989",
        "latitude": 30.262,
        "longitude": 120.150,
    },
    XIXI: {
        "station_name": "西溪派出所",
        "district_code": "330106",
        "street_code": "330106004",
        "name": "西溪派出所户籍窗口",
        "address": "杭州市西湖区文三路100号",
        "phone": "0571-88800001",
        "latitude": 30.275,
        "longitude": 120.130,
    },
    HUBIN: {
        "station_name": "湖滨派出所",
        "district_code": "330102",
        "street_code": "330102003",
        "name": "湖滨派出所户籍窗口",
        "address": "杭州市上城区东坡路8号",
        "phone": "0571-87000001",
        "latitude": 30.258,
        "longitude": 120.165,
    },
    QIANDAOHU: {
        "station_name": "千岛湖派出所",
        "district_code": "330127",
        "street_code": "330127100",
        "name": "千岛湖派出所户籍窗口",
        "address": "淳安县千岛湖镇新安东路1号",
        "phone": "0571-64800001",
        "latitude": 29.605,
        "longitude": 119.040,
    },
    CUIYUAN_CLOSED: {
        "station_name": "翠苑派出所",
        "district_code": "330106",
        "street_code": "330106005",
        "name": "翠苑派出所户籍窗口（停办）",
        "address": "杭州市西湖区翠苑路1号",
        "phone": "0571-88800002",
        "latitude": 30.290,
        "longitude": 120.120,
        "active": False,
    },
}


def publish(code: str, **changes: Any) -> Window:
    fields: dict[str, Any] = {
        "code": code,
        "station_code": code[:12],
        "station_name": "测试派出所",
        "district_code": code[:6],
        "name": f"测试窗口{code[-4:]}",
        "address": "杭州市测试路1号",
        "opening_hours_text": "周一至周五 08:30-12:00, 13:30-17:00",
        "counters": 2,
        "services": ["permit_first", "permit_endorsement"],
        "active": True,
        "as_of": timezone.now(),
        **WINDOWS.get(code, {}),
        **changes,
    }
    window_published_apply(message=WindowPublishedV1(**fields))
    return Window.objects.get(code=code)


def publish_all() -> dict[str, Window]:
    return {code: publish(code) for code in WINDOWS}


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


def publish_calendar(code: str, **changes: Any) -> None:
    fields: dict[str, Any] = {
        "window_code": code,
        "slot_minutes": 20,
        "counters_per_slot": 2,
        "horizon_days": 14,
        "min_notice_minutes": 120,
        "online_quota_per_day": 40,
        "hours": WEEKDAY_HOURS,
        "as_of": timezone.now(),
        **changes,
    }
    window_calendar_apply(message=WindowCalendarV1(**fields))
