"""Guidance (办事指南、政策法规、你问我答、材料样例): the police zone's content editors write it
and publish it through review; each published entry crosses to the portal whole, as its newest
published version. Drafts, entries under review and staff guidance (内部工作指引) never cross:
there is no contract for them.

Pictures travel as their own typed message with the SHA-256 of their bytes (DESIGN §3: no
free-form attachments), before the entries that show them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Literal

from django.utils.translation import gettext_lazy
from pydantic import Field, model_validator

from .base import Contract, register

# Kinds of public guidance. Staff guidance ("staff") is a police-zone kind and has no code here.
PublicKind = Literal["policy", "guide", "faq", "proof"]
PUBLIC_KIND_LABELS = {
    "policy": gettext_lazy("政策法规"),
    "guide": gettext_lazy("办事指南"),
    "faq": gettext_lazy("你问我答"),
    "proof": gettext_lazy("材料样例"),
}
# The FAQ's six categories (the model city's 44 questions came in six).
FaqCategory = Literal[
    "eligibility", "materials", "minors", "endorsement", "reissue", "registration"
]
FAQ_CATEGORY_LABELS = {
    "eligibility": gettext_lazy("申领条件"),
    "materials": gettext_lazy("申领材料"),
    "minors": gettext_lazy("未成年人"),
    "endorsement": gettext_lazy("签注"),
    "reissue": gettext_lazy("换领补领"),
    "registration": gettext_lazy("居住登记"),
}
# Where a policy comes from.
PolicyLevel = Literal["national", "zhejiang", "hangzhou"]
POLICY_LEVEL_LABELS = {
    "national": gettext_lazy("国家"),
    "zhejiang": gettext_lazy("浙江省"),
    "hangzhou": gettext_lazy("杭州市（本地规定）"),
}
# The proof catalogue's four categories (DOMAIN DOC-2; common/permit_materials.py).
ProofCategory = Literal["A", "B", "C", "D"]
# What an entry is about, so the forms' steps find the entries that apply.
AppliesTo = Literal[
    "declaration", "permit", "endorsement", "reissue", "minor", "materials", "booking"
]
APPLIES_TO_LABELS = {
    "declaration": gettext_lazy("居住登记申报"),
    "permit": gettext_lazy("居住证申领"),
    "endorsement": gettext_lazy("签注"),
    "reissue": gettext_lazy("换领补领"),
    "minor": gettext_lazy("未成年人"),
    "materials": gettext_lazy("申领材料"),
    "booking": gettext_lazy("预约办理"),
}
PICTURE_MEDIA_TYPES = ("image/png", "image/jpeg")
PICTURE_MAX_BYTES = 400_000
ENTRY_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class GuidePicture(Contract):
    """A picture an entry shows, by the hash of its bytes, with the words a screen reader says."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    alt: str = Field(min_length=1, max_length=200)
    width: int = Field(ge=1, le=4096)
    height: int = Field(ge=1, le=4096)


class GuideStep(Contract):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(default="", max_length=4000)  # Markdown
    picture: GuidePicture | None = None


@register
class GuidancePictureV1(Contract):
    """The bytes of one resized picture (PNG or JPEG), sent before the entries that show it."""

    message_type = "guidance.picture"
    version = 1
    aggregate_type = "guidance_picture"

    sha256: str = Field(pattern=SHA256_PATTERN)
    media_type: Literal["image/png", "image/jpeg"]
    data: str = Field(max_length=PICTURE_MAX_BYTES * 4 // 3 + 4)  # base64
    width: int = Field(ge=1, le=4096)
    height: int = Field(ge=1, le=4096)

    @model_validator(mode="after")
    def _hash_matches(self) -> GuidancePictureV1:
        raw = base64.b64decode(self.data, validate=True)
        if hashlib.sha256(raw).hexdigest() != self.sha256:
            raise ValueError("picture bytes do not match their sha256")
        return self

    def raw(self) -> bytes:
        return base64.b64decode(self.data)


@register
class GuidanceEntryPublishedV1(Contract):
    """One public entry as its newest published version says, sent whole at every publication
    (and with `active` false when it is withdrawn). Newer `version` wins."""

    message_type = "guidance.entry_published"
    version = 1
    aggregate_type = "guidance_entry"

    key: str = Field(pattern=ENTRY_KEY_PATTERN)
    kind: PublicKind
    revision: int = Field(ge=1)
    active: bool = True
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    body: str = Field(default="", max_length=20000)  # Markdown
    category: str = Field(default="", max_length=20)
    applies_to: list[AppliesTo] = Field(default_factory=list, max_length=7)
    related: list[str] = Field(default_factory=list, max_length=20)  # keys of other entries
    local_setting: bool = False  # a rule of this city or province, not the national text
    # Policies.
    source: str = Field(default="", max_length=300)
    article: str = Field(default="", max_length=40)
    # Guides.
    steps: list[GuideStep] = Field(default_factory=list, max_length=20)
    # Proof samples: the catalogue id (A1 … D31) the materials list refers to.
    proof_id: str = Field(default="", max_length=8)
    issuer: str = Field(default="", max_length=100)
    when_needed: str = Field(default="", max_length=500)
    auto_fetched: bool = False
    picture: GuidePicture | None = None
    sort: int = Field(default=0, ge=0, le=100000)
    published_at: dt.datetime
