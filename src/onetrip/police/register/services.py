"""Writes to the register: receive a declaration from the portal, verify it or return it.

Every decision locks the row, allows only legal transitions, writes the history and the audit row,
and sends the result back to the portal through the ferry in the same transaction (DESIGN §2, §7).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.text import clean_text
from onetrip.contracts.declarations import (
    DECLARED_FIELDS,
    DeclarationResubmittedV1,
    DeclarationStatusChangedV2,
    DeclarationSubmittedV1,
    RegistrationCancellationV1,
    RegistrationChangeRecordV1,
)
from onetrip.contracts.permits import RegistrationRecordV1, ResidenceHistoryV1
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record
from onetrip.police.stations.models import Station
from onetrip.police.stations.selectors import station_for_community

from .errors import RegisterError
from .models import (
    CURRENT_STATUSES,
    DeclarationHistory,
    DuplicateFlag,
    RegistrationCounter,
    RegistrationStatus,
    ResidenceDeclaration,
)
from .selectors import declaration_find_for_staff

RESUBMITTED_NOTE = "申报人按退回原因更正后重新提交"

DECIDING_ROLES = {"window_clerk", "reviewer", "approver", "station_admin"}


def emit_status(
    declaration: ResidenceDeclaration,
    *,
    actor: str,
    reason: str = "",
    status: str = "",
    change: RegistrationChangeRecordV1 | None = None,
    cancellation: RegistrationCancellationV1 | None = None,
) -> None:
    """Tell the portal where the declaration or registration stands (WF-1), in the caller's
    transaction: `status` defaults to the register's own, `received` while it is declared."""
    if not status:
        status = (
            "received"
            if declaration.status == RegistrationStatus.DECLARED
            else str(declaration.status)
        )
    emit(
        zone="police",
        message=DeclarationStatusChangedV2(
            reference=declaration.reference,
            status=status,  # type: ignore[arg-type]
            station_code=declaration.station.code,
            station_name=declaration.station.name,
            registration_number=declaration.registration_number,
            registered_on=declaration.registered_on,
            reason=reason,
            changed_at=timezone.now(),
            change=change,
            cancellation=cancellation,
        ),
        aggregate_id=declaration.reference,
        correlation_id=declaration.reference,
        actor=actor,
        purpose="residence_registration",
    )


def _same_address(a: str, b: str) -> bool:
    def key(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).casefold().split())

    return key(a) == key(b)


def _flag_duplicates(declaration: ResidenceDeclaration) -> None:
    """Mark the declaration when the same person has another active one: at the same address a
    duplicate (the portal refuses those, but two channels can race), elsewhere a change of
    address the station should see next to the older registration."""
    others = (
        ResidenceDeclaration.objects.filter(
            id_hash=declaration.id_hash,
            status__in=(RegistrationStatus.DECLARED, *CURRENT_STATUSES),
        )
        .exclude(pk=declaration.pk)
        .order_by("-received_at")
    )
    declaration.duplicate_flag, declaration.related_reference = DuplicateFlag.NONE, ""
    for other in others:
        same = other.community_code == declaration.community_code and _same_address(
            other.address_detail, declaration.address_detail
        )
        if same:
            declaration.duplicate_flag = DuplicateFlag.SAME_ADDRESS
            declaration.related_reference = other.reference
            return
        if not declaration.duplicate_flag:
            declaration.duplicate_flag = DuplicateFlag.ADDRESS_CHANGE
            declaration.related_reference = other.reference


def declaration_receive(*, message: DeclarationSubmittedV1) -> ResidenceDeclaration:
    """File a declaration in the queue of the station whose jurisdiction covers the community.

    Called by the ferry inside its apply transaction. A second message under a reference the
    register already holds is refused: the portal issues each reference once."""
    if ResidenceDeclaration.objects.filter(reference=message.reference).exists():
        raise BusinessReject(f"declaration {message.reference} already received")
    station = station_for_community(message.community_code)
    if station is None:
        raise BusinessReject(f"no station covers community {message.community_code}")
    now = timezone.now()
    declaration = ResidenceDeclaration(
        reference=message.reference,
        station=station,
        id_hash=lookup_hash(message.id_number, purpose="id_number"),
        phone_hash=lookup_hash(message.phone, purpose="phone"),
        declared_at=message.declared_at,
        received_at=now,
        **message.model_dump(include=set(DECLARED_FIELDS)),
    )
    _flag_duplicates(declaration)
    declaration.save()
    DeclarationHistory.objects.create(
        declaration=declaration,
        to_status=RegistrationStatus.DECLARED,
        actor="ferry",
        note=station.name,
        at=now,
    )
    # The identity check and photo from the population database, asked after the commit
    # (police/egov/identity.py; DOC-5).
    from onetrip.police.egov.identity import identity_check_open

    identity_check_open(reference=declaration.reference)
    emit_status(declaration, actor="system")
    return declaration


def declaration_receive_resubmission(*, message: DeclarationResubmittedV1) -> ResidenceDeclaration:
    """A returned declaration comes back corrected: the same case goes back into the queue of
    the station covering its (possibly new) address, with its history continued.

    Called by the ferry inside its apply transaction; refused unless the case is returned."""
    declaration = (
        ResidenceDeclaration.objects.select_for_update().filter(reference=message.reference).first()
    )
    if declaration is None:
        raise BusinessReject(f"unknown declaration {message.reference}")
    if declaration.status != RegistrationStatus.RETURNED:
        raise BusinessReject(f"declaration {message.reference} is not returned")
    station = station_for_community(message.community_code)
    if station is None:
        raise BusinessReject(f"no station covers community {message.community_code}")
    now = timezone.now()
    for name, value in message.model_dump(include=set(DECLARED_FIELDS)).items():
        setattr(declaration, name, value)
    declaration.id_hash = lookup_hash(message.id_number, purpose="id_number")
    declaration.phone_hash = lookup_hash(message.phone, purpose="phone")
    declaration.station = station
    declaration.declared_at = message.declared_at
    declaration.received_at = now
    declaration.status = RegistrationStatus.DECLARED
    declaration.return_reason = ""
    declaration.decided_by = None
    declaration.decided_at = None
    _flag_duplicates(declaration)
    declaration.save()
    DeclarationHistory.objects.create(
        declaration=declaration,
        from_status=RegistrationStatus.RETURNED,
        to_status=RegistrationStatus.DECLARED,
        actor="ferry",
        note=RESUBMITTED_NOTE,
        at=now,
    )
    emit_status(declaration, actor="system")
    return declaration


def declaration_check_can_decide(
    *, user: AbstractBaseUser | AnonymousUser, declaration: ResidenceDeclaration
) -> None:
    """Raise `RegisterError` unless `user` may verify or return `declaration` now.

    Deciding belongs to the station roles of the responsible station (district and city
    administrators see declarations in their scope but do not decide), and only once."""
    profile = staff_profile(user)
    if profile is None or profile.role not in DECIDING_ROLES:
        raise RegisterError(
            "role_cannot_decide",
            "您的岗位无权核查居住登记申报",
            "Your role may not verify residence declarations",
            status=403,
        )
    if profile.station_id != declaration.station_id:
        raise RegisterError(
            "other_station",
            "只有辖区派出所民警可以核查该申报",
            "Only staff of the responsible station may verify this declaration",
            status=403,
        )
    if declaration.status != RegistrationStatus.DECLARED:
        raise RegisterError(
            "already_decided",
            "该申报已处理，不能重复操作",
            "This declaration has already been decided",
            status=409,
        )


def declaration_can_decide(
    *, user: AbstractBaseUser | AnonymousUser, declaration: ResidenceDeclaration
) -> bool:
    """For templates: whether the verify and return buttons would be accepted."""
    try:
        declaration_check_can_decide(user=user, declaration=declaration)
    except RegisterError:
        return False
    return True


def _next_registration_number(station: Station, on: dt.date) -> str:
    counter, _ = RegistrationCounter.objects.get_or_create(station_code=station.code, year=on.year)
    counter = RegistrationCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code}{on.year}{counter.last:06d}"


def _locked(user: AbstractBaseUser, reference: str) -> ResidenceDeclaration:
    visible = declaration_find_for_staff(user=user, reference=reference)
    return (
        ResidenceDeclaration.objects.select_for_update()
        .select_related("station")
        .get(pk=visible.pk)
    )


def _record(
    *,
    user: AbstractBaseUser,
    declaration: ResidenceDeclaration,
    action: str,
    from_status: str,
    note: str,
) -> None:
    now = timezone.now()
    DeclarationHistory.objects.create(
        declaration=declaration,
        from_status=from_status,
        to_status=declaration.status,
        actor=user.get_username(),
        note=note,
        at=now,
    )
    profile = staff_profile(user)
    audit_record(
        actor=user.get_username(),
        actor_role=profile.role if profile else "",
        station_code=declaration.station.code,
        action=action,
        object_type="residence_declaration",
        object_id=declaration.reference,
        purpose="residence_registration",
    )


def declaration_verify(
    *, user: AbstractBaseUser, reference: str, registered_on: dt.date | None = None
) -> ResidenceDeclaration:
    """Register the declaration (已登记) with a registration number and date."""
    with atomic_for(ResidenceDeclaration, durable=True):
        declaration = _locked(user, reference)
        declaration_check_can_decide(user=user, declaration=declaration)
        registered_on = registered_on or timezone.localdate()
        if registered_on > timezone.localdate() or registered_on < declaration.declared_at.date():
            raise RegisterError(
                "registered_on_invalid",
                "登记日期须在申报日期与今天之间",
                "The registration date must lie between the declaration date and today",
                field="registered_on",
            )
        previous = declaration.status
        declaration.status = RegistrationStatus.REGISTERED
        declaration.registered_on = registered_on
        declaration.registration_number = _next_registration_number(
            declaration.station, registered_on
        )
        declaration.decided_by = user  # type: ignore[assignment]
        declaration.decided_at = timezone.now()
        declaration.save()
        _record(
            user=user,
            declaration=declaration,
            action="declaration.verify",
            from_status=previous,
            note=declaration.registration_number,
        )
        emit_status(declaration, actor=f"staff:{user.get_username()}")
        residence_history_publish(id_hash=declaration.id_hash)
        return declaration


def residence_history_publish(*, id_hash: str) -> None:
    """Send the person's registrations to the portal (HZ-1): dates and current addresses,
    nothing of the staff. A registration ends where the person's next one was declared, or on
    the day it was cancelled, whichever comes first; a change of address within the city does
    not end it (ZJ-11: the registration continues at the new address).

    Call inside the transaction that changed the register."""
    registered = list(
        ResidenceDeclaration.objects.filter(
            id_hash=id_hash,
            status__in=(*CURRENT_STATUSES, RegistrationStatus.CANCELLED),
            registered_on__isnull=False,
        ).order_by("declared_at", "id")
    )
    if not registered:
        return
    records = []
    for current, following in zip(registered, [*registered[1:], None], strict=True):
        assert current.registered_on is not None
        ends = [timezone.localtime(following.declared_at).date()] if following else []
        if current.cancelled_on is not None:
            ends.append(current.cancelled_on)
        records.append(
            RegistrationRecordV1(
                registration_number=current.registration_number,
                declared_on=timezone.localtime(current.declared_at).date(),
                registered_on=current.registered_on,
                ended_on=min(ends) if ends else None,
                community_code=current.community_code,
                address_detail=current.address_detail,
            )
        )
    emit(
        zone="police",
        message=ResidenceHistoryV1(
            id_number=registered[-1].id_number, registrations=records, as_of=timezone.now()
        ),
        aggregate_id=id_hash[:32],
        correlation_id=registered[-1].reference,
        actor="system",
        purpose="residence_permit",
    )


def declaration_return(
    *, user: AbstractBaseUser, reference: str, reason: str
) -> ResidenceDeclaration:
    """Return the declaration to the resident with a reason they can act on."""
    reason = clean_text(
        reason, field="reason", label_zh="退回原因", label_en="reason", max_length=2000
    ).rstrip("。.")
    if len(reason) < 4:
        raise RegisterError(
            "reason_required",
            "请填写退回原因（至少4个字），告诉申报人需要如何更正",
            "Give the reason for returning (at least 4 characters) so the resident can correct it",
            field="reason",
        )
    if len(reason) > 500:
        raise RegisterError(
            "reason_too_long",
            "退回原因过长（最多500字）",
            "The reason is too long (at most 500 characters)",
            field="reason",
        )
    with atomic_for(ResidenceDeclaration, durable=True):
        declaration = _locked(user, reference)
        declaration_check_can_decide(user=user, declaration=declaration)
        previous = declaration.status
        declaration.status = RegistrationStatus.RETURNED
        declaration.return_reason = reason
        declaration.decided_by = user  # type: ignore[assignment]
        declaration.decided_at = timezone.now()
        declaration.save()
        _record(
            user=user,
            declaration=declaration,
            action="declaration.return",
            from_status=previous,
            note=reason,
        )
        emit_status(declaration, actor=f"staff:{user.get_username()}", reason=reason)
        return declaration
