"""What a line of a one-time notice may name (DOC-1, DOC-2): a proof of the catalogue (`A1` …
`D31`), alternatives of it as the resident's one-time list groups them (`C19/C20`: any one of
them), the photo, or a field of the application form; with the words a reviewer reads for it.

The form fields come from the contract (`models.FORM_FIELDS`); their labels are the
workbench's, and `check_field_labels` keeps the two in step at start-up. The portal reads a
notice the same way: a field opens that field for correction, a proof asks for a new file.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import BY_ID, Housing

from .models import FORM_FIELDS

PHOTO = "photo"
# The catalogue's photo (DOC-2 A8): the file filed under PHOTO is that proof.
PHOTO_PROOF = "A8"
# The application form (A9) is the platform's own online form, never uploaded: a problem with
# it names the form field, or the resident could not answer the notice with a file.
ONLINE_FORM_PROOF = "A9"
FIELD_LABELS: dict[str, str] = {
    "kind": gettext_lazy("申领类型"),
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("公民身份号码"),
    "phone": gettext_lazy("联系电话"),
    "community_code": gettext_lazy("居住社区"),
    "address_detail": gettext_lazy("详细地址"),
    "route": gettext_lazy("申领条件"),
    "housing": gettext_lazy("住所类型"),
    "employer_name": gettext_lazy("就业单位"),
    "school_name": gettext_lazy("就读学校"),
    "social_insurance_months": gettext_lazy("社会保险缴纳月数"),
    "guardian_name": gettext_lazy("监护人姓名"),
    "guardian_id_number": gettext_lazy("监护人公民身份号码"),
    "guardian_relation": gettext_lazy("与监护人关系"),
    "permit_number": gettext_lazy("原居住证号码"),
    "delivery": gettext_lazy("领证方式"),
    "postal_address": gettext_lazy("邮寄地址"),
}
ROUTE_LABELS: dict[str, str] = {
    Route.EMPLOYMENT.value: gettext_lazy("合法稳定就业"),
    Route.RESIDENCE.value: gettext_lazy("合法稳定住所"),
    Route.STUDY.value: gettext_lazy("连续就读"),
}
HOUSING_LABELS: dict[str, str] = {
    Housing.OWNED.value: gettext_lazy("自有房屋"),
    Housing.RENTED_STATE_LAND.value: gettext_lazy("租住房屋（国有土地）"),
    Housing.RENTED_COLLECTIVE_LAND.value: gettext_lazy("租住房屋（集体土地）"),
    Housing.PUBLIC_RENTAL.value: gettext_lazy("公共租赁住房"),
    Housing.DORMITORY.value: gettext_lazy("单位宿舍"),
    Housing.RELATIVE.value: gettext_lazy("直系亲属房屋"),
}
PHOTO_LABEL = gettext_lazy("证件照片")


def check_field_labels() -> None:
    """Fail at start-up, not in a reviewer's request, if the form and its labels disagree."""
    if set(FIELD_LABELS) != set(FORM_FIELDS):
        raise ImportError(f"form fields {FORM_FIELDS} differ from their labels {FIELD_LABELS}")


check_field_labels()


# A form field a notice may name: the kind of application is not one (changing it is a new
# application, and the resident's corrections cannot reach it).
NOTICE_FIELDS: tuple[str, ...] = tuple(name for name in FORM_FIELDS if name != "kind")


def parts(item: str) -> tuple[str, ...]:
    """The proofs an item names, in their stored spelling (`a8` and `A8` are the photo), or the
    form field itself."""
    if item in FIELD_LABELS:
        return (item,)
    return tuple(
        PHOTO if p.strip() in (PHOTO, PHOTO_PROOF) else p.strip().upper()
        for p in item.split("/")
        if p.strip()
    )


def canonical(item: str) -> str:
    """One spelling per item, so that two lines about the same thing compare equal."""
    return "/".join(parts(item.strip()))


def is_document_item(item: str) -> bool:
    """Whether a file may be filed under `item`: the photo or a catalogue proof."""
    return item == PHOTO or item in BY_ID


def is_notice_item(item: str) -> bool:
    """Whether a line of a one-time notice may name `item` (in its canonical spelling)."""
    if item in NOTICE_FIELDS:
        return True
    named = parts(item)
    return bool(named) and all(
        is_document_item(p) and p != ONLINE_FORM_PROOF and p not in FIELD_LABELS for p in named
    )


def proof_met_by(item: str, sent: set[str]) -> bool:
    """Whether files filed under `sent` answer a line of the one-time list (any alternative)."""
    return any(p in sent for p in parts(item))


def item_label(item: str) -> str:
    """The words for `item`, with the catalogue id beside a proof so both sides can cite it."""
    if item in FIELD_LABELS:
        return str(FIELD_LABELS[item])
    named = parts(item)
    if named and all(is_document_item(p) for p in named):
        return str(gettext_lazy("或")).join(
            str(PHOTO_LABEL) if p == PHOTO else f"{p} {BY_ID[p].name_zh}" for p in named
        )
    return item
