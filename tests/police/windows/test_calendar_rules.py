"""The rules of a window and its capacity calendar, as the workbench, the API and the reference
files all apply them (`police/stations/services.py`): every problem at once, each in Chinese
words naming the value (WF-2 APPOINTMENT_BOOKED, DESIGN §7)."""

from __future__ import annotations

import datetime as dt

import pytest

from onetrip.police.stations.errors import WindowInvalid
from onetrip.police.stations.services import (
    calendar_clean,
    calendar_lists_from_text,
    lunch_for_day,
    window_clean,
)

from .conftest import calendar_data

LUNCH = (dt.time(12, 0), dt.time(13, 30))


def problems(data, *, counters=3, lunch=LUNCH):
    with pytest.raises(WindowInvalid) as info:
        calendar_clean(data=data, window_counters=counters, lunch=lunch)
    assert info.value.status == 400
    found: dict[tuple[str, str], str] = {}
    for e in info.value.errors:
        found.setdefault((e.field, e.code), e.message_zh)
    return found


def test_a_valid_calendar_is_stored_in_order():
    values = calendar_clean(data=calendar_data(), window_counters=3, lunch=LUNCH)
    assert values["hours"][0] == {"weekday": 0, "opens": "08:30", "closes": "17:00"}
    assert values["holidays"] == ["2026-10-01", "2026-10-02"]
    assert values["workdays"] == [{"date": "2026-10-10", "as_weekday": 0}]


def test_wf2_holidays_are_dates_kept_once_and_sorted():
    values = calendar_clean(
        data=calendar_data(holidays=["2026-10-02", "2026-10-01", "2026-10-02"]),
        window_counters=3,
        lunch=LUNCH,
    )
    assert values["holidays"] == ["2026-10-01", "2026-10-02"]
    found = problems(calendar_data(holidays=["2026-02-30", "国庆"]))
    assert "2026-02-30" in found[("holidays", "date_format")]


def test_wf2_tiaoxiu_saturday_is_a_working_day():
    values = calendar_clean(
        data=calendar_data(workdays=[{"date": "2026-02-28", "as_weekday": "周五"}]),
        window_counters=3,
        lunch=LUNCH,
    )
    assert values["workdays"] == [{"date": "2026-02-28", "as_weekday": 4}]


def test_wf2_tiaoxiu_on_a_weekday_is_refused_in_words():
    found = problems(calendar_data(workdays=[{"date": "2026-09-21", "as_weekday": 0}]))
    assert found[("workdays", "workday_not_weekend")] == (
        "调休上班日 2026-09-21 是周一，不是周末；调休上班日须为周六或周日"
    )


def test_wf2_tiaoxiu_that_is_also_a_holiday_or_a_closed_weekday_is_refused():
    found = problems(
        calendar_data(
            holidays=["2026-10-10"],
            workdays=[{"date": "2026-10-10", "as_weekday": 0}],
        )
    )
    assert ("workdays", "workday_is_holiday") in found
    hours = [{"weekday": d, "opens": "08:30", "closes": "17:00"} for d in range(1, 5)]
    found = problems(calendar_data(hours=hours, workdays=[{"date": "2026-10-10"}]))
    assert "周一不办公" in found[("workdays", "as_weekday_closed")]


def test_wf2_lunch_break_outside_the_opening_hours_is_refused():
    found = problems(calendar_data(), lunch=(dt.time(11, 30), dt.time(13, 0)))
    # Saturday 09:00–12:00 is cut by a lunch starting at 11:30.
    assert "周六的办公时间 09:00–12:00" in found[("hours", "lunch_outside_hours")]
    found = problems(calendar_data(), lunch=(dt.time(17, 30), dt.time(18, 0)))
    assert "不在任何一天的办公时间之内" in found[("hours", "lunch_outside_hours")]


def test_wf2_lunch_break_applies_only_to_days_that_hold_it():
    assert lunch_for_day(dt.time(8, 30), dt.time(17, 0), LUNCH) == LUNCH
    assert lunch_for_day(dt.time(9, 0), dt.time(12, 0), LUNCH) == (None, None)


def test_window_lunch_break_must_be_whole_ordered_and_inside_the_hours():
    hours = calendar_data()["hours"]

    def refused(**data):
        base = {
            "opening_hours": "周一至周五",
            "counters": 3,
            "services": ["permit_first"],
            "address": "杭州市西湖区北山路1号",
            "phone": "0571-87654321",
            "active": True,
        }
        with pytest.raises(WindowInvalid) as info:
            window_clean(data={**base, **data}, hours=hours, counters_per_slot=2)
        return {(e.field, e.code): e.message_zh for e in info.value.errors}

    assert ("lunch_starts", "lunch_incomplete") in refused(lunch_starts="12:00")
    assert ("lunch_starts", "lunch_order") in refused(lunch_starts="13:30", lunch_ends="12:00")
    assert ("lunch_starts", "lunch_outside_hours") in refused(
        lunch_starts="07:00", lunch_ends="09:00"
    )
    assert ("lunch_starts", "time_format") in refused(lunch_starts="12点", lunch_ends="13:30")
    found = refused(counters=1, services=[], phone="call me", address="")
    assert "柜台数（1）不能少于" in found[("counters", "fewer_than_bookings_per_slot")]
    assert ("services", "services_required") in found
    assert ("phone", "phone_format") in found
    assert ("address", "required") in found
    assert ("services", "service_unknown") in refused(services=["passport"])


def test_closes_before_opens_and_bad_times_are_refused():
    hours = [
        {"weekday": 0, "opens": "17:00", "closes": "08:30"},
        {"weekday": 1, "opens": "8点", "closes": "17:00"},
        {"weekday": 2, "opens": "08:30", "closes": ""},
        {"weekday": 0, "opens": "08:30", "closes": "17:00"},
    ]
    found = problems(calendar_data(hours=hours), lunch=(None, None))
    assert found[("hours", "closes_before_opens")] == "周一的关门时间 08:30 须晚于开门时间 17:00"
    assert ("hours", "time_format") in found
    assert ("hours", "hours_incomplete") in found
    assert ("hours", "weekday_twice") in found


def test_numbers_out_of_range_and_bookings_beyond_the_counters_are_refused_all_at_once():
    found = problems(
        calendar_data(
            slot_minutes=7,
            counters_per_slot=4,
            horizon_days=0,
            min_notice_minutes="soon",
            online_quota_per_day=20_000,
        )
    )
    assert found[("slot_minutes", "slot_not_multiple_of_5")]
    assert found[("counters_per_slot", "more_than_counters")] == (
        "每个时段可预约人数（4）不能超过窗口的柜台数（3）"
    )
    assert found[("horizon_days", "out_of_range")] == "可提前预约天数须在1至90之间，现为0"
    assert ("min_notice_minutes", "not_a_number") in found
    assert ("online_quota_per_day", "out_of_range") in found


def test_closures_whole_day_or_part_of_it():
    values = calendar_clean(
        data=calendar_data(
            closures=[
                {"date": "2026-12-24", "starts": "09:00", "ends": "12:00", "reason": "系统升级"},
                {"date": "2026-12-23", "reason": ""},
            ]
        ),
        window_counters=3,
        lunch=LUNCH,
    )
    assert [c["date"] for c in values["closures"]] == ["2026-12-23", "2026-12-24"]
    assert values["closures"][0]["starts"] is None
    found = problems(
        calendar_data(
            closures=[
                {"date": "2026-12-24", "starts": "09:00"},
                {"date": "2026-12-25", "starts": "12:00", "ends": "09:00"},
                {"date": "2026-12-26", "reason": "维修\x00"},
            ]
        )
    )
    assert ("closures", "closure_incomplete") in found
    assert ("closures", "closure_order") in found
    assert ("closures", "control_character") in found


def test_what_an_admin_types_is_split_into_lists():
    lists = calendar_lists_from_text(
        holidays="2026-10-01 国庆节\r\n\n2026-10-02",
        workdays="2026-10-10 周一\n2026-09-20",
        closures="2026-12-24 09:00-12:00 系统 升级\n2026-12-25 全天停电",
    )
    assert lists["holidays"] == ["2026-10-01", "2026-10-02"]
    assert lists["workdays"] == [
        {"date": "2026-10-10", "as_weekday": "周一"},
        {"date": "2026-09-20", "as_weekday": ""},
    ]
    assert lists["closures"][0] == {
        "date": "2026-12-24",
        "starts": "09:00",
        "ends": "12:00",
        "reason": "系统 升级",
    }
    assert lists["closures"][1]["starts"] is None
