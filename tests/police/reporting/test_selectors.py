"""Reads of reported stays and late reporters (WF-4, ZJ-20): scope, order, pages, periods."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from onetrip.police.reporting.selectors import late_organisations_for_staff, stays_for_staff
from onetrip.police.reporting.services import report_rows_apply
from tests.fixtures import staff

from .helpers import approved, arrival, chunk, departure

pytestmark = pytest.mark.django_db(databases=["default", "police"])

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)


def test_stays_newest_report_first_a_page_at_a_time(beishan, settings):
    settings.ONETRIP_QUEUE_PAGE_SIZE = 2
    approved()
    today = timezone.localdate()
    for n in range(3):
        day = today - dt.timedelta(days=3 - n)
        report_rows_apply(message=chunk([arrival(1, n, day)], reported_at=at(day), number=n + 1))
    clerk = staff("clerk_beishan", "window_clerk", beishan)
    first = stays_for_staff(user=clerk)
    assert [s.row for s in first.stays] == [1, 1]
    assert [s.started_on for s in first.stays] == [
        today - dt.timedelta(days=1),
        today - dt.timedelta(days=2),
    ]
    assert first.has_next
    second = stays_for_staff(user=clerk, page=2)
    assert [s.started_on for s in second.stays] == [today - dt.timedelta(days=3)]
    assert not second.has_next


def test_wf4_a_period_counts_only_the_late_events_within_it(beishan):
    approved()
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=200)
    # Reported late 200 days ago (a week after the arrival), left on time last week.
    report_rows_apply(
        message=chunk([arrival(1, 1, long_ago)], reported_at=at(long_ago + dt.timedelta(days=9)))
    )
    last_week = today - dt.timedelta(days=7)
    report_rows_apply(message=chunk([departure(1, 1, last_week)], reported_at=at(last_week)))
    clerk = staff("clerk_beishan", "window_clerk", beishan)
    assert late_organisations_for_staff(user=clerk, since=today - dt.timedelta(days=30)) == []
    [all_time] = late_organisations_for_staff(user=clerk)
    assert (all_time.late_arrivals, all_time.late_departures, all_time.persons) == (1, 0, 1)
    assert all_time.possible_fine_yuan == 100
