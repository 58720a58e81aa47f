"""Writes for residence self-declaration on the portal side (DOMAIN ZJ-3, ZJ-4, ZJ-12, WF-1).

The portal checks everything it can before anything is stored, then stores the declaration and its
ferry message in one transaction; the police zone decides, and its decision comes back through
`declaration_apply_status_change`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import field, make_dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from onetrip.common import divisions
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.identifiers import (
    IdentifierError,
    ResidentId,
    check_declared_birth_date,
    check_declared_sex,
    normalize_mobile,
    parse_resident_id,
)
from onetrip.common.text import TextError, clean_person_name, clean_text
from onetrip.contracts.base import upcast
from onetrip.contracts.declarations import (
    CANCEL_REASON_LABELS,
    DECLARED_FIELDS,
    HOUSING_TYPE_LABELS,
    PERMIT_EFFECT_LABELS,
    RESIDENCE_REASON_LABELS,
    DeclarationResubmittedV1,
    DeclarationStatusChangedV1,
    DeclarationStatusChangedV2,
    DeclarationSubmittedV1,
    RegistrationChangeRecordV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.limits.services import rate_limit_hits
from onetrip.portal.notify.services import sms_queue

from .errors import (
    DeclarationCannotBeResubmitted,
    DeclarationDuplicate,
    DeclarationInvalid,
    DeclarationNotFound,
    FieldError,
)
from .models import (
    Declaration,
    DeclarationEvent,
    DeclarationStatus,
    HousingType,
    RegistrationRequest,
)
from .selectors import declaration_progress

GUARDIAN_REQUIRED_UNDER = 16  # ZJ-5: under-16s are declared by their guardian
ADULT_AGE = 18
GUARDIAN_RELATIONS = {
    "parent": gettext_lazy("父母"),
    "grandparent": gettext_lazy("祖父母、外祖父母"),
    "sibling": gettext_lazy("兄、姐"),
    "other_guardian": gettext_lazy("其他监护人"),
}


def _input_type() -> type:
    """What a resident types, as strings, from the page or the channel API: one field for each
    declared field of the contract, optional where the contract has a default."""
    contract = DeclarationSubmittedV1.model_fields
    derived = {"sex", "birth_date"}  # read from the ID number (ID-2); typed values must agree
    required = [n for n in DECLARED_FIELDS if contract[n].is_required() and n not in derived]
    optional = [n for n in DECLARED_FIELDS if not contract[n].is_required() or n in derived]
    return make_dataclass(
        "DeclarationInput",
        [(name, str) for name in required] + [(name, str, field(default="")) for name in optional],
        frozen=True,
    )


DeclarationInput = _input_type()

# The clean values of a declaration, by contract field name, ready for the model and the message.
CleanDeclaration = dict[str, Any]


def _parse_date(
    field_name: str, value: str, label_zh: str, label_en: str
) -> tuple[dt.date | None, FieldError | None]:
    try:
        return dt.date.fromisoformat(value.strip()), None
    except ValueError:
        return None, FieldError(
            field_name,
            "date_format",
            f"{label_zh}格式不正确，请按“年-月-日”填写，例如 2026-03-01",
            f"{label_en} must be a date such as 2026-03-01",
        )


def _text(errors: list[FieldError], cleaner: Any, value: str, **kwargs: Any) -> str:
    """`cleaner(value, **kwargs)`, with its refusal added to `errors` (then "")."""
    try:
        return str(cleaner(value, **kwargs))
    except TextError as exc:
        errors.append(FieldError(exc.field, exc.code, exc.message_zh, exc.message_en))
        return ""


def _id_error(field_name: str, exc: IdentifierError) -> FieldError:
    return FieldError(field_name, exc.code, exc.message_zh, exc.message_en)


def _check_person(
    data: Any, today: dt.date, errors: list[FieldError], clean: CleanDeclaration
) -> ResidentId | None:
    """Name, ID number, and the sex and birth date the ID number must agree with (ID-2, ID-5)."""
    clean["name"] = _text(errors, clean_person_name, data.name)

    resident_id = None
    try:
        resident_id = parse_resident_id(data.id_number, today=today)
    except IdentifierError as exc:
        errors.append(_id_error("id_number", exc))
    else:
        clean["id_number"] = resident_id.number

    # ID-2: an 18-digit number holds sex and birth date; they are taken from it, and a value
    # typed as well (the API, or an older client) must agree with it.
    typed_sex = (data.sex or "").strip()
    sex = {"男": "M", "女": "F"}.get(typed_sex, typed_sex.upper())
    if resident_id is not None:
        if sex:
            try:
                check_declared_sex(resident_id, sex)
            except IdentifierError as exc:
                errors.append(_id_error("sex", exc))
        sex = resident_id.sex
    elif sex not in ("M", "F", ""):
        errors.append(FieldError("sex", "choice", "性别请填写 M（男）或 F（女）", "Sex is M or F"))
    clean["sex"] = sex

    birth_date: dt.date | None = None
    if (data.birth_date or "").strip():
        birth_date, err = _parse_date("birth_date", data.birth_date, "出生日期", "Birth date")
        if err:
            errors.append(err)
        elif resident_id is not None and birth_date is not None:
            try:
                check_declared_birth_date(resident_id, birth_date)
            except IdentifierError as exc:
                errors.append(_id_error("birth_date", exc))
    if resident_id is not None:
        birth_date = resident_id.birth_date
    clean["birth_date"] = birth_date
    return resident_id


def _check_contact(data: Any, errors: list[FieldError], clean: CleanDeclaration) -> None:
    """The declarant's mobile number (ID-13)."""
    try:
        clean["phone"] = normalize_mobile(data.phone)
    except IdentifierError as exc:
        errors.append(_id_error("phone", exc))


def _check_address(data: Any, errors: list[FieldError], clean: CleanDeclaration) -> None:
    """Where the declarant lives, in this city, and on what terms (ZJ-3)."""
    community_code = data.community_code.strip()
    if not community_code:
        errors.append(
            FieldError(
                "community_code",
                "required",
                "请选择现居住地所在的社区（村）",
                "Choose the community you live in",
            )
        )
    elif not divisions.is_in_city(community_code):
        errors.append(
            FieldError(
                "community_code",
                "outside_city",
                "所选居住地不在本市辖区内，请在本市范围内选择社区（村）",
                "The address is outside this city; choose a community in this city",
            )
        )
    clean["community_code"] = community_code

    if not (data.address_detail or "").strip():
        errors.append(
            FieldError(
                "address_detail",
                "required",
                "请填写详细地址（路、小区、楼栋、门牌号）",
                "Enter the detailed address (road, estate, building, room)",
            )
        )
    clean["address_detail"] = _text(
        errors,
        clean_text,
        data.address_detail,
        field="address_detail",
        label_zh="详细地址",
        label_en="detailed address",
        max_length=200,
    )

    if data.housing_type not in HOUSING_TYPE_LABELS:
        errors.append(
            FieldError("housing_type", "required", "请选择住所类型", "Choose a housing type")
        )
    clean["housing_type"] = data.housing_type

    landlord_name = _text(
        errors,
        clean_text,
        data.landlord_name,
        field="landlord_name",
        label_zh="房东（出租人）姓名",
        label_en="landlord's name",
        max_length=50,
    )
    if data.housing_type == HousingType.RENTED and not landlord_name:
        errors.append(
            FieldError(
                "landlord_name",
                "required_for_rented",
                "租住房屋请填写房东（出租人）姓名",
                "For rented housing, enter the landlord's name",
            )
        )
    clean["landlord_name"] = landlord_name
    clean["landlord_phone"] = ""
    if data.landlord_phone.strip():
        try:
            clean["landlord_phone"] = normalize_mobile(data.landlord_phone)
        except IdentifierError as exc:
            errors.append(_id_error("landlord_phone", exc))


def declaration_check_address(data: Any, errors: list[FieldError], clean: dict[str, Any]) -> None:
    """The address rules of a declaration (ZJ-3), for a new address declared later (ZJ-11):
    `data` has the address fields; problems go to `errors`, clean values to `clean`."""
    _check_address(data, errors, clean)


def _check_stay(
    data: Any, today: dt.date, errors: list[FieldError], clean: CleanDeclaration
) -> None:
    """Why and since when the declarant lives here, and where they work (ZJ-4)."""
    if data.reason not in RESIDENCE_REASON_LABELS:
        errors.append(FieldError("reason", "required", "请选择居住事由", "Choose a reason"))
    clean["reason"] = data.reason

    arrival_date, err = _parse_date("arrival_date", data.arrival_date, "来本地日期", "Arrival date")
    birth_date = clean.get("birth_date")
    if err:
        errors.append(err)
    elif arrival_date is not None:
        if arrival_date > today:
            errors.append(
                FieldError(
                    "arrival_date",
                    "future",
                    "来本地日期不能晚于今天",
                    "The arrival date cannot be in the future",
                )
            )
        elif birth_date is not None and arrival_date < birth_date:
            errors.append(
                FieldError(
                    "arrival_date",
                    "before_birth",
                    "来本地日期不能早于出生日期",
                    "The arrival date cannot be before the birth date",
                )
            )
    clean["arrival_date"] = arrival_date

    clean["employer_name"] = _text(
        errors,
        clean_text,
        data.employer_name,
        field="employer_name",
        label_zh="单位名称",
        label_en="employer's name",
        max_length=100,
    )


def declaration_check(data: Any, *, today: dt.date | None = None) -> CleanDeclaration:
    """Validate a declaration completely; raise DeclarationInvalid listing every problem.

    Returns the clean values under the contract's field names (`DECLARED_FIELDS`)."""
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    clean: CleanDeclaration = {}
    resident_id = _check_person(data, today, errors, clean)
    _check_contact(data, errors, clean)
    _check_address(data, errors, clean)
    _check_stay(data, today, errors, clean)
    guardian = _check_guardian(data, resident_id, today, errors)
    clean["guardian_name"], clean["guardian_id_number"], clean["guardian_relation"] = guardian
    if errors:
        raise DeclarationInvalid(errors)
    assert set(clean) == set(DECLARED_FIELDS)
    return clean


def _check_guardian(
    data: Any,
    resident_id: ResidentId | None,
    today: dt.date,
    errors: list[FieldError],
) -> tuple[str, str, str]:
    """ZJ-5: a child under 16 is declared by a guardian, who must be an adult with a valid ID.

    For older declarants the guardian fields are ignored (an adult declares for themselves)."""
    if resident_id is None or resident_id.age_on(today) >= GUARDIAN_REQUIRED_UNDER:
        return "", "", ""
    name = ""
    if not (data.guardian_name or "").strip():
        errors.append(
            FieldError(
                "guardian_name",
                "guardian_required",
                "申报人未满16周岁，应由监护人代为申报：请填写监护人姓名",
                "A person under 16 is declared by a guardian: enter the guardian's name",
            )
        )
    else:
        name = _text(
            errors,
            clean_person_name,
            data.guardian_name,
            field="guardian_name",
            label_zh="监护人姓名",
            label_en="guardian's name",
        )
    if data.guardian_relation not in GUARDIAN_RELATIONS:
        errors.append(
            FieldError(
                "guardian_relation",
                "guardian_relation_required",
                "请选择监护人与申报人的关系",
                "Choose the guardian's relationship to the person",
            )
        )
    guardian_number = ""
    try:
        guardian_id = parse_resident_id(data.guardian_id_number, today=today)
    except IdentifierError as exc:
        errors.append(_id_error("guardian_id_number", exc))
    else:
        guardian_number = guardian_id.number
        if guardian_id.age_on(today) < ADULT_AGE:
            errors.append(
                FieldError(
                    "guardian_id_number",
                    "guardian_not_adult",
                    "监护人须年满18周岁",
                    "The guardian must be at least 18 years old",
                )
            )
        elif guardian_number == resident_id.number:
            errors.append(
                FieldError(
                    "guardian_id_number",
                    "guardian_is_declarant",
                    "监护人不能是申报人本人",
                    "The guardian cannot be the person declared",
                )
            )
    return name, guardian_number, data.guardian_relation


def _new_reference(now: dt.datetime) -> str:
    return f"JZ{timezone.localtime(now):%y%m%d}{secrets.randbelow(10**8):08d}"


# A person's declarations that still stand: waiting, with the station, or registered.
ACTIVE_STATUSES = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.RECEIVED,
    DeclarationStatus.REGISTERED,
    DeclarationStatus.CHANGED,
)


def same_address(a: str, b: str) -> bool:
    """Two spellings of one detailed address: width, case and spaces do not count."""

    def key(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).casefold().split())

    return key(a) == key(b)


def declaration_check_not_duplicate(
    *, clean: CleanDeclaration, id_hash: str, excluding: str = ""
) -> None:
    """Refuse a second active declaration of the same person at the same address (ZJ-3: one
    registration per residence); the same person at another address is a change of address
    and goes on to the station, which sees it flagged."""
    others = Declaration.objects.filter(id_hash=id_hash, status__in=ACTIVE_STATUSES).exclude(
        reference=excluding
    )
    for other in others.only("reference", "community_code", "address_detail"):
        if other.community_code == clean["community_code"] and same_address(
            other.address_detail, clean["address_detail"]
        ):
            raise DeclarationDuplicate(other.reference)


def declaration_submit(*, resident: Resident, data: Any, channel: str = "web") -> Declaration:
    """Store a valid declaration and send it to the police zone in the same transaction."""
    clean = declaration_check(data)
    id_hash = lookup_hash(clean["id_number"], purpose="id_number")
    declaration_check_not_duplicate(clean=clean, id_hash=id_hash)
    now = timezone.now()
    for attempt in range(5):
        try:
            with atomic_for(Declaration):
                declaration = Declaration.objects.create(
                    reference=_new_reference(now),
                    resident=resident,
                    channel=channel,
                    id_hash=id_hash,
                    submitted_at=now,
                    **clean,
                )
                _send_to_station(
                    declaration, clean=clean, at=now, resident=resident, resubmitted=False
                )
                return declaration
        except IntegrityError:
            if attempt == 4:
                raise
    raise RuntimeError("could not allocate a declaration reference")


RESUBMITTED_NOTE = gettext_noop("已按退回原因更正，重新提交")


def _send_to_station(
    declaration: Declaration,
    *,
    clean: CleanDeclaration,
    at: dt.datetime,
    resident: Resident,
    resubmitted: bool,
) -> None:
    """The history line and the ferry message of a (re)submission, in the caller's transaction."""
    DeclarationEvent.objects.create(
        declaration=declaration,
        status=DeclarationStatus.SUBMITTED,
        note=RESUBMITTED_NOTE if resubmitted else "",
        at=at,
    )
    message_type = DeclarationResubmittedV1 if resubmitted else DeclarationSubmittedV1
    emit(
        zone="portal",
        message=message_type(reference=declaration.reference, declared_at=at, **clean),
        aggregate_id=declaration.reference,
        correlation_id=declaration.reference,
        actor=f"resident:{resident.pk}",
        purpose="residence_registration",
    )


def declaration_resubmit(
    *, resident: Resident, reference: str, data: Any, channel: str = "web"
) -> Declaration:
    """Correct a returned declaration and send it back to the station under the same reference,
    so the case keeps one history (DESIGN §7). Only the resident's own, only when returned."""
    clean = declaration_check(data)
    id_hash = lookup_hash(clean["id_number"], purpose="id_number")
    declaration_check_not_duplicate(clean=clean, id_hash=id_hash, excluding=reference)
    now = timezone.now()
    with atomic_for(Declaration, durable=True):
        declaration = (
            Declaration.objects.select_for_update()
            .filter(resident=resident, reference=reference)
            .first()
        )
        if declaration is None:
            raise DeclarationNotFound(reference)
        if declaration.status != DeclarationStatus.RETURNED:
            raise DeclarationCannotBeResubmitted()
        for name, value in clean.items():
            setattr(declaration, name, value)
        declaration.id_hash = id_hash
        declaration.status = DeclarationStatus.SUBMITTED
        declaration.channel = channel
        declaration.save()
        _send_to_station(declaration, clean=clean, at=now, resident=resident, resubmitted=True)
    return declaration


_SMS_TEMPLATE = {
    DeclarationStatus.REGISTERED: "declaration_registered",
    DeclarationStatus.RETURNED: "declaration_returned",
}

# How far along WF-1 a status is: a message never moves the mirror back to an earlier step
# (the channel keeps order, but a replayed or late message must not undo a later one).
_STEP = {
    DeclarationStatus.SUBMITTED: 0,
    DeclarationStatus.RECEIVED: 1,
    DeclarationStatus.REJECTED: 1,
    DeclarationStatus.REGISTERED: 2,
    DeclarationStatus.RETURNED: 2,
    DeclarationStatus.CHANGED: 3,
    DeclarationStatus.CANCELLED: 4,
}
CHANGE_WHAT = {
    (True, True): gettext_noop("居住地址和服务处所变更"),
    (True, False): gettext_noop("居住地址变更"),
    (False, True): gettext_noop("服务处所变更"),
}
LATE_NOTE = "；申报时已超过变更之日起10日的期限，今后请按时申报"


def declaration_apply_status_change(
    *, message: DeclarationStatusChangedV1 | DeclarationStatusChangedV2
) -> Declaration:
    """Mirror the police zone's decision, record it in the history and tell the resident.

    Runs inside the ferry's apply transaction; a replay is skipped by the ferry's inbox, and a
    decision older than the one shown is recorded in the history without moving the status back.
    A change (ZJ-11) or cancellation (WF-1) the station recorded also updates the mirrored
    address or the cancellation, and closes the resident's request it answers.
    """
    update = upcast(message)
    assert isinstance(update, DeclarationStatusChangedV2)
    declaration = Declaration.objects.select_for_update().get(reference=update.reference)
    status = DeclarationStatus(update.status)
    note = ""
    request = None
    if update.station_name:
        declaration.station_name = update.station_name
    if status == DeclarationStatus.REGISTERED:
        declaration.registration_number = update.registration_number
        declaration.registered_on = update.registered_on
        note = update.registration_number
    elif status == DeclarationStatus.RETURNED:
        declaration.return_reason = update.reason
        note = update.reason
    elif status == DeclarationStatus.RECEIVED:
        note = update.station_name
    elif status == DeclarationStatus.CHANGED and update.change is not None:
        request = _mirror_change(declaration, update)
    elif status == DeclarationStatus.CANCELLED and update.cancellation is not None:
        request = _mirror_cancellation(declaration, update)
    if _STEP[status] >= _STEP[DeclarationStatus(declaration.status)]:
        declaration.status = status
    # Only what a decision changes: a full save would re-encrypt every personal field.
    declaration.save(
        update_fields=[
            "status",
            "station_name",
            "registration_number",
            "registered_on",
            "return_reason",
            "community_code",
            "address_detail",
            "housing_type",
            "landlord_name",
            "landlord_phone",
            "employer_name",
            "cancelled_on",
            "cancel_reason",
            "permit_effect",
            "updated_at",
        ]
    )
    DeclarationEvent.objects.create(
        declaration=declaration, status=status, note=note, at=update.changed_at, request=request
    )
    template = _SMS_TEMPLATE.get(status)
    if template:
        sms_queue(
            phone=declaration.phone,
            template=template,
            params={
                "reference": declaration.reference,
                "station": declaration.station_name,
                "registration_number": declaration.registration_number,
                "reason": declaration.return_reason,
            },
        )
    return declaration


def _answered_request(
    declaration: Declaration, reference: str, kind: str, **defaults: Any
) -> RegistrationRequest:
    """The resident's request the station answered, or, for one made at the window, a new row
    standing for it; either way recorded now."""
    request = None
    if reference:
        request = (
            RegistrationRequest.objects.select_for_update()
            .filter(declaration=declaration, reference=reference)
            .first()
        )
    if request is None:
        request = RegistrationRequest(
            declaration=declaration,
            reference=reference or f"{declaration.reference}-C",
            kind=kind,
            submitted_at=timezone.now(),
            **defaults,
        )
    for name, value in defaults.items():
        setattr(request, name, value)
    request.state = RegistrationRequest.State.RECORDED
    request.resolved_at = timezone.now()
    request.save()
    return request


def _changed_values(change: RegistrationChangeRecordV1) -> dict[str, Any]:
    values: dict[str, Any] = {
        "address_changed": change.address_changed,
        "workplace_changed": change.workplace_changed,
    }
    if change.address_changed:
        values.update(
            community_code=change.community_code,
            address_detail=change.address_detail,
            housing_type=change.housing_type or "",
            landlord_name=change.landlord_name,
            landlord_phone=change.landlord_phone,
        )
    if change.workplace_changed:
        values["employer_name"] = change.employer_name
    return values


def _mirror_change(
    declaration: Declaration, update: DeclarationStatusChangedV2
) -> RegistrationRequest:
    change = update.change
    assert change is not None
    request = _answered_request(
        declaration,
        change.change_reference,
        RegistrationRequest.Kind.CHANGE,
        channel=change.channel,
        effective_on=change.changed_on,
        late=change.late,
        # The request keeps what changed; the rest of the message is the registration's now.
        **_changed_values(change),
    )
    declaration.community_code = change.community_code
    declaration.address_detail = change.address_detail
    if change.housing_type:
        declaration.housing_type = change.housing_type
    declaration.landlord_name = change.landlord_name
    declaration.landlord_phone = change.landlord_phone
    declaration.employer_name = change.employer_name
    sms_queue(
        phone=declaration.phone,
        template="declaration_changed",
        params={
            "reference": declaration.reference,
            "station": update.station_name or declaration.station_name,
            "what": CHANGE_WHAT[(change.address_changed, change.workplace_changed)],
            "changed_on": change.changed_on.isoformat(),
            "late": LATE_NOTE if change.late else "",
        },
        client_ref=f"declaration-changed:{change.change_reference}",
    )
    return request


def _mirror_cancellation(
    declaration: Declaration, update: DeclarationStatusChangedV2
) -> RegistrationRequest:
    cancellation = update.cancellation
    assert cancellation is not None
    request = _answered_request(
        declaration,
        cancellation.request_reference,
        RegistrationRequest.Kind.CANCEL,
        channel=cancellation.channel,
        effective_on=cancellation.cancelled_on,
    )
    declaration.cancelled_on = cancellation.cancelled_on
    declaration.cancel_reason = cancellation.reason
    declaration.permit_effect = cancellation.permit_effect
    sms_queue(
        phone=declaration.phone,
        template="declaration_cancelled",
        params={
            "reference": declaration.reference,
            "cancelled_on": cancellation.cancelled_on.isoformat(),
            "reason": str(CANCEL_REASON_LABELS[cancellation.reason]),
            "permit": str(PERMIT_EFFECT_LABELS[cancellation.permit_effect]) + "。",
        },
        client_ref=f"declaration-cancelled:{declaration.reference}",
    )
    return request


# What the police zone's business rejects mean for the resident, by the start of the reject
# reason. The texts are catalog ids, stored as such and translated when shown.
REJECT_REASONS = (
    (
        "no station covers community",
        gettext_noop("所选社区暂无对应派出所，请核对居住地址或联系当地派出所"),
    ),
)
REJECT_REASON_OTHER = gettext_noop("申报暂时无法受理，请核对申报信息后重新申报，或联系当地派出所")


def reject_reason_for_resident(ferry_reason: str) -> str:
    """A reason a resident understands for a reject whose technical reason is `ferry_reason`."""
    for prefix, text in REJECT_REASONS:
        if ferry_reason.startswith(prefix):
            return text
    return REJECT_REASON_OTHER


def declaration_mark_rejected(*, reference: str, ferry_reason: str) -> Declaration | None:
    """The police zone could not accept the declaration: show it as not accepted, with a plain
    reason, in its status and history and by SMS.

    Runs inside the ferry's ack transaction, once per reject. A declaration the police zone has
    already taken up (e.g. a duplicate submission was refused) keeps its status."""
    with atomic_for(Declaration):
        declaration = Declaration.objects.select_for_update().filter(reference=reference).first()
        if declaration is None or declaration.status != DeclarationStatus.SUBMITTED:
            return None
        reason = reject_reason_for_resident(ferry_reason)
        declaration.status = DeclarationStatus.REJECTED
        declaration.reject_reason = reason
        declaration.save(update_fields=["status", "reject_reason", "updated_at"])
        DeclarationEvent.objects.create(
            declaration=declaration,
            status=DeclarationStatus.REJECTED,
            note=reason,
            at=timezone.now(),
        )
        sms_queue(
            phone=declaration.phone,
            template="declaration_rejected",
            params={"reference": declaration.reference, "reason": reason},
            client_ref=f"declaration-rejected:{declaration.reference}",
        )
    return declaration


def declaration_progress_lookup(*, client_ip: str, reference: str, id_last6: str) -> Declaration:
    """Progress without log-in (WF-2), for the page and the API alike.

    Limited per client address and per reference (`ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE` each), so
    neither one client nor many guessing one reference's ID suffix can enumerate; raises
    `RateLimited` or `DeclarationNotFound`."""
    limit = settings.ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE
    rate_limit_hits(
        keys=[f"progress:ip:{client_ip}", f"progress:ref:{reference.strip().upper()[:40]}"],
        limit=limit,
        window_seconds=60,
        message_zh="查询过于频繁，请{seconds}秒后再试",
        message_en="Too many lookups; try again in {seconds} seconds",
    )
    return declaration_progress(reference=reference, id_last6=id_last6)
