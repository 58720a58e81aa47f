"""Channel API for the residence permit (居住证): may I apply, and what to bring (NAT-1, ZJ-14,
HZ-1…HZ-7, DOC-1…DOC-3). The same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import create_model

from onetrip.common.api import (
    code_list,
    describe_codes,
    documented_str,
    error_responses,
    examples,
    label_in,
)
from onetrip.common.errors import ApplicationError
from onetrip.common.identifiers import IdentifierError
from onetrip.common.permit_eligibility import GuardianFacts, Route, RouteAnswers
from onetrip.common.permit_materials import Housing, materials_for
from onetrip.contracts.delivery import DELIVERY_CHANGE_LABELS, DELIVERY_STAGE_LABELS
from onetrip.contracts.permits import (
    APPLICATION_KIND_LABELS,
    APPLICATION_STATUS_EXPLANATIONS,
    APPLICATION_STATUS_LABELS,
    DELIVERY_METHOD_LABELS,
)
from onetrip.portal.declarations.services import GUARDIAN_RELATIONS
from onetrip.portal.permits.applications import (
    APPLICATION_FIELDS,
    CONSENT_TEXT,
    HOUSING_LABELS,
    MAX_OPEN_DRAFTS,
    ROUTE_LABELS,
    permit_application_materials,
    permit_application_materials_pdf,
    permit_application_resubmit,
    permit_application_save,
    permit_application_start,
    permit_application_submit,
    permit_document_upload,
    problem_label,
)
from onetrip.portal.permits.delivery import (
    MAX_CHANGES_PER_DAY,
    TRACKING_STATUS_LABELS,
    DeliveryView,
    permit_delivery_change_request,
    permit_delivery_view,
)
from onetrip.portal.permits.models import PermitApplication, PermitDocument
from onetrip.portal.permits.selectors import (
    permit_application_of_resident,
    permit_applications_of,
)
from onetrip.portal.permits.services import EligibilityQuestion, eligibility_check

from .auth import ResidentBearer

router = Router(tags=["permit"])

ROUTE_CODES = ROUTE_LABELS
HOUSING_CODES = HOUSING_LABELS


class GuardianIn(Schema):
    relation: code_list(GUARDIAN_RELATIONS) = Field(  # type: ignore[valid-type]
        "parent",
        description="监护人与申请人关系 / The guardian's relationship. 取值 / Codes: "
        + describe_codes(GUARDIAN_RELATIONS),
    )
    guardians_hold_permits: bool = Field(
        False, description="父母（或其他监护人）持有有效居住证 / Guardians hold valid permits"
    )
    social_insurance_months: int | None = Field(
        None, ge=0, le=600, description="一方监护人连续社保月数 / A guardian's insurance months"
    )


class EligibilityIn(Schema):
    id_number: str = Field(
        description="申请人公民身份号码 / The applicant's ID number",
        examples=["33010619900101123X"],
        max_length=64,
    )
    declared_on: dt.date | None = Field(
        None,
        description="本次居住登记的申报日期（以公安机关记录为准）/ Date the current "
        "registration was declared (the police record decides)",
    )
    social_insurance_months: int | None = Field(
        None,
        ge=0,
        le=600,
        description="在本市连续缴纳社会保险的月数，不清楚可省略 / Months of continuous social "
        "insurance in the city; omit when unknown",
    )
    has_employment_proof: bool = Field(
        False,
        description="有1年以上劳动合同、营业执照等就业证明 / Has a labour contract of a year or "
        "more, a business licence or similar",
    )
    has_residence_proof: bool = Field(
        False,
        description="住在自有、已备案租赁、单位宿舍或直系亲属房屋 / Lives in an owned, filed "
        "rented, dormitory or direct relative's home",
    )
    is_enrolled: bool = Field(
        False, description="在本市学校连续就读 / Continuously enrolled at a school in the city"
    )
    exempt_investor_or_talent: bool = Field(
        False,
        description="投资创业或人才引进对象，不受6个月限制 / Investor or introduced talent, "
        "exempt from the six months",
    )
    guardian: GuardianIn | None = Field(
        None, description="未满16周岁时的监护人情况 / The guardians, for an applicant under 16"
    )


class ReasonOut(Schema):
    code: str = Field(description="原因代码，稳定不变 / Stable reason code")
    message: str = Field(description="原因（中文）/ The reason in Chinese")
    message_en: str = Field(description="原因（英文）/ The reason in English")


class EligibilityOut(Schema):
    eligible: bool = Field(description="现在即可申领 / May apply now")
    through_guardian: bool = Field(description="未满16周岁由监护人代办 / Under 16: via a guardian")
    continuous_since: dt.date | None = Field(
        description="连续居住登记的起始日 / Start of the continuous registration"
    )
    registered_months: int = Field(description="已满的整月数 / Full months registered")
    eligible_from: dt.date | None = Field(
        description="可申领之日 / The date from which the applicant may apply"
    )
    routes_met: list[code_list(ROUTE_CODES)] = Field(  # type: ignore[valid-type]
        description="已满足的申领条件 / Routes met. 取值 / Codes: " + describe_codes(ROUTE_CODES)
    )
    reasons: list[ReasonOut] = Field(
        description="暂不能申领的全部原因 / Every reason the applicant may not apply yet"
    )
    from_police_record: bool = Field(
        description="依据公安机关的登记记录 / Counted from the police record"
    )


class MaterialOut(Schema):
    id: str = Field(description="材料编号，任选其一 / Catalogue ids; any one of them suffices")
    names: list[str] = Field(description="材料名称，任选其一 / Names, any one suffices")
    names_en: list[str] = Field(description="英文名称 / Names in English")
    issuers: list[str] = Field(description="出具部门 / Issued by")
    auto_fetched: bool = Field(
        description="系统自动获取，如数据不全则需提交 / Fetched by the system; bring it only "
        "if the data are incomplete"
    )


@router.post(
    "/eligibility",
    response={200: EligibilityOut, **error_responses(400, 413, 415, 422)},
    summary="居住证申领条件自测 / May I apply for a residence permit",
    description="按居住登记、就业、住所、就读情况判断能否申领居住证；不符合时一次列出全部原因和"
    "可申领之日。未登录时按填写的登记日期计算。"
    "\n\nWhether the applicant may apply, from the registration and the employment, residence "
    "or study route; every reason at once and the date they may apply from. Without sign-in "
    "the typed declaration date is used.",
    openapi_extra=examples(
        request={
            "id_number": "33010619900101123X",
            "declared_on": "2026-06-01",
            "social_insurance_months": 14,
            "has_employment_proof": True,
        },
        responses={
            200: {
                "eligible": False,
                "through_guardian": False,
                "continuous_since": "2026-06-01",
                "registered_months": 5,
                "eligible_from": "2026-12-01",
                "routes_met": ["employment"],
                "reasons": [
                    {
                        "code": "six_months_not_reached",
                        "message": "居住登记自2026-06-01起已连续5个月，需满6个月；"
                        "预计2026-12-01起可申领",
                        "message_en": "Registered continuously since 2026-06-01 (5 months); 6 "
                        "are needed, so you can apply from 2026-12-01",
                    }
                ],
                "from_police_record": False,
            }
        },
    ),
)
def eligibility(request: HttpRequest, body: EligibilityIn) -> EligibilityOut:
    guardian = None
    if body.guardian is not None:
        guardian = GuardianFacts(
            relation=body.guardian.relation,
            guardians_hold_permits=body.guardian.guardians_hold_permits,
            social_insurance_months=body.guardian.social_insurance_months,
        )
    question = EligibilityQuestion(
        id_number=body.id_number,
        declared_on=body.declared_on,
        answers=RouteAnswers(
            social_insurance_months=body.social_insurance_months,
            has_employment_proof=body.has_employment_proof,
            has_residence_proof=body.has_residence_proof,
            is_enrolled=body.is_enrolled,
            exempt_investor_or_talent=body.exempt_investor_or_talent,
            guardian=guardian,
        ),
    )
    try:
        result, from_record = eligibility_check(question=question, resident=None)
    except IdentifierError as exc:
        raise ApplicationError(exc.code, exc.message_zh, exc.message_en, field="id_number") from exc
    return EligibilityOut(
        eligible=result.eligible,
        through_guardian=result.through_guardian,
        continuous_since=result.continuous_since,
        registered_months=result.registered_months,
        eligible_from=result.eligible_from,
        routes_met=sorted(route.value for route in result.routes_met),
        reasons=[ReasonOut(code=r.code, message=r.zh, message_en=r.en) for r in result.reasons],
        from_police_record=from_record,
    )


@router.get(
    "/materials",
    response={200: list[MaterialOut], **error_responses(400, 422)},
    summary="申领材料一次性告知 / Everything to bring, told once",
    description="按申领条件、住所类型、是否未成年、是否代办列出全部所需材料，一次告知；"
    "系统自动获取的材料已标注。选择“合法稳定住所”（residence）时须给出住所类型。"
    "\n\nEvery item the case needs, at once, by route, housing, age and agent; items the "
    "system fetches are marked. The residence route needs `housing`.",
    openapi_extra=examples(
        responses={
            200: [
                {
                    "id": "B10",
                    "names": ["社会保险缴纳记录"],
                    "names_en": ["Social-insurance record"],
                    "issuers": ["人力资源和社会保障部门"],
                    "auto_fetched": True,
                }
            ]
        }
    ),
)
def materials(
    request: HttpRequest,
    route: Annotated[
        code_list(ROUTE_CODES),  # type: ignore[valid-type]
        Query(
            description="申领条件 / Route. 取值 / Codes: " + describe_codes(ROUTE_CODES),
            example="employment",
        ),
    ],
    housing: Annotated[
        Housing | None,
        Query(
            description="住所类型（residence 时必填）/ Housing, for the residence route. "
            "取值 / Codes: " + describe_codes(HOUSING_CODES),
            example="rented_state_land",
        ),
    ] = None,
    minor: Annotated[
        bool, Query(description="申请人未满16周岁 / The applicant is under 16", example="false")
    ] = False,
    guardian_is_parent: Annotated[
        bool, Query(description="监护人是父母 / The guardian is a parent", example=True)
    ] = True,
    by_agent: Annotated[
        bool,
        Query(
            description="由他人代办 / Someone applies on the applicant's behalf", example="false"
        ),
    ] = False,
) -> list[MaterialOut]:
    if route not in ROUTE_CODES:
        raise ApplicationError(
            "route_unknown",
            "申领条件须为 " + "、".join(ROUTE_CODES),
            "The route is one of " + ", ".join(ROUTE_CODES),
            field="route",
        )
    if route == Route.RESIDENCE and housing is None:
        raise ApplicationError(
            "housing_required",
            "选择住所条件时须给出住所类型",
            "The residence route needs housing",
            field="housing",
        )
    items = materials_for(
        route=Route(route),
        housing=housing if route == Route.RESIDENCE else None,
        minor=minor,
        guardian_is_parent=guardian_is_parent,
        by_agent=by_agent,
    )
    return [
        MaterialOut(
            id=item.id,
            names=[p.name_zh for p in item.alternatives],
            names_en=[p.name_en for p in item.alternatives],
            issuers=sorted({p.issuer_zh for p in item.alternatives}),
            auto_fetched=item.auto_fetched,
        )
        for item in items
    ]


# --- The resident's applications (WF-2, DOC-1…DOC-4, PI-2) ---------------------------------------

ReferenceStr = documented_str(pattern=r"^[A-Za-z]{2}[0-9]{14}$")
DocumentIdStr = documented_str(pattern=r"^[0-9a-f]{32}$")
EXAMPLE_APPLICATION_REFERENCE = "PA26120112345678"
EXAMPLE_DOCUMENT_ID = "3f0c9a1e5b7d4c2a9e8f6d4b2a0c1e3f"
ITEM_DESCRIPTION = (
    "材料项：photo（本人照片）或材料编号 A1…D31（见材料清单的 proofs）/ The item: photo, or a "
    "catalogue proof id A1…D31 (see `proofs` in the materials list)"
)

# What each form field means; the service checks every one and reports all problems at once.
FORM_FIELD_DOCS: dict[str, tuple[str, dict[str, Any]]] = {
    "name": ("申请人姓名 / The applicant's name", {"maxLength": 50}),
    "id_number": (
        "申请人公民身份号码（18位）/ The applicant's ID number (18 characters)",
        {"pattern": r"^[0-9]{17}[0-9Xx]$"},
    ),
    "phone": (
        "联系手机号码，接收办理短信 / Mobile number for the SMS about the application",
        {"pattern": r"^1[3-9][0-9]{9}$"},
    ),
    "community_code": (
        "现居住地社区（村）代码，12位，须在本市 / Community lived in (12 digits, in this city)",
        {"pattern": r"^[0-9]{12}$"},
    ),
    "address_detail": (
        "详细地址（路、小区、楼栋、门牌号）/ Detailed address",
        {"maxLength": 200},
    ),
    "route": (
        "申领条件 / Route. 取值 / Codes: " + describe_codes(ROUTE_CODES),
        {"enum": list(ROUTE_CODES)},
    ),
    "housing": (
        "住所类型（route 为 residence 时必填）/ Housing, for the residence route. 取值 / Codes: "
        + describe_codes(HOUSING_CODES),
        {"enum": list(HOUSING_CODES)},
    ),
    "employer_name": (
        "工作单位名称（route 为 employment 时必填）/ Employer, for the employment route",
        {"maxLength": 100},
    ),
    "school_name": (
        "就读学校名称（route 为 study 时必填）/ School, for the study route",
        {"maxLength": 100},
    ),
    "guardian_name": (
        "监护人姓名（申请人未满16周岁时必填）/ Guardian's name, under 16",
        {"maxLength": 50},
    ),
    "guardian_id_number": (
        "监护人公民身份号码（申请人未满16周岁时必填）/ Guardian's ID number, under 16",
        {"pattern": r"^[0-9]{17}[0-9Xx]$"},
    ),
    "guardian_relation": (
        "监护人与申请人关系 / The guardian's relationship. 取值 / Codes: "
        + describe_codes(GUARDIAN_RELATIONS),
        {"enum": list(GUARDIAN_RELATIONS)},
    ),
    "permit_number": (
        "原居住证号码（签注、补领、换领时必填）/ The permit's number, for an endorsement, "
        "reissue or exchange",
        {"maxLength": 40},
    ),
    "delivery": (
        "领取方式 / Delivery. 取值 / Codes: " + describe_codes(DELIVERY_METHOD_LABELS),
        {"enum": list(DELIVERY_METHOD_LABELS)},
    ),
    "postal_address": (
        "邮寄地址（delivery 为 post 时必填）/ Postal address, when delivered by post",
        {"maxLength": 200},
    ),
}
MONTHS_DOCS = {
    "social_insurance_months": "本市连续缴纳社会保险月数（route 为 employment 时必填）/ Months "
    "of continuous social insurance in the city, for the employment route",
    "guardian_insurance_months": "一方监护人在本市连续缴纳社会保险月数（未满16周岁时）/ A "
    "guardian's months of social insurance, for an applicant under 16",
}
FLAG_DOC = (
    "父母（其他监护人）持有有效的浙江省居住证（未满16周岁时）/ The guardians hold valid "
    "permits, for an applicant under 16"
)
EXAMPLE_FORM: dict[str, Any] = {
    "name": "张三",
    "id_number": "33010619900101123X",
    "phone": "13800138000",
    "community_code": "330106002001",
    "address_detail": "曙光路 12 号 3 幢 201 室",
    "route": "residence",
    "housing": "rented_state_land",
    "employer_name": "",
    "school_name": "",
    "social_insurance_months": None,
    "guardian_name": "",
    "guardian_id_number": "",
    "guardian_relation": "",
    "guardians_hold_permits": False,
    "guardian_insurance_months": None,
    "permit_number": "",
    "delivery": "post",
    "postal_address": "杭州市西湖区曙光路 12 号 3 幢 201 室",
}
if set(EXAMPLE_FORM) != set(APPLICATION_FIELDS):
    raise ImportError("the API example must show every field of the application form")


def _form_schema(name: str, *, output: bool) -> type[Schema]:
    """The form's fields, in the service's order: as input every one optional (omitted:
    unchanged, null or "": cleared), as output every one present."""
    fields: dict[str, Any] = {}
    for field_name in APPLICATION_FIELDS:
        example = EXAMPLE_FORM[field_name]
        if field_name in MONTHS_DOCS:
            description = MONTHS_DOCS[field_name]
            kind: Any = int | None
            extra: dict[str, Any] = {"ge": 0, "le": 600} if not output else {}
        elif field_name == "guardians_hold_permits":
            description, kind, extra = FLAG_DOC, bool if output else bool | None, {}
        else:
            description, keywords = FORM_FIELD_DOCS[field_name]
            kind = str if output else documented_str(**keywords) | None
            extra = {}
        if output:
            fields[field_name] = (kind, Field(description=description, examples=[example]))
        else:
            fields[field_name] = (
                kind,
                Field(
                    None,
                    description=f"{description}. 省略则不变，null 或空串为清除 / Omitted: "
                    "unchanged; null or empty: cleared",
                    examples=[example],
                    **extra,
                ),
            )
    return create_model(name, __base__=Schema, **fields)  # type: ignore[call-overload,no-any-return]


ApplicationFormIn = _form_schema("ApplicationFormIn", output=False)
ApplicationFormOut = _form_schema("ApplicationFormOut", output=True)
KindCode = code_list(APPLICATION_KIND_LABELS)
StatusCode = code_list(APPLICATION_STATUS_LABELS)


class KindIn(Schema):
    kind: KindCode = Field(  # type: ignore[valid-type]
        description="申请类型 / Kind. 取值 / Codes: " + describe_codes(APPLICATION_KIND_LABELS),
        examples=["first"],
    )


class SubmitIn(Schema):
    consent: bool = Field(
        description="申请人已阅读并同意个人信息收集使用说明（见 consent_text），未同意时不能提交 / "
        "The applicant read and agreed to the personal-data notice (`consent_text`); "
        "required to submit",
        examples=[True],
    )


class ProblemOut(Schema):
    item: str = Field(
        description="所涉事项：材料编号、photo 或表单字段名 / What it concerns: a proof id, "
        "photo or a form field",
        examples=["photo"],
    )
    item_label: str = Field(description="事项名称 / The item in words", examples=["照片"])
    text: str = Field(
        description="问题和补正方法 / What is wrong and what to do",
        examples=["照片背景不是白色，请重新拍摄"],
    )


class HistoryOut(Schema):
    status: StatusCode = Field(  # type: ignore[valid-type]
        description="该步骤的状态 / Status of this step. 取值 / Codes: "
        + describe_codes(APPLICATION_STATUS_LABELS),
        examples=["submitted"],
    )
    status_label: str = Field(description="状态名称 / Status in words", examples=["已提交"])
    revision: int = Field(description="第几次提交 / Revision", examples=[1])
    note: str = Field(
        description="说明：原因、回执编号或派出所 / Note: reason, receipt or station",
        examples=[""],
    )
    problems: list[ProblemOut] = Field(
        description="一次性告知的事项（需补正时）/ The notice's items, if any"
    )
    at: dt.datetime = Field(description="时间 / When", examples=["2026-12-01T09:30:00+08:00"])


class DocumentOut(Schema):
    document_id: str = Field(description="文件编号 / Document id", examples=[EXAMPLE_DOCUMENT_ID])
    item: str = Field(description=ITEM_DESCRIPTION, examples=["photo"])
    name: str = Field(description="上传时的文件名 / File name as uploaded", examples=["照片.jpg"])
    media_type: str = Field(
        description="保存的类型（图片一律转为 JPEG）/ Stored type (pictures become JPEG)",
        examples=["image/jpeg"],
    )
    size: int = Field(description="字节数 / Bytes", examples=[18342])
    width: int = Field(description="图片宽度（像素），PDF 为0 / Width in pixels", examples=[358])
    height: int = Field(description="图片高度（像素），PDF 为0 / Height in pixels", examples=[441])
    warnings: list[str] = Field(
        description="提示代码，如 photo_background（背景不像白色）/ Warning codes, such as "
        "photo_background",
        examples=[[]],
    )
    revision: int = Field(description="随第几次提交送出 / Sent with revision", examples=[1])
    uploaded_at: dt.datetime = Field(
        description="上传时间 / Uploaded at", examples=["2026-12-01T09:20:00+08:00"]
    )


class MaterialLineOut(Schema):
    key: str = Field(
        description="该项的键：photo 或材料编号（任选其一者以 / 连接）/ The line's key: photo, or "
        "the proof ids joined by /",
        examples=["C23"],
    )
    names: list[str] = Field(
        description="材料名称，任选其一 / Names, any one", examples=[["房屋租赁合同"]]
    )
    names_en: list[str] = Field(
        description="英文名称 / Names in English", examples=[["Lease contract"]]
    )
    issuers: list[str] = Field(description="出具部门 / Issued by", examples=[["出租人"]])
    proofs: list[str] = Field(
        description="上传时可用的 item / The `item` values a file for this line may use",
        examples=[["C23"]],
    )
    auto_fetched: bool = Field(
        description="系统自动获取，如数据不全则需提交 / Fetched by the system", examples=[False]
    )
    required_upload: bool = Field(
        description="提交前必须上传 / Must be uploaded before submitting", examples=[True]
    )
    online_form: bool = Field(
        description="本平台在线填写的申领表，无需上传 / This platform's own form", examples=[False]
    )
    provided: bool = Field(description="已提供 / Provided", examples=[True])
    documents: list[str] = Field(
        description="该项已上传文件的编号 / Ids of the files for this line",
        examples=[[EXAMPLE_DOCUMENT_ID]],
    )


class ApplicationSummaryOut(Schema):
    reference: str = Field(
        description="申请编号 / Reference", examples=[EXAMPLE_APPLICATION_REFERENCE]
    )
    kind: KindCode = Field(  # type: ignore[valid-type]
        description="申请类型 / Kind. 取值 / Codes: " + describe_codes(APPLICATION_KIND_LABELS),
        examples=["first"],
    )
    kind_label: str = Field(description="申请类型名称 / Kind in words", examples=["首次申领"])
    status: StatusCode = Field(  # type: ignore[valid-type]
        description="办理状态 / Status. 取值 / Codes: " + describe_codes(APPLICATION_STATUS_LABELS),
        examples=["submitted"],
    )
    status_label: str = Field(description="状态名称 / Status in words", examples=["已提交"])
    explanation: str = Field(
        description="该状态的含义和下一步 / What the status means and what to do next",
        examples=["申请已提交，正在送往居住地派出所。"],
    )
    created_at: dt.datetime = Field(
        description="创建时间 / Created at", examples=["2026-12-01T09:00:00+08:00"]
    )
    submitted_at: dt.datetime | None = Field(
        description="首次提交时间 / First submitted at", examples=["2026-12-01T09:30:00+08:00"]
    )


class TrackingEventOut(Schema):
    at: dt.datetime = Field(description="时间 / When", examples=["2026-12-20T10:05:00+08:00"])
    status: code_list(TRACKING_STATUS_LABELS) = Field(  # type: ignore[valid-type]
        description="快递状态 / Courier status. 取值 / Codes: "
        + describe_codes(TRACKING_STATUS_LABELS),
        examples=["in_transit"],
    )
    status_label: str = Field(description="快递状态名称 / Status in words", examples=["运输中"])
    detail: str = Field(
        description="快递公司的说明 / The courier's detail", examples=["已到达杭州转运中心"]
    )


class DeliveryChangeOut(Schema):
    request_id: str = Field(
        description="变更申请编号 / The change request's id",
        examples=["3f2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d"],
    )
    delivery: code_list(DELIVERY_METHOD_LABELS) = Field(  # type: ignore[valid-type]
        description="申请改为的领取方式 / The method asked for. 取值 / Codes: "
        + describe_codes(DELIVERY_METHOD_LABELS),
        examples=["post"],
    )
    postal_address: str = Field(
        description="申请改为的邮寄地址（窗口领取时为空）/ The postal address asked for "
        "(empty for pickup)",
        examples=["杭州市西湖区曙光路 12 号 3 幢 201 室"],
    )
    requested_at: dt.datetime = Field(
        description="提交时间 / Asked at", examples=["2026-12-18T09:00:00+08:00"]
    )


class CardDeliveryOut(Schema):
    """Where the card is; no pickup code is ever part of it."""

    delivery: code_list(DELIVERY_METHOD_LABELS) = Field(  # type: ignore[valid-type]
        description="现行领取方式 / The method in force. 取值 / Codes: "
        + describe_codes(DELIVERY_METHOD_LABELS),
        examples=["post"],
    )
    delivery_label: str = Field(
        description="领取方式名称 / The method in words", examples=["邮寄到家"]
    )
    postal_address: str = Field(
        description="邮寄地址（邮寄时）/ The postal address, when posted",
        examples=["杭州市西湖区曙光路 12 号 3 幢 201 室"],
    )
    stage: code_list(DELIVERY_STAGE_LABELS) = Field(  # type: ignore[valid-type]
        description="证件当前所处环节 / Where the card is. 取值 / Codes: "
        + describe_codes(DELIVERY_STAGE_LABELS),
        examples=["shipped"],
    )
    stage_label: str = Field(description="环节名称 / The stage in words", examples=["已寄出"])
    change: code_list(DELIVERY_CHANGE_LABELS) | None = Field(  # type: ignore[valid-type]
        description="最近一次变化，派出所尚未通知时为 null / The last change; null before the "
        "station's first word. 取值 / Codes: " + describe_codes(DELIVERY_CHANGE_LABELS),
        examples=["shipped"],
    )
    change_label: str = Field(
        description="最近一次变化的名称 / The last change in words", examples=["已交快递寄出"]
    )
    station_name: str = Field(
        description="证件所在或领取的派出所 / The station holding the card",
        examples=["北山派出所"],
    )
    courier: str = Field(
        description="快递公司（邮寄时）/ The courier, when posted", examples=["EMS"]
    )
    tracking_number: str = Field(
        description="运单号（寄出后）/ The tracking number, once posted",
        examples=["EM123456789CN"],
    )
    events: list[TrackingEventOut] = Field(
        description="物流记录，最新的在前 / The courier's events, newest first"
    )
    reason: str = Field(
        description="说明，如制证失败或退回的原因 / A note, such as why it was returned",
        examples=[""],
    )
    sequence: int | None = Field(
        description="派出所通知的序号，尚未通知时为 null / The station's snapshot number; null "
        "before the first",
        examples=[4],
    )
    changed_at: dt.datetime | None = Field(
        description="最近一次变化的时间 / When it last changed",
        examples=["2026-12-20T10:05:00+08:00"],
    )
    can_change: bool = Field(
        description="证件尚未寄出，可以变更领取方式或邮寄地址 / The card has not left the "
        "station: the delivery may still change",
        examples=[False],
    )
    pending_change: DeliveryChangeOut | None = Field(
        description="已提交、等待派出所确认的变更 / A change sent and awaiting the station"
    )


class ApplicationOut(ApplicationSummaryOut):
    revision: int = Field(
        description="已提交的次数，草稿为0 / Revisions sent; 0 for a draft", examples=[1]
    )
    station_name: str = Field(description="办理派出所 / Station", examples=["北山派出所"])
    receipt_number: str = Field(description="受理回执编号 / Receipt number", examples=[""])
    reason: str = Field(description="不予受理的原因 / Why it was refused", examples=[""])
    problems: list[ProblemOut] = Field(
        description="一次性告知：需补正的全部事项（状态 materials_required 时）/ The one-time "
        "notice: everything to correct (status materials_required)"
    )
    form: ApplicationFormOut = Field(description="申请表内容 / The form")  # type: ignore[valid-type]
    documents: list[DocumentOut] = Field(description="有效的上传文件 / The files in use")
    materials: list[MaterialLineOut] = Field(
        description="本申请的材料清单 / The application's materials list"
    )
    history: list[HistoryOut] = Field(description="办理经过，按时间先后 / History, oldest first")
    consent_text: str = Field(
        description="提交时须同意的个人信息收集使用说明 / The notice agreed to on submitting",
        examples=[str(CONSENT_TEXT)],
    )
    card_delivery: CardDeliveryOut | None = Field(
        description="证件制作与配送（审批通过后），不含取件码；之前为 null / Where the card is, "
        "after approval, never with the pickup code; null before"
    )


def _problems(lines: list[dict[str, Any]]) -> list[ProblemOut]:
    return [
        ProblemOut(
            item=str(p.get("item", "")),
            item_label=problem_label(str(p.get("item", "")))[0],
            text=str(p.get("text", "")),
        )
        for p in lines
    ]


def _document(d: PermitDocument) -> DocumentOut:
    return DocumentOut(
        document_id=d.document_id,
        item=d.item,
        name=d.original_name,
        media_type=d.media_type,
        size=d.size,
        width=d.width,
        height=d.height,
        warnings=list(d.warnings),
        revision=d.revision,
        uploaded_at=d.uploaded_at,
    )


def _lines(application: PermitApplication) -> list[MaterialLineOut]:
    return [
        MaterialLineOut(
            key=line.key,
            names=line.names_zh,
            names_en=line.names_en,
            issuers=sorted({p.issuer_zh for p in line.item.alternatives}),
            proofs=list(line.proofs),
            auto_fetched=line.item.auto_fetched,
            required_upload=line.required_upload,
            online_form=line.online_form,
            provided=line.provided,
            documents=[d.document_id for d in line.documents],
        )
        for line in permit_application_materials(application=application)
    ]


def _summary(a: PermitApplication) -> dict[str, Any]:
    return {
        "reference": a.reference,
        "kind": a.kind,
        "kind_label": label_in(APPLICATION_KIND_LABELS[a.kind], "zh-hans"),
        "status": a.status,
        "status_label": label_in(APPLICATION_STATUS_LABELS[a.status], "zh-hans"),
        "explanation": label_in(APPLICATION_STATUS_EXPLANATIONS[a.status], "zh-hans"),
        "created_at": a.created_at,
        "submitted_at": a.submitted_at,
    }


def _application(a: PermitApplication) -> ApplicationOut:
    a.refresh_from_db()
    form = {}
    for name in APPLICATION_FIELDS:
        value = getattr(a, name)
        form[name] = value
    return ApplicationOut(
        **_summary(a),
        revision=a.revision,
        station_name=a.station_name,
        receipt_number=a.receipt_number,
        reason=a.reason,
        problems=_problems(a.problems or []),
        form=ApplicationFormOut(**form),
        documents=[_document(d) for d in a.documents.filter(active=True)],
        materials=_lines(a),
        history=[
            HistoryOut(
                status=e.status,
                status_label=label_in(APPLICATION_STATUS_LABELS[e.status], "zh-hans"),
                revision=e.revision,
                note=e.note,
                problems=_problems(e.lines or []),
                at=e.at,
            )
            for e in a.events.all()
        ],
        consent_text=label_in(CONSENT_TEXT, "zh-hans"),
        card_delivery=_card_delivery(permit_delivery_view(application=a)),
    )


def _card_delivery(view: DeliveryView | None) -> CardDeliveryOut | None:
    if view is None:
        return None
    snapshot = view.delivery
    pending = view.pending
    return CardDeliveryOut(
        delivery=view.method,
        delivery_label=label_in(view.method_label, "zh-hans"),
        postal_address=view.postal_address,
        stage=view.stage,
        stage_label=label_in(view.stage_label, "zh-hans"),
        change=snapshot.change if snapshot else None,
        change_label=label_in(DELIVERY_CHANGE_LABELS[snapshot.change], "zh-hans")
        if snapshot
        else "",
        station_name=view.station_name,
        courier=view.courier,
        tracking_number=view.tracking_number,
        events=[
            TrackingEventOut(
                at=e.at,
                status=e.status,
                status_label=label_in(e.label, "zh-hans"),
                detail=e.detail,
            )
            for e in view.events
        ],
        reason=view.reason,
        sequence=snapshot.sequence if snapshot else None,
        changed_at=snapshot.changed_at if snapshot else None,
        can_change=view.can_change,
        pending_change=DeliveryChangeOut(
            request_id=pending.request_id,
            delivery=pending.method,
            postal_address=pending.postal_address,
            requested_at=pending.requested_at,
        )
        if pending
        else None,
    )


def _form_data(body: Any) -> dict[str, Any]:
    """The fields the client sent; null means cleared."""
    sent = body.dict(exclude_unset=True)
    return {k: ("" if v is None and k not in MONTHS_DOCS else v) for k, v in sent.items()}


def _own(request: HttpRequest, reference: str) -> PermitApplication:
    return permit_application_of_resident(resident=request.auth, reference=reference)  # type: ignore[attr-defined]


ReferencePath = Annotated[
    ReferenceStr,
    Path(
        description="申请编号（大小写、全角均可）/ Application reference (any case, full-width "
        "too)",
        example=EXAMPLE_APPLICATION_REFERENCE,
    ),
]
EXAMPLE_SUMMARY: dict[str, Any] = {
    "reference": EXAMPLE_APPLICATION_REFERENCE,
    "kind": "first",
    "kind_label": "首次申领",
    "status": "draft",
    "status_label": "草稿",
    "explanation": "申请尚未提交，可以继续填写，草稿会自动保存。",
    "created_at": "2026-12-01T09:00:00+08:00",
    "submitted_at": None,
}
EXAMPLE_LINE: dict[str, Any] = {
    "key": "photo",
    "names": ["本人近期白底免冠彩色照片"],
    "names_en": ["Recent colour photo, white background"],
    "issuers": ["本人"],
    "proofs": ["photo"],
    "auto_fetched": True,
    "required_upload": True,
    "online_form": False,
    "provided": True,
    "documents": [EXAMPLE_DOCUMENT_ID],
}
EXAMPLE_DOCUMENT: dict[str, Any] = {
    "document_id": EXAMPLE_DOCUMENT_ID,
    "item": "photo",
    "name": "照片.jpg",
    "media_type": "image/jpeg",
    "size": 18342,
    "width": 358,
    "height": 441,
    "warnings": [],
    "revision": 1,
    "uploaded_at": "2026-12-01T09:20:00+08:00",
}
EXAMPLE_OUT: dict[str, Any] = {
    **EXAMPLE_SUMMARY,
    "revision": 0,
    "station_name": "",
    "receipt_number": "",
    "reason": "",
    "problems": [],
    "form": EXAMPLE_FORM,
    "documents": [EXAMPLE_DOCUMENT],
    "materials": [EXAMPLE_LINE],
    "history": [
        {
            "status": "draft",
            "status_label": "草稿",
            "revision": 0,
            "note": "",
            "problems": [],
            "at": "2026-12-01T09:00:00+08:00",
        }
    ],
    "consent_text": str(CONSENT_TEXT),
    "card_delivery": None,
}
EXAMPLE_RETURNED: dict[str, Any] = {
    **EXAMPLE_OUT,
    "status": "materials_required",
    "status_label": "需补正材料",
    "explanation": "预审发现材料需要补正，请按一次性告知的全部事项修改后重新提交。",
    "revision": 1,
    "station_name": "北山派出所",
    "problems": [{"item": "photo", "item_label": "照片", "text": "照片背景不是白色，请重新拍摄"}],
}
EXAMPLE_INVALID: dict[str, Any] = {
    "code": "invalid_application",
    "message": "申请信息或材料有误，请按提示全部更正后再提交",
    "message_en": "The application has problems; correct every one shown and submit again",
    "errors": [
        {
            "field": "consent",
            "code": "consent_required",
            "message": "请阅读并同意个人信息收集使用说明后再提交",
            "message_en": "Read and agree to the personal-data notice before submitting",
        },
        {
            "field": "photo",
            "code": "photo_missing",
            "message": "请上传本人近期白底免冠彩色照片（宽358像素、高441像素）",
            "message_en": "Upload a recent colour photo on a white background (358 × 441 pixels)",
        },
    ],
}
EXAMPLE_NOT_DRAFT: dict[str, Any] = {
    "code": "not_draft",
    "message": "申请已提交，不能再修改；如派出所要求补正，请按补正告知修改",
    "message_en": "The application was submitted and cannot be changed; if the station asks "
    "for corrections, make them as its notice says",
    "errors": [],
}
EXAMPLE_NOT_FOUND: dict[str, Any] = {
    "code": "not_found",
    "message": "未找到该申请",
    "message_en": "Application not found",
    "errors": [],
}
AUTH = ResidentBearer()


@router.get(
    "/applications",
    auth=AUTH,
    response={200: list[ApplicationSummaryOut], **error_responses(401)},
    summary="我的居住证申请 / My permit applications",
    description="登录居民的全部居住证申请（含草稿），最新的在前。\n\n"
    "The signed-in resident's permit applications, drafts included, newest first.",
    openapi_extra=examples(responses={200: [EXAMPLE_SUMMARY]}),
)
def my_applications(request: HttpRequest) -> list[ApplicationSummaryOut]:
    return [
        ApplicationSummaryOut(**_summary(a))
        for a in permit_applications_of(resident=request.auth)  # type: ignore[attr-defined]
    ]


@router.post(
    "/applications",
    auth=AUTH,
    response={201: ApplicationOut, **error_responses(400, 401, 409, 413, 415, 422)},
    summary="开始一份居住证申请 / Start a permit application",
    description="按申请类型新建草稿，答 201 和申请编号；姓名、身份证号、电话和地址取自您最近一次"
    f"居住登记申报。每人最多同时保留{MAX_OPEN_DRAFTS}份草稿，超出答 409 `too_many_drafts`。"
    "\n\nStarts a draft of the given kind (201 with its reference), filled in from the "
    f"resident's latest declaration. At most {MAX_OPEN_DRAFTS} drafts at a time; beyond that "
    "409 `too_many_drafts`.",
    openapi_extra=examples(
        request={"kind": "first"},
        responses={
            201: EXAMPLE_OUT,
            409: {
                "code": "too_many_drafts",
                "message": "您已有5份未提交的申请草稿，请先完成或提交其中一份",
                "message_en": "You already have 5 unsent drafts; finish or submit one first",
                "errors": [],
            },
        },
    ),
)
def start_application(request: HttpRequest, body: KindIn) -> Status[ApplicationOut]:
    application = permit_application_start(
        resident=request.auth,  # type: ignore[attr-defined]
        kind=body.kind,
        channel="api",
    )
    return Status(201, _application(application))


@router.get(
    "/applications/{reference}",
    auth=AUTH,
    response={200: ApplicationOut, **error_responses(401, 404)},
    summary="查看一份居住证申请 / One of my permit applications",
    description="申请的状态及其含义、一次性告知、办理经过、申请表、已上传文件和材料清单；"
    "别人的或不存在的编号答 404。\n\n"
    "The application's status and what it means, the one-time notice, the history, the "
    "form, the files and the materials list; another resident's or an unknown reference "
    "answers 404.",
    openapi_extra=examples(responses={200: EXAMPLE_RETURNED, 404: EXAMPLE_NOT_FOUND}),
)
def get_application(request: HttpRequest, reference: ReferencePath) -> ApplicationOut:
    return _application(_own(request, reference))


@router.patch(
    "/applications/{reference}",
    auth=AUTH,
    response={200: ApplicationOut, **error_responses(400, 401, 404, 409, 413, 415, 422)},
    summary="保存申请草稿 / Save fields of a draft",
    description="只改所给字段（省略不变，null 或空串清除），每个字段按格式检查，有问题时答 400 "
    "`invalid_application` 并在 `errors` 中列出全部问题，且不保存任何字段。已提交的申请答 409 "
    "`not_draft`；派出所要求补正时只能改告知所列字段，改其他字段答 400 `not_listed`。"
    "\n\nChanges only the given fields (omitted: unchanged; null or empty: cleared), each "
    "checked; problems answer 400 `invalid_application` listing all in `errors`, and nothing "
    "is saved. A submitted application answers 409 `not_draft`; after a one-time notice only "
    "the listed fields may change (others: 400 `not_listed`).",
    openapi_extra=examples(
        request={"route": "residence", "housing": "rented_state_land", "delivery": "pickup"},
        responses={200: EXAMPLE_OUT, 409: EXAMPLE_NOT_DRAFT},
    ),
)
def save_application(
    request: HttpRequest,
    reference: ReferencePath,
    body: ApplicationFormIn,  # type: ignore[valid-type]
) -> ApplicationOut:
    application = permit_application_save(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        data=_form_data(body),
    )
    return _application(application)


@router.post(
    "/applications/{reference}/documents",
    auth=AUTH,
    response={201: DocumentOut, **error_responses(400, 401, 404, 409, 413, 415, 422)},
    summary="上传材料 / Upload a file for the list",
    description="multipart/form-data：`item` 为 photo 或材料清单中某项的材料编号，`file` 为文件。"
    "照片须为 JPEG/PNG、宽358像素、高441像素；证明材料为 PDF、JPEG 或 PNG，不超过10 MB。"
    "按内容识别文件类型，图片重新编码后保存。同一项再次上传即替换原文件。文件不合格答 400，"
    "code 说明原因（photo_not_image、photo_size、file_too_large、file_empty、image_damaged、"
    "image_too_many_pixels、unsupported_type、pdf_damaged）；不在清单（或补正告知）中的项答 400 "
    "`item_not_listed`。\n\n"
    "multipart/form-data with `item` (photo or a proof id of the list) and `file`. The photo "
    "is a 358 × 441 JPEG or PNG; a proof a PDF, JPEG or PNG up to 10 MB. The type is read from "
    "the content and pictures are re-encoded. A new file for an item replaces the old one. A "
    "refused file answers 400 with its own code; an item not on the list (or the notice) 400 "
    "`item_not_listed`.",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"item": "photo", "file": "(binary JPEG, 358 × 441)"}
                }
            }
        },
        "responses": {
            201: {"content": {"application/json": {"example": EXAMPLE_DOCUMENT}}},
            400: {
                "content": {
                    "application/json": {
                        "example": {
                            "code": "photo_size",
                            "message": "照片须为宽358像素、高441像素（二代身份证照片规格），"
                            "此照片为100×100像素",
                            "message_en": "The photo must be 358 × 441 pixels (ID-card "
                            "standard); this one is 100 × 100",
                            "errors": [],
                        }
                    }
                }
            },
        },
    },
)
def upload_document(
    request: HttpRequest,
    reference: ReferencePath,
    item: Annotated[str, Form(description=ITEM_DESCRIPTION, example="photo", max_length=8)],
    file: Annotated[UploadedFile, File(description="文件 / The file")],
) -> Status[DocumentOut]:
    document = permit_document_upload(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        item=item,
        content=file.read(),
        file_name=file.name or "",
    )
    return Status(201, _document(document))


@router.post(
    "/applications/{reference}/submit",
    auth=AUTH,
    response={200: ApplicationOut, **error_responses(400, 401, 404, 409, 413, 415, 422)},
    summary="提交居住证申请 / Submit the application",
    description="须同意个人信息收集使用说明（consent: true）。一次检查全部内容：必填字段、首次申领"
    "的申领条件（依据公安机关的居住登记记录）、材料清单要求上传的文件（照片必须上传，系统自动"
    "获取的材料无需上传），有问题时答 400 `invalid_application` 并列出全部问题。同一身份证号已有"
    "办理中的申请答 409 `duplicate_application`；已提交答 409 `not_draft`。成功后状态为 submitted，"
    "并以短信通知。\n\n"
    "Needs consent to the personal-data notice (`consent: true`). Everything is checked at "
    "once: required fields, eligibility for a first application (from the police record), "
    "the uploads the list requires (the photo always; fetched items never); problems answer "
    "400 `invalid_application` listing all. Another application in progress for the ID "
    "number answers 409 `duplicate_application`; a submitted one 409 `not_draft`. On success "
    "the status is submitted and an SMS is sent.",
    openapi_extra=examples(
        request={"consent": True},
        responses={
            200: {**EXAMPLE_OUT, "status": "submitted", "status_label": "已提交", "revision": 1},
            400: EXAMPLE_INVALID,
            409: EXAMPLE_NOT_DRAFT,
        },
    ),
)
def submit_application(
    request: HttpRequest, reference: ReferencePath, body: SubmitIn
) -> ApplicationOut:
    application = permit_application_submit(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        consent=body.consent,
        channel="api",
    )
    return _application(application)


@router.post(
    "/applications/{reference}/resubmit",
    auth=AUTH,
    response={200: ApplicationOut, **error_responses(400, 401, 404, 409, 413, 415, 422)},
    summary="补正后重新提交 / Resubmit after the one-time notice",
    description="派出所要求补正（状态 materials_required）后，只改一次性告知所列的事项：请求体为要"
    "修改的字段（仅限告知所列），告知所列的材料须先通过上传接口重新上传。改动告知以外的字段答 400 "
    "`not_listed`，所列材料未重新上传答 400 `document_not_replaced`；告知以外的事项不再检查。编号"
    "不变，revision 加1。不是补正状态答 409 `not_materials_required`。\n\n"
    "After the station asked for corrections (status materials_required), change exactly what "
    "the one-time notice lists: the body holds the listed fields to change; listed files are "
    "uploaded first. A change to another field answers 400 `not_listed`, a listed file not "
    "uploaded again 400 `document_not_replaced`; nothing unlisted is checked again. The "
    "reference stays, the revision goes up by one. Otherwise 409 `not_materials_required`.",
    openapi_extra=examples(
        request={"address_detail": "曙光路 12 号 3 幢 202 室"},
        responses={
            200: {**EXAMPLE_OUT, "status": "submitted", "status_label": "已提交", "revision": 2},
            409: {
                "code": "not_materials_required",
                "message": "只有派出所要求补正材料的申请可以补正后重新提交",
                "message_en": "Only an application the station returned for corrections can be "
                "resubmitted",
                "errors": [],
            },
        },
    ),
)
def resubmit_application(
    request: HttpRequest,
    reference: ReferencePath,
    body: ApplicationFormIn,  # type: ignore[valid-type]
) -> ApplicationOut:
    application = permit_application_resubmit(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        data=_form_data(body),
        channel="api",
    )
    return _application(application)


@router.get(
    "/applications/{reference}/materials",
    auth=AUTH,
    response={200: list[MaterialLineOut], **error_responses(401, 404)},
    summary="本申请的材料清单 / The application's materials list",
    description="按本申请的申领条件、住所类型和年龄列出全部材料（一次告知），并标明哪些已提供、"
    "哪些须上传、哪些由系统自动获取。\n\n"
    "Every item this application needs, at once, by its route, housing and age, each marked "
    "provided, to upload or fetched by the system.",
    openapi_extra=examples(responses={200: [EXAMPLE_LINE]}),
)
def application_materials(request: HttpRequest, reference: ReferencePath) -> list[MaterialLineOut]:
    return _lines(_own(request, reference))


@router.get(
    "/applications/{reference}/materials.pdf",
    auth=AUTH,
    response={200: None, **error_responses(401, 404)},
    summary="材料清单 PDF / The materials list as a PDF",
    description="可打印的材料一次性告知单（A4 PDF），每页带申请编号和二维码，申请人姓名已遮蔽。"
    "\n\nThe printable one-time materials list (A4 PDF) with the reference and its QR code on "
    "every page; the applicant's name masked.",
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {
                    "application/pdf": {
                        "schema": {"type": "string", "format": "binary"},
                        "example": "%PDF-1.4 …",
                    }
                },
            }
        }
    },
)
def application_materials_pdf(request: HttpRequest, reference: ReferencePath) -> HttpResponse:
    application = _own(request, reference)
    response = HttpResponse(
        permit_application_materials_pdf(application=application), content_type="application/pdf"
    )
    response["Content-Disposition"] = content_disposition_header(
        False, f"{application.reference}-materials.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DeliveryChangeIn(Schema):
    delivery: documented_str(enum=list(DELIVERY_METHOD_LABELS)) = Field(  # type: ignore[valid-type]
        description="改为的领取方式 / The method wanted. 取值 / Codes: "
        + describe_codes(DELIVERY_METHOD_LABELS),
        examples=["post"],
    )
    postal_address: documented_str(maxLength=200) | None = Field(  # type: ignore[valid-type]
        None,
        description="邮寄地址（delivery 为 post 时必填，全角数字字母按半角处理；窗口领取时忽略）/ "
        "Postal address, required for post (full-width digits and letters read as ASCII; "
        "ignored for pickup)",
        examples=["杭州市西湖区曙光路 12 号 3 幢 201 室"],
    )


EXAMPLE_DELIVERY: dict[str, Any] = {
    "delivery": "post",
    "delivery_label": "邮寄到家",
    "postal_address": "杭州市西湖区曙光路 12 号 3 幢 201 室",
    "stage": "in_production",
    "stage_label": "制证中",
    "change": "production_started",
    "change_label": "开始制证",
    "station_name": "北山派出所",
    "courier": "",
    "tracking_number": "",
    "events": [],
    "reason": "",
    "sequence": 1,
    "changed_at": "2026-12-15T16:00:00+08:00",
    "can_change": True,
    "pending_change": {
        "request_id": "3f2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d",
        "delivery": "post",
        "postal_address": "杭州市西湖区文三路 90 号 1 幢 302 室",
        "requested_at": "2026-12-18T09:00:00+08:00",
    },
}


@router.post(
    "/applications/{reference}/delivery",
    auth=AUTH,
    response={202: CardDeliveryOut, **error_responses(400, 401, 404, 409, 413, 415, 422, 429)},
    summary="变更领取方式或邮寄地址 / Change how the card reaches me",
    description="证件寄出前（审批通过后，环节为待制证、制证中、待领取或待寄出）可改邮寄地址，或在"
    "窗口领取与邮寄之间切换。地址按申请表的规则检查（最多200字，不能含表情或控制字符），有问题时答 "
    "400 `invalid_delivery_change` 并在 `errors` 中列出，且不作任何变更；与现在相同答 400 "
    "`unchanged`。证件已寄出、已领取或尚未审批答 409 `delivery_not_changeable`。每份申请每天最多"
    f"{MAX_CHANGES_PER_DAY}次，超出答 429。成功答 202：变更已送派出所，`pending_change` 显示等待"
    "确认的内容，确认结果随后体现在 `card_delivery` 中。\n\n"
    "While the card has not left the station (after approval; stages waiting_production, "
    "in_production, ready_for_pickup, awaiting_courier) the postal address may change, or "
    "the method switch between pickup and post. The address is checked as on the form (at "
    "most 200 characters, no emoji or control characters); problems answer 400 "
    "`invalid_delivery_change` listing all in `errors`, and nothing changes; the same as now "
    "answers 400 `unchanged`. A card posted or collected, or an application not yet approved, "
    f"answers 409 `delivery_not_changeable`. At most {MAX_CHANGES_PER_DAY} a day per "
    "application, then 429. 202: the change went to the station; `pending_change` shows it "
    "until the station's answer appears in `card_delivery`.",
    openapi_extra=examples(
        request={"delivery": "post", "postal_address": "杭州市西湖区文三路 90 号 1 幢 302 室"},
        responses={
            202: EXAMPLE_DELIVERY,
            409: {
                "code": "delivery_not_changeable",
                "message": "证件已寄出或已领取，或申请尚未审批通过，现在不能变更领取方式或邮寄地址",
                "message_en": "The card has left the station or been collected, or the "
                "application is not yet approved; the delivery can no longer be changed",
                "errors": [],
            },
        },
    ),
)
def change_delivery(
    request: HttpRequest, reference: ReferencePath, body: DeliveryChangeIn
) -> Status[CardDeliveryOut]:
    change = permit_delivery_change_request(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        data=body.dict(),
        channel="api",
    )
    view = permit_delivery_view(application=change.application)
    assert view is not None
    return Status(202, _card_delivery(view))
