"""One statement for many rows (`common/bulk.py`), the same on SQLite and PostgreSQL: values the
same for every row sent once, a key list sent as one array."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onetrip.common.bulk import insert_rows, member_of, select_rows
from onetrip.police.reporting.models import PersonSource, ReportedPerson

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def person(n: int) -> tuple:
    return (f"{n:064d}", "v1:k:name", "v1:k:id", "", f"{n:064d}", "M", dt.date(1990, 1, 1))


FIELDS = ("id_hash", "name", "id_number", "phone", "details_hash", "sex", "birth_date")


def test_shared_values_are_written_on_every_row_and_on_conflict_updates() -> None:
    first = timezone.now().replace(microsecond=0)
    later = first + dt.timedelta(hours=1)
    saved = insert_rows(
        ReportedPerson,
        FIELDS,
        [person(n) for n in range(3)],
        shared={"first_reported_at": first, "last_reported_at": first},
        returning=("id",),
    )
    assert len(saved) == 3
    insert_rows(
        ReportedPerson,
        FIELDS,
        [person(n) for n in range(2, 4)],
        conflict_fields=("id_hash",),
        update_fields=("last_reported_at",),
        shared={"first_reported_at": later, "last_reported_at": later},
    )
    times = dict(
        ReportedPerson.objects.values_list("id_hash", "last_reported_at").order_by("id_hash")
    )
    assert list(times.values()) == [first, first, later, later]
    assert set(ReportedPerson.objects.values_list("first_reported_at", flat=True)) == {
        first,
        later,
    }
    people = list(ReportedPerson.objects.values_list("id", flat=True))
    insert_rows(
        PersonSource,
        ("person",),
        [(pk,) for pk in people],
        shared={
            "source_kind": "self_declared",
            "organisation": None,
            "first_reported_at": first,
            "last_reported_at": first,
        },
    )
    assert set(PersonSource.objects.values_list("source_kind", "organisation_id")) == {
        ("self_declared", None)
    }


def test_member_of_finds_the_rows_whose_column_is_in_the_list() -> None:
    now = timezone.now()
    insert_rows(
        ReportedPerson,
        FIELDS,
        [person(n) for n in range(5)],
        shared={"first_reported_at": now, "last_reported_at": now},
    )
    wanted = [f"{n:064d}" for n in (1, 3, 9)]
    condition, params = member_of(ReportedPerson, "id_hash", "id_hash", wanted)
    rows = select_rows(
        ReportedPerson,
        f"SELECT id_hash, birth_date FROM police_reporting_reportedperson WHERE {condition}",  # noqa: S608
        params,
    )
    assert sorted(rows) == [(f"{n:064d}", dt.date(1990, 1, 1)) for n in (1, 3)]
    condition, params = member_of(ReportedPerson, "id_hash", "id_hash", [])
    sql = f"SELECT id FROM police_reporting_reportedperson WHERE {condition}"  # noqa: S608
    assert select_rows(ReportedPerson, sql, params) == []
