"""Residence self-declaration (居住登记自主申报) messages: DOMAIN ZJ-3…ZJ-5, ZJ-11, WF-1."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from django.utils.translation import gettext_lazy
from pydantic import Field

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


def check_vocabularies() -> None:
    """Fail at start-up, not in a resident's request, if a code list and its labels disagree."""
    for literal, labels in (
        (Sex, SEX_LABELS),
        (HousingType, HOUSING_TYPE_LABELS),
        (ResidenceReason, RESIDENCE_REASON_LABELS),
    ):
        if set(get_args(literal)) != set(labels):
            raise ImportError(f"code list {get_args(literal)} differs from its labels {labels}")


check_vocabularies()


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
