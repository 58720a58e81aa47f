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
