"""Writes for the resident's residence-permit application (DOMAIN NAT-1, NAT-11, HZ-7, DOC-1…DOC-4,
WF-2, PI-2).

A resident starts a draft, fills it in (any part at any time, each field checked as it is
saved), uploads the photo and the proofs its materials list asks for, and submits it with
their consent. Submission checks everything at once and sends the documents, then the
application, to the station in one transaction (outbox). The station's word comes back as
`permit.status_changed`; a one-time notice (DOC-1) lets the resident change exactly the items
it lists and resubmit under the same reference.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from onetrip.common import divisions
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for, db_for
from onetrip.common.errors import ApplicationError
from onetrip.common.filestore import file_delete, file_get, file_put
from onetrip.common.identifiers import (
    IdentifierError,
    ResidentId,
    normalize_mobile,
    parse_resident_id,
)
from onetrip.common.masking import mask_name
from onetrip.common.permit_eligibility import GuardianFacts, Route, RouteAnswers
from onetrip.common.permit_materials import BY_ID, Category, Housing, Item, materials_for
from onetrip.common.text import TextError, clean_person_name, clean_text
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    DELIVERY_METHOD_LABELS,
    DocumentRefV1,
    PermitApplicationResubmittedV1,
    PermitApplicationStatusV1,
    PermitApplicationSubmittedV1,
    PermitDocumentV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.declarations.services import GUARDIAN_RELATIONS
from onetrip.portal.notify.services import sms_queue

from .errors import (
    ApplicationCannotBeChanged,
    ApplicationDuplicate,
    ApplicationInvalid,
    ApplicationLimitReached,
    ApplicationNotDraft,
    ApplicationNotFound,
    ApplicationNotReturned,
    FieldError,
)
from .models import (
    IN_PROGRESS,
    IN_PROGRESS_STATUSES,
    ApplicationStatus,
    PermitApplication,
    PermitApplicationEvent,
    PermitDocument,
)
from .proofs import fetched_proofs, verified_lines
from .selectors import permit_application_of_resident
from .services import EligibilityQuestion, eligibility_check
from .uploads import MAX_PROOF_BYTES, UploadError, check_photo, check_proof

logger = logging.getLogger(__name__)

PURPOSE = "residence_permit"
REFERENCE_PREFIX = "PA"  # 居住证申请; declarations are "JZ"
MAX_OPEN_DRAFTS = 5
MAX_UPLOADS_PER_APPLICATION = 60
MAX_MONTHS = 600
GUARDIAN_APPLIES_UNDER = 16  # NAT-9, HZ-5
ADULT_AGE = 18
PHOTO = "photo"  # the item of the applicant's photo, catalogue A8
PHOTO_PROOF = "A8"
ONLINE_FORM_PROOF = "A9"  # the application form: this platform's own form, never uploaded
# Kinds whose materials follow the route (DOC-3); a reissue or exchange needs identity only.
ROUTE_KINDS = ("first", "endorsement")

ROUTE_LABELS: dict[str, Any] = {
    Route.EMPLOYMENT.value: gettext_lazy("合法稳定就业"),
    Route.RESIDENCE.value: gettext_lazy("合法稳定住所"),
    Route.STUDY.value: gettext_lazy("连续就读"),
}
HOUSING_LABELS: dict[str, Any] = {
    Housing.OWNED.value: gettext_lazy("自有房屋"),
    Housing.RENTED_STATE_LAND.value: gettext_lazy("租住房屋（国有土地）"),
    Housing.RENTED_COLLECTIVE_LAND.value: gettext_lazy("租住房屋（集体土地）"),
    Housing.PUBLIC_RENTAL.value: gettext_lazy("公共租赁住房"),
    Housing.DORMITORY.value: gettext_lazy("单位宿舍"),
    Housing.RELATIVE.value: gettext_lazy("直系亲属房屋"),
}

# PI-2: what the resident agrees to, shown beside the submit button and in the API document.
CONSENT_TEXT = gettext_lazy(
    "本人同意杭州市公安局为办理居住证，收集和使用本申请填写的个人信息及上传的照片和材料，"
    "并传送至居住地派出所审核；上述信息仅用于居住证办理，不作他用。"
    "本人承诺所填信息和所交材料真实、有效。"
)

# Every field of the form, with its words for messages (Chinese, English). The contract's form
# fields are all here; `guardians_hold_permits` and `guardian_insurance_months` are the facts
# the eligibility rules need of a minor's guardians (HZ-5) and stay on the portal.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "id_number": ("公民身份号码", "ID number"),
    "phone": ("联系电话", "mobile number"),
    "community_code": ("居住地社区（村）", "community lived in"),
    "address_detail": ("详细地址", "detailed address"),
    "route": ("申领条件", "route"),
    "housing": ("住所类型", "housing"),
    "employer_name": ("工作单位名称", "employer's name"),
    "school_name": ("就读学校名称", "school's name"),
    "social_insurance_months": ("本市连续缴纳社会保险月数", "months of social insurance"),
    "guardian_name": ("监护人姓名", "guardian's name"),
    "guardian_id_number": ("监护人公民身份号码", "guardian's ID number"),
    "guardian_relation": ("监护人与申请人关系", "guardian's relationship"),
    "guardians_hold_permits": ("父母（监护人）持有有效居住证", "guardians hold permits"),
    "guardian_insurance_months": ("监护人连续缴纳社会保险月数", "guardian's insurance months"),
    "permit_number": ("居住证号码", "permit number"),
    "delivery": ("领取方式", "delivery"),
    "postal_address": ("邮寄地址", "postal address"),
}
APPLICATION_FIELDS: tuple[str, ...] = tuple(FIELD_LABELS)
_NOT_FORM_FIELDS = {
    "reference",
    "revision",
    "kind",
    "documents",
    "materials",
    "consented_at",
    "submitted_at",
}
CONTRACT_FORM_FIELDS: tuple[str, ...] = tuple(
    name for name in PermitApplicationSubmittedV1.model_fields if name not in _NOT_FORM_FIELDS
)
if not set(CONTRACT_FORM_FIELDS) <= set(APPLICATION_FIELDS):
    raise ImportError(f"form fields {CONTRACT_FORM_FIELDS} missing from {APPLICATION_FIELDS}")
if not set(IN_PROGRESS_STATUSES) <= set(ApplicationStatus.values):
    raise ImportError("IN_PROGRESS_STATUSES names a status the contract does not know")

# What the resident may change when a notice names a field: the field, and the fields that
# follow from it (a new route needs its own answers). A notice may also name a group.
FIELD_DEPENDENTS: dict[str, tuple[str, ...]] = {
    "route": ("housing", "employer_name", "school_name", "social_insurance_months"),
    "community_code": ("address_detail",),
    "delivery": ("postal_address",),
    "address": ("community_code", "address_detail"),
    "guardian": (
        "guardian_name",
        "guardian_id_number",
        "guardian_relation",
        "guardians_hold_permits",
        "guardian_insurance_months",
    ),
}
# Fields whose change changes the materials list (DOC-3).
MATERIAL_FIELDS = frozenset({"route", "housing", "id_number", "guardian_relation"})


def _error(field: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(field, code, zh, en)


# --- Cleaning one field ----------------------------------------------------------------------

_INVALID = object()


def _months(name: str, raw: Any, errors: list[FieldError]) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or int(text) > MAX_MONTHS:
        zh, en = FIELD_LABELS[name]
        errors.append(
            _error(
                name,
                "months",
                f"{zh}请填写0至{MAX_MONTHS}之间的整数",
                f"The {en} is a whole number from 0 to {MAX_MONTHS}",
            )
        )
        return _INVALID
    return int(text)


def _flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "true", "on", "yes")


def _choice(name: str, raw: Any, codes: Iterable[str], errors: list[FieldError]) -> Any:
    value = str(raw or "").strip()
    if value and value not in codes:
        zh, en = FIELD_LABELS[name]
        errors.append(
            _error(name, "choice", f"请从列表中选择{zh}", f"Choose the {en} from the list")
        )
        return _INVALID
    return value


def _free_text(name: str, raw: Any, max_length: int, errors: list[FieldError]) -> Any:
    zh, en = FIELD_LABELS[name]
    try:
        return clean_text(
            str(raw or ""), field=name, label_zh=zh, label_en=en, max_length=max_length
        )
    except TextError as exc:
        errors.append(_error(name, exc.code, exc.message_zh, exc.message_en))
        return _INVALID


def _person_name(name: str, raw: Any, errors: list[FieldError]) -> Any:
    if not str(raw or "").strip():
        return ""
    zh, en = FIELD_LABELS[name]
    try:
        return clean_person_name(str(raw), field=name, label_zh=zh, label_en=en)
    except TextError as exc:
        errors.append(_error(name, exc.code, exc.message_zh, exc.message_en))
        return _INVALID


def _id_number(name: str, raw: Any, today: dt.date, errors: list[FieldError]) -> Any:
    if not str(raw or "").strip():
        return ""
    try:
        return parse_resident_id(str(raw), today=today).number
    except IdentifierError as exc:
        errors.append(_error(name, exc.code, exc.message_zh, exc.message_en))
        return _INVALID


def _phone(raw: Any, errors: list[FieldError]) -> Any:
    if not str(raw or "").strip():
        return ""
    try:
        return normalize_mobile(str(raw))
    except IdentifierError as exc:
        errors.append(_error("phone", exc.code, exc.message_zh, exc.message_en))
        return _INVALID


def _community(raw: Any, errors: list[FieldError]) -> Any:
    code = str(raw or "").strip()
    if code and not divisions.is_in_city(code):
        errors.append(
            _error(
                "community_code",
                "outside_city",
                "所选居住地不在本市辖区内，请在本市范围内选择社区（村）",
                "The address is outside this city; choose a community in this city",
            )
        )
        return _INVALID
    return code


def clean_field(name: str, raw: Any, *, today: dt.date, errors: list[FieldError]) -> Any:
    """The stored value of one form field as typed, or `_INVALID` with its problem in `errors`.
    Empty is always allowed here: a draft may be incomplete (completeness is a submit rule)."""
    if name in ("name", "guardian_name"):
        return _person_name(name, raw, errors)
    if name in ("id_number", "guardian_id_number"):
        return _id_number(name, raw, today, errors)
    if name == "phone":
        return _phone(raw, errors)
    if name == "community_code":
        return _community(raw, errors)
    if name in ("address_detail", "postal_address"):
        return _free_text(name, raw, 200, errors)
    if name in ("employer_name", "school_name"):
        return _free_text(name, raw, 100, errors)
    if name == "permit_number":
        return _free_text(name, raw, 40, errors)
    if name in ("social_insurance_months", "guardian_insurance_months"):
        return _months(name, raw, errors)
    if name == "guardians_hold_permits":
        return _flag(raw)
    if name == "route":
        return _choice(name, raw, ROUTE_LABELS, errors)
    if name == "housing":
        return _choice(name, raw, HOUSING_LABELS, errors)
    if name == "guardian_relation":
        return _choice(name, raw, GUARDIAN_RELATIONS, errors)
    if name == "delivery":
        return _choice(name, raw, DELIVERY_METHOD_LABELS, errors)
    raise KeyError(name)


# --- The materials list of an application (DOC-3, HZ-7) ---------------------------------------


@dataclass(frozen=True)
class MaterialLine:
    """One line of the application's one-time list, with what the resident has done for it.

    `key` names the line in forms and errors ("photo" for the photo, else the item id such as
    "C19/C20"); `proofs` are the document items that answer it; a line is required as an
    upload unless the system fetches it (HZ-7) or it is this platform's own form. The photo
    is always required as an upload (HZ-7: the only mandatory electronic upload)."""

    item: Item
    key: str
    proofs: tuple[str, ...]
    required_upload: bool
    online_form: bool
    documents: tuple[PermitDocument, ...]

    @property
    def provided(self) -> bool:
        return self.online_form or bool(self.documents)

    @property
    def names_zh(self) -> list[str]:
        return [p.name_zh for p in self.item.alternatives]

    @property
    def names_en(self) -> list[str]:
        return [p.name_en for p in self.item.alternatives]


def _resident_id(application: PermitApplication, today: dt.date) -> ResidentId | None:
    if not application.id_number:
        return None
    try:
        return parse_resident_id(application.id_number, today=today)
    except IdentifierError:
        return None


def is_minor(application: PermitApplication, *, today: dt.date | None = None) -> bool:
    """Under 16 on `today`: a guardian applies (NAT-9, HZ-5)."""
    today = today or timezone.localdate()
    resident_id = _resident_id(application, today)
    return resident_id is not None and resident_id.age_on(today) < GUARDIAN_APPLIES_UNDER


def materials_items(
    application: PermitApplication, *, provided: Iterable[str] = (), today: dt.date | None = None
) -> list[Item]:
    """The catalogue lines this application needs (DOC-3): by route and housing for a first
    application or an endorsement, identity items only for a reissue or an exchange (and while
    the route is not chosen yet); a minor's items when the applicant is under 16."""
    minor = is_minor(application, today=today)
    common = {
        "minor": minor,
        "guardian_is_parent": application.guardian_relation in ("", "parent"),
        "by_agent": minor,
        "provided": set(provided),
        "fetched": fetched_proofs(),
    }
    route = application.route
    housing = application.housing
    if (
        application.kind in ROUTE_KINDS
        and route in ROUTE_LABELS
        and (route != Route.RESIDENCE or housing in HOUSING_LABELS)
    ):
        return materials_for(
            route=Route(route),
            housing=Housing(housing) if route == Route.RESIDENCE else None,
            **common,
        )
    items = materials_for(route=Route.STUDY, **common)
    return [i for i in items if all(p.category == Category.IDENTITY for p in i.alternatives)]


def permit_application_materials(
    *, application: PermitApplication, today: dt.date | None = None
) -> list[MaterialLine]:
    """The application's one-time list with each line's documents and whether it must be
    uploaded; `provided` follows the active documents. A line a department's data verified at
    pre-review is no longer on the list (HZ-7)."""
    documents = list(application.documents.filter(active=True))
    provided = {d.item for d in documents} | {ONLINE_FORM_PROOF}
    if any(d.item == PHOTO for d in documents):
        provided.add(PHOTO_PROOF)
    lines = []
    verified = verified_lines(application)
    for item in materials_items(application, provided=provided, today=today):
        if item.id in verified:
            continue
        ids = tuple(p.id for p in item.alternatives)
        if ids == (PHOTO_PROOF,):
            key, proofs, required = PHOTO, (PHOTO,), True
        else:
            key, proofs, required = item.id, ids, not item.auto_fetched
        online_form = ids == (ONLINE_FORM_PROOF,)
        lines.append(
            MaterialLine(
                item=item,
                key=key,
                proofs=() if online_form else proofs,
                required_upload=required and not online_form,
                online_form=online_form,
                documents=tuple(d for d in documents if d.item in proofs),
            )
        )
    return lines


def permit_application_materials_pdf(
    *, application: PermitApplication, today: dt.date | None = None
) -> bytes:
    """The application's one-time list as a printable PDF with its reference and QR code;
    the applicant's name masked, for paper leaves the system's care once printed."""
    from .pdf import materials_pdf

    lines = permit_application_materials(application=application, today=today)
    return materials_pdf(
        reference=application.reference,
        items=[line.item for line in lines],
        applicant=mask_name(application.name),
        kind_label=str(APPLICATION_KIND_LABELS[application.kind]),
        generated_on=today or timezone.localdate(),
    )


def _uploadable(lines: Iterable[MaterialLine]) -> set[str]:
    return {proof for line in lines for proof in line.proofs}


def _normal_item(item: str) -> str:
    item = (item or "").strip()
    return PHOTO if item in (PHOTO, PHOTO_PROOF) else item.upper()


# --- The one-time notice (DOC-1) -------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What a station's notice lets the resident change: `fields` of the form, and for each
    listed document line (`key`) the document items that answer it."""

    fields: frozenset[str]
    documents: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def proofs(self) -> set[str]:
        return {proof for _key, proofs in self.documents for proof in proofs}

    @property
    def changes_materials(self) -> bool:
        return bool(self.fields & MATERIAL_FIELDS)


def notice_of(application: PermitApplication) -> Notice:
    """Read the stored problems: an item that is a form field (or a group of them) opens those
    fields; "photo" or catalogue ids (A1…D31, "C19/C20") ask for a new document; any other
    item is a remark with no change to make."""
    fields: set[str] = set()
    documents: list[tuple[str, tuple[str, ...]]] = []
    for problem in application.problems or []:
        item = str(problem.get("item", "")).strip()
        if item in FIELD_LABELS or item in FIELD_DEPENDENTS:
            if item in FIELD_LABELS:
                fields.add(item)
            fields.update(FIELD_DEPENDENTS.get(item, ()))
            continue
        ids = tuple(_normal_item(part) for part in item.split("/") if part.strip())
        if ids and all(i == PHOTO or i in BY_ID for i in ids):
            documents.append((item, ids))
    return Notice(fields=frozenset(fields), documents=tuple(documents))


def problem_label(item: str) -> tuple[str, str]:
    """A problem item in words (Chinese, English): a field's label, a proof's name, or the
    item itself."""
    if item in FIELD_LABELS:
        return FIELD_LABELS[item]
    if item in FIELD_DEPENDENTS:
        return {
            "route": FIELD_LABELS["route"],
            "community_code": FIELD_LABELS["community_code"],
            "delivery": FIELD_LABELS["delivery"],
            "address": ("居住地址", "address"),
            "guardian": ("监护人信息", "guardian"),
        }[item]
    ids = [_normal_item(part) for part in item.split("/") if part.strip()]
    if ids and all(i == PHOTO or i in BY_ID for i in ids):
        zh = "或".join("照片" if i == PHOTO else BY_ID[i].name_zh for i in ids)
        en = " or ".join("photo" if i == PHOTO else BY_ID[i].name_en for i in ids)
        return zh, en
    return item, item


# --- Start, save, upload -------------------------------------------------------------------


def _new_reference(now: dt.datetime) -> str:
    return f"{REFERENCE_PREFIX}{timezone.localtime(now):%y%m%d}{secrets.randbelow(10**8):08d}"


def _prefill(resident: Resident) -> dict[str, Any]:
    """What the resident already told the portal when declaring residence, so they type it
    once (最多跑一次): their latest declaration's person and address."""
    values: dict[str, Any] = {"phone": resident.phone}
    latest = Declaration.objects.filter(resident=resident).order_by("-submitted_at").first()
    if latest is not None:
        values.update(
            name=latest.name,
            id_number=latest.id_number,
            id_hash=latest.id_hash,
            phone=latest.phone,
            community_code=latest.community_code,
            address_detail=latest.address_detail,
        )
    return values


def permit_application_start(
    *, resident: Resident, kind: str, channel: str = "web"
) -> PermitApplication:
    """A new draft of `kind`, filled in from the resident's latest declaration. A resident
    keeps at most `MAX_OPEN_DRAFTS` drafts (counted under the resident's row lock)."""
    if kind not in APPLICATION_KIND_LABELS:
        raise ApplicationInvalid(
            [
                _error(
                    "kind",
                    "choice",
                    "请选择申请类型：首次申领、签注、补领或换领",
                    "Choose the kind: first, endorsement, reissue or exchange",
                )
            ]
        )
    values = _prefill(resident)
    now = timezone.now()
    for attempt in range(5):
        try:
            with atomic_for(PermitApplication, durable=True):
                Resident.objects.select_for_update().filter(pk=resident.pk).first()
                drafts = PermitApplication.objects.filter(
                    resident=resident, status=ApplicationStatus.DRAFT
                ).count()
                if drafts >= MAX_OPEN_DRAFTS:
                    raise ApplicationLimitReached(
                        "too_many_drafts",
                        f"您已有{drafts}份未提交的申请草稿，请先完成或提交其中一份",
                        f"You already have {drafts} unsent drafts; finish or submit one first",
                    )
                application = PermitApplication.objects.create(
                    reference=_new_reference(now),
                    resident=resident,
                    kind=kind,
                    channel=channel,
                    created_at=now,
                    **values,
                )
                PermitApplicationEvent.objects.create(
                    application=application, status=ApplicationStatus.DRAFT, at=now
                )
        except IntegrityError:
            if attempt == 4:
                raise
            continue
        logger.info("permit-draft started reference=%s", application.reference)
        return application
    raise RuntimeError("could not allocate an application reference")


def _locked(resident: Resident, reference: str) -> PermitApplication:
    """The resident's application under its row lock; "not found" for anyone else's."""
    found = permit_application_of_resident(resident=resident, reference=reference)
    return PermitApplication.objects.select_for_update().get(pk=found.pk)


def _editable_fields(application: PermitApplication) -> frozenset[str] | None:
    """None: every field (a draft); the notice's fields when the station asked for
    corrections; otherwise nothing may change."""
    if application.status == ApplicationStatus.DRAFT:
        return None
    if application.status == ApplicationStatus.MATERIALS_REQUIRED:
        return notice_of(application).fields
    raise ApplicationNotDraft()


def _apply_changes(
    application: PermitApplication,
    data: Mapping[str, Any],
    *,
    allowed: frozenset[str] | None,
    today: dt.date,
) -> list[str]:
    """Set the typed fields after checking each; every problem at once. A field outside
    `allowed` may be sent with its current value (a client sending the whole form), but not
    changed. Returns the stored names of documents no longer on the list, to delete."""
    errors: list[FieldError] = []
    changes: dict[str, Any] = {}
    for name in APPLICATION_FIELDS:
        if name not in data:
            continue
        own_errors: list[FieldError] = []
        value = clean_field(name, data[name], today=today, errors=own_errors)
        if allowed is not None and name not in allowed:
            if value is _INVALID or value != getattr(application, name):
                zh, en = FIELD_LABELS[name]
                errors.append(
                    _error(
                        name,
                        "not_listed",
                        f"{zh}不在补正告知所列事项中，不能修改；只需修改告知中列出的事项",
                        f"The {en} is not on the station's notice and cannot be changed; "
                        "change only what the notice lists",
                    )
                )
            continue
        if value is _INVALID:
            errors.extend(own_errors)
            continue
        changes[name] = value
    if errors:
        raise ApplicationInvalid(errors)
    for name, value in changes.items():
        setattr(application, name, value)
    fields = [*changes, "updated_at"]
    if "id_number" in changes:
        application.id_hash = (
            lookup_hash(application.id_number, purpose="id_number") if application.id_number else ""
        )
        fields.append("id_hash")
    application.save(update_fields=fields)
    if not changes.keys() & MATERIAL_FIELDS:
        return []
    return _retire_unlisted_documents(application)


def _retire_unlisted_documents(application: PermitApplication) -> list[str]:
    """Documents whose item the list no longer asks for (the route changed) are not sent:
    they become inactive, and their files are deleted after the commit."""
    listed = _uploadable(permit_application_materials(application=application))
    stale = [d for d in application.documents.filter(active=True) if d.item not in listed]
    now = timezone.now()
    for document in stale:
        document.active = False
        document.replaced_at = now
        document.save(update_fields=["active", "replaced_at"])
    return [d.stored_name for d in stale]


def _delete_after_commit(names: list[str]) -> None:
    if not names:
        return

    def delete() -> None:
        for name in names:
            file_delete(zone="portal", name=name)

    transaction.on_commit(delete, using=db_for(PermitDocument))


def permit_application_save(
    *,
    resident: Resident,
    reference: str,
    data: Mapping[str, Any],
    today: dt.date | None = None,
) -> PermitApplication:
    """Save some fields of a draft (only the given ones; "" clears one), each checked as typed.
    After a one-time notice, only the fields it lists (DOC-1). Nothing is saved if any field is
    refused; every problem is reported at once."""
    today = today or timezone.localdate()
    with atomic_for(PermitApplication, durable=True):
        application = _locked(resident, reference)
        allowed = _editable_fields(application)
        _delete_after_commit(_apply_changes(application, data, allowed=allowed, today=today))
    return application


def clean_file_name(name: str) -> str:
    """The uploaded file's name as the resident may see it again: the last path part, without
    control, format or pictographic characters, at most 100 characters (extension kept)."""
    base = re.split(r"[\\/]", name or "")[-1]
    kept = "".join(
        c for c in base if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn", "So"}
    )
    text = " ".join(kept.split())
    if len(text) > 100:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = f"{stem[: 99 - len(extension)]}.{extension}"
        else:
            text = text[:100]
    return text


def permit_document_items_open(
    *, application: PermitApplication, lines: list[MaterialLine] | None = None
) -> set[str]:
    """The document items the application takes now: in a draft, every proof of its list
    (DOC-3); after a one-time notice, the documents it lists and the lines a listed change
    added without a file (DOC-1); otherwise none. Pages ask this to show the upload forms."""
    if lines is None:
        lines = permit_application_materials(application=application)
    if application.status == ApplicationStatus.DRAFT:
        return _uploadable(lines)
    if application.status != ApplicationStatus.MATERIALS_REQUIRED:
        return set()
    notice = notice_of(application)
    allowed = notice.proofs
    if notice.changes_materials:
        missing = [line for line in lines if line.required_upload and not line.documents]
        allowed |= {proof for line in missing for proof in line.proofs}
    return allowed


def permit_document_check_can_upload(*, application: PermitApplication, item: str) -> None:
    """Refuse an upload the application does not take (`permit_document_items_open`)."""
    if application.status == ApplicationStatus.DRAFT:
        zh = "此材料不在本申请的材料清单中，请按清单上传"
        en = "This item is not on the application's materials list"
    elif application.status == ApplicationStatus.MATERIALS_REQUIRED:
        zh = "此材料不在补正告知所列事项中，只需上传告知中列出的材料"
        en = "This item is not on the station's notice; upload only what it lists"
    else:
        raise ApplicationCannotBeChanged()
    if item not in permit_document_items_open(application=application):
        raise ApplicationError("item_not_listed", zh, en, field="item")


def permit_document_upload(
    *,
    resident: Resident,
    reference: str,
    item: str,
    content: bytes,
    file_name: str = "",
) -> PermitDocument:
    """Check and keep one file for one line of the list: the photo by `check_photo` (DOC-4),
    a proof by `check_proof`. A refused file leaves no row and no stored file. A new file for
    an item replaces the old one, whose stored file is deleted after the commit."""
    item = _normal_item(item)
    application = permit_application_of_resident(resident=resident, reference=reference)
    permit_document_check_can_upload(application=application, item=item)
    checked = check_photo(content) if item == PHOTO else check_proof(content)
    if len(checked.content) > MAX_PROOF_BYTES:
        raise UploadError(
            "file_too_large",
            "图片转换后过大，请拍摄或导出为普通尺寸的图片后再上传",
            "The picture is too large once converted; export it at an ordinary size",
        )
    stored = file_put(zone="portal", content=checked.content)
    try:
        with atomic_for(PermitDocument, durable=True):
            counted = PermitApplication.objects.filter(
                pk=application.pk, uploads__lt=MAX_UPLOADS_PER_APPLICATION
            ).update(uploads=F("uploads") + 1)
            if not counted:
                raise ApplicationLimitReached(
                    "too_many_uploads",
                    f"本申请上传次数已达上限（{MAX_UPLOADS_PER_APPLICATION}次），如需帮助请联系派出所",
                    f"This application has reached its {MAX_UPLOADS_PER_APPLICATION} uploads; "
                    "ask the station for help",
                )
            application = PermitApplication.objects.select_for_update().get(pk=application.pk)
            permit_document_check_can_upload(application=application, item=item)
            now = timezone.now()
            replaced = list(
                PermitDocument.objects.select_for_update().filter(
                    application=application, item=item, active=True
                )
            )
            for old in replaced:
                old.active = False
                old.replaced_at = now
                old.save(update_fields=["active", "replaced_at"])
            document = PermitDocument.objects.create(
                application=application,
                document_id=uuid.uuid4().hex,
                item=item,
                stored_name=stored.name,
                sha256=stored.sha256,
                size=stored.size,
                media_type=checked.media_type,
                original_name=clean_file_name(file_name),
                width=checked.width,
                height=checked.height,
                warnings=list(checked.warnings),
                revision=application.revision + 1,
                uploaded_at=now,
            )
            _delete_after_commit([old.stored_name for old in replaced])
    except BaseException:
        file_delete(zone="portal", name=stored.name)
        raise
    logger.info(
        "permit-document uploaded reference=%s document_id=%s item=%s",
        application.reference,
        document.document_id,
        item,
    )
    return document


# --- Submit ------------------------------------------------------------------------------------


def _required(application: PermitApplication, name: str, errors: list[FieldError]) -> None:
    value = getattr(application, name)
    if value in ("", None):
        zh, en = FIELD_LABELS[name]
        errors.append(_error(name, "required", f"请填写{zh}", f"The {en} is required"))


def _complete_errors(application: PermitApplication, today: dt.date) -> list[FieldError]:
    """Every missing or inconsistent form field, for the kind, route, age and delivery."""
    errors: list[FieldError] = []
    for name in ("name", "id_number", "phone", "community_code", "address_detail", "route"):
        _required(application, name, errors)
    route = application.route
    if route == Route.RESIDENCE:
        _required(application, "housing", errors)
    elif route == Route.EMPLOYMENT:
        _required(application, "employer_name", errors)
        _required(application, "social_insurance_months", errors)
    elif route == Route.STUDY:
        _required(application, "school_name", errors)
    if application.kind != "first":
        _required(application, "permit_number", errors)
    _required(application, "delivery", errors)
    if application.delivery == "post":
        _required(application, "postal_address", errors)
    resident_id = _resident_id(application, today)
    if resident_id is not None and resident_id.age_on(today) < GUARDIAN_APPLIES_UNDER:
        if route == Route.EMPLOYMENT:
            errors.append(
                _error(
                    "route",
                    "minor_route",
                    "未满16周岁的申请人只能按“合法稳定住所”或“连续就读”申领",
                    "An applicant under 16 applies by the residence or study route",
                )
            )
        for name in ("guardian_name", "guardian_id_number", "guardian_relation"):
            _required(application, name, errors)
        guardian = _guardian_id(application, today)
        if guardian is not None and guardian.age_on(today) < ADULT_AGE:
            errors.append(
                _error(
                    "guardian_id_number",
                    "guardian_not_adult",
                    "监护人须年满18周岁",
                    "The guardian must be at least 18 years old",
                )
            )
        elif guardian is not None and guardian.number == resident_id.number:
            errors.append(
                _error(
                    "guardian_id_number",
                    "guardian_is_applicant",
                    "监护人不能是申请人本人",
                    "The guardian cannot be the applicant",
                )
            )
    return errors


def _guardian_id(application: PermitApplication, today: dt.date) -> ResidentId | None:
    if not application.guardian_id_number:
        return None
    try:
        return parse_resident_id(application.guardian_id_number, today=today)
    except IdentifierError:
        return None


def _eligibility_errors(
    application: PermitApplication, resident: Resident, today: dt.date
) -> list[FieldError]:
    """NAT-1, ZJ-14, HZ-1…HZ-5 for a first application, counted from the register's record
    of the applicant (never a date the resident types). Reasons about routes the applicant
    did not choose are left out."""
    if application.kind != "first" or not application.id_number or not application.route:
        return []
    minor = is_minor(application, today=today)
    guardian = None
    if minor:
        guardian = GuardianFacts(
            relation=application.guardian_relation or "parent",
            guardians_hold_permits=application.guardians_hold_permits,
            social_insurance_months=application.guardian_insurance_months,
        )
    route = application.route
    question = EligibilityQuestion(
        id_number=application.id_number,
        answers=RouteAnswers(
            social_insurance_months=application.social_insurance_months,
            has_employment_proof=route == Route.EMPLOYMENT,
            has_residence_proof=route == Route.RESIDENCE,
            is_enrolled=route == Route.STUDY,
            guardian=guardian,
        ),
    )
    result, _from_record = eligibility_check(question=question, resident=resident, today=today)
    if result.eligible:
        return []
    other_routes = {f"{r.value}_not_met" for r in Route if r.value != route}
    return [
        _error("eligibility", reason.code, reason.zh, reason.en)
        for reason in result.reasons
        if reason.code not in other_routes
    ]


def _document_errors(lines: list[MaterialLine]) -> list[FieldError]:
    errors = []
    for line in lines:
        if line.required_upload and not line.documents:
            if line.key == PHOTO:
                errors.append(
                    _error(
                        PHOTO,
                        "photo_missing",
                        "请上传本人近期白底免冠彩色照片（宽358像素、高441像素）",
                        "Upload a recent colour photo on a white background (358 × 441 pixels)",
                    )
                )
                continue
            errors.append(
                _error(
                    line.key,
                    "document_missing",
                    "请上传：" + "或".join(line.names_zh),
                    "Upload: " + " or ".join(line.names_en),
                )
            )
    return errors


def permit_application_problems(
    *, application: PermitApplication, today: dt.date | None = None
) -> list[FieldError]:
    """Everything that stops a draft from being submitted, all at once (NAT-11): missing
    fields, eligibility for a first application, and the uploads the list requires. Empty when
    it may be submitted; the summary page shows these before the resident presses submit."""
    today = today or timezone.localdate()
    errors = _complete_errors(application, today)
    errors += _eligibility_errors(application, application.resident, today)
    errors += _document_errors(permit_application_materials(application=application, today=today))
    return errors


def _check_not_duplicate(application: PermitApplication) -> None:
    other = (
        PermitApplication.objects.filter(IN_PROGRESS, id_hash=application.id_hash)
        .exclude(pk=application.pk)
        .first()
    )
    if other is not None:
        same = other.resident_id == application.resident_id
        raise ApplicationDuplicate(other.reference if same else "")


def permit_application_submit(
    *,
    resident: Resident,
    reference: str,
    consent: bool,
    channel: str = "web",
    today: dt.date | None = None,
) -> PermitApplication:
    """Send a complete draft to the station: consent to the personal-data text (PI-2), every
    check of `permit_application_problems`, one application in progress per person. The
    documents and the application go to the outbox in this one transaction, with the history
    line and the SMS."""
    today = today or timezone.localdate()
    now = timezone.now()
    try:
        with atomic_for(PermitApplication, durable=True):
            application = _locked(resident, reference)
            if application.status != ApplicationStatus.DRAFT:
                raise ApplicationNotDraft()
            errors = permit_application_problems(application=application, today=today)
            if not consent:
                errors.insert(
                    0,
                    _error(
                        "consent",
                        "consent_required",
                        "请阅读并同意个人信息收集使用说明后再提交",
                        "Read and agree to the personal-data notice before submitting",
                    ),
                )
            if errors:
                raise ApplicationInvalid(errors)
            _check_not_duplicate(application)
            application.status = ApplicationStatus.SUBMITTED
            application.revision = 1
            application.channel = channel
            application.consented_at = now
            application.submitted_at = now
            application.save()
            _send_to_station(application, at=now, resident=resident, resubmitted=False)
    except IntegrityError as exc:
        # The partial unique index: another application of the same person went in meanwhile.
        raise ApplicationDuplicate() from exc
    logger.info("permit submitted reference=%s revision=1", application.reference)
    return application


RESUBMITTED_NOTE = gettext_noop("已按补正告知修改，重新提交")


def _document_message(application: PermitApplication, document: PermitDocument) -> Any:
    content = file_get(zone="portal", name=document.stored_name)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise RuntimeError(f"stored file of document {document.document_id} does not match")
    return PermitDocumentV1(
        reference=application.reference,
        document_id=document.document_id,
        item=document.item,
        media_type=document.media_type,  # type: ignore[arg-type]
        sha256=document.sha256,
        size=document.size,
        content_base64=base64.b64encode(content).decode("ascii"),
    )


def _send_to_station(
    application: PermitApplication, *, at: dt.datetime, resident: Resident, resubmitted: bool
) -> None:
    """In the caller's transaction: the documents first sent in this revision, each as its own
    message, then the application listing every active document; the history line; the SMS."""
    lines = permit_application_materials(application=application)
    documents = list(application.documents.filter(active=True))
    common = {
        "aggregate_id": application.reference,
        "correlation_id": application.reference,
        "actor": f"resident:{resident.pk}",
        "purpose": PURPOSE,
    }
    for document in documents:
        if document.revision == application.revision:
            emit(zone="portal", message=_document_message(application, document), **common)
    message_type = PermitApplicationResubmittedV1 if resubmitted else PermitApplicationSubmittedV1
    form = {name: getattr(application, name) for name in CONTRACT_FORM_FIELDS}
    message = message_type(
        reference=application.reference,
        revision=application.revision,
        kind=application.kind,
        documents=[
            DocumentRefV1(
                document_id=d.document_id,
                item=d.item,
                sha256=d.sha256,
                media_type=d.media_type,  # type: ignore[arg-type]
                name=d.original_name,
            )
            for d in documents
        ],
        materials=[line.item.id for line in lines],
        consented_at=application.consented_at,
        submitted_at=at,
        **form,
    )
    emit(zone="portal", message=message, **common)
    PermitApplicationEvent.objects.create(
        application=application,
        status=ApplicationStatus.SUBMITTED,
        revision=application.revision,
        note=RESUBMITTED_NOTE if resubmitted else "",
        at=at,
    )
    sms_queue(
        phone=application.phone,
        template="permit_submitted",
        params={"reference": application.reference},
        client_ref=f"permit-submitted:{application.reference}:{application.revision}",
    )


# --- Resubmit after a one-time notice (DOC-1) --------------------------------------------------


def _resubmit_errors(
    application: PermitApplication, notice: Notice, today: dt.date
) -> list[FieldError]:
    """What still stops the resubmission: each listed document line without a new file, each
    listed field incomplete, and lines a listed change added without a file. Nothing that the
    notice did not list is checked again (DOC-1)."""
    errors: list[FieldError] = []
    new = set(
        application.documents.filter(active=True, revision=application.revision + 1).values_list(
            "item", flat=True
        )
    )
    for key, proofs in notice.documents:
        if not new & set(proofs):
            zh, en = problem_label(key)
            errors.append(
                _error(
                    key,
                    "document_not_replaced",
                    f"请按补正告知重新上传：{zh}",
                    f"Upload a new file as the notice asks: {en}",
                )
            )
    errors += [e for e in _complete_errors(application, today) if e.field in notice.fields]
    if notice.changes_materials:
        listed = {key for key, _proofs in notice.documents}
        lines = permit_application_materials(application=application, today=today)
        errors += [e for e in _document_errors(lines) if e.field not in listed]
    return errors


def permit_application_resubmit(
    *,
    resident: Resident,
    reference: str,
    data: Mapping[str, Any] | None = None,
    channel: str = "web",
    today: dt.date | None = None,
) -> PermitApplication:
    """Send a returned application back under its reference as the next revision, after the
    resident changed exactly what the one-time notice lists: the listed fields (in `data`, or
    saved before) and a new file for each listed document. A change to anything else is
    refused; nothing unlisted is checked again (DOC-1)."""
    today = today or timezone.localdate()
    now = timezone.now()
    with atomic_for(PermitApplication, durable=True):
        application = _locked(resident, reference)
        if application.status != ApplicationStatus.MATERIALS_REQUIRED:
            raise ApplicationNotReturned()
        notice = notice_of(application)
        if data:
            _delete_after_commit(
                _apply_changes(application, data, allowed=notice.fields, today=today)
            )
        errors = _resubmit_errors(application, notice, today)
        if errors:
            raise ApplicationInvalid(errors)
        application.revision += 1
        application.status = ApplicationStatus.SUBMITTED
        application.problems = []
        application.reason = ""
        application.status_changed_at = None
        application.channel = channel
        application.save()
        _send_to_station(application, at=now, resident=resident, resubmitted=True)
    logger.info(
        "permit resubmitted reference=%s revision=%s", application.reference, application.revision
    )
    return application


# --- The station's word (permit.status_changed) ------------------------------------------------

_SMS_TEMPLATE = {status: f"permit_{status}" for status in ApplicationStatus.values}
_SMS_SILENT = {"draft", "submitted"}
# Told by the card's delivery track (delivery.py), never by the status: the police zone sends
# a delivery snapshot in the same transaction as each of these statuses (the card at the
# station: "ready" with the pickup code, or a courier order whose "shipped" follows; the
# courier's "delivered"), and may send the status first, so the status's own SMS would tell
# the resident twice. The history line and the status still change.
DELIVERY_TOLD_STATUSES = frozenset({"ready", "delivered"})
SMS_ITEMS_MAX_CHARS = 60


def _brief_items(problems: list[dict[str, str]]) -> str:
    """The notice's items in a few words for an SMS; the page has the whole notice."""
    names: list[str] = []
    for problem in problems:
        zh, _en = problem_label(str(problem.get("item", "")))
        if zh and zh not in names:
            names.append(zh)
    text = ""
    for count, name in enumerate(names, start=1):
        candidate = f"{text}、{name}" if text else name
        if len(candidate) > SMS_ITEMS_MAX_CHARS:
            return f"{text}等{len(names)}项"
        text = candidate
        if count == len(names):
            return text
    return "见一次性告知"


def permit_application_apply_status(
    *, message: PermitApplicationStatusV1
) -> PermitApplication | None:
    """Mirror the station's word: status, notice, reason, station, receipt number; a history
    line and an SMS in plain words. Runs inside the ferry's apply transaction.

    Applied once: a message about an older revision (the resident has resubmitted since) or
    not newer than the last one applied is ignored, so a redelivery adds no line and no SMS.
    "ready" and "delivered" send no SMS of their own (`DELIVERY_TOLD_STATUSES`): the card's
    delivery snapshots tell the resident, with the pickup code.
    Raises `PermitApplication.DoesNotExist` for an unknown reference."""
    with atomic_for(PermitApplication):
        application = PermitApplication.objects.select_for_update().get(reference=message.reference)
        if message.status in _SMS_SILENT or application.status == ApplicationStatus.DRAFT:
            logger.warning(
                "permit-status ignored reference=%s status=%s current=%s",
                message.reference,
                message.status,
                application.status,
            )
            return None
        if message.revision != application.revision or (
            application.status_changed_at is not None
            and message.changed_at <= application.status_changed_at
        ):
            logger.info(
                "permit-status stale reference=%s revision=%s current_revision=%s status=%s",
                message.reference,
                message.revision,
                application.revision,
                message.status,
            )
            return None
        problems = [p.model_dump() for p in message.problems]
        # A step that keeps the status (a review, before the approval) updates the mirror but
        # tells the resident nothing new: no second history line, no second SMS.
        changed = application.status != message.status
        application.status = message.status
        application.problems = problems if message.status == "materials_required" else []
        application.reason = message.reason
        if message.station_name:
            application.station_name = message.station_name
        if message.receipt_number:
            application.receipt_number = message.receipt_number
        if message.permit_number:
            application.permit_number = message.permit_number
        application.status_changed_at = message.changed_at
        application.save(
            update_fields=[
                "status",
                "problems",
                "reason",
                "station_name",
                "receipt_number",
                "permit_number",
                "status_changed_at",
                "updated_at",
            ]
        )
        if not changed:
            logger.info(
                "permit-status unchanged reference=%s status=%s",
                application.reference,
                message.status,
            )
            return application
        note = message.reason or message.receipt_number or message.station_name
        PermitApplicationEvent.objects.create(
            application=application,
            status=message.status,
            revision=message.revision,
            note=note[:500],
            lines=application.problems,
            at=message.changed_at,
        )
        reason = message.reason
        if message.status == "materials_required":
            reason = _brief_items(problems)
        template = _SMS_TEMPLATE[message.status]
        if application.kind == "endorsement" and message.status == "approved":
            template = "permit_endorsement_approved"
        if message.status in DELIVERY_TOLD_STATUSES:
            template = ""
            logger.info(
                "permit-status sms left to delivery reference=%s status=%s",
                application.reference,
                message.status,
            )
        if template:
            sms_queue(
                phone=application.phone,
                template=template,
                params={
                    "reference": application.reference,
                    "station": application.station_name or "居住地派出所",
                    "reason": reason or "见申请进度页",
                },
                client_ref=(
                    f"permit-status:{application.reference}:{message.revision}:{message.status}:"
                    f"{message.changed_at.timestamp():.6f}"
                ),
            )
    logger.info(
        "permit-status applied reference=%s revision=%s status=%s",
        application.reference,
        message.revision,
        message.status,
    )
    return application


# What the police zone's business rejects mean for the resident. Catalog ids, stored as such.
REJECT_REASONS = (
    (
        "no station covers community",
        gettext_noop("所选社区暂无对应派出所，请核对居住地址或联系当地派出所"),
    ),
)
REJECT_REASON_OTHER = gettext_noop("申请暂时无法受理，请核对申请信息后重新申请，或联系当地派出所")


def permit_application_mark_rejected(
    *, reference: str, ferry_reason: str
) -> PermitApplication | None:
    """The police zone could not take the application at all: show it as not accepted, with a
    plain reason, in its status, history and by SMS. Runs once per reject, inside the ferry's
    ack transaction; an application the station has taken up keeps its status."""
    reason = next((t for p, t in REJECT_REASONS if ferry_reason.startswith(p)), REJECT_REASON_OTHER)
    with atomic_for(PermitApplication):
        application = (
            PermitApplication.objects.select_for_update().filter(reference=reference).first()
        )
        if application is None or application.status != ApplicationStatus.SUBMITTED:
            return None
        now = timezone.now()
        application.status = ApplicationStatus.REJECTED
        application.reason = reason
        application.save(update_fields=["status", "reason", "updated_at"])
        PermitApplicationEvent.objects.create(
            application=application,
            status=ApplicationStatus.REJECTED,
            revision=application.revision,
            note=reason,
            at=now,
        )
        sms_queue(
            phone=application.phone,
            template="permit_rejected",
            params={"reference": reference, "station": "", "reason": reason},
            client_ref=f"permit-rejected:{reference}:{application.revision}",
        )
    return application


__all__ = [
    "APPLICATION_FIELDS",
    "CONSENT_TEXT",
    "FIELD_LABELS",
    "HOUSING_LABELS",
    "ROUTE_LABELS",
    "ApplicationNotFound",
    "MaterialLine",
    "Notice",
    "clean_file_name",
    "is_minor",
    "materials_items",
    "notice_of",
    "permit_application_apply_status",
    "permit_application_mark_rejected",
    "permit_application_materials",
    "permit_application_materials_pdf",
    "permit_application_problems",
    "permit_application_resubmit",
    "permit_application_save",
    "permit_application_start",
    "permit_application_submit",
    "permit_document_check_can_upload",
    "permit_document_items_open",
    "permit_document_upload",
    "problem_label",
]
