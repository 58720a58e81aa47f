"""Residence permits on the portal: the registration history mirror and the eligibility check
(NAT-1, ZJ-14, HZ-1…HZ-5)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.identifiers import parse_resident_id
from onetrip.common.permit_eligibility import (
    Eligibility,
    EligibilityFacts,
    LocalConditions,
    RegistrationPeriod,
    RouteAnswers,
    assess,
)
from onetrip.contracts.permits import RegistrationRecordV1, ResidenceHistoryV1
from onetrip.portal.accounts.models import Resident
from onetrip.portal.declarations.models import Declaration

from .models import ResidenceRecord


def residence_history_apply(*, message: ResidenceHistoryV1) -> ResidenceRecord | None:
    """Keep the newest snapshot of a person's registrations; an older one arriving late is
    ignored. Runs inside the ferry's apply transaction."""
    id_hash = lookup_hash(message.id_number, purpose="id_number")
    payload = json.dumps([r.model_dump(mode="json") for r in message.registrations])
    with atomic_for(ResidenceRecord):
        record = ResidenceRecord.objects.select_for_update().filter(id_hash=id_hash).first()
        if record is None:
            return ResidenceRecord.objects.create(
                id_hash=id_hash, registrations=payload, as_of=message.as_of
            )
        if record.as_of >= message.as_of:
            return None
        record.registrations = payload
        record.as_of = message.as_of
        record.save(update_fields=["registrations", "as_of", "updated_at"])
        return record


def residence_history_of(*, id_hash: str) -> list[RegistrationRecordV1]:
    record = ResidenceRecord.objects.filter(id_hash=id_hash).first()
    if record is None:
        return []
    return [RegistrationRecordV1.model_validate(r) for r in json.loads(record.registrations)]


def local_conditions() -> LocalConditions:
    """The deployment's local conditions (HZ-2…HZ-5, HZ-10), from settings."""
    return LocalConditions(
        residence_months=settings.ONETRIP_PERMIT_RESIDENCE_MONTHS,
        social_insurance_months=settings.ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS,
        gap_tolerance_days=settings.ONETRIP_PERMIT_GAP_TOLERANCE_DAYS,
    )


def ids_of_resident(*, resident: Resident) -> list[str]:
    """The ID numbers a resident has declared with, newest first: whose records they may see.

    A resident cannot ask about somebody else's registrations by typing their number."""
    seen: dict[str, None] = {}
    for declaration in Declaration.objects.filter(resident=resident).order_by("-submitted_at"):
        seen.setdefault(declaration.id_number, None)
    return list(seen)


@dataclass(frozen=True)
class EligibilityQuestion:
    """What the resident answers on the eligibility page; the registration history comes from
    the record when `id_number` is one of theirs, else from `declared_on` they type."""

    id_number: str
    declared_on: dt.date | None = None
    answers: RouteAnswers = field(default_factory=RouteAnswers)


def eligibility_check(
    *, question: EligibilityQuestion, resident: Resident | None, today: dt.date | None = None
) -> tuple[Eligibility, bool]:
    """The answer and whether it used the register's own record (True) or the typed date.

    Raises `IdentifierError` for an ID number that is not valid."""
    today = today or timezone.localdate()
    resident_id = parse_resident_id(question.id_number, today=today)
    periods: list[RegistrationPeriod] = []
    from_record = False
    if resident is not None and resident_id.number in ids_of_resident(resident=resident):
        history = residence_history_of(id_hash=lookup_hash(resident_id.number, purpose="id_number"))
        periods = [
            RegistrationPeriod(declared_on=r.declared_on, ended_on=r.ended_on) for r in history
        ]
        from_record = bool(periods)
    if not from_record and question.declared_on is not None:
        periods = [RegistrationPeriod(declared_on=question.declared_on)]
    facts = EligibilityFacts(
        today=today,
        birth_date=resident_id.birth_date,
        registrations=periods,
        answers=question.answers,
    )
    return assess(facts, local_conditions()), from_record
