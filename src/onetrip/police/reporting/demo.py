"""The police half of the reporting demo for `make up`: organisations of 西湖区 and what they
reported at 北山, so the station's pages have something to show from the first log-in.

- 杭州示例科技有限公司, an approved employer: twelve employees, two of them reported late (the
  possible fine shows on 逾期报送单位), one of them already gone;
- 杭州示例房产中介有限公司, an approved rental agency: two rental houses and their tenants, among
  them the demo resident (`common/demo.py`) at another community than her own declaration, and
  one of the employer's people at another address on the same day — two conflicts for 北山;
- 杭州示例物业服务有限公司, a property-management firm waiting for 西湖区's approval (the district
  administrator `district_xihu` approves it on 报送单位审核).

The rows go through the same apply as the ferry's (`rows.rows_apply_unanswered`) but send no
answer to the portal, whose imports did not send them; the organisations are approved here
without a decision message for the same reason. Never run this on a production database.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.common.demo import DEMO_DISTRICT, DEMO_ORGANISATIONS, DEMO_RESIDENT
from onetrip.contracts.reporting import (
    HouseReportRow,
    OrganisationRegisteredV1,
    PersonReportRow,
    ReportRowsSubmittedV1,
)

from .models import OrganisationStatus, ReportedStay, ReportingOrganisation
from .rows import rows_apply_unanswered
from .services import organisation_receive

DEMO_IMPORT = "DEMO0000000001"
EMPLOYER, AGENCY, PROPERTY_FIRM = (o.credit_code for o in DEMO_ORGANISATIONS)
BEISHAN = "330106002001"  # 北山社区 (the demo resident's declaration)
BEISHAN_EAST = "330106002002"  # 北山东社区
BEISHAN_WEST = "330106002003"  # 北山西社区

PEOPLE = (
    ("刘洋", "M"),
    ("陈静", "F"),
    ("黄磊", "M"),
    ("赵丽", "F"),
    ("周强", "M"),
    ("吴芳", "F"),
    ("徐明", "M"),
    ("孙燕", "F"),
    ("马超", "M"),
    ("朱红", "F"),
    ("胡军", "M"),
    ("郭敏", "F"),
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(serial: int, sex: str) -> str:
    """A valid ID number (GB 11643) of a person born in 安徽 in 1995, odd for a man."""
    sequence = serial * 2 + (1 if sex == "M" else 0)
    body = f"3424011995{1 + serial % 12:02d}{10 + serial:02d}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def _person(
    serial: int,
    row: int,
    event: str,
    relation: str,
    on: dt.date,
    community: str,
    address: str,
    house_ref: str = "",
) -> PersonReportRow:
    name, sex = PEOPLE[serial]
    return PersonReportRow(
        row=row,
        event=event,  # type: ignore[arg-type]
        relation=relation,  # type: ignore[arg-type]
        name=name,
        id_number=_id_number(serial, sex),
        phone=f"1360571{serial:04d}",
        event_date=on,
        community_code=community,
        address_detail=address,
        house_ref=house_ref,
    )


def _chunks(today: dt.date, now: dt.datetime) -> list[ReportRowsSubmittedV1]:
    yesterday = today - dt.timedelta(days=1)
    long_ago = today - dt.timedelta(days=24)
    employees = [
        _person(i, i + 2, "arrived", "employee", yesterday, BEISHAN_WEST, "北山路 60 号员工宿舍")
        for i in range(10)
    ]
    employees += [
        _person(10, 12, "arrived", "employee", long_ago, BEISHAN_WEST, "北山路 60 号员工宿舍"),
        _person(11, 13, "arrived", "employee", long_ago, BEISHAN_WEST, "北山路 60 号员工宿舍"),
    ]
    leaving = [_person(11, 2, "left", "employee", yesterday, BEISHAN_WEST, "北山路 60 号")]
    houses = [
        HouseReportRow(
            row=2,
            house_ref="BS-101",
            community_code=BEISHAN_EAST,
            address_detail="曙光路 30 号 1 幢 101 室",
            owner_name="沈国强",
            owner_id_number="330106196505050031",
            owner_phone="13905710001",
            rooms=3,
            let_from=today - dt.timedelta(days=200),
        ),
        HouseReportRow(
            row=3,
            house_ref="BS-202",
            community_code=BEISHAN_EAST,
            address_detail="曙光路 30 号 2 幢 202 室",
            owner_name="沈国强",
            owner_id_number="330106196505050031",
            owner_phone="13905710001",
            rooms=2,
            let_from=today - dt.timedelta(days=120),
        ),
    ]
    resident = PersonReportRow(
        row=4,
        event="arrived",
        relation="tenant",
        name=DEMO_RESIDENT.name,
        id_number=DEMO_RESIDENT.id_number,
        phone=DEMO_RESIDENT.phone,
        event_date=yesterday,
        community_code=BEISHAN_EAST,
        address_detail="曙光路 30 号 1 幢 101 室",
        house_ref="BS-101",
    )
    tenants = [
        resident,
        _person(0, 5, "arrived", "tenant", yesterday, BEISHAN_EAST, "曙光路 30 号 2 幢 202 室"),
    ]
    tenants[1] = tenants[1].model_copy(update={"house_ref": "BS-202"})

    def chunk(
        number: int,
        credit_code: str,
        kind: str,
        people: list[PersonReportRow],
        rows: list[HouseReportRow],
    ) -> ReportRowsSubmittedV1:
        return ReportRowsSubmittedV1(
            import_reference=DEMO_IMPORT,
            chunk=number,
            credit_code=credit_code,
            organisation_kind=kind,  # type: ignore[arg-type]
            reported_at=now,
            people=people,
            houses=rows,
        )

    return [
        chunk(1, EMPLOYER, "employer", employees, []),
        chunk(2, EMPLOYER, "employer", leaving, []),
        chunk(3, AGENCY, "rental_agency", tenants, houses),
    ]


def demo_reporting_ensure() -> bool:
    """Load the reporting demo (see the module docstring) unless it is there; True when loaded.
    Needs the stations (`load_reference`); the demo resident's registration
    (`load_demo_register`) first gives the conflict with her declaration."""
    now = timezone.now()
    with atomic_for(ReportedStay):
        if ReportedStay.objects.filter(import_reference=DEMO_IMPORT).exists():
            return False
        for demo in DEMO_ORGANISATIONS:
            organisation_receive(
                message=OrganisationRegisteredV1(
                    credit_code=demo.credit_code,
                    name=demo.name,
                    kind=demo.kind,  # type: ignore[arg-type]
                    district_code=DEMO_DISTRICT,
                    address=demo.address,
                    contact_name=demo.contact_name,
                    contact_phone=demo.contact_phone,
                    registered_at=now - dt.timedelta(days=30),
                )
            )
        approved = [demo.credit_code for demo in DEMO_ORGANISATIONS if demo.approved]
        ReportingOrganisation.objects.filter(credit_code__in=approved).update(
            status=OrganisationStatus.APPROVED, decided_at=now - dt.timedelta(days=29)
        )
        for message in _chunks(timezone.localdate(), now):
            answer = rows_apply_unanswered(message)
            if answer.refused:
                raise LookupError(
                    f"demo rows refused: {[p.code for p in answer.refused]}; "
                    "run load_reference first"
                )
    return True
