"""Organisation reporting (单位代报) messages: DOMAIN ZJ-6…ZJ-10, ZJ-13, WF-4, NAT-5.

Employers, rental agencies and property-management firms sign up on the portal; a district
administrator in the police zone approves them before their first report. Their rows travel in
bulk: one `report.rows_submitted` message carries up to MAX_ROWS_PER_MESSAGE validated rows, so
the ferry moves 2.5 million rows as a few thousand messages and the police zone applies each
message with set-based upserts. Every ferry guarantee still holds per message (signed, exactly
once, quarantined when bad); a row the register contradicts comes back in `report.rows_applied`
and joins the organisation's error report.

Fields are minimised (DOMAIN PI-2, ZJ-13): name, ID number, phone, the address down to the room
and the event date; the workplace is the reporting organisation itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field

from .base import Contract, register
from .declarations import check_vocabularies

MAX_ROWS_PER_MESSAGE = 1000

OrganisationKind = Literal["employer", "rental_agency", "property_management"]
ORGANISATION_KIND_LABELS: dict[str, str] = {
    "employer": gettext_lazy("用工单位"),
    "rental_agency": gettext_lazy("房屋租赁中介"),
    "property_management": gettext_lazy("物业服务企业"),
}

OrganisationDecision = Literal["approved", "refused", "suspended"]
ORGANISATION_DECISION_LABELS: dict[str, str] = {
    "approved": gettext_lazy("已通过"),
    "refused": gettext_lazy("未通过"),
    "suspended": gettext_lazy("已暂停"),
}

# 入住/入职 and 离开/离职: the event a row reports about a person.
PersonEvent = Literal["arrived", "left"]
PERSON_EVENT_LABELS: dict[str, str] = {
    "arrived": gettext_lazy("入住/入职"),
    "left": gettext_lazy("离开/离职"),
}

# How the person is tied to the organisation: a worker it employs, or a tenant of a house it
# lets or manages.
PersonRelation = Literal["employee", "tenant"]
PERSON_RELATION_LABELS: dict[str, str] = {
    "employee": gettext_lazy("员工"),
    "tenant": gettext_lazy("租客"),
}

check_vocabularies(
    (OrganisationKind, ORGANISATION_KIND_LABELS),
    (OrganisationDecision, ORGANISATION_DECISION_LABELS),
    (PersonEvent, PERSON_EVENT_LABELS),
    (PersonRelation, PERSON_RELATION_LABELS),
)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonReportRow(_Row):
    """One person arriving or leaving, as validated by the portal.

    `row` is the row number in the organisation's file (or the item's index in an API batch), so
    a problem the register finds can be reported against the row the clerk sees."""

    row: int = Field(ge=1, le=10_000_000)
    event: PersonEvent
    relation: PersonRelation
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    phone: str = Field(default="", max_length=11)
    event_date: dt.date
    community_code: str = Field(min_length=12, max_length=12)
    address_detail: str = Field(min_length=1, max_length=200)
    house_ref: str = Field(default="", max_length=40)


class HouseReportRow(_Row):
    """A rental house the organisation lets or manages, down to the room (ZJ-7, ZJ-8)."""

    row: int = Field(ge=1, le=10_000_000)
    house_ref: str = Field(min_length=1, max_length=40)
    community_code: str = Field(min_length=12, max_length=12)
    address_detail: str = Field(min_length=1, max_length=200)
    owner_name: str = Field(min_length=1, max_length=50)
    owner_id_number: str = Field(min_length=18, max_length=18)
    owner_phone: str = Field(default="", max_length=11)
    rooms: int = Field(ge=1, le=999)
    let_from: dt.date
    let_until: dt.date | None = None


class RowProblem(_Row):
    """Why the register refused a row (or flagged it), in the clerk's words."""

    row: int = Field(ge=1, le=10_000_000)
    column: str = Field(default="", max_length=40)
    code: str = Field(max_length=60)
    message_zh: str = Field(max_length=300)
    message_en: str = Field(max_length=300)


@register
class OrganisationRegisteredV1(Contract):
    """An organisation signed up on the portal and waits for a district administrator."""

    message_type = "organisation.registered"
    version = 1
    aggregate_type = "organisation"

    credit_code: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=100)
    kind: OrganisationKind
    district_code: str = Field(min_length=6, max_length=6)
    address: str = Field(min_length=1, max_length=200)
    contact_name: str = Field(min_length=1, max_length=50)
    contact_phone: str = Field(min_length=11, max_length=11)
    registered_at: dt.datetime


@register
class OrganisationDecidedV1(Contract):
    """The district administrator's decision; only an approved organisation may report."""

    message_type = "organisation.decided"
    version = 1
    aggregate_type = "organisation"

    credit_code: str = Field(min_length=18, max_length=18)
    decision: OrganisationDecision
    reason: str = Field(default="", max_length=300)
    decided_at: dt.datetime


@register
class ReportRowsSubmittedV1(Contract):
    """One chunk of an import's valid rows (at most MAX_ROWS_PER_MESSAGE, people and houses)."""

    message_type = "report.rows_submitted"
    version = 1
    aggregate_type = "report_import"

    import_reference: str = Field(min_length=1, max_length=32)
    chunk: int = Field(ge=1, le=100_000)
    credit_code: str = Field(min_length=18, max_length=18)
    organisation_kind: OrganisationKind
    reported_at: dt.datetime
    people: list[PersonReportRow] = Field(default_factory=list, max_length=MAX_ROWS_PER_MESSAGE)
    houses: list[HouseReportRow] = Field(default_factory=list, max_length=MAX_ROWS_PER_MESSAGE)


@register
class ReportRowsAppliedV1(Contract):
    """What the register made of one chunk: counts, and the rows it refused with their reasons."""

    message_type = "report.rows_applied"
    version = 1
    aggregate_type = "report_import"

    import_reference: str = Field(min_length=1, max_length=32)
    chunk: int = Field(ge=1, le=100_000)
    applied: int = Field(ge=0, le=2 * MAX_ROWS_PER_MESSAGE)
    unchanged: int = Field(ge=0, le=2 * MAX_ROWS_PER_MESSAGE)
    conflicts: int = Field(ge=0, le=2 * MAX_ROWS_PER_MESSAGE)
    refused: list[RowProblem] = Field(default_factory=list, max_length=2 * MAX_ROWS_PER_MESSAGE)
