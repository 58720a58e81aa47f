"""Residence-permit messages (居住证): DOMAIN NAT-1, NAT-11, ZJ-14, HZ-1, DOC-1, WF-2."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from django.utils.translation import gettext_lazy
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


# The code lists of a permit application (WF-2, NAT-11…NAT-16), defined once here: both zones'
# models, the pages' choices and the API document derive from them.
ApplicationKind = Literal["first", "endorsement", "reissue", "exchange"]
DeliveryMethod = Literal["pickup", "post"]
ApplicationStatus = Literal[
    "draft",  # the resident is still filling it in (portal only)
    "submitted",  # sent to the station, not yet received there
    "prelim_review",  # in the station's pre-review queue (属地派出所初审)
    "materials_required",  # returned with the one-time notice (DOC-1)
    "prereview_passed",  # 预审通过: the one visit will succeed
    "accepted",  # accepted at the window, receipt number given
    "rejected",  # not eligible, with reasons
    "approved",
    "in_production",
    "ready",
    "collected",
    "delivered",
]
ReviewOutcome = Literal["passed", "materials_required", "rejected"]

APPLICATION_KIND_LABELS: dict[str, str] = {
    "first": gettext_lazy("首次申领"),
    "endorsement": gettext_lazy("签注"),
    "reissue": gettext_lazy("补领"),
    "exchange": gettext_lazy("换领"),
}
DELIVERY_METHOD_LABELS: dict[str, str] = {
    "pickup": gettext_lazy("窗口领取"),
    "post": gettext_lazy("邮寄到家"),
}
APPLICATION_STATUS_LABELS: dict[str, str] = {
    "draft": gettext_lazy("草稿"),
    "submitted": gettext_lazy("已提交"),
    "prelim_review": gettext_lazy("派出所预审中"),
    "materials_required": gettext_lazy("需补正材料"),
    "prereview_passed": gettext_lazy("预审通过"),
    "accepted": gettext_lazy("已受理"),
    "rejected": gettext_lazy("不予受理"),
    "approved": gettext_lazy("已审批"),
    "in_production": gettext_lazy("制证中"),
    "ready": gettext_lazy("待领取"),
    "collected": gettext_lazy("已领取"),
    "delivered": gettext_lazy("已签收"),
}
# What each state means for the resident, and what they do next (WF-2), in plain words.
APPLICATION_STATUS_EXPLANATIONS: dict[str, str] = {
    "draft": gettext_lazy("申请尚未提交，可以继续填写，草稿会自动保存。"),
    "submitted": gettext_lazy("申请已提交，正在送往居住地派出所。"),
    "prelim_review": gettext_lazy("居住地派出所正在预审您的申请和材料，结果将以短信通知。"),
    "materials_required": gettext_lazy(
        "预审发现材料需要补正，请按一次性告知的全部事项修改后重新提交。"
    ),
    "prereview_passed": gettext_lazy(
        "预审通过。请预约时间，携带告知单所列原件到窗口办理，一次即可办成。"
    ),
    "accepted": gettext_lazy("窗口已受理，请保存受理回执。"),
    "rejected": gettext_lazy("不符合申领条件，不予受理，原因见下。"),
    "approved": gettext_lazy("已审批通过，即将制证。"),
    "in_production": gettext_lazy("居住证正在制作中。"),
    "ready": gettext_lazy("居住证已制作完成，请按选择的方式领取。"),
    "collected": gettext_lazy("居住证已领取。"),
    "delivered": gettext_lazy("居住证已邮寄送达。"),
}


def check_permit_vocabularies() -> None:
    """Fail at start-up, not in a resident's request, if a code list and its labels disagree."""
    for literal, labels in (
        (ApplicationKind, APPLICATION_KIND_LABELS),
        (DeliveryMethod, DELIVERY_METHOD_LABELS),
        (ApplicationStatus, APPLICATION_STATUS_LABELS),
        (ApplicationStatus, APPLICATION_STATUS_EXPLANATIONS),
    ):
        if set(get_args(literal)) != set(labels):
            raise ImportError(f"code list {get_args(literal)} differs from its labels {labels}")


check_permit_vocabularies()

# 10 MiB of proof, base64-encoded, stays well inside one ferry document (16 MiB).
MAX_DOCUMENT_BASE64 = 14_000_000


@register
class PermitDocumentV1(Contract):
    """One uploaded file of an application, travelling as its own message ahead of the
    application that lists it (DESIGN §5: documents travel as their own typed messages with a
    content hash). The receiver checks the hash before storing it, encrypted."""

    message_type = "permit.document"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    document_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    item: str = Field(max_length=8, description="photo, or a catalogue proof id (A1…D31)")
    media_type: Literal["image/jpeg", "application/pdf"]
    sha256: str = Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=1, le=10 * 1024 * 1024)
    content_base64: str = Field(max_length=MAX_DOCUMENT_BASE64)


class DocumentRefV1(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    item: str = Field(max_length=8)
    sha256: str = Field(min_length=64, max_length=64)
    media_type: Literal["image/jpeg", "application/pdf"]
    name: str = Field(default="", max_length=100, description="the file name as uploaded")


class ProblemV1(BaseModel):
    """One line of a one-time notice (DOC-1): what is wrong and what to do; `item` names the
    proof or field it concerns (a catalogue id, "photo", or a form field name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(max_length=40)
    text: str = Field(min_length=1, max_length=300)


@register
class PermitApplicationSubmittedV1(Contract):
    """A resident's application as the station needs it to pre-review (NAT-11, WF-2). Its
    documents were sent just before it, in the same transaction, as `permit.document`."""

    message_type = "permit.submitted"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    revision: int = Field(ge=1, le=1000, description="1 when first sent, +1 per resubmission")
    kind: ApplicationKind
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    phone: str = Field(min_length=11, max_length=11)
    community_code: str = Field(min_length=12, max_length=12)
    address_detail: str = Field(min_length=1, max_length=200)
    route: Literal["employment", "residence", "study"]
    housing: str = Field(default="", max_length=30)
    employer_name: str = Field(default="", max_length=100)
    school_name: str = Field(default="", max_length=100)
    social_insurance_months: int | None = Field(default=None, ge=0, le=600)
    guardian_name: str = Field(default="", max_length=50)
    guardian_id_number: str = Field(default="", max_length=18)
    guardian_relation: str = Field(default="", max_length=20)
    permit_number: str = Field(default="", max_length=40, description="for endorsement etc.")
    delivery: DeliveryMethod
    postal_address: str = Field(default="", max_length=200)
    documents: list[DocumentRefV1] = Field(max_length=40)
    materials: list[str] = Field(
        max_length=40, description="the catalogue ids the one-time list asked for (DOC-3)"
    )
    consented_at: dt.datetime
    submitted_at: dt.datetime


@register
class PermitApplicationResubmittedV1(PermitApplicationSubmittedV1):
    """A returned application, fixed by the resident under the same reference and the next
    revision: the station takes it back into its queue as the same case."""

    message_type = "permit.resubmitted"
    version = 1


@register
class PermitApplicationStatusV1(Contract):
    """The station's word on an application, mirrored to the resident: every WF-2 change the
    resident sees. `problems` is the whole one-time notice when materials are required (DOC-1);
    `reasons` when rejected."""

    message_type = "permit.status_changed"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    revision: int = Field(ge=1, le=1000)
    status: ApplicationStatus
    station_code: str = Field(default="", max_length=20)
    station_name: str = Field(default="", max_length=100)
    problems: list[ProblemV1] = Field(default_factory=list, max_length=40)
    reason: str = Field(default="", max_length=500)
    receipt_number: str = Field(default="", max_length=40)
    permit_number: str = Field(default="", max_length=40)
    changed_at: dt.datetime


# The card after issue (WF-3; NAT-14, ZJ-17, ZJ-18): its code list, defined once here for the
# police zone's card and the portal's mirror of it.
CardStatus = Literal["active", "endorsement_due", "suspended", "revoked"]
CARD_STATUS_LABELS: dict[str, str] = {
    "active": gettext_lazy("有效"),
    "endorsement_due": gettext_lazy("待签注"),
    "suspended": gettext_lazy("功能中止"),
    "revoked": gettext_lazy("已作废"),
}
# What happened to the card: the portal chooses the resident's SMS by it.
CardChange = Literal[
    "issued",  # a new card (first issue, reissue or exchange)
    "endorsement_due",  # the endorsement window opened (T − 1 month, ZJ-17)
    "suspended",  # the anniversary passed unendorsed: functions suspended (NAT-14)
    "endorsed",  # endorsed within the window: valid a year more
    "endorsed_late",  # endorsed after the anniversary: restored, residence years restart
    "revoked",  # replaced by a reissued or exchanged card (ZJ-18)
]


def check_card_vocabularies() -> None:
    """Fail at start-up if the card's code list and its labels disagree."""
    if set(get_args(CardStatus)) != set(CARD_STATUS_LABELS):
        raise ImportError(f"code list {get_args(CardStatus)} differs from {CARD_STATUS_LABELS}")


check_card_vocabularies()


@register
class PermitCardChangedV1(Contract):
    """The card as it stands after a change, mirrored to the portal so the resident sees it
    and is reminded to endorse it without the portal asking the police zone (WF-3).

    A snapshot, not a delta: `revision` counts the card's changes, and the portal keeps only a
    newer one. `id_number` lets the portal find the holder's account; `phone` is where the
    reminder goes. `endorsement_from`…`endorsement_until` is the next window (both days
    included; none for a revoked card)."""

    message_type = "permit.card_changed"
    version = 1
    aggregate_type = "residence_permit"

    permit_number: str = Field(min_length=1, max_length=40)
    revision: int = Field(ge=1)
    change: CardChange
    card_status: CardStatus
    id_number: str = Field(min_length=18, max_length=18)
    phone: str = Field(min_length=11, max_length=11)
    issued_on: dt.date
    valid_until: dt.date
    residence_since: dt.date
    endorsement_from: dt.date | None = None
    endorsement_until: dt.date | None = None
    replaced_by: str = Field(default="", max_length=40)
    changed_at: dt.datetime


# What a department's data said of one proof of an application (HZ-7, DOC-3): the police zone
# asks the sources at pre-review and tells the portal, whose materials list then drops what was
# verified. Never a silent pass or fail: a source that did not answer is "unavailable" (to be
# checked), one whose answer could not be trusted or contradicts the application is "failed".
ProofCheckStatus = Literal["pending", "verified", "needs_paper", "failed", "unavailable"]
PROOF_CHECK_STATUS_LABELS: dict[str, str] = {
    "pending": gettext_lazy("待查询"),
    "verified": gettext_lazy("已核验（部门数据）"),
    "needs_paper": gettext_lazy("需提交材料"),
    "failed": gettext_lazy("核验未通过"),
    "unavailable": gettext_lazy("待核查（数据源暂不可用）"),
}


class ProofCheckV1(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requirement: str = Field(max_length=60, description="a list line: catalogue ids joined by /")
    required: bool = True
    proof_id: str = Field(default="", max_length=8, description="the proof the source stood in for")
    source: str = Field(default="", max_length=30)
    status: ProofCheckStatus
    reason: str = Field(default="", max_length=40)
    checked_at: dt.datetime | None = None


@register
class PermitProofsCheckedV1(Contract):
    """The department checks of one revision of an application, all at once, sent when the
    last of them has an answer (or none could be had)."""

    message_type = "permit.proofs_checked"
    version = 1
    aggregate_type = "permit_application"

    reference: str = Field(max_length=32)
    revision: int = Field(ge=1, le=1000)
    checks: list[ProofCheckV1] = Field(max_length=40)
    checked_at: dt.datetime
