"""The bulk apply is set-based: a message of 1,000 rows costs a fixed number of statements, the
same as a message of 10 rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onetrip.police.reporting.deadlines import city_working_calendar
from onetrip.police.reporting.models import ReportedStay
from onetrip.police.reporting.services import report_rows_apply

from .helpers import OTHER_CREDIT, approved, arrival, chunk, departure, house

pytestmark = pytest.mark.django_db(databases=["default", "police"])

# The organisation; the stations of the communities; the houses; the persons, their stays and
# their declarations; persons, stays, sources (two), conflicts and the organisations they name;
# the closed stays; the persons reported again; the answer; the savepoint around it all.
MAX_STATEMENTS = 20


def mixed(rows: int, day: dt.date, offset: int = 0):
    """Arrivals of new people, with a tenth of the rows about people already reported: a second
    organisation's arrivals at another place on the same day (conflicts) and departures."""
    people = []
    for i in range(rows):
        serial = offset + i
        if i % 10 == 9:
            people.append(departure(i + 1, serial - 5, day))
        else:
            people.append(arrival(i + 1, serial, day, house_ref=f"H{i % 7}"))
    return people


def statements(message) -> list[str]:
    with CaptureQueriesContext(connections["police"]) as captured:
        report_rows_apply(message=message)
    return [q["sql"] for q in captured.captured_queries]


def test_apply_is_set_based_whatever_the_number_of_rows(beishan, django_assert_max_num_queries):
    approved()
    approved(OTHER_CREDIT, kind="property_management", name="杭州示例物业有限公司")
    city_working_calendar()  # read once a minute, not per message
    day = timezone.localdate() - dt.timedelta(days=1)
    small = statements(chunk(mixed(10, day), [house(11, "H0")], number=1))
    big = mixed(1000, day, offset=100)
    with django_assert_max_num_queries(MAX_STATEMENTS, connection=connections["police"]):
        answer = report_rows_apply(
            message=chunk(big, [house(1001 + i, f"H{i}") for i in range(7)], number=2)
        )
    assert answer.applied == 1000 + 6  # H0 was reported before, unchanged
    again = [
        arrival(r.row, 100 + r.row - 1, day, relation="tenant", address="曙光路 99 号")
        for r in big[:999]
        if r.event == "arrived"
    ]
    other = chunk(again, credit_code=OTHER_CREDIT, kind="property_management", number=3)
    with CaptureQueriesContext(connections["police"]) as captured:
        answer = report_rows_apply(message=other)
    assert answer.conflicts == len(again)
    assert len(captured.captured_queries) <= MAX_STATEMENTS
    assert len(small) <= MAX_STATEMENTS
    assert ReportedStay.objects.count() == 9 + 900 + len(again)


def test_a_thousand_departures_are_one_update(beishan, django_assert_max_num_queries):
    approved()
    city_working_calendar()
    day = timezone.localdate() - dt.timedelta(days=2)
    report_rows_apply(message=chunk([arrival(i + 1, i, day) for i in range(1000)]))
    leaving = [departure(i + 1, i, day + dt.timedelta(days=1)) for i in range(1000)]
    with django_assert_max_num_queries(MAX_STATEMENTS, connection=connections["police"]):
        answer = report_rows_apply(message=chunk(leaving, number=2))
    assert (answer.applied, answer.refused) == (1000, [])
    assert not ReportedStay.objects.filter(ended_on__isnull=True).exists()
    assert set(ReportedStay.objects.values_list("ended_row", flat=True)) == set(range(1, 1001))
