"""The calendar's edge cases, pure (no database): a holiday, a 调休 Saturday, the lunch break,
minimum notice across midnight, closures and the horizon (DESIGN §7)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from onetrip.portal.booking.calendar import TZ, Rules

from .booking_helpers import MONDAY, at, calendar_message


def rules(**changes: Any) -> Rules:
    message = calendar_message(**changes)
    data = message.model_dump(mode="json", exclude={"window_code", "as_of"})
    return Rules.of(SimpleNamespace(**data))


def starts(slots: list[Any]) -> list[str]:
    return [f"{s.starts_at.astimezone(TZ):%H:%M}" for s in slots]


def test_a_weekday_is_cut_into_slots_around_the_lunch_break():
    day = rules().day_slots(MONDAY)
    times = starts(day)
    assert times[0] == "08:30" and times[-1] == "16:30"
    assert "11:30" in times and "11:50" not in times  # 11:50-12:10 would run into lunch
    assert "13:30" in times and not any("12:00" <= t < "13:30" for t in times)
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=20) for s in day)


def test_a_slot_never_overlaps_the_lunch_break_when_the_length_does_not_divide_the_morning():
    day = rules(slot_minutes=25).day_slots(MONDAY)
    morning = [s for s in day if s.starts_at < at(MONDAY, 12)]
    assert max(s.ends_at for s in morning) <= at(MONDAY, 12)
    assert starts(morning)[-1] == "11:25"
    assert min(s.starts_at for s in day if s.starts_at >= at(MONDAY, 12)) == at(MONDAY, 13, 30)


def test_a_holiday_is_closed_and_a_weekend_has_no_hours():
    r = rules(holidays=[MONDAY])
    assert r.day_slots(MONDAY) == []
    assert r.day_slots(MONDAY + dt.timedelta(days=5)) == []  # Saturday
    assert len(r.day_slots(MONDAY + dt.timedelta(days=1))) == 20


def test_a_make_up_saturday_is_worked_with_the_hours_of_its_weekday():
    saturday = MONDAY + dt.timedelta(days=5)
    r = rules(workdays=[{"date": saturday, "as_weekday": 0}])
    assert starts(r.day_slots(saturday)) == starts(r.day_slots(MONDAY))
    assert r.day_slots(saturday)[0].starts_at == at(saturday, 8, 30)


def test_a_holiday_wins_over_a_make_up_day_listed_for_the_same_date():
    saturday = MONDAY + dt.timedelta(days=5)
    r = rules(holidays=[saturday], workdays=[{"date": saturday, "as_weekday": 0}])
    assert r.day_slots(saturday) == []


def test_a_closure_removes_the_slots_it_overlaps_and_a_whole_day_closure_all():
    r = rules(
        closures=[
            {"date": MONDAY, "starts": dt.time(14, 0), "ends": dt.time(15, 0)},
            {"date": MONDAY + dt.timedelta(days=1)},
        ]
    )
    times = starts(r.day_slots(MONDAY))
    assert "13:50" not in times and "14:50" not in times and "13:30" in times
    assert "15:10" in times
    assert r.day_slots(MONDAY + dt.timedelta(days=1)) == []


def test_minimum_notice_is_counted_across_midnight():
    sunday_late = at(MONDAY - dt.timedelta(days=1), 23, 0)
    # 10 hours from 23:00 on Sunday is 09:00 on Monday: 08:30 and 08:50 are too soon.
    first = rules(min_notice_minutes=600).bookable_slots(sunday_late)[0]
    assert first.starts_at == at(MONDAY, 9, 10)
    # Two hours from 23:00 is 01:00: the whole of Monday may be booked.
    assert rules(min_notice_minutes=120).bookable_slots(sunday_late)[0].starts_at == at(
        MONDAY, 8, 30
    )


def test_nothing_is_bookable_beyond_the_horizon_nor_in_the_past():
    now = at(MONDAY, 10, 0)
    slots = rules(horizon_days=3, min_notice_minutes=0).bookable_slots(now)
    assert min(s.starts_at for s in slots) >= now
    assert max(s.day for s in slots) == MONDAY + dt.timedelta(days=3)


def test_times_are_asia_shanghai_wall_clock_the_whole_year():
    summer = dt.date(2027, 7, 5)  # a Monday; China keeps UTC+8 all year
    slot = rules().day_slots(summer)[0]
    assert slot.starts_at.utcoffset() == dt.timedelta(hours=8)
    assert slot.starts_at.astimezone(dt.UTC).time() == dt.time(0, 30)
