"""Residence self-declaration (居住登记自主申报) messages: DOMAIN ZJ-3…ZJ-5, ZJ-11, WF-1."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import Contract, register

# The code lists of a declaration, defined here once: the message types below, both zones'
# models, the page's choices and the API document all derive from them. A `Literal` repeats the
# codes for the type checker; `check_vocabularies` (run at import) keeps the two equal.
Sex = Literal["M", "F"]
HousingType = Literal["rented", "owned", "dormitory", "relative", "other"]
ResidenceReason = Literal["work", "business", "study", "family", "other"]
DeclarationStatus = Literal["received", "registered", "returned"]

# What staff and residents read for the codes (Chinese source, translated by Django i18n).
SEX_LABELS: dict[str, str] = {"M": gettext_lazy("男"), "F": gettext_lazy("女")}
HOUSING_TYPE_LABELS: dict[str, str] = {
    "rented": gettext_lazy("租住房屋"),
    "owned": gettext_lazy("自有房屋"),
    "dormitory": gettext_lazy("单位宿舍"),
    "relative": gettext_lazy("借住亲友家"),
    "other": gettext_lazy("其他"),
}
RESIDENCE_REASON_LABELS: dict[str, str] = {
    "work": gettext_lazy("务工"),
    "business": gettext_lazy("经商"),
    "study": gettext_lazy("就学"),
    "family": gettext_lazy("投靠亲友"),
    "other": gettext_lazy("其他"),
}


def check_vocabularies(*pairs: tuple[Any, dict[str, str]]) -> None:
    """Fail at start-up, not in a resident's request, if a code list and its labels disagree."""
    for literal, labels in pairs:
        if set(get_args(literal)) != set(labels):
            raise ImportError(f"code list {get_args(literal)} differs from its labels {labels}")


check_vocabularies(
    (Sex, SEX_LABELS),
    (HousingType, HOUSING_TYPE_LABELS),
    (ResidenceReason, RESIDENCE_REASON_LABELS),
)


@register
class DeclarationSubmittedV1(Contract):
    """A resident's declaration, as the police zone needs it to verify and register."""

    message_type = "declaration.submitted"
    version = 1
    aggregate_type = "declaration"

    reference: str = Field(max_length=32)
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    sex: Sex
    birth_date: dt.date
    phone: str = Field(min_length=11, max_length=11)
    community_code: str = Field(min_length=12, max_length=12)
    address_detail: str = Field(min_length=1, max_length=200)
    housing_type: HousingType
    landlord_name: str = Field(default="", max_length=50)
    landlord_phone: str = Field(default="", max_length=11)
    reason: ResidenceReason
    arrival_date: dt.date
    employer_name: str = Field(default="", max_length=100)
    guardian_name: str = Field(default="", max_length=50)
    guardian_id_number: str = Field(default="", max_length=18)
    guardian_relation: str = Field(default="", max_length=20)
    declared_at: dt.datetime


@register
class DeclarationResubmittedV1(DeclarationSubmittedV1):
    """A returned declaration, corrected by the resident under the same reference: the police
    zone takes it back into the queue as the same case, its history continued."""

    message_type = "declaration.resubmitted"
    version = 1


@register
class DeclarationStatusChangedV1(Contract):
    """The police zone's decision on a declaration, mirrored to the resident."""

    message_type = "declaration.status_changed"
    version = 1
    aggregate_type = "declaration"

    reference: str = Field(max_length=32)
    status: DeclarationStatus
    station_code: str = Field(default="", max_length=20)
    station_name: str = Field(default="", max_length=100)
    registration_number: str = Field(default="", max_length=40)
    registered_on: dt.date | None = None
    reason: str = Field(default="", max_length=500)
    changed_at: dt.datetime


# What the resident declares: the message's fields less those the portal adds itself.
DECLARED_FIELDS: tuple[str, ...] = tuple(
    name for name in DeclarationSubmittedV1.model_fields if name not in ("reference", "declared_at")
)


# --- After registration: changes of address or workplace (ZJ-11) and cancellation (WF-1) ------

# The full lifecycle of WF-1 as the resident's mirror sees it: the statuses of
# `DeclarationStatusChangedV1` plus a registration that has changed (still current) and one
# that is cancelled (注销, no longer current).
LifecycleStatus = Literal["received", "registered", "returned", "changed", "cancelled"]
# Who recorded a change: the resident online, or staff at the window for a person who came in.
ChangeChannel = Literal["online", "window"]
CancelReason = Literal["left_city", "duplicate", "died", "other"]
# What a cancellation means for a residence permit resting on the registration; the permit
# itself is decided by the permit side, which reads the register (`registration_is_current`).
PermitEffect = Literal["none", "no_current_registration", "holder_deceased"]

CANCEL_REASON_LABELS: dict[str, str] = {
    "left_city": gettext_lazy("离开本市"),
    "duplicate": gettext_lazy("重复登记"),
    "died": gettext_lazy("死亡"),
    "other": gettext_lazy("其他原因"),
}
PERMIT_EFFECT_LABELS: dict[str, str] = {
    "none": gettext_lazy("本人另有有效的居住登记，居住证不受影响"),
    "no_current_registration": gettext_lazy(
        "本人已无有效的居住登记：持有的居住证不再予以签注，由发证机关依规处理"
    ),
    "holder_deceased": gettext_lazy("持证人已死亡：持有的居住证由发证机关依规注销"),
}
CHANGE_CHANNEL_LABELS: dict[str, str] = {
    "online": gettext_lazy("网上申报"),
    "window": gettext_lazy("窗口办理"),
}


check_vocabularies(
    (CancelReason, CANCEL_REASON_LABELS),
    (PermitEffect, PERMIT_EFFECT_LABELS),
    (ChangeChannel, CHANGE_CHANNEL_LABELS),
)


@register
class RegistrationChangeDeclaredV1(Contract):
    """A resident declares that the address and/or the workplace of a registered declaration
    changed on `changed_on` (ZJ-11). `change_reference` is issued once by the portal, so the
    police zone records each change once however often it arrives."""

    message_type = "declaration.change_declared"
    version = 1
    aggregate_type = "declaration"

    reference: str = Field(max_length=32)
    change_reference: str = Field(min_length=1, max_length=32)
    changed_on: dt.date
    address_changed: bool
    community_code: str = Field(default="", max_length=12)
    address_detail: str = Field(default="", max_length=200)
    housing_type: HousingType | None = None
    landlord_name: str = Field(default="", max_length=50)
    landlord_phone: str = Field(default="", max_length=11)
    workplace_changed: bool
    employer_name: str = Field(default="", max_length=100)
    declared_at: dt.datetime

    @model_validator(mode="after")
    def _something_changes(self) -> RegistrationChangeDeclaredV1:
        if not (self.address_changed or self.workplace_changed):
            raise ValueError("a change names a new address, a new workplace or both")
        if self.address_changed and not (
            len(self.community_code) == 12 and self.address_detail and self.housing_type
        ):
            raise ValueError("a new address needs its community, detail and housing type")
        return self


@register
class RegistrationCancelDeclaredV1(Contract):
    """A resident declares leaving the city on `left_on`: the registration is to be cancelled
    (注销). `request_reference` ties the answer back to the resident's request."""

    message_type = "declaration.cancel_declared"
    version = 1
    aggregate_type = "declaration"

    reference: str = Field(max_length=32)
    request_reference: str = Field(min_length=1, max_length=32)
    left_on: dt.date
    declared_at: dt.datetime


class RegistrationChangeRecordV1(BaseModel):
    """One change as the station recorded it; the address is the new current one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_reference: str = Field(max_length=32)
    channel: ChangeChannel
    changed_on: dt.date
    declared_on: dt.date
    # ZJ-11: declared more than ten days after the change.
    late: bool
    address_changed: bool
    community_code: str = Field(max_length=12)
    address_detail: str = Field(max_length=200)
    housing_type: HousingType | None = None
    landlord_name: str = Field(default="", max_length=50)
    landlord_phone: str = Field(default="", max_length=11)
    workplace_changed: bool
    employer_name: str = Field(default="", max_length=100)


class RegistrationCancellationV1(BaseModel):
    """A cancellation as the station recorded it, with its effect on a residence permit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_reference: str = Field(default="", max_length=32)
    channel: ChangeChannel
    cancelled_on: dt.date
    reason: CancelReason
    note: str = Field(default="", max_length=500)
    permit_effect: PermitEffect


@register
class DeclarationStatusChangedV2(Contract):
    """The police zone's decisions on a declaration and, after registration, on the
    registration itself (WF-1): `changed` carries the change recorded, `cancelled` the
    cancellation and its effect on a permit."""

    message_type = "declaration.status_changed"
    version = 2
    aggregate_type = "declaration"

    reference: str = Field(max_length=32)
    status: LifecycleStatus
    station_code: str = Field(default="", max_length=20)
    station_name: str = Field(default="", max_length=100)
    registration_number: str = Field(default="", max_length=40)
    registered_on: dt.date | None = None
    reason: str = Field(default="", max_length=500)
    changed_at: dt.datetime
    change: RegistrationChangeRecordV1 | None = None
    cancellation: RegistrationCancellationV1 | None = None

    @classmethod
    def upgrade_from_v1(cls, old: DeclarationStatusChangedV1) -> DeclarationStatusChangedV2:
        return cls(**old.model_dump())
