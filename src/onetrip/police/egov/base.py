"""The department data sources and the values they answer in (DOMAIN HZ-2, HZ-7, DOC-5).

One interface per source. The case work talks to these Protocols only, so another province's
system is one more client beside `sources.py`, and tests drive the real clients against the
loopback simulator (`onetrip.simulators.egov`).

Every question carries a `QueryContext`: who asks (an officer, or the system on a case's behalf),
the case it serves and a purpose code (DOMAIN PI-2: a clear purpose; the X-Road model of DESIGN
§3: every exchange names its requester and its reason). A question without them is refused
before anything leaves the zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from .errors import EgovRefused

POPULATION = "population"
SOCIAL_INSURANCE = "social_insurance"
HOUSING = "housing"
EDUCATION = "education"
SOURCES = (POPULATION, SOCIAL_INSURANCE, HOUSING, EDUCATION)
SOURCE_LABELS = {
    POPULATION: _("人口信息系统"),
    SOCIAL_INSURANCE: _("人力资源和社会保障部门"),
    HOUSING: _("住房和城乡建设部门"),
    EDUCATION: _("教育部门"),
}

# Why a department may be asked (PI-2): each code is one statutory task of the police zone.
PURPOSES = {
    "permit_prereview": _("居住证申请预审"),
    "permit_acceptance": _("居住证窗口受理"),
    "declaration_verify": _("居住登记核验"),
}
MAX_REFERENCE = 32


@dataclass(frozen=True)
class QueryContext:
    """Who asks, for which case, and why. `requester` is "officer:<username>" or
    "system:<task>"."""

    requester: str
    case_reference: str
    purpose: str
    # The audit log's object type of the case: a permit case or a residence declaration.
    case_type: str = "permit_case"

    @classmethod
    def for_officer(cls, username: str, *, case_reference: str, purpose: str) -> QueryContext:
        return cls(f"officer:{username}", case_reference, purpose)

    @classmethod
    def for_system(cls, task: str, *, case_reference: str, purpose: str) -> QueryContext:
        return cls(f"system:{task}", case_reference, purpose)

    @property
    def actor(self) -> str:
        """The audit log's actor: the officer's username, or "system"."""
        kind, _sep, name = self.requester.partition(":")
        return name if kind == "officer" else "system"

    def check(self) -> None:
        """Raise EgovRefused unless the question names its requester, case and purpose."""
        kind, sep, name = self.requester.partition(":")
        if kind not in ("officer", "system") or not sep or not name:
            raise EgovRefused("no_requester")
        if not self.case_reference or len(self.case_reference) > MAX_REFERENCE:
            raise EgovRefused("no_case")
        if self.purpose not in PURPOSES:
            raise EgovRefused("no_purpose")


@dataclass(frozen=True)
class ContributionMonth:
    month: dt.date  # the first day of the month paid for
    employer: str
    region: str  # the county-level division code where it was paid
    back_paid: bool  # 补缴: paid late for a past month (HZ-2: breaks continuity)


@dataclass(frozen=True)
class SocialInsuranceRecord:
    found: bool
    months: tuple[ContributionMonth, ...] = ()
    # 就业登记: the employer the department has the person registered as working for.
    registered_employer: str = ""
    registered_since: dt.date | None = None
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class Property:
    community_code: str
    address: str
    certificate: str  # the catalogue id of the title it stands for: C19 or C20


@dataclass(frozen=True)
class FiledLease:
    community_code: str
    address: str
    filed_on: dt.date
    until: dt.date
    land: str  # "state" or "collective"


@dataclass(frozen=True)
class HousingRecord:
    properties: tuple[Property, ...] = ()
    leases: tuple[FiledLease, ...] = ()
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class Enrolment:
    school: str
    since: dt.date
    until: dt.date | None  # None while enrolled


@dataclass(frozen=True)
class EnrolmentRecord:
    enrolments: tuple[Enrolment, ...] = ()
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class PopulationRecord:
    """Whether the name and ID number belong together; the rest only when they do."""

    match: bool
    hukou_address: str = ""
    ethnicity: str = ""
    photo_jpeg: bytes = field(default=b"", repr=False)
    answered_at: dt.datetime | None = None


class SocialInsuranceSource(Protocol):
    def contributions(self, *, ctx: QueryContext, id_number: str) -> SocialInsuranceRecord:
        """Contribution months (employer, region, back payment) of the last years, and the
        employment registration."""
        ...


class HousingSource(Protocol):
    def residences(self, *, ctx: QueryContext, id_number: str) -> HousingRecord:
        """The person's titles and filed leases (租赁登记备案)."""
        ...


class EducationSource(Protocol):
    def enrolments(self, *, ctx: QueryContext, id_number: str) -> EnrolmentRecord:
        """The student's enrolments, for continuous study (HZ-4)."""
        ...


class PopulationSource(Protocol):
    def identity(
        self, *, ctx: QueryContext, id_number: str, name: str, with_photo: bool = False
    ) -> PopulationRecord:
        """Name ↔ ID number match; household-registration address, ethnicity and, when asked,
        the ID-card photo (DOC-5)."""
        ...
