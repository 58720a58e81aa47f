"""The demo resident of `make up`: a person registered in the city long enough to apply for a
residence permit (HZ-1), so a newcomer can try the whole permit flow at once. Each zone loads
its own half of the record (`load_demo_register` in the police zone, `load_demo_residents` in
the portal) from these constants; never run either on a production database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .permit_eligibility import add_months


@dataclass(frozen=True)
class DemoResident:
    reference: str
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    phone: str
    community_code: str
    address_detail: str
    employer_name: str
    months_registered: int
    registration_number: str

    def declared_at(self, today: dt.date | None = None) -> dt.datetime:
        """Midday, `months_registered` months before today: always old enough to apply."""
        today = today or timezone.localdate()
        day = add_months(today, -self.months_registered)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


DEMO_RESIDENT = DemoResident(
    reference="JZ00000000000001",
    name="陈晓梅",
    id_number="342401199203150025",
    sex="F",
    birth_date=dt.date(1992, 3, 15),
    phone="13900001111",
    community_code="330106002001",  # 西湖区 北山街道
    address_detail="曙光路 88 号 2 幢 301 室",
    employer_name="杭州示例科技有限公司",
    months_registered=8,
    registration_number="DEMO-0001",
)


@dataclass(frozen=True)
class DemoOrganisation:
    credit_code: str
    name: str
    kind: str
    address: str
    contact_name: str
    contact_phone: str
    approved: bool


# Organisations of 西湖区 for the reporting demo: the police zone loads what they reported
# (`load_demo_reporting`), the portal their accounts (`load_demo_organisations`); each contact
# signs in on the portal with the phone below. Credit codes are checksum-valid (ID-9).
DEMO_DISTRICT = "330106"
DEMO_ORGANISATIONS = (
    DemoOrganisation(
        "91330106MA2H00001E",
        "杭州示例科技有限公司",
        "employer",
        "西湖区文三路 90 号",
        "王建华",
        "13705710001",
        True,
    ),
    DemoOrganisation(
        "91330106MA2H00002H",
        "杭州示例房产中介有限公司",
        "rental_agency",
        "西湖区曙光路 20 号",
        "林丽",
        "13705710002",
        True,
    ),
    DemoOrganisation(
        "91330106MA2H00003L",
        "杭州示例物业服务有限公司",
        "property_management",
        "西湖区北山路 5 号",
        "张伟",
        "13705710003",
        False,
    ),
)
