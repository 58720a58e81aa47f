"""The station's one stop after pre-review (一站式办结; DOMAIN NAT-11…NAT-13, ZJ-16, WF-2):
accept at the window with a receipt, review, approve, issue, hand the card over.

Each step is one service: it locks the case, checks that the step is the case's next task, that
the actor holds the task's role at the case's station and has taken the case, and the four-eyes
rule; it writes the history and the audit row and tells the resident through the ferry, all in
one transaction. Views and the API only call these.

The approval chain is a deployment setting (`ONETRIP_PERMIT_CHAIN`): "station" (the seed: the
station approves by delegated authority) or "district" (the district branch approves). Four
eyes: nobody reviews a case they accepted, nobody approves one they accepted or reviewed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for, db_for
from onetrip.common.filestore import file_put
from onetrip.common.identifiers import IdentifierError, parse_resident_id
from onetrip.common.permit_materials import BY_ID
from onetrip.common.text import clean_text
from onetrip.contracts.permits import ProblemV1
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_record
from onetrip.police.stations.models import Station

from .cards import (
    REPLACEMENT_KINDS,
    card_announce_issued,
    card_for_replacement,
    card_replace,
)
from .clock import WorkingCalendar, clock_rule, due_date
from .errors import PermitError
from .items import item_label
from .models import (
    CardStatus,
    PermitCase,
    PermitCaseEvent,
    PermitNumberCounter,
    PermitStatus,
    ResidencePermit,
    Task,
)
from .selectors import OBJECT_TYPE, permit_find_for_staff
from .services import permit_problems_clean, permit_status_emit

logger = logging.getLogger(__name__)

PURPOSE = "residence_permit_casework"
CHAINS = ("station", "district")
VALIDITY_YEARS = 1
PHOTO_MAX_BYTES = 2 * 1024 * 1024

# Who may work each task at the case's station. The station administrator stands in for any
# station role; the four-eyes rule still applies to them.
TASK_ROLES: dict[str, frozenset[str]] = {
    Task.ACCEPT: frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN}),
    Task.REVIEW: frozenset({Role.REVIEWER, Role.STATION_ADMIN}),
    Task.APPROVE: frozenset({Role.APPROVER, Role.STATION_ADMIN}),
    Task.PRODUCE: frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN}),
    Task.HAND_OVER: frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN}),
}
DISTRICT_APPROVE_ROLES = frozenset({Role.DISTRICT_ADMIN})
# Who sees a case: every role with a task, and the administrators above the station.
CASEWORK_ROLES = frozenset(
    {
        Role.WINDOW_CLERK,
        Role.REVIEWER,
        Role.APPROVER,
        Role.STATION_ADMIN,
        Role.DISTRICT_ADMIN,
        Role.CITY_ADMIN,
    }
)
TASK_STATUSES: dict[str, frozenset[str]] = {
    Task.ACCEPT: frozenset({PermitStatus.PREREVIEW_PASSED}),
    Task.REVIEW: frozenset({PermitStatus.ACCEPTED}),
    Task.APPROVE: frozenset({PermitStatus.ACCEPTED}),
    Task.PRODUCE: frozenset({PermitStatus.APPROVED, PermitStatus.IN_PRODUCTION}),
    Task.HAND_OVER: frozenset({PermitStatus.READY}),
}


def approval_chain() -> str:
    chain = str(settings.ONETRIP_PERMIT_CHAIN)
    if chain not in CHAINS:
        raise ImproperlyConfigured(f"ONETRIP_PERMIT_CHAIN must be one of {CHAINS}: {chain}")
    return chain


def reissue_fee_fen() -> int:
    """The card production fee for reissue and exchange (WF-5, NAT-16; the amount is a local
    setting, commonly 20 yuan)."""
    return int(settings.ONETRIP_PERMIT_REISSUE_FEE_FEN)


# -- who may do what --------------------------------------------------------------------------


def task_roles(task: str) -> frozenset[str]:
    if task == Task.APPROVE and approval_chain() == "district":
        return DISTRICT_APPROVE_ROLES
    return TASK_ROLES.get(task, frozenset())


def _in_place(profile: StaffProfile, case: PermitCase) -> bool:
    if profile.role == Role.DISTRICT_ADMIN:
        return profile.district_code == case.station.district_code
    return profile.station_id == case.station_id


def casework_check(*, user: Any, case: PermitCase, task: str, taken: bool = True) -> None:
    """Raise `PermitError` unless `user` may work `task` on `case` now: the case waits for that
    task, the user holds its role where the case lies, has taken it (unless `taken` is False),
    and is not barred by the four-eyes rule."""
    if case.task != task or case.status not in TASK_STATUSES.get(task, ()):
        raise PermitError(
            "wrong_step",
            f"该申请当前不在“{Task(task).label}”环节（当前：{case.get_status_display()}）",
            f"This application is not waiting for this step ({task}); it is {case.status}",
            status=409,
        )
    profile = staff_profile(user)
    if profile is None or profile.role not in task_roles(task) or not _in_place(profile, case):
        raise PermitError(
            "role_cannot_work",
            f"您的岗位或所属单位无权办理“{Task(task).label}”",
            f"Your role or unit may not carry out this step ({task})",
            status=403,
        )
    four_eyes_check(user=user, case=case, task=task)
    if taken and case.assigned_to_id != user.pk:
        raise PermitError(
            "not_taken",
            "请先接办该申请，再进行办理（一件一人办理）",
            "Take the case before working on it",
            status=409,
        )


def four_eyes_check(*, user: Any, case: PermitCase, task: str) -> None:
    """Nobody reviews a case they accepted; nobody approves one they accepted or reviewed."""
    earlier: list[int | None] = []
    if task == Task.REVIEW:
        earlier = [case.accepted_by_id]
    elif task == Task.APPROVE:
        earlier = [case.accepted_by_id, case.reviewed_by_id]
    if user.pk in earlier:
        raise PermitError(
            "four_eyes",
            "按双人复核规定，受理或审核过该申请的民警不能再审核或审批它",
            "Four eyes: whoever accepted or reviewed a case may not review or approve it",
            status=403,
        )


def casework_can(*, user: Any, case: PermitCase, task: str, taken: bool = True) -> bool:
    try:
        casework_check(user=user, case=case, task=task, taken=taken)
    except PermitError:
        return False
    return True


# -- shared steps -----------------------------------------------------------------------------


def _locked(user: Any, reference: str) -> PermitCase:
    visible = permit_find_for_staff(user=user, reference=reference)
    return PermitCase.objects.select_for_update().select_related("station").get(pk=visible.pk)


def _record(
    *,
    user: Any,
    case: PermitCase,
    previous: str,
    action: str,
    note: str = "",
    problems: Sequence[Mapping[str, str]] = (),
    detail: dict[str, Any] | None = None,
) -> None:
    now = timezone.now()
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=case.status,
        actor=user.get_username(),
        note=note[:500],
        problems=list(problems),
        at=now,
    )
    if case.channel == "online":
        permit_status_emit(case, actor=f"staff:{user.get_username()}")
    audit_record(
        **audit_actor(user),
        action=action,
        object_type=OBJECT_TYPE,
        object_id=case.reference,
        purpose=PURPOSE,
        detail={"revision": case.revision, "task": case.task, **(detail or {})},
    )
    logger.info("permit casework reference=%s action=%s", case.reference, action)


def _next_task(case: PermitCase, task: str) -> None:
    case.task = task
    case.task_since = timezone.now() if task else None
    case.assigned_to = None
    case.assigned_at = None


def _next_serial(prefix: str) -> int:
    """The next number under `prefix`, taken by one conditional UPDATE on a counter row."""
    alias = db_for(PermitNumberCounter)
    if not PermitNumberCounter.objects.using(alias).filter(prefix=prefix).exists():
        try:
            with transaction.atomic(using=alias):
                PermitNumberCounter.objects.using(alias).create(prefix=prefix, last=0)
        except IntegrityError:
            pass
    PermitNumberCounter.objects.using(alias).filter(prefix=prefix).update(last=F("last") + 1)
    return PermitNumberCounter.objects.using(alias).get(prefix=prefix).last


def _reason(reason: str) -> str:
    reason = clean_text(
        reason, field="reason", label_zh="不予办理原因", label_en="reason", max_length=2000
    ).rstrip("。.")
    if len(reason) < 4:
        raise PermitError(
            "reason_required",
            "请写明不予办理的原因（至少4个字），告诉申请人为何不符合条件",
            "Give the reason for refusing (at least 4 characters) so the resident knows why",
            field="reason",
        )
    if len(reason) > 500:
        raise PermitError(
            "reason_too_long",
            "原因过长（最多500字）",
            "The reason is too long (at most 500 characters)",
            field="reason",
        )
    return reason


def _note(note: str) -> str:
    return clean_text(note, field="note", label_zh="意见", label_en="note", max_length=500)


# -- taking and reassigning -------------------------------------------------------------------


def permit_take(*, user: AbstractBaseUser, reference: str) -> PermitCase:
    """接办: the case is this officer's for its current task until it moves on or an
    administrator reassigns it, so two clerks never work one case at once."""
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=case.task, taken=False)
        if case.assigned_to_id not in (None, user.pk):
            raise PermitError(
                "taken_by_other",
                f"该申请已由{case.assigned_to.get_username()}接办",  # type: ignore[union-attr]
                "Another officer has taken this case",
                status=409,
            )
        case.assigned_to = user  # type: ignore[assignment]
        case.assigned_at = timezone.now()
        case.save(update_fields=["assigned_to", "assigned_at"])
        audit_record(
            **audit_actor(user),
            action="permit.take",
            object_type=OBJECT_TYPE,
            object_id=case.reference,
            purpose=PURPOSE,
            detail={"task": case.task},
        )
        return case


def permit_reassign(*, user: AbstractBaseUser, reference: str, to_username: str) -> PermitCase:
    """改派: the station administrator hands the case's current task to another officer of the
    station who holds the task's role (or frees it, with an empty name)."""
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        profile = staff_profile(user)
        if profile is None or profile.role != Role.STATION_ADMIN or not _in_place(profile, case):
            raise PermitError(
                "role_cannot_reassign",
                "只有本所管理员可以改派",
                "Only the station's administrator may reassign cases",
                status=403,
            )
        if not case.task:
            raise PermitError(
                "nothing_to_assign", "该申请没有待办环节", "Nothing waits on this case", status=409
            )
        target = None
        if to_username:
            target = (
                get_user_model()
                .objects.select_related("staff_profile")
                .filter(username=to_username, is_active=True)
                .first()
            )
            try:
                casework_check(user=target, case=case, task=case.task, taken=False)
            except PermitError:
                target = None
            if target is None:
                raise PermitError(
                    "cannot_assign_to",
                    "只能改派给本所有该环节权限、且不违反双人复核规定的在岗民警",
                    "Reassign only to an active officer of the station who may carry out this "
                    "step under the four-eyes rule",
                    field="to",
                )
        case.assigned_to = target
        case.assigned_at = timezone.now() if target else None
        case.save(update_fields=["assigned_to", "assigned_at"])
        audit_record(
            **audit_actor(user),
            action="permit.reassign",
            object_type=OBJECT_TYPE,
            object_id=case.reference,
            purpose=PURPOSE,
            detail={"task": case.task, "to": to_username or "-"},
        )
        return case


# -- acceptance at the window (受理) -----------------------------------------------------------


def station_calendar(station: Station) -> WorkingCalendar:
    """The station's working days: its first window's calendar (weekly hours, the city's
    holidays and 调休 days); Monday to Friday without one."""
    window = station.windows.filter(active=True).select_related("calendar").order_by("code").first()
    calendar = getattr(window, "calendar", None) if window else None
    if calendar is None:
        return WorkingCalendar.from_lists()
    return WorkingCalendar.from_lists(
        weekdays={int(h["weekday"]) for h in calendar.hours} or range(5),
        holidays=calendar.holidays,
        workdays=[w["date"] for w in calendar.workdays],
    )


def _originals(case: PermitCase, seen: Iterable[str]) -> list[str]:
    wanted = set(case.materials)
    chosen = sorted({s for s in seen if s})
    unknown = [s for s in chosen if s not in wanted]
    if unknown:
        raise PermitError(
            "unknown_original",
            "核验的原件不在该申请的材料清单中",
            "An original marked as seen is not on this application's list",
            field="originals",
        )
    missing = sorted(wanted - set(chosen))
    if missing:
        names = "、".join(BY_ID[m].name_zh if m in BY_ID else m for m in missing)
        raise PermitError(
            "originals_not_seen",
            f"以下材料原件尚未核验：{names}。原件不全时请出具一次性告知",
            "Some originals have not been compared with the uploads: "
            + ", ".join(missing)
            + ". If they are missing, give the one-time notice instead",
            field="originals",
        )
    return chosen


def _photo(content: bytes | None) -> str:
    if not content:
        return ""
    if len(content) > PHOTO_MAX_BYTES or not content.startswith(b"\xff\xd8\xff"):
        raise PermitError(
            "photo_invalid",
            "现场照片须为不超过2MB的JPEG图片",
            "The photo taken at the window must be a JPEG of at most 2 MB",
            field="photo",
        )
    return file_put(zone="police", content=content).name


def permit_accept(
    *,
    user: AbstractBaseUser,
    reference: str,
    originals: Iterable[str],
    ethnicity: str,
    hukou_address: str,
    photo: bytes | None = None,
) -> PermitCase:
    """受理: every original has been compared with its upload, the card data the ID card shows is
    taken down, and the receipt (回执) number is given; the legal clock starts (NAT-12)."""
    ethnicity = clean_text(
        ethnicity, field="ethnicity", label_zh="民族", label_en="ethnicity", max_length=20
    )
    hukou_address = clean_text(
        hukou_address,
        field="hukou_address",
        label_zh="户籍地址",
        label_en="household address",
        max_length=200,
    )
    if not ethnicity or not hukou_address:
        raise PermitError(
            "card_data_required",
            "请按身份证原件填写民族和常住户口所在地住址（证件所需）",
            "Enter the ethnicity and household-registration address from the ID card",
            field="ethnicity" if not ethnicity else "hukou_address",
        )
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.ACCEPT)
        seen = _originals(case, originals)
        stored_photo = _photo(photo)
        now = timezone.now()
        today = timezone.localdate(now)
        previous = case.status
        case.status = PermitStatus.ACCEPTED
        serial = _next_serial(f"R{case.station.code}{today:%Y%m%d}")
        case.receipt_number = f"{case.station.code[-6:]}{today:%Y%m%d}{serial:04d}"
        case.accepted_at = now
        case.accepted_by = user  # type: ignore[assignment]
        case.due_on = due_date(today, rule=clock_rule(), calendar=station_calendar(case.station))
        case.originals_seen = seen
        case.ethnicity = ethnicity
        case.hukou_address = hukou_address
        if stored_photo:
            case.photo_stored_name = stored_photo
        if case.kind in ("reissue", "exchange"):
            case.fee_fen = reissue_fee_fen()
        _next_task(case, Task.REVIEW)
        case.save()
        _record(
            user=user,
            case=case,
            previous=previous,
            action="permit.accept",
            note=case.receipt_number,
            detail={"originals": seen, "photo": bool(stored_photo)},
        )
        return case


def permit_window_return(
    *, user: AbstractBaseUser, reference: str, problems: Sequence[Mapping[str, Any] | ProblemV1]
) -> PermitCase:
    """Originals missing or not matching the uploads at the window: one notice listing
    everything (NAT-11, DOC-1); the resident corrects online and the case is pre-reviewed
    again."""
    cleaned = permit_problems_clean(problems)
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.ACCEPT)
        previous = case.status
        case.status = PermitStatus.MATERIALS_REQUIRED
        case.problems = cleaned
        case.decided_at = timezone.now()
        case.decided_by = user  # type: ignore[assignment]
        _next_task(case, "")
        case.save()
        _record(
            user=user,
            case=case,
            previous=previous,
            action="permit.window_return",
            note="；".join(f"{item_label(p['item'])}：{p['text']}" for p in cleaned),
            problems=cleaned,
            detail={"items": sorted({p["item"] for p in cleaned})},
        )
        return case


def permit_refuse(*, user: AbstractBaseUser, reference: str, reason: str) -> PermitCase:
    """不予办理 at any step of the one stop, with the reasons the resident reads (ZJ-16)."""
    reason = _reason(reason)
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        if case.task not in (Task.ACCEPT, Task.REVIEW, Task.APPROVE):
            raise PermitError(
                "cannot_refuse",
                "该申请当前环节不能作出不予办理决定",
                "This case cannot be refused at its current step",
                status=409,
            )
        casework_check(user=user, case=case, task=case.task)
        previous, task = case.status, case.task
        case.status = PermitStatus.REJECTED
        case.reason = reason
        case.decided_at = timezone.now()
        case.decided_by = user  # type: ignore[assignment]
        _next_task(case, "")
        case.save()
        _record(
            user=user,
            case=case,
            previous=previous,
            action="permit.refuse",
            note=reason,
            detail={"at": task},
        )
        return case


# -- review and approval (审核/审批) -----------------------------------------------------------


def permit_review(*, user: AbstractBaseUser, reference: str, note: str = "") -> PermitCase:
    """审核通过: a second officer checks the accepted case and sends it for approval."""
    note = _note(note)
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.REVIEW)
        case.reviewed_at = timezone.now()
        case.reviewed_by = user  # type: ignore[assignment]
        _next_task(case, Task.APPROVE)
        case.save()
        _record(
            user=user,
            case=case,
            previous=case.status,
            action="permit.review",
            note=note or "审核通过",
        )
        return case


def _permit_number(case: PermitCase, issued_on: dt.date) -> str:
    """区县代码 + 年 + 七位序号: unique per issuing authority and year (a local format)."""
    prefix = f"{case.station.district_code}{issued_on:%Y}"
    return f"{prefix}{_next_serial('P' + prefix):07d}"


def _one_year_on(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + VALIDITY_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + VALIDITY_YEARS, day=28)


def permit_approve(*, user: AbstractBaseUser, reference: str, note: str = "") -> PermitCase:
    """审批 and 签发: the permit is issued by the district branch (NAT-13) with its number, dates
    and card data (NAT-3), valid one year, and the card waits for production."""
    note = _note(note)
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.APPROVE)
        # 补领/换领 (NAT-15, ZJ-18): the card replaced must be the applicant's own.
        old_card = card_for_replacement(case=case) if case.kind in REPLACEMENT_KINDS else None
        now = timezone.now()
        issued_on = timezone.localdate(now)
        try:
            resident = parse_resident_id(case.id_number, today=issued_on)
        except IdentifierError as exc:  # pragma: no cover - checked on the way in
            raise PermitError(
                "id_invalid", "身份证号码无效，无法签发", "The ID number is invalid"
            ) from exc
        previous = case.status
        case.status = PermitStatus.APPROVED
        case.approved_at = now
        case.approved_by = user  # type: ignore[assignment]
        _next_task(case, Task.PRODUCE)
        number = _permit_number(case, issued_on)
        case.permit_number = number
        case.save()
        permit = ResidencePermit.objects.create(
            case=case,
            permit_number=number,
            station=case.station,
            id_hash=case.id_hash,
            name=case.name,
            sex="男" if resident.sex == "M" else "女",
            ethnicity=case.ethnicity,
            birth_date=resident.birth_date,
            id_number=case.id_number,
            photo_stored_name=case.photo_stored_name or _uploaded_photo(case),
            hukou_address=case.hukou_address,
            residence_address=case.address_detail,
            issuing_authority=case.station.branch_name,
            issued_on=issued_on,
            valid_until=_one_year_on(issued_on) - dt.timedelta(days=1),
            residence_since=issued_on,
            card_status=CardStatus.ACTIVE,
            issued_by=user,
        )
        if old_card is not None:
            card_replace(old=old_card, new=permit, user=user)
        else:
            card_announce_issued(card=permit, user=user)
        _record(
            user=user,
            case=case,
            previous=previous,
            action="permit.approve",
            note=note or number,
            detail={"chain": approval_chain()},
        )
        return case


def _uploaded_photo(case: PermitCase) -> str:
    photo = case.documents.filter(current=True, item="photo").order_by("-received_at").first()
    return photo.stored_name if photo else ""


# -- the card at the station ------------------------------------------------------------------


def permit_send_to_production(*, user: AbstractBaseUser, reference: str) -> PermitCase:
    """送制证: the issued permit's card goes to central production (ZJ-19). Production batches
    of the card work refine this step."""
    return _card_step(
        user=user,
        reference=reference,
        before=PermitStatus.APPROVED,
        after=PermitStatus.IN_PRODUCTION,
        task=Task.PRODUCE,
    )


def permit_card_arrived(*, user: AbstractBaseUser, reference: str) -> PermitCase:
    """The card has come back from production and lies at the station, entered by hand."""
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.PRODUCE)
        if case.status != PermitStatus.IN_PRODUCTION:
            raise PermitError(
                "wrong_step",
                f"该证件当前状态为“{case.get_status_display()}”，不能进行此操作",
                f"The card is {case.status}; this step does not apply",
                status=409,
            )
        permit_card_at_station(case=case, user=user)
        return case


def permit_card_at_station(*, case: PermitCase, user: Any, note: str = "") -> None:
    """The printed card of a locked case in production has reached its station (by hand, or
    from the bureau's return of a production batch): it waits there to be handed over or
    posted, and the resident is told (a pickup code, or the courier order being placed after
    the commit). Runs inside the caller's transaction."""
    # The delivery app builds on this one; imported here so neither imports the other at load.
    from onetrip.police.delivery.services import delivery_card_at_station

    previous = case.status
    case.status = PermitStatus.READY
    _next_task(case, Task.HAND_OVER)
    case.save()
    _record(user=user, case=case, previous=previous, action="permit.ready", note=note)
    delivery_card_at_station(case=case, actor=f"staff:{user.get_username()}")


def _card_step(
    *, user: AbstractBaseUser, reference: str, before: str, after: str, task: str
) -> PermitCase:
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.PRODUCE)
        if case.status != before:
            raise PermitError(
                "wrong_step",
                f"该证件当前状态为“{case.get_status_display()}”，不能进行此操作",
                f"The card is {case.status}; this step does not apply",
                status=409,
            )
        case.status = after
        if task != case.task:
            _next_task(case, task)
        case.save()
        _record(user=user, case=case, previous=before, action=f"permit.{after}")
        return case


def permit_hand_over(
    *, user: AbstractBaseUser, reference: str, id_number: str = "", pickup_code: str = ""
) -> PermitCase:
    """领证: the card goes to its holder once the clerk has checked who collects it: the ID
    card presented (the number typed or scanned from it) or the pickup code from the resident's
    SMS; one of the two is required. A mismatch is audited as a refused hand-over, outside the
    refused transaction so the record stays. Never both collected and posted: a card with a
    courier order that has not come back is not handed over (checked under the case's lock,
    as the courier order checks the case)."""
    from onetrip.police.delivery.errors import DeliveryError
    from onetrip.police.delivery.services import (
        delivery_check_can_hand_over,
        delivery_collected,
        pickup_code_matches,
    )

    id_number, pickup_code = (id_number or "").strip(), (pickup_code or "").strip()
    if not id_number and not pickup_code:
        raise PermitError(
            "identity_required",
            "请输入所持身份证号码或领证码",
            "Enter the number of the ID card presented or the pickup code",
            field="id_number",
        )
    presented = ""
    if id_number:
        try:
            presented = parse_resident_id(id_number, check_region=False).number
        except IdentifierError:
            presented = ""
    presented_hash = lookup_hash(presented, purpose="id_number") if presented else ""
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference)
        casework_check(user=user, case=case, task=Task.HAND_OVER)
        try:
            delivery_check_can_hand_over(case=case)
        except DeliveryError as exc:
            raise PermitError(exc.code, exc.message_zh, exc.message_en, status=409) from exc
        if id_number:
            matches = bool(presented_hash) and presented_hash == case.id_hash
        else:
            matches = pickup_code_matches(case=case, code=pickup_code)
        if matches:
            previous = case.status
            case.status = PermitStatus.COLLECTED
            _next_task(case, "")
            case.save()
            ResidencePermit.objects.filter(case=case).update(
                handed_over_at=timezone.now(), handed_over_by=user
            )
            _record(
                user=user,
                case=case,
                previous=previous,
                action="permit.hand_over",
                detail={"by": "id_number" if id_number else "pickup_code"},
            )
            delivery_collected(case=case, actor=f"staff:{user.get_username()}")
            return case
    audit_record(
        **audit_actor(user),
        action="permit.hand_over",
        object_type=OBJECT_TYPE,
        object_id=case.reference,
        purpose=PURPOSE,
        success=False,
        detail={"refused": "identity" if id_number else "pickup_code"},
    )
    if not id_number:
        raise PermitError(
            "pickup_code_mismatch",
            "领证码不正确，不能发证",
            "The pickup code does not match this card",
            field="pickup_code",
        )
    raise PermitError(
        "identity_mismatch",
        "所持身份证与申请人不符，不能发证",
        "The ID card presented does not match the applicant",
        field="id_number",
    )
