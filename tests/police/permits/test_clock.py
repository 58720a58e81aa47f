"""The legal clock (NAT-12): 15 days from acceptance, at most 30, in calendar days by default
or in the station's working days, across holidays and make-up working days (调休)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onetrip.police.permits.clock import ClockRule, WorkingCalendar, days_left, due_date

# 2026's National Day holiday as the State Council set it: 1–7 October off, Sunday 28 September
# (2025) style make-up days; here Saturday 10 October 2026 is worked.
NATIONAL_DAY = WorkingCalendar.from_lists(
    holidays=[f"2026-10-0{d}" for d in range(1, 8)], workdays=["2026-10-10"]
)


def test_nat12_calendar_days_do_not_count_the_day_of_acceptance():
    rule = ClockRule(days=15, unit="calendar")
    assert due_date(dt.date(2026, 9, 28), rule=rule, calendar=NATIONAL_DAY) == dt.date(2026, 10, 13)


def test_nat12_working_days_skip_the_holiday_and_count_the_make_up_saturday():
    rule = ClockRule(days=15, unit="working")
    # 29–30 Sep (2), 8–9 Oct (2), Sat 10 Oct (1), 12–16 (5), 19–23 (5) → 15 on Friday 23 Oct.
    assert due_date(dt.date(2026, 9, 28), rule=rule, calendar=NATIONAL_DAY) == dt.date(2026, 10, 23)
    without_make_up = WorkingCalendar.from_lists(holidays=[f"2026-10-0{d}" for d in range(1, 8)])
    assert due_date(dt.date(2026, 9, 28), rule=rule, calendar=without_make_up) == dt.date(
        2026, 10, 26
    )


def test_days_left_is_negative_once_overdue():
    assert days_left(dt.date(2026, 12, 16), today=dt.date(2026, 12, 16)) == 0
    assert days_left(dt.date(2026, 12, 16), today=dt.date(2026, 12, 18)) == -2


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    days=st.integers(min_value=1, max_value=30),
)
def test_nat12_a_working_day_limit_never_ends_before_the_calendar_one(start, days):
    calendar = WorkingCalendar.from_lists()
    working = due_date(start, rule=ClockRule(days=days, unit="working"), calendar=calendar)
    plain = due_date(start, rule=ClockRule(days=days, unit="calendar"), calendar=calendar)
    assert working >= plain
    assert calendar.works_on(working)


@pytest.mark.parametrize("unit", ["calendar", "working"])
def test_nat12_the_due_day_is_after_acceptance(unit):
    rule = ClockRule(days=1, unit=unit)
    assert due_date(dt.date(2026, 12, 4), rule=rule, calendar=WorkingCalendar.from_lists()) > (
        dt.date(2026, 12, 4)
    )
