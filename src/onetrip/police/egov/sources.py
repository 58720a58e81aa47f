"""The four department adapters over `EgovHttpClient`: each asks its one question and reads
the verified answer into the values of `base.py`. A field missing or of the wrong type is
`EgovInvalidAnswer("malformed")`, never a default that could pass a check."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.utils import timezone

from .base import (
    ContributionMonth,
    Enrolment,
    EnrolmentRecord,
    FiledLease,
    HousingRecord,
    PopulationRecord,
    Property,
    QueryContext,
    SocialInsuranceRecord,
)
from .client import EgovHttpClient, parse_date
from .errors import EgovInvalidAnswer

MAX_ROWS = 600
MAX_PHOTO_BYTES = 512 * 1024


def _list(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = result.get(name)
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise EgovInvalidAnswer("malformed")
    if not all(isinstance(row, dict) for row in rows):
        raise EgovInvalidAnswer("malformed")
    return rows


def _text(row: dict[str, Any], name: str, *, limit: int = 200, empty: bool = False) -> str:
    value = row.get(name)
    if not isinstance(value, str) or len(value) > limit or (not value and not empty):
        raise EgovInvalidAnswer("malformed")
    return value


def _flag(row: dict[str, Any], name: str) -> bool:
    value = row.get(name)
    if not isinstance(value, bool):
        raise EgovInvalidAnswer("malformed")
    return value


class SocialInsuranceClient:
    def __init__(self, client: EgovHttpClient) -> None:
        self.client = client

    def contributions(self, *, ctx: QueryContext, id_number: str) -> SocialInsuranceRecord:
        result = self.client.query(
            ctx=ctx, operation="contributions", query={"id_number": id_number}
        )
        found = _flag(result, "found")
        months = tuple(
            ContributionMonth(
                month=parse_date(_text(row, "month") + "-01"),
                employer=_text(row, "employer"),
                region=_text(row, "region", limit=6),
                back_paid=_flag(row, "back_paid"),
            )
            for row in _list(result, "months")
        )
        registration = result.get("employment_registration")
        employer, since = "", None
        if registration is not None:
            if not isinstance(registration, dict):
                raise EgovInvalidAnswer("malformed")
            employer = _text(registration, "employer")
            since = parse_date(registration.get("since"))
        return SocialInsuranceRecord(
            found=found,
            months=months,
            registered_employer=employer,
            registered_since=since,
            answered_at=timezone.now(),
        )


class HousingClient:
    def __init__(self, client: EgovHttpClient) -> None:
        self.client = client

    def residences(self, *, ctx: QueryContext, id_number: str) -> HousingRecord:
        result = self.client.query(ctx=ctx, operation="residences", query={"id_number": id_number})
        properties = []
        for row in _list(result, "properties"):
            certificate = _text(row, "certificate", limit=8)
            if certificate not in ("C19", "C20"):
                raise EgovInvalidAnswer("malformed")
            properties.append(
                Property(
                    community_code=_text(row, "community_code", limit=12),
                    address=_text(row, "address"),
                    certificate=certificate,
                )
            )
        leases = []
        for row in _list(result, "leases"):
            land = _text(row, "land", limit=12)
            if land not in ("state", "collective"):
                raise EgovInvalidAnswer("malformed")
            leases.append(
                FiledLease(
                    community_code=_text(row, "community_code", limit=12),
                    address=_text(row, "address"),
                    filed_on=parse_date(row.get("filed_on")),
                    until=parse_date(row.get("until")),
                    land=land,
                )
            )
        return HousingRecord(
            properties=tuple(properties), leases=tuple(leases), answered_at=timezone.now()
        )


class EducationClient:
    def __init__(self, client: EgovHttpClient) -> None:
        self.client = client

    def enrolments(self, *, ctx: QueryContext, id_number: str) -> EnrolmentRecord:
        result = self.client.query(ctx=ctx, operation="enrolments", query={"id_number": id_number})
        rows = []
        for row in _list(result, "enrolments"):
            until = row.get("until")
            rows.append(
                Enrolment(
                    school=_text(row, "school"),
                    since=parse_date(row.get("since")),
                    until=None if until is None else parse_date(until),
                )
            )
        return EnrolmentRecord(enrolments=tuple(rows), answered_at=timezone.now())


class PopulationClient:
    def __init__(self, client: EgovHttpClient) -> None:
        self.client = client

    def identity(
        self, *, ctx: QueryContext, id_number: str, name: str, with_photo: bool = False
    ) -> PopulationRecord:
        result = self.client.query(
            ctx=ctx,
            operation="identity",
            query={"id_number": id_number, "name": name, "photo": with_photo},
        )
        if not _flag(result, "match"):
            return PopulationRecord(match=False, answered_at=timezone.now())
        photo = b""
        if with_photo:
            encoded = _text(result, "photo_base64", limit=MAX_PHOTO_BYTES * 2)
            try:
                photo = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise EgovInvalidAnswer("malformed") from exc
            if not photo.startswith(b"\xff\xd8\xff"):
                raise EgovInvalidAnswer("malformed")
        return PopulationRecord(
            match=True,
            hukou_address=_text(result, "hukou_address"),
            ethnicity=_text(result, "ethnicity", limit=20),
            photo_jpeg=photo,
            answered_at=timezone.now(),
        )
