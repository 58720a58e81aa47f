"""Writes of organisation reporting: organisations signing up and the district's decision,
conflicts resolved by the station (DOMAIN ZJ-6…ZJ-10, ZJ-20, WF-4, WF-6), and `report_rows_apply`,
the bulk apply of what organisations report (in `rows.py`, re-exported here with the other
services).
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.common.text import clean_text
from onetrip.contracts.reporting import (
    ORGANISATION_DECISION_LABELS,
    OrganisationDecidedV1,
    OrganisationRegisteredV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_record

from .errors import ReportingError
from .models import (
    OrganisationStatus,
    ReportConflict,
    ReportingOrganisation,
)
from .rows import report_rows_apply
from .selectors import (
    DECIDING_ROLES,
    RESOLVING_ROLES,
    conflict_find_for_staff,
    organisation_find_for_staff,
)

logger = logging.getLogger(__name__)

__all__ = [
    "conflict_can_resolve",
    "conflict_check_can_resolve",
    "conflict_resolve",
    "organisation_can_decide",
    "organisation_check_can_decide",
    "organisation_decide",
    "organisation_receive",
    "report_rows_apply",
]

PURPOSE = "organisation_reporting"
OBJECT_ORGANISATION = "reporting_organisation"
OBJECT_CONFLICT = "report_conflict"

User = AbstractBaseUser | AnonymousUser

# What a district may do with an organisation in each status; the same status again is refused.
DECISIONS_FROM: dict[str, frozenset[str]] = {
    OrganisationStatus.PENDING: frozenset({"approved", "refused"}),
    OrganisationStatus.APPROVED: frozenset({"suspended"}),
    OrganisationStatus.SUSPENDED: frozenset({"approved", "refused"}),
    OrganisationStatus.REFUSED: frozenset({"approved"}),
}
# A refusal or a suspension tells the organisation why, in words it can act on.
REASON_REQUIRED = frozenset({"refused", "suspended"})
MIN_REASON = 4


# -- organisations ------------------------------------------------------------------------------


def organisation_receive(*, message: OrganisationRegisteredV1) -> ReportingOrganisation:
    """File an organisation's sign-up for its district's decision.

    Idempotent on the credit code: the same registration arriving again changes nothing. A later
    registration of the same code (the account's details corrected on the portal, or signing up
    again after a refusal) updates the details, and a refused organisation waits for a new
    decision; an approved or suspended one keeps its status."""
    now = timezone.now()
    values = {
        "name": message.name,
        "kind": message.kind,
        "district_code": message.district_code,
        "address": message.address,
        "contact_name": message.contact_name,
        "contact_phone": message.contact_phone,
    }
    with atomic_for(ReportingOrganisation):
        organisation = (
            ReportingOrganisation.objects.select_for_update()
            .filter(credit_code=message.credit_code)
            .first()
        )
        if organisation is None:
            organisation = ReportingOrganisation.objects.create(
                credit_code=message.credit_code,
                registered_at=message.registered_at,
                received_at=now,
                **values,
            )
            logger.info("organisation registered organisation_id=%s", organisation.pk)
            return organisation
        if message.registered_at <= organisation.registered_at:
            return organisation
        for name, value in values.items():
            setattr(organisation, name, value)
        organisation.registered_at = message.registered_at
        organisation.received_at = now
        if organisation.status == OrganisationStatus.REFUSED:
            organisation.status = OrganisationStatus.PENDING
            organisation.reason = ""
            organisation.decided_by = None
            organisation.decided_at = None
        organisation.save()
        logger.info("organisation registered again organisation_id=%s", organisation.pk)
        return organisation


def organisation_check_can_decide(
    *, user: User, organisation: ReportingOrganisation, decision: str
) -> None:
    """Raise `ReportingError` unless `user` may take `decision` on `organisation` now.

    The district administrator of the organisation's district or a city administrator decides
    (the caller found the organisation through `organisation_find_for_staff`, which already
    hides other districts' organisations); only the moves of `DECISIONS_FROM` are allowed."""
    profile = staff_profile(user)
    if profile is None or profile.role not in DECIDING_ROLES:
        raise ReportingError(
            "role_cannot_decide",
            "只有分局或市局管理员可以审核报送单位",
            "Only district or city administrators decide on reporting organisations",
            status=403,
        )
    if profile.role == Role.DISTRICT_ADMIN and profile.district_code != organisation.district_code:
        raise ReportingError(
            "other_district",
            "只有单位所在区县的分局管理员可以审核该单位",
            "Only the administrator of the organisation's district may decide",
            status=403,
        )
    if decision not in DECISIONS_FROM.get(organisation.status, frozenset()):
        raise ReportingError(
            "decision_not_allowed",
            "该单位当前状态下不能进行此项操作",
            "This decision is not possible in the organisation's current status",
            status=409,
        )


def organisation_can_decide(
    *, user: User, organisation: ReportingOrganisation, decision: str
) -> bool:
    """For templates: whether the button for `decision` would be accepted."""
    try:
        organisation_check_can_decide(user=user, organisation=organisation, decision=decision)
    except ReportingError:
        return False
    return True


def _clean_reason(decision: str, reason: str) -> str:
    if decision not in ORGANISATION_DECISION_LABELS:
        raise ReportingError(
            "decision_invalid", "请选择审核结果", "Choose a decision", field="decision"
        )
    text = clean_text(
        reason, field="reason", label_zh="理由", label_en="reason", max_length=300
    ).rstrip("。.")
    if decision in REASON_REQUIRED and len(text) < MIN_REASON:
        raise ReportingError(
            "reason_required",
            "不予通过或暂停报送时，请写明理由（至少4个字），告诉单位需要如何处理",
            "Give the reason (at least 4 characters) so the organisation knows what to do",
            field="reason",
        )
    return text


def organisation_decide(
    *, user: AbstractBaseUser, credit_code: str, decision: str, reason: str = ""
) -> ReportingOrganisation:
    """Approve, refuse or suspend an organisation's reporting, tell the portal in the same
    transaction (`organisation.decided`), and audit the decision.

    Only an approved organisation's rows reach the register; a refusal or suspension needs a
    reason the organisation can act on."""
    reason = _clean_reason(decision, reason)
    # Found before the transaction, so that a refused look-up's audit row stays.
    visible = organisation_find_for_staff(user=user, credit_code=credit_code)
    with atomic_for(ReportingOrganisation, durable=True):
        organisation = ReportingOrganisation.objects.select_for_update().get(pk=visible.pk)
        organisation_check_can_decide(user=user, organisation=organisation, decision=decision)
        previous = organisation.status
        now = timezone.now()
        organisation.status = decision
        organisation.reason = reason
        organisation.decided_by = user  # type: ignore[assignment]
        organisation.decided_at = now
        organisation.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        emit(
            zone="police",
            message=OrganisationDecidedV1(
                credit_code=organisation.credit_code,
                decision=decision,  # type: ignore[arg-type]
                reason=reason,
                decided_at=now,
            ),
            aggregate_id=organisation.credit_code,
            correlation_id=organisation.credit_code,
            actor=f"staff:{user.get_username()}",
            purpose=PURPOSE,
        )
        audit_record(
            **audit_actor(user),
            action="organisation.decide",
            object_type=OBJECT_ORGANISATION,
            object_id=organisation.credit_code,
            purpose=PURPOSE,
            detail={"from": previous, "to": decision},
        )
        return organisation


# -- conflicts ------------------------------------------------------------------------------------


def conflict_check_can_resolve(*, user: User, conflict: ReportConflict) -> None:
    """Raise `ReportingError` unless `user` may close `conflict`: the staff of the conflict's
    station resolve it (district and city administrators see it and do not), and only once."""
    profile = staff_profile(user)
    if profile is None or profile.role not in RESOLVING_ROLES:
        raise ReportingError(
            "role_cannot_resolve",
            "只有辖区派出所民警可以处理该疑点",
            "Only staff of the responsible station resolve this conflict",
            status=403,
        )
    if profile.station_id != conflict.station_id:
        raise ReportingError(
            "other_station",
            "只有辖区派出所民警可以处理该疑点",
            "Only staff of the responsible station resolve this conflict",
            status=403,
        )
    if conflict.resolved_at is not None:
        raise ReportingError(
            "already_resolved",
            "该疑点已处理，不能重复操作",
            "This conflict has already been resolved",
            status=409,
        )


def conflict_can_resolve(*, user: User, conflict: ReportConflict) -> bool:
    """For templates: whether the resolve button would be accepted."""
    try:
        conflict_check_can_resolve(user=user, conflict=conflict)
    except ReportingError:
        return False
    return True


def conflict_resolve(*, user: AbstractBaseUser, conflict_id: int, note: str) -> ReportConflict:
    """Close a conflict with what the station found (e.g. after a visit), audited."""
    note = clean_text(
        note, field="note", label_zh="处理结果", label_en="outcome", max_length=300
    ).rstrip("。.")
    if len(note) < MIN_REASON:
        raise ReportingError(
            "note_required",
            "请写明核实结果（至少4个字）",
            "Say what was found (at least 4 characters)",
            field="note",
        )
    visible = conflict_find_for_staff(user=user, conflict_id=conflict_id)
    with atomic_for(ReportConflict, durable=True):
        conflict = ReportConflict.objects.select_for_update().get(pk=visible.pk)
        conflict_check_can_resolve(user=user, conflict=conflict)
        conflict.resolved_at = timezone.now()
        conflict.resolved_by = user  # type: ignore[assignment]
        conflict.resolution = note
        conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(
            **audit_actor(user),
            action="report_conflict.resolve",
            object_type=OBJECT_CONFLICT,
            object_id=str(conflict.pk),
            purpose=PURPOSE,
            detail={"kind": conflict.kind},
        )
        return conflict
