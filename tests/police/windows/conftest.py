"""Fixtures for the window directory, capacity calendars, appointments and coverage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onetrip.contracts.booking import BookingMadeV1
from onetrip.ferry.registry import get_store
from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403
from tests.fixtures import staff

BEISHAN_WINDOW = "33010650002001"
HUBIN_WINDOW = "33010250003001"


def client_for(user: Any) -> Client:
    client = Client(HTTP_HOST="police.testserver")
    client.force_login(user)
    return client


@pytest.fixture
def beishan_admin(beishan):
    return staff("admin_beishan", "station_admin", beishan)


@pytest.fixture
def hubin_admin(hubin):
    return staff("admin_hubin", "station_admin", hubin)


@pytest.fixture
def district_admin(reference_data):
    return staff("admin_xihu", "district_admin", None, "330106")


@pytest.fixture
def city_admin(reference_data):
    return staff("admin_city", "city_admin", None)


@pytest.fixture
def reviewer(beishan):
    return staff("reviewer_beishan", "reviewer", beishan)


def police_outbox(*types: str) -> list[Any]:
    rows = get_store("police").outbox.objects.order_by("id")
    if types:
        rows = rows.filter(message_type__in=types)
    return list(rows)


def calendar_data(**overrides: Any) -> dict[str, Any]:
    """A valid calendar for a window with 3 counters and the 12:00–13:30 lunch break."""
    data: dict[str, Any] = {
        "slot_minutes": 20,
        "counters_per_slot": 2,
        "horizon_days": 14,
        "min_notice_minutes": 120,
        "online_quota_per_day": 30,
        "hours": [
            *({"weekday": d, "opens": "08:30", "closes": "17:00"} for d in range(5)),
            {"weekday": 5, "opens": "09:00", "closes": "12:00"},
        ],
        "holidays": ["2026-10-01", "2026-10-02"],
        "workdays": [{"date": "2026-10-10", "as_weekday": 0}],
        "closures": [],
    }
    data.update(overrides)
    return data


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on today's date in Asia/Shanghai, whatever the clock says."""
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0)


def booking(
    reference: str = "YY26120100000001",
    *,
    window: str = BEISHAN_WINDOW,
    starts_at: dt.datetime | None = None,
    minutes: int = 20,
) -> BookingMadeV1:
    starts = starts_at or today_at(23)
    return BookingMadeV1(
        reference=reference,
        window_code=window,
        service="permit_first",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
        name="张三",
        phone_masked="138****8000",
        application_reference="PA26112700000001",
        booked_at=timezone.now() - dt.timedelta(days=1),
    )
