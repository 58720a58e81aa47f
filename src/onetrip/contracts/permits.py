"""Residence-permit messages (居住证): DOMAIN NAT-1, ZJ-14, HZ-1."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from .base import Contract, register


class RegistrationRecordV1(BaseModel):
    """One registration as the resident may see it: dates and address, no staff data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registration_number: str = Field(max_length=40)
    declared_on: dt.date
    registered_on: dt.date
    ended_on: dt.date | None = None
    community_code: str = Field(min_length=12, max_length=12)
    address_detail: str = Field(max_length=200)


@register
class ResidenceHistoryV1(Contract):
    """The whole registration history of one person, sent again whenever it changes, so the
    portal can count continuous registered months (HZ-1) without asking the police zone at
    request time. A snapshot, not a delta: applying an older one after a newer is refused by
    `as_of`."""

    message_type = "residence.history"
    version = 1
    aggregate_type = "person"

    id_number: str = Field(min_length=18, max_length=18)
    registrations: list[RegistrationRecordV1] = Field(max_length=500)
    as_of: dt.datetime
