"""The resident's side of a registration after it is made (WF-1): declaring a change of
address or workplace (ZJ-11) and declaring leaving the city (注销).

The portal checks what it can, stores the request and its ferry message in one transaction and
shows it as waiting; the station records it (or refuses it) and the answer comes back through
`declaration_apply_status_change` (or the reject handler). Sending the same request again
returns the first one and sends nothing: a double tap or a client's retry is not a second
change.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_noop

from onetrip.common import divisions
from onetrip.common.db import atomic_for
from onetrip.common.text import clean_text
from onetrip.contracts.declarations import (
    RegistrationCancelDeclaredV1,
    RegistrationChangeDeclaredV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.notify.services import sms_queue

from .errors import (
    ChangeInvalid,
    DeclarationNotFound,
    FieldError,
    RegistrationNotCurrent,
    RequestPending,
)
from .models import (
    Declaration,
    DeclarationEvent,
    DeclarationStatus,
    EventStatus,
    RegistrationRequest,
)
from .services import _parse_date, _text, declaration_check_address, same_address

# A registration that stands (WF-1): registered, possibly changed since.
CURRENT_STATUSES = (DeclarationStatus.REGISTERED, DeclarationStatus.CHANGED)
ADDRESS_FIELDS = ("community_code", "address_detail", "housing_type", "landlord_name")


@dataclass(frozen=True)
class ChangeInput:
    """What a resident types for a change, as strings, from the page or the API. The new
    address is the declaration's address fields; leave them all empty to keep the address, and
    the employer empty to keep the workplace."""

    changed_on: str
    community_code: str = ""
    address_detail: str = ""
    housing_type: str = ""
    landlord_name: str = ""
    landlord_phone: str = ""
    employer_name: str = ""


def _locked(resident: Resident, reference: str) -> Declaration:
    declaration = (
        Declaration.objects.select_for_update()
        .filter(resident=resident, reference=reference.strip().upper())
        .first()
    )
    if declaration is None:
        raise DeclarationNotFound(reference)
    return declaration


def _check_current(declaration: Declaration) -> None:
    if declaration.status == DeclarationStatus.CANCELLED:
        raise RegistrationNotCurrent(cancelled=True)
    if declaration.status not in CURRENT_STATUSES:
        raise RegistrationNotCurrent(cancelled=False)


def _check_day(
    declaration: Declaration,
    value: str,
    *,
    field: str,
    label_zh: str,
    label_en: str,
    today: dt.date,
    errors: list[FieldError],
) -> dt.date | None:
    """A change or leaving date: a real date, not in the future, not before the registration,
    not before a change already recorded."""
    if not value.strip():
        errors.append(
            FieldError(field, "required", f"请填写{label_zh}", f"The {label_en} is required")
        )
        return None
    day, err = _parse_date(field, value, label_zh, label_en)
    if err is not None or day is None:
        errors.append(err)  # type: ignore[arg-type]
        return None
    if day > today:
        errors.append(
            FieldError(
                field,
                "future",
                f"{label_zh}不能晚于今天",
                f"The {label_en} cannot be in the future",
            )
        )
        return None
    registered_on = declaration.registered_on
    if registered_on is not None and day < registered_on:
        errors.append(
            FieldError(
                field,
                "before_registration",
                f"{label_zh}不能早于登记日期（{registered_on:%Y-%m-%d}）",
                f"The {label_en} cannot be before the registration date ({registered_on:%Y-%m-%d})",
            )
        )
        return None
    last = (
        declaration.requests.filter(
            kind=RegistrationRequest.Kind.CHANGE, state=RegistrationRequest.State.RECORDED
        )
        .order_by("-effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )
    if last is not None and day < last:
        errors.append(
            FieldError(
                field,
                "before_last_change",
                f"{label_zh}不能早于上一次变更的日期（{last:%Y-%m-%d}）",
                f"The {label_en} cannot be before the last change ({last:%Y-%m-%d})",
            )
        )
        return None
    return day


def registration_change_check(
    data: ChangeInput, *, declaration: Declaration, today: dt.date | None = None
) -> dict[str, Any]:
    """Validate a change completely; raise `ChangeInvalid` listing every problem.

    The new address is checked exactly as a declaration's (`declaration_check_address`)."""
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    clean["changed_on"] = _check_day(
        declaration,
        data.changed_on,
        field="changed_on",
        label_zh="变更日期",
        label_en="change date",
        today=today,
        errors=errors,
    )
    address_given = any(
        (getattr(data, name) or "").strip() for name in (*ADDRESS_FIELDS, "landlord_phone")
    )
    clean["address_changed"] = address_given
    if address_given:
        declaration_check_address(data, errors, clean)
    else:
        clean.update(community_code="", address_detail="", housing_type=None, landlord_name="")
        clean["landlord_phone"] = ""
    clean["employer_name"] = _text(
        errors,
        clean_text,
        data.employer_name,
        field="employer_name",
        label_zh="新的服务处所",
        label_en="new workplace",
        max_length=100,
    )
    clean["workplace_changed"] = bool(clean["employer_name"])
    if not errors:
        _check_something_changes(declaration, clean, errors)
    if errors:
        raise ChangeInvalid(errors)
    return clean


def _check_something_changes(
    declaration: Declaration, clean: dict[str, Any], errors: list[FieldError]
) -> None:
    if not (clean["address_changed"] or clean["workplace_changed"]):
        errors.append(
            FieldError(
                "community_code",
                "nothing_changed",
                "请填写新的居住地址或新的服务处所",
                "Give the new address or the new workplace",
            )
        )
        return
    same_place = not clean["address_changed"] or (
        clean["community_code"] == declaration.community_code
        and same_address(clean["address_detail"], declaration.address_detail)
        and clean["housing_type"] == declaration.housing_type
        and clean["landlord_name"] == declaration.landlord_name
        and clean["landlord_phone"] == declaration.landlord_phone
    )
    same_work = not clean["workplace_changed"] or same_address(
        clean["employer_name"], declaration.employer_name
    )
    if same_place and same_work:
        errors.append(
            FieldError(
                "community_code" if clean["address_changed"] else "employer_name",
                "nothing_changed",
                "新的居住地址和服务处所与现登记的相同，没有需要变更的内容",
                "The new address and workplace are those registered; there is nothing to change",
            )
        )


def _same_change(request: RegistrationRequest, clean: dict[str, Any]) -> bool:
    return (
        request.effective_on == clean["changed_on"]
        and request.address_changed == clean["address_changed"]
        and request.workplace_changed == clean["workplace_changed"]
        and request.community_code == clean["community_code"]
        and same_address(request.address_detail, clean["address_detail"])
        and (request.housing_type or None) == (clean["housing_type"] or None)
        and request.landlord_name == clean["landlord_name"]
        and request.landlord_phone == clean["landlord_phone"]
        and same_address(request.employer_name, clean["employer_name"])
    )


def _new_reference(prefix: str, now: dt.datetime) -> str:
    return f"{prefix}{timezone.localtime(now):%y%m%d}{secrets.randbelow(10**8):08d}"


def _pending(declaration: Declaration, kind: str) -> RegistrationRequest | None:
    return declaration.requests.filter(kind=kind, state=RegistrationRequest.State.PENDING).first()


def registration_change_declare(
    *, resident: Resident, reference: str, data: ChangeInput, channel: str = "web"
) -> tuple[RegistrationRequest, bool]:
    """Declare a change of address and/or workplace of the resident's registration (ZJ-11).

    Returns the request and whether it is new: the same change declared again (pending or
    already recorded) returns the first and sends nothing. Refused while the registration is
    not current, or while another request about it waits for the station."""
    for attempt in range(5):
        try:
            with atomic_for(Declaration, durable=True):
                return _change_declare(resident, reference, data, channel)
        except IntegrityError:
            if attempt == 4:
                raise
    raise RuntimeError("could not allocate a change reference")


def _change_declare(
    resident: Resident, reference: str, data: ChangeInput, channel: str
) -> tuple[RegistrationRequest, bool]:
    declaration = _locked(resident, reference)
    changes = declaration.requests.filter(kind=RegistrationRequest.Kind.CHANGE).exclude(
        state=RegistrationRequest.State.REJECTED
    )
    _check_current(declaration)
    try:
        clean = registration_change_check(data, declaration=declaration)
    except ChangeInvalid as exc:
        # The same change again after it was recorded reads as "nothing changed": it is the
        # first request, answered as such.
        if any(e.code == "nothing_changed" for e in exc.errors):
            for request in changes:
                if _change_matches_typed(request, data):
                    return request, False
        raise
    for request in changes:
        if _same_change(request, clean):
            return request, False
    for kind in (RegistrationRequest.Kind.CANCEL, RegistrationRequest.Kind.CHANGE):
        waiting = _pending(declaration, kind)
        if waiting is not None:
            raise RequestPending(waiting.reference, cancel=kind == RegistrationRequest.Kind.CANCEL)
    now = timezone.now()
    request = RegistrationRequest.objects.create(
        declaration=declaration,
        reference=_new_reference("BG", now),
        kind=RegistrationRequest.Kind.CHANGE,
        channel="online",
        effective_on=clean["changed_on"],
        address_changed=clean["address_changed"],
        community_code=clean["community_code"],
        address_detail=clean["address_detail"],
        housing_type=clean["housing_type"] or "",
        landlord_name=clean["landlord_name"],
        landlord_phone=clean["landlord_phone"],
        workplace_changed=clean["workplace_changed"],
        employer_name=clean["employer_name"],
        submitted_at=now,
    )
    DeclarationEvent.objects.create(
        declaration=declaration, status=EventStatus.CHANGE_SUBMITTED, request=request, at=now
    )
    emit(
        zone="portal",
        message=RegistrationChangeDeclaredV1(
            reference=declaration.reference,
            change_reference=request.reference,
            changed_on=request.effective_on,
            address_changed=request.address_changed,
            community_code=request.community_code,
            address_detail=request.address_detail,
            housing_type=request.housing_type or None,  # type: ignore[arg-type]
            landlord_name=request.landlord_name,
            landlord_phone=request.landlord_phone,
            workplace_changed=request.workplace_changed,
            employer_name=request.employer_name,
            declared_at=now,
        ),
        aggregate_id=declaration.reference,
        correlation_id=declaration.reference,
        actor=f"resident:{resident.pk}",
        purpose="residence_registration",
    )
    return request, True


def _change_matches_typed(request: RegistrationRequest, data: ChangeInput) -> bool:
    """Whether `data` as typed is the recorded `request` (the address compared as spelled)."""
    try:
        day = dt.date.fromisoformat(data.changed_on.strip())
    except ValueError:
        return False
    typed_address = bool(data.community_code.strip())
    return (
        request.effective_on == day
        and request.address_changed == typed_address
        and (not typed_address or request.community_code == data.community_code.strip())
        and (not typed_address or same_address(request.address_detail, data.address_detail))
        and same_address(request.employer_name, data.employer_name)
    )


def registration_cancel_declare(
    *, resident: Resident, reference: str, left_on: str, channel: str = "web"
) -> tuple[RegistrationRequest, bool]:
    """Declare leaving the city on `left_on`: the station cancels (注销) the registration.

    Returns the request and whether it is new; the same declaration again returns the first."""
    for attempt in range(5):
        try:
            with atomic_for(Declaration, durable=True):
                return _cancel_declare(resident, reference, left_on)
        except IntegrityError:
            if attempt == 4:
                raise
    raise RuntimeError("could not allocate a cancellation reference")


def _cancel_declare(
    resident: Resident, reference: str, left_on: str
) -> tuple[RegistrationRequest, bool]:
    declaration = _locked(resident, reference)
    waiting = _pending(declaration, RegistrationRequest.Kind.CANCEL)
    typed = left_on.strip()
    if waiting is not None and typed == waiting.effective_on.isoformat():
        return waiting, False
    _check_current(declaration)
    if waiting is not None:
        raise RequestPending(waiting.reference, cancel=True)
    errors: list[FieldError] = []
    day = _check_day(
        declaration,
        left_on,
        field="left_on",
        label_zh="离开本市日期",
        label_en="date of leaving",
        today=timezone.localdate(),
        errors=errors,
    )
    if errors or day is None:
        raise ChangeInvalid(errors)
    now = timezone.now()
    request = RegistrationRequest.objects.create(
        declaration=declaration,
        reference=_new_reference("ZX", now),
        kind=RegistrationRequest.Kind.CANCEL,
        channel="online",
        effective_on=day,
        submitted_at=now,
    )
    DeclarationEvent.objects.create(
        declaration=declaration, status=EventStatus.CANCEL_SUBMITTED, request=request, at=now
    )
    emit(
        zone="portal",
        message=RegistrationCancelDeclaredV1(
            reference=declaration.reference,
            request_reference=request.reference,
            left_on=day,
            declared_at=now,
        ),
        aggregate_id=declaration.reference,
        correlation_id=declaration.reference,
        actor=f"resident:{resident.pk}",
        purpose="residence_registration",
    )
    return request, True


def registration_can_request(declaration: Declaration) -> bool:
    """For pages: whether the change and cancel links lead anywhere now."""
    return (
        declaration.status in CURRENT_STATUSES
        and not declaration.requests.filter(state=RegistrationRequest.State.PENDING).exists()
    )


# What the police zone's refusals of a request mean for the resident, by the start of the
# reason. The texts are catalog ids, stored as such and translated when shown.
REQUEST_REJECT_REASONS = (
    ("registration_cancelled", gettext_noop("该居住登记已注销")),
    ("not_registered", gettext_noop("该申报尚未登记")),
    ("nothing_changed", gettext_noop("新的地址和服务处所与现登记的相同")),
    ("changed_on_", gettext_noop("变更日期不在登记日期与申报当天之间")),
    ("cancelled_on_", gettext_noop("离开本市日期不在登记日期与申报当天之间")),
    ("no station covers community", gettext_noop("新的居住地所在社区暂无对应派出所")),
)
REQUEST_REJECT_OTHER = gettext_noop("暂时无法办理，请核对后重新申报，或联系当地派出所")


def request_reject_reason(ferry_reason: str) -> str:
    for prefix, text in REQUEST_REJECT_REASONS:
        if ferry_reason.startswith(prefix):
            return text
    return REQUEST_REJECT_OTHER


def registration_request_mark_rejected(
    *, request_reference: str, ferry_reason: str
) -> RegistrationRequest | None:
    """The station could not take a change or cancellation: show it as not done, with a plain
    reason, in the history and by SMS, once. A request already answered keeps its state."""
    with atomic_for(Declaration):
        request = (
            RegistrationRequest.objects.select_for_update()
            .select_related("declaration")
            .filter(reference=request_reference)
            .first()
        )
        if request is None or request.state != RegistrationRequest.State.PENDING:
            return None
        now = timezone.now()
        request.state = RegistrationRequest.State.REJECTED
        request.reject_reason = request_reject_reason(ferry_reason)
        request.resolved_at = now
        request.save(update_fields=["state", "reject_reason", "resolved_at"])
        declaration = request.declaration
        DeclarationEvent.objects.create(
            declaration=declaration,
            status=EventStatus.REQUEST_REJECTED,
            note=request.reject_reason,
            request=request,
            at=now,
        )
        sms_queue(
            phone=declaration.phone,
            template="declaration_request_rejected",
            params={
                "reference": declaration.reference,
                "what": "注销" if request.kind == RegistrationRequest.Kind.CANCEL else "变更",
                "reason": request.reject_reason,
            },
            client_ref=f"registration-request-rejected:{request.reference}",
        )
    return request


def community_label(code: str) -> str:
    return divisions.community_label(code) if code else ""
