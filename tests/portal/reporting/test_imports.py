"""Imports on the portal: read in chunks, each chunk one ferry message committed with its
problems and counters; the same file twice changes nothing; a dry run sends nothing; a run killed
mid-file is taken over from its last committed chunk and sends nothing twice (WF-4)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from onetrip.common.errors import ApplicationError
from onetrip.contracts.reporting import ReportRowsAppliedV1, RowProblem
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.reporting import services
from onetrip.portal.reporting.models import ImportProblem, ImportSource, ImportStatus, ReportImport
from onetrip.portal.reporting.services import (
    import_create,
    import_error_report,
    import_rows_applied,
    import_run,
    import_sweep,
)
from tests.fixtures import BEISHAN_COMMUNITY

from .helpers import approve, signed_up

pytestmark = pytest.mark.django_db(databases=["default", "police"])

HEADER = "事件,姓名,公民身份号码,手机号码,日期,社区,详细地址,房屋编号"
GOOD = [
    f"入职,张三,33010619900101123X,13800138000,2026-11-20,{BEISHAN_COMMUNITY},曙光路12号3幢201室,",
    f"入职,李娜,330103198512310027,,2026-11-21,{BEISHAN_COMMUNITY},曙光路12号3幢202室,",
    f"入职,王五,11010519491231002X,13900139000,2026-11-22,{BEISHAN_COMMUNITY},曙光路12号3幢203室,",
]
BAD = f"入职,赵六,110105194912310021,,2026-11-22,{BEISHAN_COMMUNITY},曙光路12号3幢204室,"


def csv_bytes(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode(encoding)


@pytest.fixture
def organisation(resident):
    return approve(signed_up(resident))


def submitted(kind: str = "report.rows_submitted") -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(message_type=kind).order_by("id"))


def run(organisation, content: bytes, **kwargs) -> ReportImport:
    report_import, _created = import_create(
        organisation=organisation,
        source=ImportSource.UPLOAD,
        filename=kwargs.pop("filename", "people.csv"),
        content=content,
        run=False,
        **kwargs,
    )
    return import_run(reference=report_import.reference)


@pytest.fixture(autouse=True)
def fixed_today(settings):
    import time_machine

    with time_machine.travel("2026-11-25 10:00:00+08:00", tick=False):
        yield


def test_wf4_valid_rows_cross_in_one_message_and_bad_rows_stay_with_their_reason(organisation):
    report_import = run(organisation, csv_bytes(*GOOD, BAD))
    assert (report_import.rows_read, report_import.rows_valid, report_import.rows_rejected) == (
        4,
        3,
        1,
    )
    assert report_import.status == ImportStatus.FORWARDING
    (message,) = submitted()
    assert [p["name"] for p in message.payload["people"]] == ["张三", "李娜", "王五"]
    assert message.payload["credit_code"] == organisation.credit_code
    (problem,) = ImportProblem.objects.filter(report_import=report_import)
    assert problem.row == 5
    assert problem.column == "公民身份号码"
    assert "110105194912310021" not in problem.value_shown


def test_the_same_file_uploaded_twice_changes_nothing_the_second_time(organisation):
    first = run(organisation, csv_bytes(*GOOD))
    again, created = import_create(
        organisation=organisation,
        source=ImportSource.UPLOAD,
        filename="people-copy.csv",
        content=csv_bytes(*GOOD),
    )
    assert not created
    assert again.pk == first.pk
    assert len(submitted()) == 1
    assert ReportImport.objects.count() == 1


def test_a_dry_run_checks_everything_and_sends_nothing(organisation):
    report_import = run(organisation, csv_bytes(*GOOD, BAD), dry_run=True)
    assert report_import.status == ImportStatus.DONE
    assert (report_import.rows_valid, report_import.rows_rejected) == (3, 1)
    assert submitted() == []
    assert not SmsMessage.objects.exists()


def test_a_run_killed_mid_file_is_resumed_and_sends_nothing_twice(organisation, monkeypatch):
    monkeypatch.setattr(services, "MAX_ROWS_PER_MESSAGE", 2)
    rows = [
        f"入职,张三{c},33010619900101123X,,2026-11-2{i},{BEISHAN_COMMUNITY},曙光路{i}号,"
        for i, c in zip(range(0, 5), "甲乙丙丁戊", strict=True)
    ]
    report_import, _ = import_create(
        organisation=organisation,
        source=ImportSource.UPLOAD,
        filename="people.csv",
        content=csv_bytes(*rows, BAD),
        run=False,
    )

    class Killed(Exception):
        pass

    def kill_after_first_chunk(_progress):
        raise Killed

    with pytest.raises(Killed):
        import_run(reference=report_import.reference, progress=kill_after_first_chunk)
    assert len(submitted()) == 1
    import_run(reference=report_import.reference)
    messages = submitted()
    assert [m.payload["chunk"] for m in messages] == [1, 2, 3]
    names = [p["name"] for m in messages for p in m.payload["people"]]
    assert names == ["张三甲", "张三乙", "张三丙", "张三丁", "张三戊"]
    report_import.refresh_from_db()
    assert (report_import.rows_read, report_import.rows_valid, report_import.rows_rejected) == (
        6,
        5,
        1,
    )
    assert ImportProblem.objects.filter(report_import=report_import).count() == 1


def test_the_sweep_takes_over_an_import_whose_worker_stopped(organisation, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    report_import, _ = import_create(
        organisation=organisation,
        source=ImportSource.UPLOAD,
        filename="people.csv",
        content=csv_bytes(*GOOD),
        run=False,
    )
    queued: list[str] = []
    monkeypatch.setattr(services, "_enqueue", queued.append)
    assert import_sweep() == 0  # just created: its worker may still come
    later = timezone.now() + dt.timedelta(seconds=services.IMPORT_STALE_SECONDS + 1)
    assert import_sweep(now=later) == 1
    assert queued == [report_import.reference]


def test_the_registers_answers_finish_the_import_and_tell_the_uploader_once(
    organisation, sms_simulator
):
    report_import = run(organisation, csv_bytes(*GOOD, BAD))
    answer = ReportRowsAppliedV1(
        import_reference=report_import.reference,
        chunk=1,
        applied=2,
        unchanged=0,
        conflicts=1,
        refused=[
            RowProblem(
                row=4,
                column="日期",
                code="no_arrival_on_record",
                message_zh="没有该人员的入职记录",
                message_en="No arrival on record",
            )
        ],
    )
    import_rows_applied(message=answer)
    report_import.refresh_from_db()
    assert report_import.status == ImportStatus.DONE
    assert (report_import.rows_applied, report_import.rows_refused) == (2, 1)
    assert report_import.rows_conflicts == 1
    (sms,) = SmsMessage.objects.all()
    assert report_import.reference in sms.text
    assert "成功2条" in sms.text and "未通过2条" in sms.text


def test_an_organisation_not_approved_cannot_import(resident):
    organisation = signed_up(resident)
    with pytest.raises(ApplicationError) as caught:
        import_create(
            organisation=organisation,
            source=ImportSource.UPLOAD,
            filename="people.csv",
            content=csv_bytes(*GOOD),
        )
    assert caught.value.code == "organisation_not_approved"
    assert not ReportImport.objects.exists()


def test_a_gbk_csv_from_chinese_excel_is_read(organisation):
    report_import = run(organisation, csv_bytes(*GOOD, encoding="gbk"))
    assert (report_import.rows_valid, report_import.rows_rejected) == (3, 0)


def test_an_unreadable_file_is_refused_with_its_reason_and_nothing_sent(organisation):
    report_import = run(organisation, b"PK\x03\x04 not really a workbook", filename="people.xlsx")
    assert report_import.status == ImportStatus.REFUSED
    assert report_import.refusal_code
    assert report_import.refusal_zh
    assert submitted() == []


def test_the_error_report_holds_the_bad_rows_as_typed_and_the_reason(organisation):
    report_import = run(organisation, csv_bytes(*GOOD, BAD))
    out = io.BytesIO()
    import_error_report(report_import=report_import, out=out)
    out.seek(0)
    workbook = openpyxl.load_workbook(out, read_only=True)
    cells = [
        [str(value) for value in row if value is not None]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    flat = [" ".join(row) for row in cells]
    assert any("110105194912310021" in line and "赵六" in line for line in flat)
    assert not any("张三" in line for line in flat)


def test_the_dashboard_roster_follows_arrivals_and_departures_with_masked_values(organisation):
    from onetrip.portal.reporting.models import RosterEntry
    from onetrip.portal.reporting.services import organisation_roster

    run(organisation, csv_bytes(*GOOD))
    left = GOOD[0].replace("入职", "离职").replace("2026-11-20", "2026-11-24")
    run(organisation, csv_bytes(left), filename="left.csv")
    roster = organisation_roster(organisation=organisation)
    assert roster.employed == 2
    assert {entry.name_masked for entry in roster.people} == {"李*", "王*"}
    assert all("*" in entry.id_masked for entry in RosterEntry.objects.all())
    gone = RosterEntry.objects.get(name_masked="张*")
    assert str(gone.left_on) == "2026-11-24"


def test_a_dry_run_moves_no_roster(organisation):
    from onetrip.portal.reporting.models import RosterEntry

    run(organisation, csv_bytes(*GOOD), dry_run=True)
    assert not RosterEntry.objects.exists()


def _person(event: str, name: str, body17: str, day: int, **extra):
    from onetrip.common.identifiers import id_check_char
    from onetrip.contracts.reporting import PersonReportRow

    return PersonReportRow(
        row=1,
        event=event,
        relation=extra.pop("relation", "employee"),
        name=name,
        id_number=body17 + id_check_char(body17),
        event_date=f"2026-11-{day:02d}",
        community_code=extra.pop("community_code", BEISHAN_COMMUNITY),
        address_detail="曙光路12号3幢201室",
        **extra,
    )


def _house(house_ref: str, rooms: int, let_until: str | None = None):
    from onetrip.contracts.reporting import HouseReportRow

    return HouseReportRow(
        row=1,
        house_ref=house_ref,
        community_code=BEISHAN_COMMUNITY,
        address_detail="曙光路12号3幢",
        owner_name="王芳",
        owner_id_number="330103198512310027",
        rooms=rooms,
        let_from="2026-10-01",
        let_until=let_until,
    )


def test_a_chunk_moves_the_roster_by_its_last_word_per_person_and_house(organisation):
    """Arrivals write every masked column; a departure of someone on the roster (from an
    earlier chunk) sets only the day they left and the import; an arrival and a departure in
    one chunk write both days; a departure of someone never seen adds them as gone; a house's
    last row in the chunk wins."""
    from onetrip.common.crypto import lookup_hash
    from onetrip.common.identifiers import id_check_char
    from onetrip.portal.reporting.models import RosterEntry, RosterHouse

    other = "330106002002"
    first = ReportImport.objects.create(organisation=organisation, reference="RI-FIRST")
    second = ReportImport.objects.create(organisation=organisation, reference="RI-SECOND")
    services._roster_apply(
        first,
        organisation,
        services._Chunk(
            people=[
                _person("arrived", "张三", "33010619900101123", 1),
                _person("arrived", "李娜", "33010319851231002", 2, house_ref="H1"),
                _person("arrived", "王五", "11010519491231002", 3, relation="tenant"),
            ],
            houses=[_house("H1", 3), _house("H2", 2, "2026-12-31")],
            problems=[],
        ),
    )
    services._roster_apply(
        second,
        organisation,
        services._Chunk(
            people=[
                # On the roster: only the day and the import move, not the name.
                _person("left", "章三", "33010619900101123", 20),
                # Arrives and leaves within the chunk.
                _person("arrived", "赵六", "33010619800202001", 21),
                _person("left", "赵六", "33010619800202001", 22),
                # Never seen: kept as gone, with what the departure says.
                _person("left", "钱七", "33010619700303002", 23, community_code=other),
                # Arrives again: every column follows, and no day left.
                _person("arrived", "李娜", "33010319851231002", 24, community_code=other),
                # The same ID as another relation is another entry.
                _person("arrived", "王五", "11010519491231002", 25),
                # Leaves, then arrives again within the chunk: on the roster now.
                _person("left", "孙八", "33010619600404003", 18),
                _person("arrived", "孙八", "33010619600404003", 19, house_ref="H3"),
            ],
            houses=[_house("H1", 4, "2027-01-31"), _house("H3", 1), _house("H3", 2)],
            problems=[],
        ),
    )

    def ids(body17: str) -> tuple[str, str]:
        full = body17 + id_check_char(body17)
        return lookup_hash(full, purpose="id_number"), full[:4] + "*" * 10 + full[-4:]

    def day(n: int):
        import datetime as dt

        return dt.date(2026, 11, n)

    expected = {
        (
            *ids("33010619900101123"),
            "employee",
            "张*",
            BEISHAN_COMMUNITY,
            "",
            day(1),
            day(20),
            "RI-SECOND",
        ),
        (*ids("33010319851231002"), "employee", "李*", other, "", day(24), None, "RI-SECOND"),
        (
            *ids("11010519491231002"),
            "tenant",
            "王*",
            BEISHAN_COMMUNITY,
            "",
            day(3),
            None,
            "RI-FIRST",
        ),
        (
            *ids("11010519491231002"),
            "employee",
            "王*",
            BEISHAN_COMMUNITY,
            "",
            day(25),
            None,
            "RI-SECOND",
        ),
        (
            *ids("33010619800202001"),
            "employee",
            "赵*",
            BEISHAN_COMMUNITY,
            "",
            day(21),
            day(22),
            "RI-SECOND",
        ),
        (*ids("33010619700303002"), "employee", "钱*", "", "", None, day(23), "RI-SECOND"),
        (
            *ids("33010619600404003"),
            "employee",
            "孙*",
            BEISHAN_COMMUNITY,
            "H3",
            day(19),
            None,
            "RI-SECOND",
        ),
    }
    entries = RosterEntry.objects.filter(organisation=organisation).values_list(
        "id_hash",
        "id_masked",
        "relation",
        "name_masked",
        "community_code",
        "house_ref",
        "since",
        "left_on",
        "import_reference",
    )
    assert set(entries) == expected
    assert entries.count() == len(expected)
    houses = RosterHouse.objects.filter(organisation=organisation).values_list(
        "house_ref", "community_code", "rooms", "let_from", "let_until"
    )
    import datetime as dt

    assert set(houses) == {
        ("H1", BEISHAN_COMMUNITY, 4, dt.date(2026, 10, 1), dt.date(2027, 1, 31)),
        ("H2", BEISHAN_COMMUNITY, 2, dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("H3", BEISHAN_COMMUNITY, 2, dt.date(2026, 10, 1), None),
    }
