"""The apply stays safe to repeat, and what it writes in bulk reads back as it was reported: the
ferry applies a message once, but the same rows may come again (a file uploaded twice), and the
apply's writes go around the fields (values encrypted in one call, the message's own values sent
once for every row, keys looked up as one array)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connections

from onetrip.common.crypto import decrypt_text
from onetrip.police.register.services import declaration_receive, declaration_verify
from onetrip.police.reporting.models import (
    PersonSource,
    ReportConflict,
    ReportedPerson,
    ReportedStay,
)
from onetrip.police.reporting.services import report_rows_apply
from tests.fixtures import staff, submitted_declaration

from .helpers import BEISHAN_EAST, CREDIT, OTHER_CREDIT, approved, arrival, chunk, departure

pytestmark = pytest.mark.django_db(databases=["default", "police"])

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 23)
TUESDAY = MONDAY + dt.timedelta(days=1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def stored(table: str, *, without: tuple[str, ...] = ()) -> list[dict]:
    """Every row of `table` as the database holds it (ciphertext included), by column name."""
    with connections["police"].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (a test's own names)
        names = [column[0] for column in cursor.description]
        return [
            {k: v for k, v in zip(names, row, strict=True) if k not in without}
            for row in cursor.fetchall()
        ]


def register_state() -> dict[str, list[dict]]:
    """The register's reported rows, without the one column a repeated report moves: when a
    person and a source were last reported."""
    return {
        "persons": stored("police_reporting_reportedperson", without=("last_reported_at",)),
        "stays": stored("police_reporting_reportedstay"),
        "sources": stored("police_reporting_personsource", without=("last_reported_at",)),
        "conflicts": stored("police_reporting_reportconflict"),
    }


def busy_message(declared_id: str):
    """Arrivals, a departure of an earlier arrival, an arrival and its departure in one message,
    a person at another place the same day as the other organisation's report, and a person at
    a community other than their own declaration's."""
    people = [
        arrival(i + 1, 100 + i, MONDAY, name=f"王{i}", phone=f"1380013{i:04d}") for i in range(8)
    ]
    people += [
        departure(9, 1, TUESDAY),  # reported by the first message, now leaving
        arrival(10, 2, MONDAY),
        departure(11, 2, TUESDAY),
        arrival(12, 3, MONDAY, address="曙光路 99 号"),  # elsewhere than the other organisation
        arrival(13, 0, MONDAY, community=BEISHAN_EAST).model_copy(
            update={"id_number": declared_id}
        ),
    ]
    return chunk(people, reported_at=at(TUESDAY), number=2)


def test_a_message_applied_twice_changes_nothing_the_second_time(beishan):
    clerk = staff("clerk_reg", "window_clerk", beishan)
    declaration = submitted_declaration("JZ26112700000009")
    declaration_receive(message=declaration)
    declaration_verify(user=clerk, reference="JZ26112700000009")
    approved()
    approved(OTHER_CREDIT, kind="property_management", name="杭州示例物业有限公司")
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    report_rows_apply(
        message=chunk(
            [arrival(1, 3, MONDAY, relation="tenant")],
            credit_code=OTHER_CREDIT,
            kind="property_management",
            reported_at=at(MONDAY),
        )
    )
    message = busy_message(declaration.id_number)

    first = report_rows_apply(message=message)
    after_first = register_state()
    again = report_rows_apply(message=message)

    assert (first.applied, first.unchanged, first.refused, first.conflicts) == (13, 0, [], 2)
    assert (again.applied, again.unchanged, again.refused, again.conflicts) == (0, 13, [], 0)
    assert register_state() == after_first
    assert ReportConflict.objects.count() == 2
    kinds = {c.kind: c.stay.row for c in ReportConflict.objects.select_related("stay")}
    assert kinds == {"two_places_same_day": 12, "differs_from_self_declared": 13}
    assert all(c.stay.organisation.credit_code == CREDIT for c in ReportConflict.objects.all())
    assert ReportedStay.objects.get(row=10, import_reference="IMP0001").ended_row == 11


def test_values_sealed_in_one_call_decrypt_to_what_was_reported_each_with_its_own_nonce(beishan):
    approved()
    people = [
        arrival(i + 1, i, MONDAY, name="张三", phone="" if i % 2 else f"1380013800{i}")
        for i in range(6)
    ]
    report_rows_apply(message=chunk(people, reported_at=at(MONDAY)))
    persons = stored("police_reporting_reportedperson")
    names = [person["name"] for person in persons]
    assert len(set(names)) == len(names)  # one name, six ciphertexts
    assert {decrypt_text(name) for name in names} == {"张三"}
    phones = {decrypt_text(p["id_number"]): p["phone"] for p in persons}
    assert {number: decrypt_text(phone) if phone else "" for number, phone in phones.items()} == {
        row.id_number: row.phone for row in people
    }
    addresses = [stay["address_detail"] for stay in stored("police_reporting_reportedstay")]
    assert len(set(addresses)) == len(addresses)
    assert {decrypt_text(address) for address in addresses} == {"曙光路 12 号 3 幢 201 室"}
    assert sorted(p.phone for p in ReportedPerson.objects.all()) == sorted(r.phone for r in people)


def test_the_message_s_own_values_are_written_on_every_row(beishan):
    organisation = approved()
    report_rows_apply(
        message=chunk(
            [arrival(i + 1, i, MONDAY) for i in range(3)],
            reported_at=at(MONDAY),
            reference="IMP0042",
        )
    )
    stays = list(ReportedStay.objects.all())
    assert {(s.organisation_id, s.import_reference, s.reported_at) for s in stays} == {
        (organisation.pk, "IMP0042", at(MONDAY))
    }
    persons = list(ReportedPerson.objects.all())
    assert len({(p.first_reported_at, p.last_reported_at) for p in persons}) == 1
    sources = list(PersonSource.objects.all())
    assert {(s.source_kind, s.organisation_id) for s in sources} == {("employer", organisation.pk)}
    assert len(sources) == 3
