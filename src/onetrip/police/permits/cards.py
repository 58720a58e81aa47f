"""The card's life after issue (WF-3; NAT-13…NAT-16, ZJ-17, ZJ-18): the yearly endorsement
window, suspension, endorsement online (zero trips), and the card that replaces a lost or
damaged one.

Dates. ZJ-17 anchors the window on the **issue date** (自证件签发之日起每满一年之日前一个月内);
NAT-14 speaks of years of residence, and Zhejiang's rule is the one applied here. A card is
valid through `valid_until`, the day before an anniversary of the first card's issue date, so
the anniversary due next is always `valid_until + 1 day`:

- the window opens one calendar month before that anniversary and lasts through `valid_until`
  (ACTIVE → ENDORSEMENT_DUE);
- from the anniversary on, an unendorsed card is SUSPENDED (使用功能中止, NAT-14);
- an endorsement in the window moves `valid_until` a year on and keeps `residence_since`;
- a late endorsement restores the card (ACTIVE) until the next anniversary still ahead and
  restarts `residence_since` on the day of the late endorsement (NAT-14, ZJ-17); the
  anniversaries themselves stay those of the issue date.

A reissued or exchanged card (补领/换领) keeps its predecessor's `valid_until`,
`residence_since` and status: the holder's endorsement schedule and residence years do not
depend on which physical card they hold, and a new card neither endorses nor un-suspends.

Every change of a card is audited and told to the portal as `permit.card_changed` in the same
transaction (outbox), with the card's `revision`, so the portal keeps only the newest.

Refusal (不予签注, ZJ-17) is a person's decision (PI-14: keep a human 审核 step for
rejections): the automatic check endorses when everything holds; when something does not, the
case waits in the station's pre-review queue with what the check found, and a reviewer refuses
it with those reasons (`endorsement_refuse`) or checks it again (`endorsement_recheck`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.common.permit_eligibility import add_months
from onetrip.contracts.permits import CARD_STATUS_LABELS, PermitCardChangedV1
from onetrip.ferry.agent.outbox import emit
from onetrip.police.audit.services import audit_actor, audit_record
from onetrip.police.register.selectors import registration_is_current

from .errors import PermitError
from .models import (
    CardStatus,
    Endorsement,
    PermitCase,
    PermitCaseEvent,
    PermitStatus,
    ResidencePermit,
)
from .selectors import permit_find_for_staff
from .services import permit_check_can_decide, permit_reject, permit_status_emit

logger = logging.getLogger(__name__)

OBJECT_TYPE = "residence_permit"
PURPOSE = "residence_permit_card"
SYSTEM = "system"
REPLACEMENT_KINDS = frozenset({"reissue", "exchange"})

if set(CardStatus.values) != set(CARD_STATUS_LABELS):  # pragma: no cover - start-up check
    raise ImportError(f"card statuses {CardStatus.values} differ from {list(CARD_STATUS_LABELS)}")


# -- dates ------------------------------------------------------------------------------------


def _years_on(day: dt.date, years: int = 1) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def card_anniversary(card: ResidencePermit) -> dt.date:
    """The anniversary of the issue date that the card's next endorsement answers."""
    return card.valid_until + dt.timedelta(days=1)


def card_endorsement_window(card: ResidencePermit) -> tuple[dt.date, dt.date]:
    """First and last day (both included) of the card's next endorsement window: the month
    before the anniversary (ZJ-17)."""
    return add_months(card_anniversary(card), -1), card.valid_until


def card_status_on(card: ResidencePermit, day: dt.date) -> str:
    """What the card's status is on `day` by its dates alone: the sweep moves it there. A
    suspended card stays so until endorsed; a revoked one for ever."""
    if card.card_status in (CardStatus.REVOKED, CardStatus.SUSPENDED):
        return card.card_status
    if day > card.valid_until:
        return CardStatus.SUSPENDED
    if day >= card_endorsement_window(card)[0]:
        return CardStatus.ENDORSEMENT_DUE
    return CardStatus.ACTIVE


def card_can_endorse_on(card: ResidencePermit, day: dt.date) -> bool:
    """Whether an endorsement on `day` can be made: within the window or late, never before."""
    return card.card_status != CardStatus.REVOKED and day >= card_endorsement_window(card)[0]


# -- telling the portal -----------------------------------------------------------------------


def _phone_of(card: ResidencePermit) -> str:
    """Where the holder is reached: the phone of their latest application about this card."""
    latest = card.endorsements.select_related("case").order_by("-endorsed_on", "-id").first()
    return str((latest.case if latest else card.case).phone)


def _publish(card: ResidencePermit, *, change: str, actor: str, phone: str = "") -> None:
    """Count the change on the card and send the card as it now stands to the portal. Call
    inside a transaction on the police database, with the change."""
    card.revision += 1
    card.save(update_fields=["revision"])
    window: tuple[dt.date | None, dt.date | None] = (None, None)
    if card.card_status != CardStatus.REVOKED:
        window = card_endorsement_window(card)
    emit(
        zone="police",
        message=PermitCardChangedV1(
            permit_number=card.permit_number,
            revision=card.revision,
            change=change,  # type: ignore[arg-type]
            card_status=card.card_status,  # type: ignore[arg-type]
            id_number=card.id_number,
            phone=phone or _phone_of(card),
            issued_on=card.issued_on,
            valid_until=card.valid_until,
            residence_since=card.residence_since,
            endorsement_from=window[0],
            endorsement_until=window[1],
            replaced_by=card.replaced_by.permit_number if card.replaced_by else "",
            changed_at=timezone.now(),
        ),
        aggregate_id=card.permit_number,
        correlation_id=card.permit_number,
        actor=actor,
        purpose="residence_permit",
    )


def _audit(*, user: Any | None, card: ResidencePermit, action: str, detail: dict[str, Any]) -> None:
    who = audit_actor(user) if user is not None else {"actor": SYSTEM}
    audit_record(
        **who,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=card.permit_number,
        purpose=PURPOSE,
        detail=detail,
    )


# -- the sweep --------------------------------------------------------------------------------


def _sweep_one(pk: int, today: dt.date) -> str:
    """Move one card to where its dates put it, under its row lock; "" when nothing moved."""
    with atomic_for(ResidencePermit, durable=True):
        card = ResidencePermit.objects.select_for_update().filter(pk=pk).first()
        if card is None or card.card_status == CardStatus.REVOKED:
            return ""
        status = card_status_on(card, today)
        if status != card.card_status:
            previous = card.card_status
            card.card_status = status
            card.save(update_fields=["card_status"])
            _publish(card, change=status, actor=SYSTEM)
            _audit(
                user=None,
                card=card,
                action=f"permit_card.{status}",
                detail={"from": previous, "on": today.isoformat()},
            )
            logger.info("permit card moved permit_id=%s status=%s", card.pk, status)
            return status
        if card.revision == 0:
            # Issued and not yet told: the portal's card page starts from this message.
            _publish(card, change="issued", actor=SYSTEM)
            return "issued"
        return ""


def card_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Move every card to the status its dates give on `today` (default: the local date): the
    window opens, the unendorsed anniversary suspends; and tell the portal of cards issued
    since the last sweep.

    Idempotent and safe to run twice or on two workers at once: each card is re-read and
    moved under its row lock, and only a change is written, told and audited; a second run
    the same day finds nothing to do. Run it at least daily (`card_sweep` command)."""
    today = today or timezone.localdate()
    horizon = add_months(today, 1)
    due = Q(
        card_status__in=[CardStatus.ACTIVE, CardStatus.ENDORSEMENT_DUE],
        valid_until__lte=horizon,
    )
    untold = Q(revision=0) & ~Q(card_status=CardStatus.REVOKED)
    pks = list(
        ResidencePermit.objects.filter(due | untold).order_by("pk").values_list("pk", flat=True)
    )
    counts = {"issued": 0, CardStatus.ENDORSEMENT_DUE.value: 0, CardStatus.SUSPENDED.value: 0}
    for pk in pks:
        moved = _sweep_one(pk, today)
        if moved:
            counts[moved] += 1
    return counts


# -- the endorsement (签注) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One reason the endorsement cannot be made, in words the resident reads."""

    code: str
    zh: str


@dataclass(frozen=True)
class EndorsementCheck:
    card: ResidencePermit | None
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return self.card is not None and not self.findings

    @property
    def reason(self) -> str:
        return "；".join(f.zh for f in self.findings)


def _normal_number(number: str) -> str:
    return "".join(number.split()).upper()


def _route_findings(case: PermitCase) -> list[Finding]:
    """The route the endorsement request names must still hold (ZJ-17). Employment is checked
    on the social-insurance months the request carries (HZ-2); the residence and study routes
    only on what the request carries (a housing type, a school), whose proofs it lists."""
    if case.route == "employment":
        needed = int(settings.ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS)
        months = case.social_insurance_months
        if months is None or months < needed:
            return [
                Finding(
                    "route_not_met",
                    f"按“合法稳定就业”签注须在本市连续缴纳社会保险满{needed}个月"
                    f"（申请所填：{months if months is not None else 0}个月）",
                )
            ]
    elif case.route == "residence" and not case.housing:
        return [Finding("route_not_met", "按“合法稳定住所”签注须说明现住所的类型")]
    elif case.route == "study" and not case.school_name:
        return [Finding("route_not_met", "按“连续就读”签注须说明现就读的学校")]
    return []


def endorsement_check(*, case: PermitCase, day: dt.date | None = None) -> EndorsementCheck:
    """What stands in the way of endorsing the card `case` names on `day`, all at once: the
    card must be the applicant's (same ID number) and not revoked, the registration current,
    the route still met, and the window open (or passed: a late endorsement)."""
    day = day or timezone.localdate()
    card = ResidencePermit.objects.filter(
        permit_number=_normal_number(case.permit_number), id_hash=case.id_hash
    ).first()
    if card is None:
        return EndorsementCheck(
            None, (Finding("permit_not_found", "未找到申请人名下该号码的居住证，请核对居住证号码"),)
        )
    if card.card_status == CardStatus.REVOKED:
        return EndorsementCheck(
            card, (Finding("permit_revoked", "该居住证已因补领或换领作废，请以新证申请签注"),)
        )
    findings: list[Finding] = []
    # Anywhere in the city: the endorsement follows the person, not the address of the card.
    if not registration_is_current(id_hash=case.id_hash):
        findings.append(
            Finding(
                "not_registered",
                "申请人在本市已无有效的居住登记，不再符合居住证持证条件",
            )
        )
    findings += _route_findings(case)
    if not card_can_endorse_on(card, day):
        first, last = card_endorsement_window(card)
        findings.append(
            Finding(
                "window_not_open",
                f"签注期为{first:%Y年%m月%d日}至{last:%Y年%m月%d日}，请在签注期内申请",
            )
        )
    return EndorsementCheck(card, tuple(findings))


def _endorse(
    *, case: PermitCase, card_pk: int, user: AbstractBaseUser | None, day: dt.date
) -> PermitCase:
    """Record the endorsement and move card and case; inside the caller's transaction, with the
    case row already locked (or just created)."""
    card = ResidencePermit.objects.select_for_update().get(pk=card_pk)
    answered = anniversary = card_anniversary(card)
    on_time = day <= card.valid_until and card.card_status != CardStatus.SUSPENDED
    if on_time:
        card.valid_until = _years_on(anniversary) - dt.timedelta(days=1)
    else:
        # Late (NAT-14): restored until the next anniversary still ahead; the residence years
        # start again today.
        while anniversary <= day:
            anniversary = _years_on(anniversary)
        card.valid_until = anniversary - dt.timedelta(days=1)
        card.residence_since = day
    previous_card = card.card_status
    card.card_status = CardStatus.ACTIVE
    card.save(update_fields=["valid_until", "residence_since", "card_status"])
    Endorsement.objects.create(
        permit=card,
        case=case,
        endorsed_on=day,
        anniversary=answered,
        on_time=on_time,
        valid_until=card.valid_until,
        residence_since=card.residence_since,
    )
    actor = user.get_username() if user is not None else SYSTEM
    now = timezone.now()
    previous = case.status
    case.status = PermitStatus.APPROVED
    case.approved_at = now
    case.approved_by = user  # type: ignore[assignment]
    case.decided_at = now
    case.decided_by = user  # type: ignore[assignment]
    case.task = ""
    case.task_since = None
    case.assigned_to = None
    case.assigned_at = None
    case.permit_number = card.permit_number
    case.save()
    if on_time:
        note = f"网上签注，自动核验通过：按期签注，有效期至{card.valid_until:%Y年%m月%d日}"
    else:
        note = (
            f"网上签注，自动核验通过：逾期签注，居住证功能恢复，有效期至"
            f"{card.valid_until:%Y年%m月%d日}；居住年限自{day:%Y年%m月%d日}起重新计算"
        )
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=case.status,
        actor=actor,
        note=note,
        at=now,
    )
    permit_status_emit(case, actor=f"staff:{actor}" if user is not None else SYSTEM)
    _publish(card, change="endorsed" if on_time else "endorsed_late", actor=actor, phone=case.phone)
    _audit(
        user=user,
        card=card,
        action="permit_card.endorse",
        detail={
            "case": case.reference,
            "on_time": on_time,
            "from": previous_card,
            "valid_until": card.valid_until.isoformat(),
        },
    )
    logger.info(
        "permit endorsed reference=%s permit_id=%s on_time=%s", case.reference, card.pk, on_time
    )
    return case


def endorsement_receive(*, case: PermitCase) -> PermitCase:
    """The zero-trip endorsement (ZJ-17, WF-3): a request that arrived from the portal is
    checked at once against the register; when everything holds the endorsement is recorded
    and the resident told, with no visit and no new card.

    Called by `permit_receive` inside the ferry's apply transaction, just after the case was
    filed in pre-review. When the check finds something, the case stays there with the
    findings in its history for a reviewer to decide (PI-14), and the resident is told it is
    under review."""
    check = endorsement_check(case=case)
    if not check.passed or check.card is None:
        PermitCaseEvent.objects.create(
            case=case,
            revision=case.revision,
            from_status=case.status,
            status=case.status,
            actor=SYSTEM,
            note=("自动核验未通过，待民警审核：" + check.reason)[:500],
            at=timezone.now(),
        )
        audit_record(
            actor=SYSTEM,
            action="permit.endorsement_check",
            object_type="residence_permit_case",
            object_id=case.reference,
            purpose=PURPOSE,
            success=False,
            detail={"findings": [f.code for f in check.findings]},
        )
        permit_status_emit(case, actor=SYSTEM)
        logger.info(
            "permit endorsement held reference=%s findings=%s",
            case.reference,
            ",".join(f.code for f in check.findings),
        )
        return case
    return _endorse(case=case, card_pk=check.card.pk, user=None, day=timezone.localdate())


def _endorsement_case(user: AbstractBaseUser, reference: str) -> PermitCase:
    visible = permit_find_for_staff(user=user, reference=reference)
    case = PermitCase.objects.select_for_update().select_related("station").get(pk=visible.pk)
    if case.kind != "endorsement":
        raise PermitError(
            "not_endorsement",
            "该申请不是签注申请",
            "This application is not an endorsement request",
            status=409,
        )
    permit_check_can_decide(user=user, case=case)
    return case


def endorsement_recheck(*, user: AbstractBaseUser, reference: str) -> PermitCase:
    """A reviewer checks a held endorsement request again (the register may have caught up):
    it is endorsed, under the reviewer's name, if everything holds now; otherwise the error
    lists what still does not."""
    with atomic_for(PermitCase, durable=True):
        case = _endorsement_case(user, reference)
        check = endorsement_check(case=case)
        if not check.passed or check.card is None:
            raise PermitError(
                "endorsement_not_possible",
                "仍不符合签注条件：" + check.reason,
                "The endorsement still cannot be made: "
                + ", ".join(f.code for f in check.findings),
                status=409,
            )
        return _endorse(case=case, card_pk=check.card.pk, user=user, day=timezone.localdate())


def endorsement_refuse(*, user: AbstractBaseUser, reference: str) -> PermitCase:
    """不予签注 (ZJ-17): a reviewer confirms the check's findings as the reasons the resident
    reads. Refused if the check finds nothing any more (then `endorsement_recheck`)."""
    with atomic_for(PermitCase):
        case = _endorsement_case(user, reference)
        check = endorsement_check(case=case)
    if check.passed:
        raise PermitError(
            "endorsement_possible",
            "重新核验已符合签注条件，请办理签注，不能作出不予签注决定",
            "The check now passes: endorse instead of refusing",
            status=409,
        )
    return permit_reject(user=user, reference=reference, reason="不予签注：" + check.reason)


# -- reissue and exchange (补领/换领) ------------------------------------------------------------


def card_for_replacement(*, case: PermitCase) -> ResidencePermit:
    """The card a reissue or exchange case replaces, locked: the one under the number the
    application gives, belonging to the applicant (same ID number) and not already replaced.
    Raises `PermitError` otherwise, without saying whether the number exists."""
    card = (
        ResidencePermit.objects.select_for_update()
        .filter(permit_number=_normal_number(case.permit_number))
        .first()
    )
    if card is None or card.id_hash != case.id_hash:
        raise PermitError(
            "old_permit_not_found",
            "未找到申请人名下的原居住证（号码有误或不属于申请人），不能补领或换领",
            "No residence permit of the applicant under that number; cannot reissue or exchange",
            field="permit_number",
            status=409,
        )
    if card.card_status == CardStatus.REVOKED:
        raise PermitError(
            "old_permit_revoked",
            "原居住证已作废（已补领或换领过），请核对居住证号码",
            "That permit has already been replaced; check the number",
            field="permit_number",
            status=409,
        )
    return card


def card_announce_issued(*, card: ResidencePermit, user: AbstractBaseUser) -> None:
    """Tell the portal of a newly issued card at once, inside the approval's transaction, so
    the holder's card page does not wait for the next sweep."""
    _publish(card, change="issued", actor=f"staff:{user.get_username()}")


def card_replace(
    *, old: ResidencePermit, new: ResidencePermit, user: AbstractBaseUser
) -> ResidencePermit:
    """补领/换领 (NAT-15, ZJ-18, WF-3): the new card carries on the old one's dates and status
    (see the module's docstring), and the old card is revoked, pointing to the new one. Call
    inside the approval's transaction, with `old` from `card_for_replacement`."""
    new.valid_until = old.valid_until
    new.residence_since = old.residence_since
    new.card_status = old.card_status
    new.save(update_fields=["valid_until", "residence_since", "card_status"])
    old.card_status = CardStatus.REVOKED
    old.replaced_by = new
    old.save(update_fields=["card_status", "replaced_by"])
    actor = user.get_username()
    phone = new.case.phone
    _publish(old, change="revoked", actor=f"staff:{actor}", phone=phone)
    _publish(new, change="issued", actor=f"staff:{actor}", phone=phone)
    _audit(
        user=user,
        card=old,
        action="permit_card.replace",
        detail={"case": new.case.reference, "kind": new.case.kind, "new_permit_id": new.pk},
    )
    return new
