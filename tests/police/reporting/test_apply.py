"""The bulk apply of organisations' rows (ZJ-6…ZJ-10, WF-4): persons, stays, sources, houses,
departures, refused rows, conflicts and due dates, one answer per message."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.db import connections

from onetrip.contracts.reporting import ReportRowsAppliedV1
from onetrip.ferry.agent.handlers import handler_for
from onetrip.ferry.registry import get_store
from onetrip.police.register.services import declaration_receive, declaration_verify
from onetrip.police.reporting.models import (
    OrganisationStatus,
    PersonSource,
    RentalHouse,
    ReportConflict,
    ReportedPerson,
    ReportedStay,
    ReportingOrganisation,
)
from onetrip.police.reporting.services import report_rows_apply
from onetrip.police.stations.models import WindowCalendar
from tests.fixtures import BEISHAN_COMMUNITY, staff, submitted_declaration

from .helpers import (
    BEISHAN_EAST,
    CREDIT,
    OTHER_CREDIT,
    approved,
    arrival,
    chunk,
    departure,
    house,
    id_number,
)

pytestmark = pytest.mark.django_db(databases=["default", "police"])

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 23)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def answers() -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="report.rows_applied")
    return [m.payload for m in outbox.order_by("id")]


def test_handlers_are_registered_for_the_police_zone():
    assert handler_for("police", "organisation.registered") is not None
    assert handler_for("police", "report.rows_submitted") is not None


def test_zj6_arrivals_make_one_person_one_stay_and_one_source_each(beishan):
    organisation = approved()
    answer = report_rows_apply(
        message=chunk(
            [arrival(1, 1, MONDAY), arrival(2, 2, MONDAY), arrival(3, 3, MONDAY)],
            reported_at=at(MONDAY),
        )
    )
    assert (answer.applied, answer.unchanged, answer.conflicts, answer.refused) == (3, 0, 0, [])
    assert ReportedPerson.objects.count() == 3
    stays = ReportedStay.objects.select_related("person").order_by("row")
    assert [s.row for s in stays] == [1, 2, 3]
    first = stays[0]
    assert first.person.name == "张三"
    assert first.person.id_number == id_number(1)
    assert (first.person.sex, first.person.birth_date) == ("M", dt.date(1990, 1, 1))
    assert first.station == beishan
    assert first.organisation == organisation
    assert first.ended_on is None
    assert first.address_detail == "曙光路 12 号 3 幢 201 室"
    assert PersonSource.objects.filter(organisation=organisation).count() == 3
    [payload] = answers()
    assert payload == ReportRowsAppliedV1(
        import_reference="IMP0001", chunk=1, applied=3, unchanged=0, conflicts=0, refused=[]
    ).model_dump(mode="json")


def test_personal_data_is_encrypted_at_rest(beishan):
    approved()
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    with connections["police"].cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM police_reporting_reportedperson")
        stored = cursor.fetchone()
        cursor.execute("SELECT address_detail FROM police_reporting_reportedstay")
        address = cursor.fetchone()
    assert all(value.startswith("v1:") for value in (*stored, *address))
    assert id_number(1) not in json.dumps([*stored, *address])


def test_the_same_rows_again_change_nothing(beishan):
    approved()
    rows = [arrival(1, 1, MONDAY), arrival(2, 2, MONDAY), departure(3, 1, MONDAY)]
    first = report_rows_apply(message=chunk(rows, [house(4, "A1")], reported_at=at(MONDAY)))
    ciphertext = list(ReportedPerson.objects.values_list("id", "details_hash"))
    second = report_rows_apply(
        message=chunk(rows, [house(4, "A1")], reported_at=at(MONDAY), number=2)
    )
    assert (first.applied, first.unchanged) == (4, 0)
    assert (second.applied, second.unchanged, second.refused) == (0, 4, [])
    assert ReportedPerson.objects.count() == 2
    assert ReportedStay.objects.count() == 2
    assert RentalHouse.objects.count() == 1
    assert PersonSource.objects.count() == 2
    assert list(ReportedPerson.objects.values_list("id", "details_hash")) == ciphertext
    assert len(answers()) == 2


def test_zj6_departure_closes_the_open_stay_and_has_its_own_due_date(beishan):
    approved()
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    friday = MONDAY + dt.timedelta(days=4)
    answer = report_rows_apply(
        message=chunk([departure(1, 1, friday)], reported_at=at(friday + dt.timedelta(days=7)))
    )
    assert (answer.applied, answer.refused) == (1, [])
    stay = ReportedStay.objects.get()
    assert stay.ended_on == friday
    # Friday + 3 working days is the next Wednesday; reported a week later: late.
    assert stay.ended_due_on == friday + dt.timedelta(days=5)
    assert stay.ended_late is True
    assert stay.late is False


def test_departure_without_an_arrival_on_record_is_refused(beishan):
    approved()
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    answer = report_rows_apply(
        message=chunk(
            [departure(7, 2, MONDAY), departure(8, 1, MONDAY, relation="tenant")],
            reported_at=at(MONDAY),
        )
    )
    assert answer.applied == 0
    assert [(p.row, p.code) for p in answer.refused] == [
        (7, "no_arrival_on_record"),
        (8, "no_arrival_on_record"),
    ]
    assert answer.refused[0].message_zh
    assert ReportedStay.objects.get().ended_on is None


def test_arrival_and_departure_in_one_message(beishan):
    approved()
    answer = report_rows_apply(
        message=chunk(
            [arrival(1, 1, MONDAY), departure(2, 1, MONDAY + dt.timedelta(days=1))],
            reported_at=at(MONDAY + dt.timedelta(days=1)),
        )
    )
    assert (answer.applied, answer.refused) == (2, [])
    stay = ReportedStay.objects.get()
    assert stay.ended_on == MONDAY + dt.timedelta(days=1)
    assert stay.ended_row == 2


def test_departure_before_the_arrival_is_refused(beishan):
    approved()
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    answer = report_rows_apply(
        message=chunk([departure(2, 1, MONDAY - dt.timedelta(days=3))], reported_at=at(MONDAY))
    )
    assert [p.code for p in answer.refused] == ["left_before_arrival"]


def test_a_new_arrival_with_the_same_organisation_closes_the_previous_stay(beishan):
    approved()
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    later = MONDAY + dt.timedelta(days=2)
    answer = report_rows_apply(
        message=chunk([arrival(1, 1, later, address="曙光路 13 号")], reported_at=at(later))
    )
    assert answer.applied == 1
    old, new = ReportedStay.objects.order_by("started_on")
    assert (old.ended_on, new.ended_on) == (later, None)
    # …and an arrival before the one now open is refused.
    answer = report_rows_apply(
        message=chunk([arrival(1, 1, MONDAY - dt.timedelta(days=5))], reported_at=at(later))
    )
    assert [p.code for p in answer.refused] == ["earlier_than_open_stay"]


@pytest.mark.parametrize("status", ["pending", "refused", "suspended", None])
def test_rows_of_an_organisation_not_approved_are_all_refused(beishan, status):
    if status is not None:
        organisation = approved()
        ReportingOrganisation.objects.filter(pk=organisation.pk).update(status=status)
    answer = report_rows_apply(
        message=chunk([arrival(1, 1, MONDAY), arrival(2, 2, MONDAY)], [house(3, "A1")])
    )
    assert answer.applied == answer.unchanged == 0
    assert [(p.row, p.code) for p in answer.refused] == [
        (1, "organisation_not_approved"),
        (2, "organisation_not_approved"),
        (3, "organisation_not_approved"),
    ]
    assert ReportedPerson.objects.count() == ReportedStay.objects.count() == 0
    assert len(answers()) == 1


def test_rows_at_a_community_no_station_covers_or_in_the_future_are_refused(beishan):
    approved()
    tomorrow = MONDAY + dt.timedelta(days=1)
    answer = report_rows_apply(
        message=chunk(
            [
                arrival(1, 1, MONDAY, community="330106999999"),
                arrival(2, 2, tomorrow),
                arrival(3, 3, MONDAY),
            ],
            [house(4, "A1", community="330106999999")],
            reported_at=at(MONDAY),
        )
    )
    assert answer.applied == 1
    assert [(p.row, p.code) for p in answer.refused] == [
        (1, "community_without_station"),
        (2, "event_date_in_future"),
        (4, "community_without_station"),
    ]
    total = 4
    assert answer.applied + answer.unchanged + len(answer.refused) == total


def test_one_person_reported_by_two_organisations_is_one_person_with_both_sources(beishan):
    employer = approved()
    agency = approved(OTHER_CREDIT, kind="rental_agency", name="杭州示例房产中介有限公司")
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    later = MONDAY + dt.timedelta(days=1)
    report_rows_apply(
        message=chunk(
            [arrival(1, 1, later, relation="tenant", phone="13800138001")],
            credit_code=OTHER_CREDIT,
            kind="rental_agency",
            reported_at=at(later),
        )
    )
    person = ReportedPerson.objects.get()
    assert person.phone == "13800138001"  # the newest report's contact
    kinds = dict(PersonSource.objects.values_list("organisation_id", "source_kind"))
    assert kinds == {employer.pk: "employer", agency.pk: "rental_agency"}
    assert ReportedStay.objects.filter(person=person).count() == 2
    assert ReportConflict.objects.count() == 0  # different days


def test_two_places_on_one_day_is_a_conflict_for_the_station(beishan):
    approved()
    approved(OTHER_CREDIT, kind="property_management", name="杭州示例物业有限公司")
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    answer = report_rows_apply(
        message=chunk(
            [
                arrival(1, 1, MONDAY, relation="tenant", address="曙光路 99 号"),
                # The same place, written differently: no conflict.
                arrival(2, 2, MONDAY, relation="tenant"),
            ],
            credit_code=OTHER_CREDIT,
            kind="property_management",
            reported_at=at(MONDAY),
        )
    )
    # The first organisation then reports person 2 at the place the second one gave: no conflict.
    same = report_rows_apply(
        message=chunk([arrival(1, 2, MONDAY)], reported_at=at(MONDAY), number=2)
    )
    assert (answer.applied, answer.conflicts, same.conflicts) == (2, 1, 0)
    conflict = ReportConflict.objects.get()
    assert conflict.kind == "two_places_same_day"
    assert conflict.station == beishan
    assert conflict.resolved_at is None
    assert conflict.stay.organisation.credit_code == OTHER_CREDIT
    assert sorted(conflict.sources) == sorted(
        [f"organisation:{OTHER_CREDIT}", f"organisation:{CREDIT}"]
    )
    stored = json.dumps([conflict.detail, conflict.sources], ensure_ascii=False)
    for personal in (id_number(1), "张三", "曙光路", "13800138000"):
        assert personal not in stored
    assert ReportedStay.objects.count() == 4  # the rows were applied all the same


def test_same_place_written_with_other_spacing_and_width_is_no_conflict(beishan):
    approved()
    approved(OTHER_CREDIT, kind="property_management", name="杭州示例物业有限公司")
    report_rows_apply(message=chunk([arrival(1, 1, MONDAY)], reported_at=at(MONDAY)))
    answer = report_rows_apply(
        message=chunk(
            [arrival(1, 1, MONDAY, relation="tenant", address="曙光路１２号３幢２０１室")],
            credit_code=OTHER_CREDIT,
            kind="property_management",
            reported_at=at(MONDAY),
        )
    )
    assert answer.conflicts == 0


def registered_at_beishan(beishan) -> str:
    """The person of `submitted_declaration` registered at 北山社区; their ID number."""
    clerk = staff("clerk_reg", "window_clerk", beishan)
    message = submitted_declaration("JZ26112700000009")
    declaration_receive(message=message)
    declaration_verify(user=clerk, reference="JZ26112700000009")
    return message.id_number


def test_reported_community_differs_from_the_self_declared_one(beishan):
    declared_id = registered_at_beishan(beishan)
    approved()
    row = arrival(1, 1, MONDAY, community=BEISHAN_EAST)
    row = row.model_copy(update={"id_number": declared_id})
    same = arrival(2, 1, MONDAY, relation="tenant").model_copy(update={"id_number": declared_id})
    answer = report_rows_apply(message=chunk([row, same], reported_at=at(MONDAY)))
    assert (answer.applied, answer.conflicts) == (2, 1)
    conflict = ReportConflict.objects.get()
    assert conflict.kind == "differs_from_self_declared"
    assert conflict.detail["declared_communities"] == [BEISHAN_COMMUNITY]
    assert conflict.detail["reported_community"] == BEISHAN_EAST
    assert "self_declared" in conflict.sources
    kinds = sorted(PersonSource.objects.values_list("source_kind", flat=True))
    assert kinds == ["employer", "self_declared"]


def test_wf4_due_date_is_three_working_days_over_a_weekend(beishan):
    approved()
    friday = dt.date(2026, 11, 27)
    wednesday = dt.date(2026, 12, 2)
    report_rows_apply(
        message=chunk([arrival(1, 1, friday), arrival(2, 2, friday)], reported_at=at(wednesday, 23))
    )
    report_rows_apply(
        message=chunk([arrival(1, 3, friday)], reported_at=at(wednesday + dt.timedelta(days=1)))
    )
    stays = {s.person.id_number: s for s in ReportedStay.objects.select_related("person")}
    assert {s.due_on for s in stays.values()} == {wednesday}
    assert stays[id_number(1)].late is False  # on the due day, late in the evening
    assert stays[id_number(3)].late is True


def test_wf4_holidays_and_make_up_workdays_of_the_city_calendar_move_the_due_date(beishan):
    """National Day 2026: 1–7 October are holidays and Saturday 10 October is worked."""
    assert "2026-10-01" in WindowCalendar.objects.first().holidays
    approved()
    eve = dt.date(2026, 9, 30)  # Wednesday before the holidays
    report_rows_apply(
        message=chunk([arrival(1, 1, eve)], reported_at=at(dt.date(2026, 10, 9)), number=1)
    )
    stay = ReportedStay.objects.get()
    # Thursday 8 (1), Friday 9 (2), Saturday 10 worked (3): on time on the 9th.
    assert stay.due_on == dt.date(2026, 10, 10)
    assert stay.late is False
    thursday = dt.date(2026, 9, 17)
    report_rows_apply(
        message=chunk([arrival(1, 2, thursday)], reported_at=at(dt.date(2026, 9, 22)), number=2)
    )
    stay = ReportedStay.objects.get(started_on=thursday)
    # Friday 18 (1), Sunday 20 worked (2), Monday 21 (3): late on Tuesday 22.
    assert stay.due_on == dt.date(2026, 9, 21)
    assert stay.late is True


def test_wf4_without_holidays_on_the_calendars_only_weekends_count(beishan):
    WindowCalendar.objects.update(holidays=[], workdays=[])
    approved()
    eve = dt.date(2026, 9, 30)
    report_rows_apply(message=chunk([arrival(1, 1, eve)], reported_at=at(dt.date(2026, 10, 9))))
    stay = ReportedStay.objects.get()
    assert stay.due_on == dt.date(2026, 10, 5)
    assert stay.late is True


def test_houses_are_upserted_by_reference_and_tenants_linked_to_them(beishan):
    organisation = approved(kind="rental_agency")
    first = report_rows_apply(
        message=chunk(
            [arrival(2, 1, MONDAY, relation="tenant", house_ref="A1")],
            [house(1, "A1")],
            kind="rental_agency",
            reported_at=at(MONDAY),
        )
    )
    assert (first.applied, first.refused) == (2, [])
    stay = ReportedStay.objects.select_related("house").get()
    assert stay.house is not None and stay.house.house_ref == "A1"
    assert stay.house.owner_name == "李四"
    assert stay.house.owner_id_number == id_number(900)
    changed = report_rows_apply(
        message=chunk([], [house(1, "A1", rooms=3), house(2, "A1", rooms=3)], kind="rental_agency")
    )
    assert (changed.applied, changed.unchanged) == (1, 1)
    assert RentalHouse.objects.get(organisation=organisation).rooms == 3
    bad = report_rows_apply(
        message=chunk(
            [],
            [house(1, "B1", let_from=dt.date(2026, 5, 1), let_until=dt.date(2026, 4, 1))],
            kind="rental_agency",
        )
    )
    assert [p.code for p in bad.refused] == ["let_until_before_let_from"]


def test_a_tenant_reported_before_the_house_is_linked_when_the_house_arrives(beishan):
    approved(kind="rental_agency")
    report_rows_apply(
        message=chunk(
            [arrival(1, 1, MONDAY, relation="tenant", house_ref="B7")],
            kind="rental_agency",
            reported_at=at(MONDAY),
        )
    )
    assert ReportedStay.objects.get().house is None
    report_rows_apply(message=chunk([], [house(1, "B7")], kind="rental_agency", number=2))
    stay = ReportedStay.objects.select_related("house").get()
    assert stay.house is not None and stay.house.house_ref == "B7"


def test_every_row_is_answered_once(beishan):
    approved()
    rows = [arrival(i, i, MONDAY) for i in range(1, 21)]
    rows += [departure(21, 5, MONDAY), departure(22, 99, MONDAY), arrival(23, 1, MONDAY)]
    answer = report_rows_apply(message=chunk(rows, [house(24, "H")], reported_at=at(MONDAY)))
    assert answer.applied + answer.unchanged + len(answer.refused) == len(rows) + 1
    assert (answer.applied, answer.unchanged, len(answer.refused)) == (22, 1, 1)


def test_status_values_are_the_contracts(beishan):
    assert set(OrganisationStatus.values) == {"pending", "approved", "refused", "suspended"}
