"""The legal deadline of an organisation's report (DOMAIN WF-4, ZJ-6…ZJ-9): the event date plus
3 working days.

Working days are the legal ones (法定工作日): Monday to Friday, less the public holidays, plus the
make-up working days (调休) of the State Council's yearly notice. A station's opening hours do not
move an employer's deadline, so the weekly hours of the windows play no part. The city keeps its
holidays and 调休 days on every window's calendar (`police/stations/services.py::reference_load`
puts `holidays.csv` on each one); the city's calendar is the list most active windows carry, so
one station administrator's own edit of a window does not move the whole city's deadlines.

The calendar is read once a minute at most: a batch of reports would otherwise read every
window's calendar for each message, and holidays are published months ahead.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

from onetrip.police.permits.clock import ClockRule, WorkingCalendar, due_date
from onetrip.police.stations.models import WindowCalendar

REPORT_WORKING_DAYS = 3
REPORT_RULE = ClockRule(days=REPORT_WORKING_DAYS, unit="working")
CALENDAR_TTL_SECONDS = 60.0

_lock = threading.Lock()
_cached: tuple[float, WorkingCalendar] | None = None


def _read_city_calendar() -> WorkingCalendar:
    votes: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    rows = WindowCalendar.objects.filter(window__active=True).values_list("holidays", "workdays")
    for holidays, workdays in rows:
        key = (
            tuple(sorted(str(d) for d in holidays or ())),
            tuple(sorted(str(w["date"]) for w in workdays or ())),
        )
        votes[key] += 1
    holidays, workdays = votes.most_common(1)[0][0] if votes else ((), ())
    return WorkingCalendar.from_lists(weekdays=range(5), holidays=holidays, workdays=workdays)


def city_working_calendar() -> WorkingCalendar:
    """The city's legal working days (see the module's docstring), read at most once a minute."""
    global _cached
    now = time.monotonic()
    kept = _cached
    if kept is not None and now - kept[0] < CALENDAR_TTL_SECONDS:
        return kept[1]
    calendar = _read_city_calendar()
    with _lock:
        _cached = (now, calendar)
    return calendar


def forget_city_calendar() -> None:
    """Read the calendar afresh next time (after the holidays changed, and between tests)."""
    global _cached
    with _lock:
        _cached = None


def report_due_on(event_date: dt.date, *, calendar: WorkingCalendar) -> dt.date:
    """The last day on which an event of `event_date` may be reported (WF-4). As with any legal
    time limit, the day of the event is not counted (民法典 Art. 201)."""
    return due_date(event_date, rule=REPORT_RULE, calendar=calendar)
