"""Writes to the register after registration (WF-1): a change of address or workplace (ZJ-11)
and the cancellation (注销) of a registration.

Both arrive either from the resident through the ferry or from staff at the window. Whatever
the channel, one function applies the effect under the registration's row lock: the current
values and the station move, the change row keeps the values before and after, the history and
(for staff) the audit row are written, and the result goes back to the portal as a
`declaration.status_changed` v2 in the same transaction, with the person's registration history
for the permit side (HZ-1).

Lateness (ZJ-11, "变更之日起十日内"): the day of the change is not counted (the usual rule for
periods in days, 民法典 Art. 201), so a change on 1 March may be declared up to and including
11 March; declared on 12 March it is late. Calendar days, not working days, and a deadline
falling on a holiday is not extended (DOMAIN ZJ-11 gives the days only; see docs/rules.md).
The date of declaring is the resident's (the portal's `declared_at`), never the day the ferry
delivered it, so a slow boundary gateway cannot make a resident late.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.common.errors import FieldError
from onetrip.common.identifiers import IdentifierError, normalize_mobile
from onetrip.common.text import TextError, clean_text
from onetrip.contracts.declarations import (
    CANCEL_REASON_LABELS,
    HOUSING_TYPE_LABELS,
    RegistrationCancelDeclaredV1,
    RegistrationCancellationV1,
    RegistrationChangeDeclaredV1,
    RegistrationChangeRecordV1,
)
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record
from onetrip.police.stations.models import Station
from onetrip.police.stations.selectors import station_for_community

from .errors import RegisterError
from .models import (
    CURRENT_STATUSES,
    DeclarationHistory,
    RegistrationChange,
    RegistrationStatus,
    ResidenceDeclaration,
)
from .selectors import declaration_find_for_staff, registration_is_current
from .services import DECIDING_ROLES, emit_status, residence_history_publish

# ZJ-11: a change is declared within this many days after the day of the change.
CHANGE_REPORT_DAYS = 10
OBJECT_TYPE = "residence_declaration"


def change_deadline(changed_on: dt.date) -> dt.date:
    """The last day on which a change of `changed_on` is declared on time (ZJ-11)."""
    return changed_on + dt.timedelta(days=CHANGE_REPORT_DAYS)


def change_is_late(*, changed_on: dt.date, declared_on: dt.date) -> bool:
    return declared_on > change_deadline(changed_on)


def _same_text(a: str, b: str) -> bool:
    def key(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).casefold().split())

    return key(a) == key(b)


@dataclass(frozen=True)
class ChangeInput:
    """A change as the station records it, already clean. Empty `community_code` keeps the
    address; empty `employer_name` with `workplace_changed` False keeps the workplace."""

    changed_on: dt.date
    address_changed: bool
    community_code: str = ""
    address_detail: str = ""
    housing_type: str = ""
    landlord_name: str = ""
    landlord_phone: str = ""
    workplace_changed: bool = False
    employer_name: str = ""


# --- checks -------------------------------------------------------------------------------------


def registration_check_current(*, declaration: ResidenceDeclaration) -> None:
    """Raise unless the registration stands (registered, possibly changed): only a current
    registration can change or be cancelled."""
    if declaration.status == RegistrationStatus.CANCELLED:
        raise RegisterError(
            "registration_cancelled",
            "该居住登记已注销，不能再变更或注销",
            "This registration is cancelled; it can no longer change or be cancelled",
            status=409,
        )
    if declaration.status not in CURRENT_STATUSES:
        raise RegisterError(
            "not_registered",
            "该申报尚未登记，核查登记后才能办理变更或注销",
            "This declaration is not registered yet; only a registration can change or be "
            "cancelled",
            status=409,
        )


def registration_check_can_change(
    *, user: AbstractBaseUser | AnonymousUser, declaration: ResidenceDeclaration
) -> None:
    """Raise `RegisterError` unless `user` may record a change or cancel `declaration` now:
    the station roles of the station now responsible for it, on a current registration."""
    profile = staff_profile(user)
    if profile is None or profile.role not in DECIDING_ROLES:
        raise RegisterError(
            "role_cannot_change",
            "您的岗位无权办理居住登记变更或注销",
            "Your role may not change or cancel residence registrations",
            status=403,
        )
    if profile.station_id != declaration.station_id:
        raise RegisterError(
            "other_station",
            "只有现辖区派出所民警可以办理该居住登记的变更或注销",
            "Only staff of the station now responsible may change or cancel this registration",
            status=403,
        )
    registration_check_current(declaration=declaration)


def registration_can_change(
    *, user: AbstractBaseUser | AnonymousUser, declaration: ResidenceDeclaration
) -> bool:
    """For templates: whether the change and cancel forms would be accepted."""
    try:
        registration_check_can_change(user=user, declaration=declaration)
    except RegisterError:
        return False
    return True


def _last_change_on(declaration: ResidenceDeclaration) -> dt.date | None:
    last = declaration.changes.order_by("-changed_on").values_list("changed_on", flat=True).first()
    return last


def _check_date(
    declaration: ResidenceDeclaration, on: dt.date, *, today: dt.date, field: str, what: str
) -> None:
    """`on` (a change or a cancellation date) lies between the registration and today, and not
    before a change already recorded."""
    what_en = "change" if field == "changed_on" else "cancellation"
    if on > today:
        raise RegisterError(
            f"{field}_future",
            f"{what}日期不能晚于今天",
            f"The {what_en} date cannot be in the future",
            field=field,
        )
    registered_on = declaration.registered_on
    if registered_on is not None and on < registered_on:
        raise RegisterError(
            f"{field}_before_registration",
            f"{what}日期不能早于登记日期（{registered_on:%Y-%m-%d}）",
            f"The {what_en} date cannot be before the registration date ({registered_on:%Y-%m-%d})",
            field=field,
        )
    last = _last_change_on(declaration)
    if last is not None and on < last:
        raise RegisterError(
            f"{field}_before_last_change",
            f"{what}日期不能早于上一次变更的日期（{last:%Y-%m-%d}）",
            f"The {what_en} date cannot be before the last change ({last:%Y-%m-%d})",
            field=field,
        )


def _check_something_changes(declaration: ResidenceDeclaration, change: ChangeInput) -> None:
    same_address = not change.address_changed or (
        change.community_code == declaration.community_code
        and _same_text(change.address_detail, declaration.address_detail)
        and change.housing_type == declaration.housing_type
        and change.landlord_name == declaration.landlord_name
        and change.landlord_phone == declaration.landlord_phone
    )
    same_workplace = not change.workplace_changed or _same_text(
        change.employer_name, declaration.employer_name
    )
    if same_address and same_workplace:
        raise RegisterError(
            "nothing_changed",
            "新的居住地址和服务处所与现登记的相同，没有需要变更的内容",
            "The new address and workplace are those registered; there is nothing to change",
        )


def _new_station(change: ChangeInput, declaration: ResidenceDeclaration) -> Station:
    """The station covering the new address: a change to another station's area moves the
    registration there (as a declaration finds its station on arrival)."""
    if not change.address_changed or change.community_code == declaration.community_code:
        return declaration.station
    station = station_for_community(change.community_code)
    if station is None:
        raise RegisterError(
            "no_station",
            "新的居住地所在社区暂无对应派出所，请核对社区",
            "No station covers the new community; check it",
            field="community_code",
        )
    return station


# --- the effect, whatever the channel --------------------------------------------------------


def _emit(declaration: ResidenceDeclaration, *, actor: str, **extra: object) -> None:
    emit_status(declaration, actor=actor, **extra)  # type: ignore[arg-type]
    residence_history_publish(id_hash=declaration.id_hash)


def _apply_change(
    declaration: ResidenceDeclaration,
    change: ChangeInput,
    *,
    change_reference: str,
    channel: str,
    declared_at: dt.datetime,
    actor: str,
    user: AbstractBaseUser | None = None,
) -> RegistrationChange:
    """Record `change` on the locked, current `declaration`; the caller checked it."""
    now = timezone.now()
    station = _new_station(change, declaration)
    declared_on = timezone.localtime(declared_at).date()
    late = change_is_late(changed_on=change.changed_on, declared_on=declared_on)
    row = RegistrationChange(
        declaration=declaration,
        change_reference=change_reference,
        channel=channel,
        changed_on=change.changed_on,
        declared_at=declared_at,
        recorded_at=now,
        late=late,
        address_changed=change.address_changed,
        workplace_changed=change.workplace_changed,
        old_community_code=declaration.community_code,
        old_address_detail=declaration.address_detail,
        old_employer_name=declaration.employer_name,
        old_station=declaration.station,
        station=station,
        recorded_by=user,  # type: ignore[misc]
    )
    if change.address_changed:
        declaration.community_code = change.community_code
        declaration.address_detail = change.address_detail
        declaration.housing_type = change.housing_type
        declaration.landlord_name = change.landlord_name
        declaration.landlord_phone = change.landlord_phone
    if change.workplace_changed:
        declaration.employer_name = change.employer_name
    row.community_code = declaration.community_code
    row.address_detail = declaration.address_detail
    row.housing_type = declaration.housing_type
    row.landlord_name = declaration.landlord_name
    row.landlord_phone = declaration.landlord_phone
    row.employer_name = declaration.employer_name
    row.save()
    previous = declaration.status
    declaration.station = station
    declaration.status = RegistrationStatus.CHANGED
    declaration.save()
    parts = [f"{change.changed_on:%Y-%m-%d}"]
    parts.append(
        {
            (True, True): "居住地址和服务处所变更",
            (True, False): "居住地址变更",
            (False, True): "服务处所变更",
        }[(change.address_changed, change.workplace_changed)]
    )
    parts.append("逾期申报" if late else "按期申报")
    if row.moved_station:
        parts.append(f"转至{station.name}")
    DeclarationHistory.objects.create(
        declaration=declaration,
        from_status=previous,
        to_status=declaration.status,
        actor=actor,
        note="，".join(parts),
        at=now,
    )
    if user is not None:
        profile = staff_profile(user)
        audit_record(
            actor=user.get_username(),
            actor_role=profile.role if profile else "",
            station_code=row.old_station.code,
            action="registration.change",
            object_type=OBJECT_TYPE,
            object_id=declaration.reference,
            purpose="residence_registration",
            detail={
                "change_reference": change_reference,
                "fields": _changed_fields(change),
                "late": late,
                "to_station": station.code,
            },
        )
    _emit(
        declaration,
        actor=actor if user is None else f"staff:{user.get_username()}",
        status="changed",
        change=RegistrationChangeRecordV1(
            change_reference=change_reference,
            channel=channel,  # type: ignore[arg-type]
            changed_on=change.changed_on,
            declared_on=declared_on,
            late=late,
            address_changed=change.address_changed,
            community_code=declaration.community_code,
            address_detail=declaration.address_detail,
            housing_type=declaration.housing_type or None,  # type: ignore[arg-type]
            landlord_name=declaration.landlord_name,
            landlord_phone=declaration.landlord_phone,
            workplace_changed=change.workplace_changed,
            employer_name=declaration.employer_name,
        ),
    )
    return row


def _changed_fields(change: ChangeInput) -> list[str]:
    fields = []
    if change.address_changed:
        fields += ["community_code", "address_detail", "housing_type", "landlord"]
    if change.workplace_changed:
        fields.append("employer_name")
    return fields


def _permit_effect(declaration: ResidenceDeclaration, reason: str) -> str:
    """What the cancellation means for a residence permit resting on the person's registration:
    none while another registration of theirs stands; otherwise the permit has lost its basis
    (its endorsement is refused, ZJ-17), or the holder has died."""
    if reason == "died":
        return "holder_deceased"
    if registration_is_current(id_hash=declaration.id_hash):
        return "none"
    return "no_current_registration"


def _apply_cancel(
    declaration: ResidenceDeclaration,
    *,
    cancelled_on: dt.date,
    reason: str,
    note: str,
    channel: str,
    request_reference: str,
    actor: str,
    user: AbstractBaseUser | None = None,
) -> ResidenceDeclaration:
    now = timezone.now()
    previous = declaration.status
    declaration.status = RegistrationStatus.CANCELLED
    declaration.cancelled_on = cancelled_on
    declaration.cancel_reason = reason
    declaration.cancel_note = note
    declaration.cancel_request_reference = request_reference
    declaration.cancelled_by = user  # type: ignore[assignment]
    declaration.cancelled_at = now
    declaration.save()
    # Decided after the save, so this registration no longer counts as the person's current one.
    declaration.permit_effect = _permit_effect(declaration, reason)
    declaration.save(update_fields=["permit_effect"])
    label = str(CANCEL_REASON_LABELS[reason])
    DeclarationHistory.objects.create(
        declaration=declaration,
        from_status=previous,
        to_status=declaration.status,
        actor=actor,
        note=f"{cancelled_on:%Y-%m-%d}，{label}" + (f"：{note}" if note else ""),
        at=now,
    )
    if user is not None:
        profile = staff_profile(user)
        audit_record(
            actor=user.get_username(),
            actor_role=profile.role if profile else "",
            station_code=declaration.station.code,
            action="registration.cancel",
            object_type=OBJECT_TYPE,
            object_id=declaration.reference,
            purpose="residence_registration",
            detail={"reason": reason, "permit_effect": declaration.permit_effect},
        )
    _emit(
        declaration,
        actor=actor if user is None else f"staff:{user.get_username()}",
        status="cancelled",
        cancellation=RegistrationCancellationV1(
            request_reference=request_reference,
            channel=channel,  # type: ignore[arg-type]
            cancelled_on=cancelled_on,
            reason=reason,  # type: ignore[arg-type]
            note=note,
            permit_effect=declaration.permit_effect,  # type: ignore[arg-type]
        ),
    )
    return declaration


# --- from the resident, through the ferry ------------------------------------------------------


def _locked_by_reference(reference: str) -> ResidenceDeclaration:
    declaration = (
        ResidenceDeclaration.objects.select_for_update()
        .select_related("station")
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise BusinessReject(f"unknown declaration {reference}")
    return declaration


def registration_change_receive(*, message: RegistrationChangeDeclaredV1) -> RegistrationChange:
    """Record a change the resident declared online (ZJ-11).

    Called by the ferry inside its apply transaction. A change reference already recorded is
    the same change again and changes nothing (exactly once); a change the register cannot
    take (the registration cancelled, a date out of range, nothing changed, no station for
    the new community) is a business reject the portal shows the resident."""
    existing = RegistrationChange.objects.filter(change_reference=message.change_reference).first()
    if existing is not None:
        return existing
    declaration = _locked_by_reference(message.reference)
    change = ChangeInput(
        changed_on=message.changed_on,
        address_changed=message.address_changed,
        community_code=message.community_code,
        address_detail=message.address_detail,
        housing_type=message.housing_type or "",
        landlord_name=message.landlord_name,
        landlord_phone=message.landlord_phone,
        workplace_changed=message.workplace_changed,
        employer_name=message.employer_name,
    )
    try:
        registration_check_current(declaration=declaration)
        _check_date(
            declaration,
            change.changed_on,
            today=timezone.localtime(message.declared_at).date(),
            field="changed_on",
            what="变更",
        )
        _check_something_changes(declaration, change)
        _new_station(change, declaration)
    except RegisterError as exc:
        if exc.code == "no_station":
            raise BusinessReject(f"no station covers community {change.community_code}") from exc
        raise BusinessReject(f"{exc.code}: change {message.change_reference}") from exc
    return _apply_change(
        declaration,
        change,
        change_reference=message.change_reference,
        channel="online",
        declared_at=message.declared_at,
        actor="ferry",
    )


def registration_cancel_receive(*, message: RegistrationCancelDeclaredV1) -> ResidenceDeclaration:
    """Cancel the registration of a resident who declared leaving the city.

    Called by the ferry inside its apply transaction. A registration already cancelled (the
    same request again, or staff were quicker) stays as it is: the outcome the resident asked
    for holds, and nothing is recorded twice."""
    declaration = _locked_by_reference(message.reference)
    if declaration.status == RegistrationStatus.CANCELLED:
        return declaration
    try:
        registration_check_current(declaration=declaration)
        _check_date(
            declaration,
            message.left_on,
            today=timezone.localtime(message.declared_at).date(),
            field="cancelled_on",
            what="注销",
        )
    except RegisterError as exc:
        raise BusinessReject(f"{exc.code}: cancel {message.request_reference}") from exc
    return _apply_cancel(
        declaration,
        cancelled_on=message.left_on,
        reason="left_city",
        note="",
        channel="online",
        request_reference=message.request_reference,
        actor="ferry",
    )


# --- from staff at the window ---------------------------------------------------------------


def _locked_for_staff(user: AbstractBaseUser, reference: str) -> ResidenceDeclaration:
    visible = declaration_find_for_staff(user=user, reference=reference)
    return (
        ResidenceDeclaration.objects.select_for_update()
        .select_related("station")
        .get(pk=visible.pk)
    )


def _text(errors: list[FieldError], value: str, **kwargs: object) -> str:
    try:
        return clean_text(value, **kwargs)  # type: ignore[arg-type]
    except TextError as exc:
        errors.append(FieldError(exc.field, exc.code, exc.message_zh, exc.message_en))
        return ""


def registration_change_input(
    *,
    changed_on: str,
    community_code: str = "",
    address_detail: str = "",
    housing_type: str = "",
    landlord_name: str = "",
    landlord_phone: str = "",
    employer_name: str = "",
) -> ChangeInput:
    """What a clerk typed at the window, checked as a declaration's address is (ZJ-3): every
    problem at once in one `RegisterError`. A community given means a new address; an employer
    given means a new workplace."""
    errors: list[FieldError] = []
    on: dt.date | None = None
    try:
        on = dt.date.fromisoformat(changed_on.strip())
    except ValueError:
        errors.append(
            FieldError(
                "changed_on",
                "date_format",
                "变更日期格式不正确，请按“年-月-日”填写",
                "The change date must be a date such as 2026-03-01",
            )
        )
    community_code = community_code.strip()
    address_changed = bool(community_code or address_detail.strip())
    if address_changed:
        if not divisions.is_in_city(community_code):
            errors.append(
                FieldError(
                    "community_code",
                    "outside_city",
                    "请选择本市范围内新的居住社区（村）",
                    "Choose the new community in this city",
                )
            )
        address_detail = _text(
            errors,
            address_detail,
            field="address_detail",
            label_zh="详细地址",
            label_en="detailed address",
            max_length=200,
            required=True,
        )
        if housing_type not in HOUSING_TYPE_LABELS:
            errors.append(
                FieldError("housing_type", "required", "请选择住所类型", "Choose a housing type")
            )
        landlord_name = _text(
            errors,
            landlord_name,
            field="landlord_name",
            label_zh="房东（出租人）姓名",
            label_en="landlord's name",
            max_length=50,
        )
        if housing_type == "rented" and not landlord_name:
            errors.append(
                FieldError(
                    "landlord_name",
                    "required_for_rented",
                    "租住房屋请填写房东（出租人）姓名",
                    "For rented housing, enter the landlord's name",
                )
            )
        if landlord_phone.strip():
            try:
                landlord_phone = normalize_mobile(landlord_phone)
            except IdentifierError as exc:
                errors.append(
                    FieldError("landlord_phone", exc.code, exc.message_zh, exc.message_en)
                )
    else:
        address_detail = housing_type = landlord_name = landlord_phone = ""
    employer_name = _text(
        errors,
        employer_name,
        field="employer_name",
        label_zh="服务处所",
        label_en="workplace",
        max_length=100,
    )
    workplace_changed = bool(employer_name)
    if not errors and not (address_changed or workplace_changed):
        errors.append(
            FieldError(
                "community_code",
                "nothing_changed",
                "请填写新的居住地址或新的服务处所",
                "Give the new address or the new workplace",
            )
        )
    if errors or on is None:
        raise RegisterError(
            "invalid_change",
            "变更信息有误，请更正后再提交",
            "The change has errors; correct them and submit again",
            errors=errors,
        )
    return ChangeInput(
        changed_on=on,
        address_changed=address_changed,
        community_code=community_code,
        address_detail=address_detail,
        housing_type=housing_type,
        landlord_name=landlord_name,
        landlord_phone=landlord_phone,
        workplace_changed=workplace_changed,
        employer_name=employer_name,
    )


def _window_reference(now: dt.datetime) -> str:
    return f"BC{timezone.localtime(now):%y%m%d}{secrets.randbelow(10**8):08d}"


def registration_change_record(
    *, user: AbstractBaseUser, reference: str, change: ChangeInput
) -> RegistrationChange:
    """Record a change for a person at the window (ZJ-11), declared today."""
    with atomic_for(ResidenceDeclaration, durable=True):
        declaration = _locked_for_staff(user, reference)
        registration_check_can_change(user=user, declaration=declaration)
        now = timezone.now()
        _check_date(
            declaration,
            change.changed_on,
            today=timezone.localdate(),
            field="changed_on",
            what="变更",
        )
        _check_something_changes(declaration, change)
        return _apply_change(
            declaration,
            change,
            change_reference=_window_reference(now),
            channel="window",
            declared_at=now,
            actor=user.get_username(),
            user=user,
        )


def registration_cancel(
    *,
    user: AbstractBaseUser,
    reference: str,
    reason: str,
    note: str = "",
    cancelled_on: dt.date | None = None,
) -> ResidenceDeclaration:
    """Cancel (注销) a registration at the station: left the city, a duplicate, died, or another
    reason, which must then be written out."""
    if reason not in CANCEL_REASON_LABELS:
        raise RegisterError(
            "cancel_reason_required",
            "请选择注销原因",
            "Choose the reason for cancelling",
            field="reason",
        )
    note = clean_text(
        note, field="note", label_zh="注销说明", label_en="note", max_length=500
    ).rstrip("。.")
    if reason == "other" and len(note) < 4:
        raise RegisterError(
            "cancel_note_required",
            "注销原因为“其他”时，请写明原因（至少4个字）",
            "For another reason, write it out (at least 4 characters)",
            field="note",
        )
    with atomic_for(ResidenceDeclaration, durable=True):
        declaration = _locked_for_staff(user, reference)
        registration_check_can_change(user=user, declaration=declaration)
        on = cancelled_on or timezone.localdate()
        _check_date(declaration, on, today=timezone.localdate(), field="cancelled_on", what="注销")
        return _apply_cancel(
            declaration,
            cancelled_on=on,
            reason=reason,
            note=note,
            channel="window",
            request_reference="",
            actor=user.get_username(),
            user=user,
        )
