"""Organisations, their rows and the staff who read them, for the reporting tests (and for the
access matrix, which can make its objects with `make_stay` and `make_conflict`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from onetrip.contracts.reporting import (
    HouseReportRow,
    OrganisationRegisteredV1,
    PersonReportRow,
    ReportRowsSubmittedV1,
)
from onetrip.police.reporting.deadlines import forget_city_calendar
from onetrip.police.reporting.models import OrganisationStatus, ReportingOrganisation
from onetrip.police.reporting.services import organisation_receive, report_rows_apply
from tests.fixtures import BEISHAN_COMMUNITY, staff

__all__ = [
    "BEISHAN_EAST",
    "CREDIT",
    "HUBIN_COMMUNITY",
    "OTHER_CREDIT",
    "approved",
    "arrival",
    "chunk",
    "city_admin",
    "departure",
    "district_admin",
    "fresh_calendar",
    "house",
    "id_number",
    "make_conflict",
    "make_stay",
    "matrix_conflict",
    "matrix_organisation",
    "matrix_reported_stay",
    "registered",
]

CREDIT = "91330106MA2B00001X"
OTHER_CREDIT = "91330106MA2B00002Y"
BEISHAN_EAST = "330106002002"  # 北山东社区, also 北山派出所
HUBIN_COMMUNITY = "330102003001"  # 湖滨社区, 湖滨派出所 in 上城区


def id_number(serial: int) -> str:
    """A valid GB 11643 number of 西湖区 with its check character: born 1990-01-01 for
    serials up to 999, a day later for each thousand after."""
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=serial // 1000)
    body = f"330106{birth:%Y%m%d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def registered(
    credit_code: str = CREDIT,
    *,
    district: str = "330106",
    kind: str = "employer",
    name: str = "杭州示例科技有限公司",
    at: dt.datetime | None = None,
) -> OrganisationRegisteredV1:
    return OrganisationRegisteredV1(
        credit_code=credit_code,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        district_code=district,
        address="杭州市西湖区文三路 1 号",
        contact_name="王五",
        contact_phone="13700137000",
        registered_at=at or timezone.now() - dt.timedelta(days=1),
    )


def approved(credit_code: str = CREDIT, **kw: Any) -> ReportingOrganisation:
    """An organisation the district approved (the decision itself is tested on its own)."""
    organisation = organisation_receive(message=registered(credit_code, **kw))
    ReportingOrganisation.objects.filter(pk=organisation.pk).update(
        status=OrganisationStatus.APPROVED, decided_at=timezone.now()
    )
    organisation.refresh_from_db()
    return organisation


def arrival(
    row: int,
    serial: int,
    on: dt.date,
    *,
    relation: str = "employee",
    community: str = BEISHAN_COMMUNITY,
    address: str = "曙光路 12 号 3 幢 201 室",
    name: str = "张三",
    phone: str = "13800138000",
    house_ref: str = "",
) -> PersonReportRow:
    return PersonReportRow(
        row=row,
        event="arrived",
        relation=relation,  # type: ignore[arg-type]
        name=name,
        id_number=id_number(serial),
        phone=phone,
        event_date=on,
        community_code=community,
        address_detail=address,
        house_ref=house_ref,
    )


def departure(row: int, serial: int, on: dt.date, **kw: Any) -> PersonReportRow:
    return arrival(row, serial, on, **kw).model_copy(update={"event": "left"})


def house(row: int, ref: str, *, community: str = BEISHAN_COMMUNITY, rooms: int = 2, **kw: Any):
    values: dict[str, Any] = {
        "row": row,
        "house_ref": ref,
        "community_code": community,
        "address_detail": f"曙光路 12 号 3 幢 {ref} 室",
        "owner_name": "李四",
        "owner_id_number": id_number(900),
        "owner_phone": "13900139000",
        "rooms": rooms,
        "let_from": dt.date(2026, 1, 1),
    }
    values.update(kw)
    return HouseReportRow(**values)


def chunk(
    people: list[PersonReportRow] = (),  # type: ignore[assignment]
    houses: list[HouseReportRow] = (),  # type: ignore[assignment]
    *,
    credit_code: str = CREDIT,
    kind: str = "employer",
    reported_at: dt.datetime | None = None,
    reference: str = "IMP0001",
    number: int = 1,
) -> ReportRowsSubmittedV1:
    return ReportRowsSubmittedV1(
        import_reference=reference,
        chunk=number,
        credit_code=credit_code,
        organisation_kind=kind,  # type: ignore[arg-type]
        reported_at=reported_at or timezone.now(),
        people=list(people),
        houses=list(houses),
    )


def district_admin(username: str = "district_xihu", district: str = "330106") -> Any:
    return staff(username, "district_admin", None, district)


def city_admin(username: str = "city_admin") -> Any:
    return staff(username, "city_admin", None)


@pytest.fixture(autouse=True)
def fresh_calendar() -> Any:
    """Each test reads the city's calendar as its own data has it."""
    forget_city_calendar()
    yield
    forget_city_calendar()


def make_stay(serial: int = 1, credit_code: str = CREDIT) -> ReportingOrganisation:
    """An approved organisation of 西湖区 with one open stay of a person at 北山."""
    organisation = approved(credit_code)
    day = timezone.localdate() - dt.timedelta(days=1)
    report_rows_apply(message=chunk([arrival(1, serial, day)], credit_code=credit_code))
    return organisation


def make_conflict(serial: int = 2) -> int:
    """An open conflict of 北山 (two organisations place one person at two addresses on one day);
    returns its id."""
    from onetrip.police.reporting.models import ReportConflict

    day = timezone.localdate() - dt.timedelta(days=1)
    approved(CREDIT)
    approved(OTHER_CREDIT, name="杭州示例物业有限公司", kind="property_management")
    report_rows_apply(message=chunk([arrival(1, serial, day)]))
    report_rows_apply(
        message=chunk(
            [arrival(1, serial, day, relation="tenant", address="曙光路 99 号")],
            credit_code=OTHER_CREDIT,
            kind="property_management",
            reference="IMP0002",
        )
    )
    return ReportConflict.objects.latest("id").pk


# -- for the role × station matrix (tests/police/workbench/test_access_matrix.py) ---------------
# Each maker takes the matrix's World, makes one object of 北山, records the references a list of
# another scope must not show (and a list of its own scope must), and returns the route's
# parameters.

MATRIX_CREDIT = "91330106MA2B00009X"  # a pending organisation of 西湖区 (北山's district)


def matrix_reported_stay(world: Any) -> dict[str, str]:
    """A stay reported at 北山; the lists show its reporter's credit code."""
    make_stay(serial=301)
    world.references.add(CREDIT)
    return {}


def matrix_organisation(world: Any) -> dict[str, str]:
    """An organisation of 北山's district waiting for its approval."""
    organisation_receive(message=registered(MATRIX_CREDIT, name="杭州矩阵测试有限公司"))
    world.references.add(MATRIX_CREDIT)
    return {"credit_code": MATRIX_CREDIT}


def matrix_conflict(world: Any) -> dict[str, str]:
    """An open conflict of 北山; the list names both organisations' credit codes."""
    conflict_id = make_conflict(serial=302)
    world.references.update({CREDIT, OTHER_CREDIT})
    return {"conflict_id": str(conflict_id)}
