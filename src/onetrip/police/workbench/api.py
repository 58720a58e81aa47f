"""The workbench API (`/api/v1/` on the police zone): the same scope and rules as the pages.

Endpoints raise `ApplicationError`; the API's one handler turns it into the documented body.
The document (`/api/v1/openapi.json`, page at `/api/v1/docs`) takes the status codes from
`RegistrationStatus`, the one source."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
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
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS, CANCEL_REASON_LABELS
from onetrip.contracts.declarations import CANCEL_REASON_LABELS as REGISTRATION_CANCEL_LABELS
from onetrip.contracts.declarations import HOUSING_TYPE_LABELS, PERMIT_EFFECT_LABELS
from onetrip.contracts.permits import APPLICATION_KIND_LABELS
from onetrip.police.appointments.models import Appointment, AppointmentStatus
from onetrip.police.appointments.selectors import appointments_today_for_staff
from onetrip.police.appointments.services import appointment_check_in, appointment_mark_no_show
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
from onetrip.police.register.changes import (
    registration_cancel,
    registration_change_input,
    registration_change_record,
)
from onetrip.police.register.models import RegistrationStatus, ResidenceDeclaration
from onetrip.police.register.selectors import (
    declaration_get_for_staff,
    declaration_queue_for_staff,
)
from onetrip.police.register.services import declaration_return, declaration_verify
from onetrip.police.stations.errors import WindowError
from onetrip.police.stations.models import Window, WindowCalendar
from onetrip.police.stations.selectors import window_get_for_staff, windows_for_staff
from onetrip.police.stations.services import (
    calendar_snapshot,
    window_calendar_update,
    window_can_edit,
    window_update,
)

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
    "cancelled_on": None,
    "cancel_reason": "",
    "permit_effect": "",
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
EXAMPLE_CHANGED = {
    **EXAMPLE_REGISTERED,
    "status": "changed",
    "station_code": "330102500010",
    "community_code": "330102003001",
}
EXAMPLE_CANCELLED = {
    **EXAMPLE_REGISTERED,
    "status": "cancelled",
    "cancelled_on": "2026-11-30",
    "cancel_reason": "left_city",
    "permit_effect": "no_current_registration",
}
REGISTRATION_CANCEL_CODES = {"": gettext_lazy("未注销"), **REGISTRATION_CANCEL_LABELS}
PERMIT_EFFECT_CODES = {"": gettext_lazy("未注销，无影响"), **PERMIT_EFFECT_LABELS}
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
预审（通过、退回补正、不予受理）居住证申请，维护办证窗口和预约日历，查看今日预约并标记到场或
未到场，规则与工作台页面相同。
The workbench API of the police zone: list, read, verify (register) and return residence
declarations, pre-review (pass, return with the one-time notice, reject) residence-permit
applications, keep the service windows and their capacity calendars, and list today's
appointments and mark arrivals and no-shows, within the officer's jurisdiction, under the same
rules as the pages.

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
            {
                "name": "windows",
                "description": "办证窗口与预约容量日历 / Service windows and capacity calendars",
            },
            {
                "name": "appointments",
                "description": "本所今日预约、到场签到与未到场 / Today's appointments, check-in "
                "and no-shows",
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
    cancelled_on: dt.date | None = Field(
        description="注销日期，注销后才有 / Cancellation date, once cancelled", examples=[None]
    )
    cancel_reason: code_list(REGISTRATION_CANCEL_CODES) = Field(  # type: ignore[valid-type]
        description=f"注销原因 / Why it was cancelled. 取值 / Codes: "
        f"{describe_codes(REGISTRATION_CANCEL_CODES)}",
        examples=[""],
    )
    permit_effect: code_list(PERMIT_EFFECT_CODES) = Field(  # type: ignore[valid-type]
        description=f"注销对居住证的影响 / What the cancellation means for a residence permit. "
        f"取值 / Codes: {describe_codes(PERMIT_EFFECT_CODES)}",
        examples=[""],
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
        cancelled_on=d.cancelled_on,
        cancel_reason=d.cancel_reason,
        permit_effect=d.permit_effect,
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


class RegistrationChangeIn(Schema):
    """窗口办理的居住登记变更 / A change recorded at the window (ZJ-11)"""

    changed_on: documented_str(format="date") = Field(  # type: ignore[valid-type]
        description="变更日期（年-月-日），不晚于今天、不早于登记日期 / Day of the change, not in "
        "the future nor before the registration",
        examples=["2026-11-28"],
    )
    community_code: documented_str(pattern=r"^[0-9]{12}$") | None = Field(  # type: ignore[valid-type]
        None,
        description="新的社区（村）代码，地址不变时省略；属其他派出所辖区的，登记转至该所 / New "
        "community code, omitted to keep the address; another station's area moves the "
        "registration there",
        examples=["330102003001"],
    )
    address_detail: documented_str(maxLength=200) | None = Field(  # type: ignore[valid-type]
        None,
        description="新的详细地址 / New detailed address",
        examples=["湖滨路 1 号"],
    )
    housing_type: code_list(HOUSING_TYPE_LABELS) | None = Field(  # type: ignore[valid-type]
        None,
        description=f"新住所类型，变更地址时必填 / Housing type, required with a new address. "
        f"取值 / Codes: {describe_codes(HOUSING_TYPE_LABELS)}",
        examples=["dormitory"],
    )
    landlord_name: documented_str(maxLength=50) | None = Field(  # type: ignore[valid-type]
        None,
        description="房东姓名，租住房屋必填 / Landlord's name, required for rented housing",
        examples=[None],
    )
    landlord_phone: documented_str(maxLength=20) | None = Field(  # type: ignore[valid-type]
        None, description="房东手机号码 / Landlord's mobile", examples=[None]
    )
    employer_name: documented_str(maxLength=100) | None = Field(  # type: ignore[valid-type]
        None,
        description="新的服务处所，不变时省略 / New workplace, omitted to keep it",
        examples=[None],
    )


class RegistrationCancelIn(Schema):
    reason: code_list(REGISTRATION_CANCEL_LABELS) = Field(  # type: ignore[valid-type]
        description=f"注销原因 / Why it is cancelled. 取值 / Codes: "
        f"{describe_codes(REGISTRATION_CANCEL_LABELS)}",
        examples=["left_city"],
    )
    note: documented_str(maxLength=500) | None = Field(  # type: ignore[valid-type]
        None,
        description="说明，原因为 other 时必填（至少4字）/ Note, required (4 characters or more) "
        "for other",
        examples=[None],
    )
    cancelled_on: dt.date | None = Field(
        None,
        description="注销日期，省略为今天 / Cancellation date, today when omitted",
        examples=["2026-11-30"],
    )


@api.post(
    "/declarations/{reference}/change",
    response={200: DeclarationOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="窗口办理登记变更 / Record a change at the window",
    description="为到窗口办理的人员记录居住地址和/或服务处所变更（ZJ-11）：变更之日起10日后办理的"
    "标记为逾期；新地址属其他派出所辖区的，登记转至该所。只有现辖区派出所的核查岗位可以办理"
    "（否则 403）；登记已注销或尚未登记答 409；内容有误答 400 `invalid_change`（逐项列出），"
    "没有变更内容答 400 `nothing_changed`。办理记入审计日志并通知本人。\n\n"
    "Records a change of address and/or workplace for a person at the window (ZJ-11): late "
    "when more than 10 days after the change; an address in another station's area moves the "
    "registration there. Only deciding roles of the station now responsible (403 otherwise); "
    "a cancelled or unregistered declaration answers 409; problems 400 `invalid_change` (each "
    "listed), nothing to change 400 `nothing_changed`. Audited; the resident is told.",
    openapi_extra=examples(
        request={
            "changed_on": "2026-11-28",
            "community_code": "330102003001",
            "address_detail": "湖滨路 1 号",
            "housing_type": "dormitory",
        },
        responses={200: EXAMPLE_CHANGED, 403: EXAMPLE_FORBIDDEN},
    ),
)
def change_registration(
    request: HttpRequest, reference: ReferencePath, body: RegistrationChangeIn
) -> DeclarationOut:
    change = registration_change_input(
        **{name: getattr(body, name) or "" for name in RegistrationChangeIn.model_fields}
    )
    row = registration_change_record(user=request.user, reference=reference, change=change)
    return _out(row.declaration)


@api.post(
    "/declarations/{reference}/cancel",
    response={200: DeclarationOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="注销登记 / Cancel a registration",
    description="注销居住登记（离开本市、重复登记、死亡或其他原因，其他原因须写明）；"
    "permit_effect 说明对居住证的影响。权限同变更；已注销答 409 `registration_cancelled`。"
    "\n\nCancels a registration (left the city, duplicate, died, or another reason written "
    "out); permit_effect says what it means for a residence permit. Same roles as a change; "
    "a cancelled one answers 409 `registration_cancelled`.",
    openapi_extra=examples(
        request={"reason": "left_city", "note": None, "cancelled_on": "2026-11-30"},
        responses={200: EXAMPLE_CANCELLED, 403: EXAMPLE_FORBIDDEN},
    ),
)
def cancel_registration(
    request: HttpRequest, reference: ReferencePath, body: RegistrationCancelIn
) -> DeclarationOut:
    return _out(
        registration_cancel(
            user=request.user,
            reference=reference,
            reason=body.reason,
            note=body.note or "",
            cancelled_on=body.cancelled_on,
        )
    )


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


@api.post(
    "/permits/{reference}/pass",
    response={200: PermitCaseOut, **DECISION_ERRORS},
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
    response={200: PermitCaseOut, **DECISION_ERRORS},
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
    response={200: PermitCaseOut, **DECISION_ERRORS},
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


# -- windows and capacity calendars (预约办, 就近办) -------------------------------------------

SERVICE_LABELS = dict(BOOKING_SERVICE_LABELS)
APPOINTMENT_STATUS_LABELS = {status.value: status.label for status in AppointmentStatus}
ServiceCode = code_list(SERVICE_LABELS)
AppointmentStatusCode = code_list(APPOINTMENT_STATUS_LABELS)
WindowCodeStr = documented_str(pattern=r"^[0-9]{6,24}$")
TimeStr = documented_str(pattern=r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$")
DateStr = documented_str(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
BookingReferenceStr = documented_str(pattern=r"^[A-Za-z0-9]{4,32}$")
WINDOW_TAGS = ["windows"]
APPOINTMENT_TAGS = ["appointments"]

EXAMPLE_WINDOW_CODE = "33010650002001"
EXAMPLE_WINDOW: dict[str, Any] = {
    "code": EXAMPLE_WINDOW_CODE,
    "station_code": "330106500020",
    "station_name": "杭州市公安局西湖区分局北山派出所",
    "district_code": "330106",
    "street_code": "330106002",
    "name": "北山派出所户籍窗口",
    "address": "杭州市西湖区北山街道北山路88号",
    "phone": "0571-87654321",
    "opening_hours": "周一至周五 08:30-12:00, 13:30-17:00；周六 09:00-12:00（法定节假日除外）",
    "lunch_starts": "12:00",
    "lunch_ends": "13:30",
    "counters": 3,
    "services": ["permit_first", "permit_endorsement", "permit_reissue"],
    "latitude": 30.259,
    "longitude": 120.13,
    "active": True,
    "can_edit": True,
}
EXAMPLE_WINDOW_IN: dict[str, Any] = {
    key: EXAMPLE_WINDOW[key]
    for key in (
        "opening_hours",
        "lunch_starts",
        "lunch_ends",
        "counters",
        "services",
        "phone",
        "address",
        "active",
    )
}
EXAMPLE_CALENDAR_IN: dict[str, Any] = {
    "slot_minutes": 20,
    "counters_per_slot": 2,
    "horizon_days": 14,
    "min_notice_minutes": 120,
    "online_quota_per_day": 30,
    "hours": [
        *({"weekday": d, "opens": "08:30", "closes": "17:00"} for d in range(5)),
        {"weekday": 5, "opens": "09:00", "closes": "12:00"},
    ],
    "holidays": ["2026-10-01", "2026-10-02"],
    "workdays": [{"date": "2026-10-10", "as_weekday": 0}],
    "closures": [{"date": "2026-12-24", "starts": "09:00", "ends": "12:00", "reason": "系统升级"}],
}
EXAMPLE_CALENDAR: dict[str, Any] = {
    "window_code": EXAMPLE_WINDOW_CODE,
    **EXAMPLE_CALENDAR_IN,
    "hours": [
        *(
            {
                "weekday": d,
                "opens": "08:30",
                "closes": "17:00",
                "lunch_starts": "12:00",
                "lunch_ends": "13:30",
            }
            for d in range(5)
        ),
        {
            "weekday": 5,
            "opens": "09:00",
            "closes": "12:00",
            "lunch_starts": None,
            "lunch_ends": None,
        },
    ],
    "can_edit": True,
}
EXAMPLE_WINDOW_INVALID = {
    "code": "window_invalid",
    "message": "窗口设置有误，请按提示更正后再保存",
    "message_en": "The window's settings have errors; correct them and save again",
    "errors": [
        {
            "field": "workdays",
            "code": "workday_not_weekend",
            "message": "调休上班日 2026-09-21 是周一，不是周末；调休上班日须为周六或周日",
            "message_en": "Make-up working day 2026-09-21 is a Monday, not a Saturday or Sunday",
        }
    ],
}
EXAMPLE_WINDOW_FORBIDDEN = {
    "code": "role_cannot_edit",
    "message": "只有本所管理员可以修改办证窗口和预约日历",
    "message_en": "Only the station's administrator may change the window and its calendar",
    "errors": [],
}
EXAMPLE_WINDOW_NOT_FOUND = {
    "code": "window_not_found",
    "message": "未找到该办证窗口",
    "message_en": "Service window not found",
    "errors": [],
}
EXAMPLE_BOOKING_REFERENCE = "YY26120112345678"
EXAMPLE_APPOINTMENT: dict[str, Any] = {
    "reference": EXAMPLE_BOOKING_REFERENCE,
    "window_code": EXAMPLE_WINDOW_CODE,
    "window_name": "北山派出所户籍窗口",
    "service": "permit_first",
    "starts_at": "2026-12-01T09:00:00+08:00",
    "ends_at": "2026-12-01T09:20:00+08:00",
    "name": "张三",
    "phone": "138****8000",
    "application_reference": "PA26112012345678",
    "status": "booked",
    "cancel_reason": "",
    "marked_at": None,
}
EXAMPLE_ALREADY_MARKED = {
    "code": "already_marked",
    "message": "该预约已标记为“已到场”，不能重复操作",
    "message_en": "This appointment is already marked checked_in",
    "errors": [],
}
EXAMPLE_APPOINTMENT_NOT_FOUND = {
    "code": "appointment_not_found",
    "message": "未找到该预约",
    "message_en": "Appointment not found",
    "errors": [],
}
EXAMPLE_APPOINTMENTS_FORBIDDEN = {
    "code": "role_cannot_read",
    "message": "只有本所受理民警和所管理员可以查看今日预约",
    "message_en": "Only the station's window clerks and administrator may see today's appointments",
    "errors": [],
}
SERVICES_DESCRIPTION = (
    f"办理业务 / Services offered. 取值 / Codes: {describe_codes(SERVICE_LABELS)}"
)
WEEKDAY_DESCRIPTION = "星期，0=周一 … 6=周日 / Weekday, 0 = Monday … 6 = Sunday"


class WindowOut(Schema):
    code: str = Field(description="窗口代码 / Window code", examples=[EXAMPLE_WINDOW_CODE])
    station_code: str = Field(description="派出所代码 / Station code", examples=["330106500020"])
    station_name: str = Field(
        description="派出所名称 / Station name", examples=["杭州市公安局西湖区分局北山派出所"]
    )
    district_code: str = Field(description="区县代码 / District code", examples=["330106"])
    street_code: str = Field(description="所在街道代码 / Street code", examples=["330106002"])
    name: str = Field(description="窗口名称 / Window name", examples=["北山派出所户籍窗口"])
    address: str = Field(description="地址 / Address", examples=[EXAMPLE_WINDOW["address"]])
    phone: str = Field(description="咨询电话 / Phone", examples=["0571-87654321"])
    opening_hours: str = Field(
        description="办公时间说明（居民看到的文字）/ Opening hours as residents read them",
        examples=[EXAMPLE_WINDOW["opening_hours"]],
    )
    lunch_starts: str | None = Field(
        description="午休开始（时:分），无午休为 null / Lunch break start (HH:MM), null if none",
        examples=["12:00"],
    )
    lunch_ends: str | None = Field(
        description="午休结束（时:分）/ Lunch break end (HH:MM)", examples=["13:30"]
    )
    counters: int = Field(description="柜台数 / Number of counters", examples=[3])
    services: list[ServiceCode] = Field(description=SERVICES_DESCRIPTION)
    latitude: float | None = Field(description="纬度（近似）/ Latitude, approximate")
    longitude: float | None = Field(description="经度（近似）/ Longitude, approximate")
    active: bool = Field(description="是否启用 / Whether residents may book it", examples=[True])
    can_edit: bool = Field(
        description="本人能否修改（所属派出所的所管理员）/ Whether you may change it (the "
        "administrator of its station)",
        examples=[True],
    )


class WindowIn(Schema):
    opening_hours: str = Field(
        description="办公时间说明，最多500字 / Opening hours text, at most 500 characters",
        json_schema_extra={"maxLength": 500},
        examples=[EXAMPLE_WINDOW["opening_hours"]],
    )
    lunch_starts: TimeStr | None = Field(
        None,
        description="午休开始（时:分），须在办公时间之内；不午休则省略或为 null / Lunch break "
        "start (HH:MM) inside the opening hours; omit or null for none",
        examples=["12:00"],
    )
    lunch_ends: TimeStr | None = Field(
        None, description="午休结束（时:分）/ Lunch break end (HH:MM)", examples=["13:30"]
    )
    counters: int = Field(
        description="柜台数（1至50，不少于预约日历中每个时段可预约人数）/ Counters (1 to 50, at "
        "least the calendar's bookings per slot)",
        examples=[3],
    )
    services: list[ServiceCode] = Field(
        description=f"{SERVICES_DESCRIPTION}；至少一项 / one at least"
    )
    phone: str = Field(
        description="咨询电话，如 0571-87654321 / Phone, such as 0571-87654321",
        json_schema_extra={"maxLength": 40},
        examples=["0571-87654321"],
    )
    address: str = Field(
        description="地址（必填，最多200字）/ Address (required, at most 200 characters)",
        json_schema_extra={"maxLength": 200},
        examples=[EXAMPLE_WINDOW["address"]],
    )
    active: bool = Field(description="是否启用 / Whether residents may book it", examples=[True])


class HoursOut(Schema):
    weekday: int = Field(description=WEEKDAY_DESCRIPTION, examples=[0])
    opens: str = Field(description="开门（时:分）/ Opens (HH:MM)", examples=["08:30"])
    closes: str = Field(description="关门（时:分）/ Closes (HH:MM)", examples=["17:00"])
    lunch_starts: str | None = Field(
        description="当天午休开始（窗口午休落在当天办公时间内时）/ Lunch start that day, when "
        "the window's lunch break lies inside the day's hours",
        examples=["12:00"],
    )
    lunch_ends: str | None = Field(
        description="当天午休结束 / Lunch end that day", examples=["13:30"]
    )


class HoursIn(Schema):
    weekday: int = Field(description=WEEKDAY_DESCRIPTION, examples=[0])
    opens: TimeStr = Field(description="开门（时:分）/ Opens (HH:MM)", examples=["08:30"])
    closes: TimeStr = Field(
        description="关门（时:分），须晚于开门 / Closes (HH:MM), after opening", examples=["17:00"]
    )


class WorkdaySchema(Schema):
    date: DateStr = Field(
        description="调休上班日，须为周六或周日 / Make-up working day, a Saturday or Sunday",
        examples=["2026-10-10"],
    )
    as_weekday: int = Field(
        0,
        description="按星期几的办公时间上班，0=周一 … 4=周五 / Worked with the hours of this "
        "weekday, 0 = Monday … 4 = Friday",
        examples=[0],
    )


class ClosureSchema(Schema):
    date: DateStr = Field(description="停办日期 / Date of the closure", examples=["2026-12-24"])
    starts: TimeStr | None = Field(
        None,
        description="停办开始（时:分），全天停办为 null / Closure start (HH:MM), null for the "
        "whole day",
        examples=["09:00"],
    )
    ends: TimeStr | None = Field(
        None, description="停办结束（时:分）/ Closure end (HH:MM)", examples=["12:00"]
    )
    reason: str = Field(
        "",
        description="原因，最多200字 / Reason, at most 200 characters",
        json_schema_extra={"maxLength": 200},
        examples=["系统升级"],
    )


class CalendarFields(Schema):
    slot_minutes: int = Field(
        description="时段长度（分钟，5至240，5的倍数）/ Slot length in minutes (5 to 240, a "
        "multiple of 5)",
        examples=[20],
    )
    counters_per_slot: int = Field(
        description="每个时段可预约人数（0至50，不超过柜台数）/ Bookings per slot (0 to 50, at "
        "most the counters)",
        examples=[2],
    )
    horizon_days: int = Field(
        description="可提前预约天数（1至90）/ How many days ahead residents may book (1 to 90)",
        examples=[14],
    )
    min_notice_minutes: int = Field(
        description="最少提前预约时间（分钟，0至10080）/ Minimum notice in minutes (0 to 10080)",
        examples=[120],
    )
    online_quota_per_day: int = Field(
        description="每日网上预约上限（0至10000），其余号源留给现场办理 / The day's online "
        "bookings at most (0 to 10000); the rest is for walk-ins",
        examples=[30],
    )
    holidays: list[DateStr] = Field(
        description="节假日（不办公）/ Holidays (closed)", examples=[["2026-10-01"]]
    )
    workdays: list[WorkdaySchema] = Field(description="调休上班日 / Make-up working days (调休)")
    closures: list[ClosureSchema] = Field(description="临时停办 / One-off closures")


class CalendarIn(CalendarFields):
    hours: list[HoursIn] = Field(
        description="每周办公时间，每个办公日一项，不办公的日子不列；午休在窗口设置中 / Weekly "
        "hours, one entry per open weekday; the lunch break is the window's",
        json_schema_extra={"maxItems": 7},
    )


class CalendarOut(CalendarFields):
    window_code: str = Field(description="窗口代码 / Window code", examples=[EXAMPLE_WINDOW_CODE])
    hours: list[HoursOut] = Field(
        description="每周办公时间，含当天的午休 / Weekly hours, with each day's lunch break"
    )
    can_edit: bool = Field(description="本人能否修改 / Whether you may change it", examples=[True])


class AppointmentOut(Schema):
    reference: str = Field(
        description="预约编号 / Booking reference", examples=[EXAMPLE_BOOKING_REFERENCE]
    )
    window_code: str = Field(description="窗口代码 / Window code", examples=[EXAMPLE_WINDOW_CODE])
    window_name: str = Field(description="窗口名称 / Window name", examples=["北山派出所户籍窗口"])
    service: ServiceCode = Field(
        description=f"业务 / Service. 取值 / Codes: {describe_codes(SERVICE_LABELS)}",
        examples=["permit_first"],
    )
    starts_at: dt.datetime = Field(
        description="时段开始 / Slot start", examples=["2026-12-01T09:00:00+08:00"]
    )
    ends_at: dt.datetime = Field(
        description="时段结束 / Slot end", examples=["2026-12-01T09:20:00+08:00"]
    )
    name: str = Field(description="姓名（接待用）/ Name, to greet the resident", examples=["张三"])
    phone: str = Field(description="手机号码（已遮蔽）/ Mobile, masked", examples=["138****8000"])
    application_reference: str = Field(
        description="对应的居住证申请编号（如有）/ The permit application it is for, if any",
        examples=["PA26112012345678"],
    )
    status: AppointmentStatusCode = Field(
        description=f"状态 / Status. 取值 / Codes: {describe_codes(APPOINTMENT_STATUS_LABELS)}",
        examples=["booked"],
    )
    cancel_reason: str = Field(
        description=f"取消原因代码，取消后才有 / Why cancelled, once cancelled: "
        f"{describe_codes(CANCEL_REASON_LABELS)}",
        examples=[""],
    )
    marked_at: dt.datetime | None = Field(
        description="标记到场或未到场的时间 / When arrival or no-show was marked",
        examples=[None],
    )


def _time_or_none(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _window_out(request: HttpRequest, w: Window) -> WindowOut:
    return WindowOut(
        code=w.code,
        station_code=w.station.code,
        station_name=w.station.name,
        district_code=w.station.district_code,
        street_code=w.street_code,
        name=w.name,
        address=w.address,
        phone=w.phone,
        opening_hours=w.opening_hours,
        lunch_starts=_time_or_none(w.lunch_starts),
        lunch_ends=_time_or_none(w.lunch_ends),
        counters=w.counters,
        services=list(w.services),
        latitude=None if w.latitude is None else float(w.latitude),
        longitude=None if w.longitude is None else float(w.longitude),
        active=w.active,
        can_edit=window_can_edit(user=request.user, window=w),
    )


def _calendar_out(request: HttpRequest, w: Window) -> CalendarOut:
    calendar = WindowCalendar.objects.filter(window=w).first()
    if calendar is None:
        raise WindowError(
            "calendar_missing",
            "该窗口还没有预约日历",
            "This window has no capacity calendar yet",
            status=404,
        )
    snapshot = calendar_snapshot(w, calendar, as_of=timezone.now())
    data = snapshot.model_dump(mode="json", exclude={"as_of"})
    for day in data["hours"]:
        for key in ("opens", "closes", "lunch_starts", "lunch_ends"):
            day[key] = day[key][:5] if day[key] else None
    for closure in data["closures"]:
        for key in ("starts", "ends"):
            closure[key] = closure[key][:5] if closure[key] else None
    return CalendarOut(**data, can_edit=window_can_edit(user=request.user, window=w))


WindowCodePath = Annotated[
    WindowCodeStr,
    Path(description="窗口代码 / Window code", example=EXAMPLE_WINDOW_CODE),
]
BookingReferencePath = Annotated[
    BookingReferenceStr,
    Path(description="预约编号 / Booking reference", example=EXAMPLE_BOOKING_REFERENCE),
]
WINDOW_EDIT_ERRORS = error_responses(400, 401, 403, 404, *BODY_ERRORS)


@api.get(
    "/windows",
    response={200: list[WindowOut], **error_responses(401, 403)},
    tags=WINDOW_TAGS,
    summary="辖区办证窗口 / The windows in my scope",
    description="所管理员看到本所的窗口，分局、市局管理员看到辖区内的全部窗口（只读）；其他岗位答 "
    "403 `role_cannot_read`。\n\n"
    "A station administrator sees the station's windows, district and city administrators "
    "every window of their scope (read only); other roles answer 403 `role_cannot_read`.",
    openapi_extra=examples(responses={200: [EXAMPLE_WINDOW]}),
)
def list_windows(request: HttpRequest) -> list[WindowOut]:
    return [_window_out(request, w) for w in windows_for_staff(user=request.user)]


@api.get(
    "/windows/{code}",
    response={200: WindowOut, **error_responses(401, 404)},
    tags=WINDOW_TAGS,
    summary="查看一个窗口 / One window",
    description="辖区内的一个窗口；辖区外或不存在的代码同样答 404。\n\n"
    "One window in the scope; outside it or unknown answers 404 alike.",
    openapi_extra=examples(responses={200: EXAMPLE_WINDOW, 404: EXAMPLE_WINDOW_NOT_FOUND}),
)
def get_window(request: HttpRequest, code: WindowCodePath) -> WindowOut:
    return _window_out(request, window_get_for_staff(user=request.user, code=code))


@api.post(
    "/windows/{code}",
    response={200: WindowOut, **WINDOW_EDIT_ERRORS},
    tags=WINDOW_TAGS,
    summary="修改窗口设置 / Change a window",
    description="修改窗口的办公时间说明、午休、柜台数、办理业务、电话、地址和启用状态，保存后即发布到"
    "网上服务平台并记入审计日志。只有窗口所属派出所的所管理员可以修改（否则 403，辖区外答 404）。"
    "全部问题一次列出（400 `window_invalid`，见 errors：如 `lunch_outside_hours` 午休超出办公时间、"
    "`fewer_than_bookings_per_slot`、`services_required`、`phone_format`）。\n\n"
    "Changes the window's hours text, lunch break, counters, services, phone, address and "
    "whether it is active; the change is published to the portal and audited. Only the "
    "administrator of the window's station may (403 otherwise, 404 outside the scope). Every "
    "problem at once (400 `window_invalid` with errors such as `lunch_outside_hours`, "
    "`fewer_than_bookings_per_slot`, `services_required`, `phone_format`).",
    openapi_extra=examples(
        request=EXAMPLE_WINDOW_IN,
        responses={
            200: EXAMPLE_WINDOW,
            400: EXAMPLE_WINDOW_INVALID,
            403: EXAMPLE_WINDOW_FORBIDDEN,
            404: EXAMPLE_WINDOW_NOT_FOUND,
        },
    ),
)
def update_window(request: HttpRequest, code: WindowCodePath, body: WindowIn) -> WindowOut:
    return _window_out(request, window_update(user=request.user, code=code, data=body.model_dump()))


@api.get(
    "/windows/{code}/calendar",
    response={200: CalendarOut, **error_responses(401, 404)},
    tags=WINDOW_TAGS,
    summary="窗口的预约日历 / A window's capacity calendar",
    description="辖区内一个窗口的预约容量日历，与发布到网上服务平台的内容相同；辖区外、不存在或尚无"
    "日历答 404。\n\n"
    "The capacity calendar of a window in the scope, as published to the portal; outside the "
    "scope, unknown or without a calendar answers 404.",
    openapi_extra=examples(responses={200: EXAMPLE_CALENDAR, 404: EXAMPLE_WINDOW_NOT_FOUND}),
)
def get_calendar(request: HttpRequest, code: WindowCodePath) -> CalendarOut:
    return _calendar_out(request, window_get_for_staff(user=request.user, code=code))


@api.post(
    "/windows/{code}/calendar",
    response={200: CalendarOut, **WINDOW_EDIT_ERRORS},
    tags=WINDOW_TAGS,
    summary="修改预约日历 / Change a window's calendar",
    description="整体替换窗口的预约容量日历（时段长度、每时段人数、可提前天数、最少提前时间、每日网上"
    "预约上限、每周办公时间、节假日、调休上班日、临时停办），保存后即发布到网上服务平台并记入审计"
    "日志；网上服务平台据此改约或取消不再符合的预约。权限同修改窗口。全部问题一次列出（400 "
    "`window_invalid`，如 `closes_before_opens`、`workday_not_weekend` 调休上班日不是周末、"
    "`workday_is_holiday`、`more_than_counters`、`lunch_outside_hours`）。\n\n"
    "Replaces the window's capacity calendar as a whole (slot length, bookings per slot, "
    "horizon, minimum notice, daily online quota, weekly hours, holidays, make-up working "
    "days, closures); it is published to the portal, which moves or cancels the bookings that "
    "no longer fit, and audited. Same permissions as changing the window. Every problem at "
    "once (400 `window_invalid`, e.g. `closes_before_opens`, `workday_not_weekend`, "
    "`workday_is_holiday`, `more_than_counters`, `lunch_outside_hours`).",
    openapi_extra=examples(
        request=EXAMPLE_CALENDAR_IN,
        responses={
            200: EXAMPLE_CALENDAR,
            400: EXAMPLE_WINDOW_INVALID,
            403: EXAMPLE_WINDOW_FORBIDDEN,
            404: EXAMPLE_WINDOW_NOT_FOUND,
        },
    ),
)
def update_calendar(request: HttpRequest, code: WindowCodePath, body: CalendarIn) -> CalendarOut:
    window_calendar_update(user=request.user, code=code, data=body.model_dump())
    return _calendar_out(request, window_get_for_staff(user=request.user, code=code))


def _appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        reference=a.reference,
        window_code=a.window.code,
        window_name=a.window.name,
        service=a.service,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        name=a.name,
        phone=a.phone_masked,
        application_reference=a.application_reference,
        status=a.status,
        cancel_reason=a.cancel_reason,
        marked_at=a.marked_at,
    )


@api.get(
    "/appointments/today",
    response={200: list[AppointmentOut], **error_responses(401, 403)},
    tags=APPOINTMENT_TAGS,
    summary="今日预约 / Today's appointments",
    description="本所今天的全部预约（含已取消的），按时间排列。只有本所受理民警和所管理员可以查看"
    "（否则 403 `role_cannot_read`）；读取记入审计日志。\n\n"
    "Today's appointments at the officer's station by time, cancelled ones included. Window "
    "clerks and the station administrator only (403 `role_cannot_read` otherwise); the read "
    "is audited.",
    openapi_extra=examples(
        responses={200: [EXAMPLE_APPOINTMENT], 403: EXAMPLE_APPOINTMENTS_FORBIDDEN}
    ),
)
def list_appointments_today(request: HttpRequest) -> list[AppointmentOut]:
    rows = appointments_today_for_staff(user=request.user, purpose="api_appointments_today")
    return [_appointment_out(a) for a in rows]


ATTENDANCE_ERRORS = error_responses(401, 403, 404, 409, 413, 415)


@api.post(
    "/appointments/{reference}/check-in",
    response={200: AppointmentOut, **ATTENDANCE_ERRORS},
    tags=APPOINTMENT_TAGS,
    summary="到场签到 / Check in",
    description="居民已到窗口：标记为已到场，并告知网上服务平台。只能在预约当天"
    "（409 `not_today`），对已取消（409 `cancelled`）或已标记（409 `already_marked`）的预约"
    "不能操作；其他派出所的预约答 404。\n\n"
    "The resident has arrived: marks the appointment checked in and tells the portal. Only on "
    "the appointment's day (409 `not_today`), never on a cancelled (409 `cancelled`) or "
    "already marked one (409 `already_marked`); another station's appointment answers 404.",
    openapi_extra=examples(
        responses={
            200: {
                **EXAMPLE_APPOINTMENT,
                "status": "checked_in",
                "marked_at": "2026-12-01T08:55:00+08:00",
            },
            404: EXAMPLE_APPOINTMENT_NOT_FOUND,
            409: EXAMPLE_ALREADY_MARKED,
        }
    ),
)
def check_in_appointment(request: HttpRequest, reference: BookingReferencePath) -> AppointmentOut:
    return _appointment_out(appointment_check_in(user=request.user, reference=reference))


@api.post(
    "/appointments/{reference}/no-show",
    response={200: AppointmentOut, **ATTENDANCE_ERRORS},
    tags=APPOINTMENT_TAGS,
    summary="标记未到场 / Mark a no-show",
    description="预约时段结束居民仍未到：标记为未到场，并告知网上服务平台。时段结束前答 409 "
    "`slot_not_over`；其余规则同到场签到。\n\n"
    "The slot is over and the resident has not come: marks a no-show and tells the portal. "
    "Before the slot ends it answers 409 `slot_not_over`; otherwise as check-in.",
    openapi_extra=examples(
        responses={
            200: {
                **EXAMPLE_APPOINTMENT,
                "status": "no_show",
                "marked_at": "2026-12-01T09:25:00+08:00",
            },
            404: EXAMPLE_APPOINTMENT_NOT_FOUND,
            409: EXAMPLE_ALREADY_MARKED,
        }
    ),
)
def no_show_appointment(request: HttpRequest, reference: BookingReferencePath) -> AppointmentOut:
    return _appointment_out(appointment_mark_no_show(user=request.user, reference=reference))
