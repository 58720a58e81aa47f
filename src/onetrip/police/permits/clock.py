"""The legal clock of a permit case (NAT-12, ZJ-16, WF-2): the permit is issued within 15 days
of acceptance, extendable by the city to at most 30.

The law says "日" (days) and some local guides say "工作日" (working days): the unit is a
deployment setting, calendar days by default, the reading of the national text and the shorter
of the two. Working days follow the station's calendar: its weekly hours, public holidays and
make-up working days (调休), the same lists the booking calendar uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LEGAL_MAX_DAYS = 30
DEFAULT_DAYS = 15
UNITS = ("calendar", "working")


@dataclass(frozen=True)
class ClockRule:
    days: int
    unit: str


def clock_rule() -> ClockRule:
    """The deployment's rule, refused at use if it exceeds what the law allows."""
    days = int(settings.ONETRIP_PERMIT_ISSUE_DAYS)
    unit = str(settings.ONETRIP_PERMIT_ISSUE_DAY_UNIT)
    if not 1 <= days <= LEGAL_MAX_DAYS:
        raise ImproperlyConfigured(
            f"ONETRIP_PERMIT_ISSUE_DAYS must lie between 1 and {LEGAL_MAX_DAYS} (NAT-12): {days}"
        )
    if unit not in UNITS:
        raise ImproperlyConfigured(f"ONETRIP_PERMIT_ISSUE_DAY_UNIT must be one of {UNITS}: {unit}")
    return ClockRule(days=days, unit=unit)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days a station works: weekdays with hours, minus holidays, plus 调休 days."""

    weekdays: frozenset[int]
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    @classmethod
    def from_lists(
        cls,
        *,
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[str | dt.date] = (),
        workdays: Iterable[str | dt.date] = (),
    ) -> WorkingCalendar:
        def day(value: str | dt.date) -> dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)

        return cls(
            weekdays=frozenset(weekdays),
            holidays=frozenset(day(d) for d in holidays),
            workdays=frozenset(day(d) for d in workdays),
        )

    def works_on(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays


def due_date(accepted_on: dt.date, *, rule: ClockRule, calendar: WorkingCalendar) -> dt.date:
    """The last day on which the permit may be issued for a case accepted on `accepted_on`.

    As with any legal time limit, the day of acceptance is not counted (民法典 Art. 201)."""
    if rule.unit == "calendar":
        return accepted_on + dt.timedelta(days=rule.days)
    day, counted = accepted_on, 0
    while counted < rule.days:
        day += dt.timedelta(days=1)
        if calendar.works_on(day):
            counted += 1
    return day


def days_left(due_on: dt.date, *, today: dt.date) -> int:
    """Calendar days until the due day: 0 on it, negative once overdue."""
    return (due_on - today).days
