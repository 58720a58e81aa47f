"""The workbench API (`/api/v1/` on the police zone): the same scope and rules as the pages.

Endpoints raise `ApplicationError`; the API's one handler turns it into the documented body.
The document (`/api/v1/openapi.json`, page at `/api/v1/docs`) takes the status codes from
`RegistrationStatus`, the one source."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy
from ninja import Field, Path, Query, Schema
from ninja.security import SessionAuth

from onetrip.common.api import (
    DocumentedAPI,
    code_list,
    describe_codes,
    documented_str,
    error_responses,
    examples,
    install_error_handlers,
    optional_code,
)
from onetrip.common.masking import mask_id_number, mask_name, mask_phone
from onetrip.contracts.permits import APPLICATION_KIND_LABELS
from onetrip.police.permits.items import ROUTE_LABELS, item_label
from onetrip.police.permits.models import PermitCase, PermitStatus
from onetrip.police.permits.selectors import (
    QUEUE_STATUSES,
    permit_documents_of,
    permit_get_for_staff,
    permit_queue_for_staff,
)
from onetrip.police.permits.services import (
    permit_notice_items,
    permit_prereview_pass,
    permit_reject,
    permit_return,
)
from onetrip.police.register.models import RegistrationStatus, ResidenceDeclaration
from onetrip.police.register.selectors import (
    declaration_get_for_staff,
    declaration_queue_for_staff,
)
from onetrip.police.register.services import declaration_return, declaration_verify

REGISTRATION_STATUS_LABELS = {status.value: status.label for status in RegistrationStatus}
RegistrationStatusCode = code_list(REGISTRATION_STATUS_LABELS)
ReferenceStr = documented_str(pattern=r"^[A-Za-z]{2}[0-9]{14}$")
ReasonStr = documented_str(minLength=4, maxLength=500)

EXAMPLE_REFERENCE = "JZ26112012345678"
EXAMPLE_DECLARATION: dict[str, Any] = {
    "reference": EXAMPLE_REFERENCE,
    "status": "declared",
    "station_code": "330106500020",
    "name": "张*",
    "id_number": "3301**********123X",
    "phone": "138****8000",
    "community_code": "330106002001",
    "received_at": "2026-11-20T09:31:00+08:00",
    "registration_number": "",
    "registered_on": None,
    "return_reason": "",
}
EXAMPLE_REGISTERED = {
    **EXAMPLE_DECLARATION,
    "status": "registered",
    "registration_number": "3301065000202026000001",
    "registered_on": "2026-11-22",
}
EXAMPLE_RETURNED = {
    **EXAMPLE_DECLARATION,
    "status": "returned",
    "return_reason": "详细地址缺少门牌号，请补充后重新申报",
}
EXAMPLE_CONFLICT = {
    "code": "already_decided",
    "message": "该申报已处理，不能重复操作",
    "message_en": "This declaration has already been decided",
    "errors": [],
}
EXAMPLE_FORBIDDEN = {
    "code": "other_station",
    "message": "只有辖区派出所民警可以核查该申报",
    "message_en": "Only staff of the responsible station may verify this declaration",
    "errors": [],
}


class StaffSession(SessionAuth):
    openapi_description = (
        "工作台登录后的会话 Cookie；POST 请求还须带 X-CSRFToken 头（取自 csrftoken Cookie）/ "
        "The session cookie of a workbench log-in; POST requests also send the X-CSRFToken "
        "header (from the csrftoken cookie)"
    )


DESCRIPTION = f"""派出所工作台接口：在本人辖区内查看、核查（登记）和退回居住登记申报，
预审（通过、退回补正、不予受理）居住证申请，规则与工作台页面相同。
The workbench API of the police zone: list, read, verify (register) and return residence
declarations, and pre-review (pass, return with the one-time notice, reject) residence-permit
applications within the officer's jurisdiction, under the same rules as the pages.

**登录 / Authentication.** 使用工作台登录后的会话（Cookie `sessionid`）；POST 请求须带
`X-CSRFToken` 头。未登录答 401。Use the workbench session; POST requests send `X-CSRFToken`.

**个人信息 / Personal data.** 姓名、身份号码、手机号码均已遮蔽；每次读取都记入审计日志。
Names, ID numbers and phones are masked; every read is audited.

**错误 / Errors.** 所有错误都答同一个结构 `ErrorOut`（`code`、中文 `message`、`message_en`、
`field`、`errors`）。Every error answers `ErrorOut`.

**状态 / Statuses.** {describe_codes(REGISTRATION_STATUS_LABELS)}

**居住证申请状态 / Permit statuses.** {describe_codes({s.value: s.label for s in PermitStatus})}
"""

api = DocumentedAPI(
    title="OneTrip workbench API",
    version="1",
    urls_namespace="police_api",
    auth=StaffSession(),
    description=DESCRIPTION,
    openapi_extra={
        "tags": [
            {"name": "declarations", "description": "居住登记申报的核查 / Declarations to decide"},
            {
                "name": "permits",
                "description": "居住证申请的属地派出所预审 / Permit applications to pre-review",
            },
        ]
    },
)
install_error_handlers(api)

# The personal-data fields a `DeclarationOut` shows, all masked.
API_FIELDS = ("name:masked", "id_number:masked", "phone:masked")
BODY_ERRORS = (413, 415, 422)
TAGS = ["declarations"]


class DeclarationOut(Schema):
    reference: str = Field(
        description="申报编号 / Declaration reference", examples=[EXAMPLE_REFERENCE]
    )
    status: RegistrationStatusCode = Field(
        description=f"状态 / Status. 取值 / Codes: {describe_codes(REGISTRATION_STATUS_LABELS)}",
        examples=["declared"],
    )
    station_code: str = Field(
        description="受理派出所代码 / Responsible station's code", examples=["330106500020"]
    )
    name: str = Field(description="姓名（已遮蔽）/ Name, masked", examples=["张*"])
    id_number: str = Field(
        description="公民身份号码（已遮蔽）/ ID number, masked", examples=["3301**********123X"]
    )
    phone: str = Field(description="手机号码（已遮蔽）/ Mobile, masked", examples=["138****8000"])
    community_code: str = Field(
        description="现居住地社区（村）代码 / Community code", examples=["330106002001"]
    )
    received_at: dt.datetime = Field(
        description="派出所收到申报的时间 / When the station received it",
        examples=["2026-11-20T09:31:00+08:00"],
    )
    registration_number: str = Field(
        description="居住登记编号，登记后才有 / Registration number, once registered",
        examples=["3301065000202026000001"],
    )
    registered_on: dt.date | None = Field(
        description="登记日期，登记后才有 / Registration date, once registered",
        examples=["2026-11-22"],
    )
    return_reason: str = Field(
        description="退回原因，退回后才有 / Why it was returned, once returned", examples=[""]
    )


class VerifyIn(Schema):
    registered_on: dt.date | None = Field(
        None,
        description="登记日期（年-月-日），须在申报日期与今天之间；省略或为 null 时为今天 / "
        "Registration date (YYYY-MM-DD) between the declaration date and today; omitted or "
        "null means today",
        examples=["2026-11-22"],
    )


class ReturnIn(Schema):
    reason: ReasonStr = Field(
        description="退回原因（4至500字），告诉申报人如何更正 / Why it is returned (4 to 500 "
        "characters), telling the resident what to correct",
        examples=["详细地址缺少门牌号，请补充后重新申报"],
    )


def _out(d: ResidenceDeclaration) -> DeclarationOut:
    return DeclarationOut(
        reference=d.reference,
        status=d.status,
        station_code=d.station.code,
        name=mask_name(d.name),
        id_number=mask_id_number(d.id_number),
        phone=mask_phone(d.phone),
        community_code=d.community_code,
        received_at=d.received_at,
        registration_number=d.registration_number,
        registered_on=d.registered_on,
        return_reason=d.return_reason,
    )


ReferencePath = Annotated[
    ReferenceStr,
    Path(
        description="申报编号（大小写均可）/ Declaration reference (any case)",
        example=EXAMPLE_REFERENCE,
    ),
]
StatusQuery = Annotated[
    optional_code(REGISTRATION_STATUS_LABELS),
    Query(
        None,
        description="状态，默认 declared / Status, declared by default. 取值 / Codes: "
        f"{describe_codes(REGISTRATION_STATUS_LABELS)}",
        example="declared",
    ),
]


@api.get(
    "/declarations",
    response={200: list[DeclarationOut], **error_responses(401, 422)},
    tags=TAGS,
    summary="辖区申报队列 / The queue of declarations",
    description="本人辖区内某一状态的申报，按收到先后排列，每页最多 ONETRIP_QUEUE_PAGE_SIZE 条"
    "（默认200）。省略 status、为空或为 null 时列出待核查（declared）。读取记入审计日志。\n\n"
    "Declarations in the officer's jurisdiction with one status, in arrival order, one page "
    "of ONETRIP_QUEUE_PAGE_SIZE (200 by default). Without status (or empty, or null) the "
    "queue to verify (declared). The read is audited.",
    openapi_extra=examples(responses={200: [EXAMPLE_DECLARATION]}),
)
def list_declarations(
    request: HttpRequest,
    status: StatusQuery = None,
) -> list[DeclarationOut]:
    rows = declaration_queue_for_staff(
        user=request.user, status=status or RegistrationStatus.DECLARED, purpose="api_list"
    )
    return [_out(d) for d in rows]


@api.get(
    "/declarations/{reference}",
    response={200: DeclarationOut, **error_responses(401, 404)},
    tags=TAGS,
    summary="查看一份申报 / One declaration",
    description="辖区内的一份申报（个人信息已遮蔽）；辖区外或不存在的编号同样答 404，"
    "这次拒绝也记入审计日志。\n\n"
    "One declaration in the jurisdiction, masked; outside it or unknown answers 404 alike, "
    "and the refused read is audited too.",
    openapi_extra=examples(responses={200: EXAMPLE_DECLARATION}),
)
def get_declaration(request: HttpRequest, reference: ReferencePath) -> DeclarationOut:
    return _out(
        declaration_get_for_staff(
            user=request.user, reference=reference, purpose="api_read", fields=API_FIELDS
        )
    )


DECISION_ERRORS = error_responses(400, 401, 403, 404, 409, *BODY_ERRORS)


@api.post(
    "/declarations/{reference}/verify",
    response={200: DeclarationOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="核查通过并登记 / Verify and register",
    description="把待核查的申报登记（已登记），分配居住登记编号，并通知申报人。只有辖区派出所的"
    "核查岗位可以操作（否则 403），已处理的申报答 409，登记日期不在申报日与今天之间答 400 "
    "`registered_on_invalid`。\n\n"
    "Registers a declaration waiting for review, gives it a registration number and tells the "
    "resident. Only deciding roles of the responsible station may (403 otherwise); a decided "
    "declaration answers 409, a registration date outside the declaration date and today 400 "
    "`registered_on_invalid`.",
    openapi_extra=examples(
        request={"registered_on": "2026-11-22"},
        responses={200: EXAMPLE_REGISTERED, 403: EXAMPLE_FORBIDDEN, 409: EXAMPLE_CONFLICT},
    ),
)
def verify_declaration(
    request: HttpRequest, reference: ReferencePath, body: VerifyIn
) -> DeclarationOut:
    return _out(
        declaration_verify(user=request.user, reference=reference, registered_on=body.registered_on)
    )


@api.post(
    "/declarations/{reference}/return",
    response={200: DeclarationOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="退回申报 / Return to the resident",
    description="把待核查的申报退回申报人，并说明原因（4至500字，否则 400 `reason_required` 或 "
    "`reason_too_long`）。权限与状态规则同核查。\n\n"
    "Returns a declaration waiting for review to the resident with a reason (4 to 500 "
    "characters, else 400 `reason_required` or `reason_too_long`). Same role and state rules "
    "as verify.",
    openapi_extra=examples(
        request={"reason": "详细地址缺少门牌号，请补充后重新申报"},
        responses={200: EXAMPLE_RETURNED, 403: EXAMPLE_FORBIDDEN, 409: EXAMPLE_CONFLICT},
    ),
)
def return_declaration(
    request: HttpRequest, reference: ReferencePath, body: ReturnIn
) -> DeclarationOut:
    return _out(declaration_return(user=request.user, reference=reference, reason=body.reason))


# -- residence-permit pre-review (属地派出所初审) ------------------------------------------------

PERMIT_STATUS_LABELS = {status.value: status.label for status in PermitStatus}
PERMIT_QUEUE_LABELS = {status: PermitStatus(status).label for status in QUEUE_STATUSES}
MEDIA_TYPE_LABELS = {
    "image/jpeg": gettext_lazy("JPEG 图片"),
    "application/pdf": gettext_lazy("PDF 文件"),
}
PermitStatusCode = code_list(PERMIT_STATUS_LABELS)
KindCode = code_list(APPLICATION_KIND_LABELS)
RouteCode = code_list(ROUTE_LABELS)
MediaTypeCode = code_list(MEDIA_TYPE_LABELS)
ItemStr = documented_str(maxLength=40)
ProblemTextStr = documented_str(minLength=1, maxLength=300)
SearchStr = documented_str(maxLength=40)
PERMIT_TAGS = ["permits"]

EXAMPLE_PERMIT_REFERENCE = "PA26112012345678"
EXAMPLE_DOCUMENT_ID = "5f0c3b7e9a2d4c1b8e6f0a9d3c2b1a00"
EXAMPLE_PERMIT: dict[str, Any] = {
    "reference": EXAMPLE_PERMIT_REFERENCE,
    "revision": 1,
    "kind": "first",
    "status": "prelim_review",
    "station_code": "330106500020",
    "name": "张*",
    "id_number": "3301**********123X",
    "phone": "138****8000",
    "community_code": "330106002001",
    "route": "employment",
    "submitted_at": "2026-11-20T09:30:00+08:00",
    "received_at": "2026-11-20T09:31:00+08:00",
    "decided_at": None,
    "prereview_seconds": None,
    "problems": [],
    "reason": "",
}
EXAMPLE_PERMIT_DETAIL: dict[str, Any] = {
    **EXAMPLE_PERMIT,
    "materials": ["A1", "A8", "A9", "B10", "B11"],
    "changed_items": [],
    "notice_items": None,
    "documents": [
        {
            "document_id": EXAMPLE_DOCUMENT_ID,
            "item": "B11",
            "label": "B11 劳动（聘用）合同",
            "media_type": "application/pdf",
            "size": 182044,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "revision": 1,
            "url": f"/permits/{EXAMPLE_PERMIT_REFERENCE}/documents/{EXAMPLE_DOCUMENT_ID}",
        }
    ],
}
EXAMPLE_PROBLEMS = [
    {"item": "B11", "text": "劳动合同缺少用人单位盖章页，请上传完整合同"},
    {"item": "address_detail", "text": "详细地址缺少门牌号，请补充"},
]
EXAMPLE_PASSED = {
    **EXAMPLE_PERMIT,
    "status": "prereview_passed",
    "decided_at": "2026-11-20T15:02:00+08:00",
    "prereview_seconds": 19920,
}
EXAMPLE_PERMIT_RETURNED = {
    **EXAMPLE_PASSED,
    "status": "materials_required",
    "problems": [
        {"item": "B11", "label": "B11 劳动（聘用）合同", "text": EXAMPLE_PROBLEMS[0]["text"]},
        {"item": "address_detail", "label": "详细地址", "text": EXAMPLE_PROBLEMS[1]["text"]},
    ],
}
EXAMPLE_PERMIT_REJECTED = {
    **EXAMPLE_PASSED,
    "status": "rejected",
    "reason": "居住登记未满半年（自申报居住登记之日起计算）",
}
EXAMPLE_PERMIT_CONFLICT = {
    "code": "already_decided",
    "message": "该申请已预审，不能重复操作",
    "message_en": "This application has already been pre-reviewed",
    "errors": [],
}
EXAMPLE_PERMIT_FORBIDDEN = {
    "code": "role_cannot_decide",
    "message": "您的岗位无权预审居住证申请",
    "message_en": "Your role may not pre-review residence-permit applications",
    "errors": [],
}
EXAMPLE_ROLE_CANNOT_READ = {
    "code": "role_cannot_read",
    "message": "您的岗位无权查看居住证申请",
    "message_en": "Your role may not see residence-permit applications",
    "errors": [],
}
EXAMPLE_PERMIT_NOT_FOUND = {
    "code": "not_found",
    "message": "未找到该居住证申请",
    "message_en": "Permit application not found",
    "errors": [],
}
EXAMPLE_CHECKABLE_BEFORE = {
    "code": "checkable_before",
    "message": "按一次性告知规定，补正后的预审只能就申请人本次修改的材料和内容提出问题。以下事项在"
    "上次预审时已可核查，不能再新增：A1 居民身份证",
    "message_en": "Under the one-time notice rule a review after a resubmission may only raise "
    "what the resident changed in it. These items could be checked at the previous review and "
    "cannot be added now: A1",
    "field": "problems",
    "errors": [
        {
            "field": "problems",
            "code": "checkable_before",
            "message": "「A1 居民身份证」在上次预审时已可核查，不能新增",
            "message_en": "A1 could be checked at the previous review",
        }
    ],
}
ITEM_DESCRIPTION = (
    "事项：材料目录编号（A1…D31）、photo（证件照片）或申请表字段名（如 address_detail）/ "
    "The item: a catalogue proof id (A1…D31), photo, or a form field name (such as "
    "address_detail)"
)


class ProblemOut(Schema):
    item: str = Field(description=ITEM_DESCRIPTION, examples=["B11"])
    label: str = Field(
        description="事项名称 / The item in words", examples=["B11 劳动（聘用）合同"]
    )
    text: str = Field(
        description="问题和补正要求 / What is wrong and what to do",
        examples=["劳动合同缺少用人单位盖章页，请上传完整合同"],
    )


class PermitDocumentOut(Schema):
    document_id: str = Field(
        description="材料文件编号 / The file's id", examples=[EXAMPLE_DOCUMENT_ID]
    )
    item: str = Field(
        description="材料目录编号或 photo / Catalogue proof id, or photo", examples=["B11"]
    )
    label: str = Field(
        description="材料名称 / The item in words", examples=["B11 劳动（聘用）合同"]
    )
    media_type: MediaTypeCode = Field(
        description=f"文件类型 / Media type. 取值 / Codes: {describe_codes(MEDIA_TYPE_LABELS)}",
        examples=["application/pdf"],
    )
    size: int = Field(description="字节数 / Size in bytes", examples=[182044])
    sha256: str = Field(
        description="文件内容的 SHA-256 / SHA-256 of the content",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )
    revision: int | None = Field(
        description="首次提交该文件的申请版本 / The revision that first sent this file",
        examples=[1],
    )
    url: str = Field(
        description="查看文件的工作台地址（每次查看记入审计）/ Workbench address of the file "
        "(every view is audited)",
        examples=[f"/permits/{EXAMPLE_PERMIT_REFERENCE}/documents/{EXAMPLE_DOCUMENT_ID}"],
    )


class PermitCaseOut(Schema):
    reference: str = Field(
        description="申请编号 / Application reference", examples=[EXAMPLE_PERMIT_REFERENCE]
    )
    revision: int = Field(
        description="申请版本，每次补正后重新提交加1 / Revision, +1 per resubmission",
        examples=[1],
    )
    kind: KindCode = Field(
        description=f"申领类型 / Kind. 取值 / Codes: {describe_codes(APPLICATION_KIND_LABELS)}",
        examples=["first"],
    )
    status: PermitStatusCode = Field(
        description=f"状态 / Status. 取值 / Codes: {describe_codes(PERMIT_STATUS_LABELS)}",
        examples=["prelim_review"],
    )
    station_code: str = Field(
        description="预审派出所代码 / Responsible station's code", examples=["330106500020"]
    )
    name: str = Field(description="姓名（已遮蔽）/ Name, masked", examples=["张*"])
    id_number: str = Field(
        description="公民身份号码（已遮蔽）/ ID number, masked", examples=["3301**********123X"]
    )
    phone: str = Field(description="手机号码（已遮蔽）/ Mobile, masked", examples=["138****8000"])
    community_code: str = Field(
        description="居住地社区（村）代码 / Community code", examples=["330106002001"]
    )
    route: RouteCode = Field(
        description=f"申领条件 / Route. 取值 / Codes: {describe_codes(ROUTE_LABELS)}",
        examples=["employment"],
    )
    submitted_at: dt.datetime = Field(
        description="申请人提交本版申请的时间 / When the resident submitted this revision",
        examples=["2026-11-20T09:30:00+08:00"],
    )
    received_at: dt.datetime = Field(
        description="派出所收到本版申请的时间 / When the station received this revision",
        examples=["2026-11-20T09:31:00+08:00"],
    )
    decided_at: dt.datetime | None = Field(
        description="预审决定时间，决定后才有 / When pre-reviewed, once decided",
        examples=["2026-11-20T15:02:00+08:00"],
    )
    prereview_seconds: int | None = Field(
        description="预审用时（秒）：决定时间减去申请人提交本版的时间 / Pre-review time in "
        "seconds: decision minus the resident's submission of this revision",
        examples=[19920],
    )
    problems: list[ProblemOut] = Field(
        description="一次性告知的全部事项，退回补正后才有 / Every line of the one-time notice, "
        "once returned",
    )
    reason: str = Field(
        description="不予受理原因，不予受理后才有 / Why refused, once rejected", examples=[""]
    )


class PermitCaseDetailOut(PermitCaseOut):
    materials: list[str] = Field(
        description="一次性告知单所列材料的目录编号 / Catalogue ids the materials list asked for",
        examples=[["A1", "A8", "A9", "B10", "B11"]],
    )
    changed_items: list[str] = Field(
        description="本版申请修改的申请表字段和新增的所需材料 / Form fields this revision "
        "changed and proofs it newly asks for",
        examples=[["address_detail"]],
    )
    notice_items: list[str] | None = Field(
        description="本版一次性告知可以提出的事项；null 表示不限（第1版）/ The items a notice on "
        "this revision may name; null means any (revision 1)",
        examples=[None],
    )
    documents: list[PermitDocumentOut] = Field(
        description="本版申请所列的全部材料文件 / Every file this revision lists"
    )


RevisionField = Field(
    None,
    description="预审时查看的申请版本；若申请已更新则答 409 `revision_changed`，省略则不核对 / "
    "The revision that was reviewed; a newer one answers 409 `revision_changed`; omitted, not "
    "checked",
    examples=[1],
)


class PermitPassIn(Schema):
    revision: int | None = RevisionField


class ProblemIn(Schema):
    item: ItemStr = Field(description=ITEM_DESCRIPTION, examples=["B11"])
    text: ProblemTextStr = Field(
        description="问题和补正要求（1至300字）/ What is wrong and what to do (1 to 300 "
        "characters)",
        examples=["劳动合同缺少用人单位盖章页，请上传完整合同"],
    )


class PermitReturnIn(Schema):
    problems: list[ProblemIn] = Field(
        description="一次性告知的全部事项（1至40项）/ Every line of the one-time notice (1 to 40)",
        json_schema_extra={"minItems": 1, "maxItems": 40},
    )
    revision: int | None = RevisionField


class PermitRejectIn(Schema):
    reason: ReasonStr = Field(
        description="不予受理原因（4至500字），申请人将看到 / Why the applicant does not qualify "
        "(4 to 500 characters), as the resident reads it",
        examples=["居住登记未满半年（自申报居住登记之日起计算）"],
    )
    revision: int | None = RevisionField


def _problems_out(problems: list[dict[str, str]]) -> list[ProblemOut]:
    return [
        ProblemOut(item=p["item"], label=item_label(p["item"]), text=p["text"]) for p in problems
    ]


def _permit_fields(c: PermitCase) -> dict[str, Any]:
    return {
        "reference": c.reference,
        "revision": c.revision,
        "kind": c.kind,
        "status": c.status,
        "station_code": c.station.code,
        "name": mask_name(c.name),
        "id_number": mask_id_number(c.id_number),
        "phone": mask_phone(c.phone),
        "community_code": c.community_code,
        "route": c.route,
        "submitted_at": c.submitted_at,
        "received_at": c.received_at,
        "decided_at": c.decided_at,
        "prereview_seconds": c.prereview_seconds,
        "problems": _problems_out(c.problems),
        "reason": c.reason,
    }


def _permit_out(c: PermitCase) -> PermitCaseOut:
    return PermitCaseOut(**_permit_fields(c))


def _permit_detail_out(c: PermitCase) -> PermitCaseDetailOut:
    return PermitCaseDetailOut(
        **_permit_fields(c),
        materials=list(c.materials),
        changed_items=list(c.changed_items),
        notice_items=permit_notice_items(case=c),
        documents=[
            PermitDocumentOut(
                document_id=d.document_id,
                item=d.item,
                label=item_label(d.item),
                media_type=d.media_type,
                size=d.size,
                sha256=d.sha256,
                revision=d.revision,
                url=reverse("workbench:permit_document", args=[c.reference, d.document_id]),
            )
            for d in permit_documents_of(case=c)
        ],
    )


PermitReferencePath = Annotated[
    ReferenceStr,
    Path(
        description="居住证申请编号（大小写均可）/ Permit application reference (any case)",
        example=EXAMPLE_PERMIT_REFERENCE,
    ),
]
PermitStatusQuery = Annotated[
    optional_code(PERMIT_QUEUE_LABELS),
    Query(
        None,
        description="状态，默认 prelim_review（待预审）/ Status, prelim_review by default. "
        f"取值 / Codes: {describe_codes(PERMIT_QUEUE_LABELS)}",
        example="prelim_review",
    ),
]
PermitSearchQuery = Annotated[
    SearchStr | None,
    Query(
        None,
        description="按申请编号、手机号或身份证号查找（不限状态，按号码查找记入审计）/ Find by "
        "reference, mobile or ID number (any status; a search by number is audited)",
        example=EXAMPLE_PERMIT_REFERENCE,
    ),
]


@api.get(
    "/permits",
    response={200: list[PermitCaseOut], **error_responses(401, 403, 422)},
    tags=PERMIT_TAGS,
    summary="居住证申请预审队列 / The permit pre-review queue",
    description="本人辖区内某一状态的居住证申请，按申请人提交先后排列（最早的在前），每页最多 "
    "ONETRIP_QUEUE_PAGE_SIZE 条（默认200）。省略 status 时列出待预审（prelim_review）；给出 q "
    "时按编号或号码查找，不限状态。只有审核岗位、所管理员和分局、市局管理员可以查看（否则 403 "
    "`role_cannot_read`）。读取记入审计日志。\n\n"
    "Permit applications in the officer's jurisdiction with one status, oldest submission "
    "first, one page of ONETRIP_QUEUE_PAGE_SIZE (200 by default). Without status the queue "
    "to pre-review (prelim_review); with q a search by reference or number across statuses. "
    "Reviewers, station administrators and district and city administrators only (403 "
    "`role_cannot_read` otherwise). The read is audited.",
    openapi_extra=examples(responses={200: [EXAMPLE_PERMIT], 403: EXAMPLE_ROLE_CANNOT_READ}),
)
def list_permits(
    request: HttpRequest,
    status: PermitStatusQuery = None,
    q: PermitSearchQuery = None,
) -> list[PermitCaseOut]:
    rows = permit_queue_for_staff(
        user=request.user,
        status=status or PermitStatus.PRELIM_REVIEW,
        purpose="api_permit_list",
        query=(q or "")[:40],
    )
    return [_permit_out(c) for c in rows]


@api.get(
    "/permits/{reference}",
    response={200: PermitCaseDetailOut, **error_responses(401, 404)},
    tags=PERMIT_TAGS,
    summary="查看一份居住证申请 / One permit application",
    description="辖区内的一份居住证申请（个人信息已遮蔽），含本版全部材料文件的地址和本版一次性告知"
    "可以提出的事项；辖区外或不存在的编号同样答 404，这次拒绝也记入审计日志。\n\n"
    "One permit application in the jurisdiction, masked, with the address of every file of "
    "this revision and the items a notice on it may name; outside the jurisdiction or unknown "
    "answers 404 alike, and the refused read is audited too.",
    openapi_extra=examples(responses={200: EXAMPLE_PERMIT_DETAIL, 404: EXAMPLE_PERMIT_NOT_FOUND}),
)
def get_permit(request: HttpRequest, reference: PermitReferencePath) -> PermitCaseDetailOut:
    return _permit_detail_out(
        permit_get_for_staff(
            user=request.user, reference=reference, purpose="api_permit_read", fields=API_FIELDS
        )
    )


PERMIT_DECISION_ERRORS = error_responses(400, 401, 403, 404, 409, *BODY_ERRORS)


@api.post(
    "/permits/{reference}/pass",
    response={200: PermitCaseOut, **PERMIT_DECISION_ERRORS},
    tags=PERMIT_TAGS,
    summary="预审通过 / Pass the pre-review",
    description="待预审的申请材料齐全、符合条件：预审通过，并通知申请人预约到窗口一次办结。只有"
    "辖区派出所的审核岗位或所管理员可以操作（否则 403），已预审的申请答 409 `already_decided`，"
    "申请已更新为新版本答 409 `revision_changed`。\n\n"
    "The application waiting for pre-review is complete and eligible: it passes, and the "
    "resident is told to book the one visit to the window. Only a reviewer or the station "
    "administrator of the responsible station may (403 otherwise); a decided application "
    "answers 409 `already_decided`, a newer revision 409 `revision_changed`.",
    openapi_extra=examples(
        request={"revision": 1},
        responses={
            200: EXAMPLE_PASSED,
            403: EXAMPLE_PERMIT_FORBIDDEN,
            404: EXAMPLE_PERMIT_NOT_FOUND,
            409: EXAMPLE_PERMIT_CONFLICT,
        },
    ),
)
def pass_permit(
    request: HttpRequest, reference: PermitReferencePath, body: PermitPassIn
) -> PermitCaseOut:
    return _permit_out(
        permit_prereview_pass(user=request.user, reference=reference, revision=body.revision)
    )


@api.post(
    "/permits/{reference}/return",
    response={200: PermitCaseOut, **PERMIT_DECISION_ERRORS},
    tags=PERMIT_TAGS,
    summary="退回补正（一次性告知）/ Return with the one-time notice",
    description="把待预审的申请退回申请人补正，一次列出全部问题（1至40项），每项写明事项和补正"
    "要求（否则 400 `problems_required`、`problems_invalid`）。补正后重新提交的申请（第2版起）"
    "只能就本版新提交的材料、本版修改的申请表内容和上次告知的事项提出问题，其他事项答 400 "
    "`checkable_before`。权限与状态规则同预审通过。\n\n"
    "Returns an application waiting for pre-review with every problem at once (1 to 40 lines), "
    "each naming its item and what to do (else 400 `problems_required` or `problems_invalid`). "
    "On a resubmission (revision 2 on) a notice may only name the files this revision sent, "
    "the form fields it changed and the items of the previous notice; anything else answers "
    "400 `checkable_before`. Same role and state rules as pass.",
    openapi_extra=examples(
        request={"problems": EXAMPLE_PROBLEMS, "revision": 1},
        responses={
            200: EXAMPLE_PERMIT_RETURNED,
            400: EXAMPLE_CHECKABLE_BEFORE,
            403: EXAMPLE_PERMIT_FORBIDDEN,
            404: EXAMPLE_PERMIT_NOT_FOUND,
            409: EXAMPLE_PERMIT_CONFLICT,
        },
    ),
)
def return_permit(
    request: HttpRequest, reference: PermitReferencePath, body: PermitReturnIn
) -> PermitCaseOut:
    return _permit_out(
        permit_return(
            user=request.user,
            reference=reference,
            problems=[p.model_dump() for p in body.problems],
            revision=body.revision,
        )
    )


@api.post(
    "/permits/{reference}/reject",
    response={200: PermitCaseOut, **PERMIT_DECISION_ERRORS},
    tags=PERMIT_TAGS,
    summary="不予受理 / Reject",
    description="申请人不符合申领条件（补正材料也无法解决）时不予受理，并写明原因（4至500字，否则 "
    "400 `reason_required` 或 `reason_too_long`）。权限与状态规则同预审通过。\n\n"
    "Refuses an applicant who does not qualify (which no paper can fix), with the reason (4 "
    "to 500 characters, else 400 `reason_required` or `reason_too_long`). Same role and state "
    "rules as pass.",
    openapi_extra=examples(
        request={"reason": "居住登记未满半年（自申报居住登记之日起计算）", "revision": 1},
        responses={
            200: EXAMPLE_PERMIT_REJECTED,
            403: EXAMPLE_PERMIT_FORBIDDEN,
            404: EXAMPLE_PERMIT_NOT_FOUND,
            409: EXAMPLE_PERMIT_CONFLICT,
        },
    ),
)
def reject_permit(
    request: HttpRequest, reference: PermitReferencePath, body: PermitRejectIn
) -> PermitCaseOut:
    return _permit_out(
        permit_reject(
            user=request.user, reference=reference, reason=body.reason, revision=body.revision
        )
    )
