"""The channel API at `/api/v1/` (OpenAPI at `/api/v1/openapi.json`, docs at `/api/v1/docs`).

Every error answers one documented body (`onetrip.common.api.ErrorOut`): `{"code", "message"
(Chinese), "message_en", "errors": [...]}`, mapped from `ApplicationError` in one handler.
The code lists and field limits in the document come from their one source (the contract, the
portal's models and `GUARDIAN_RELATIONS`); the declaration service checks them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, fields
from typing import Annotated, Any, Literal, get_args, get_origin

from annotated_types import MaxLen, MinLen
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Path, Query, Schema, Status
from pydantic import create_model

from onetrip.common import divisions
from onetrip.common.api import (
    DocumentedAPI,
    code_list,
    describe_codes,
    documented_str,
    error_responses,
    examples,
    install_error_handlers,
)
from onetrip.common.http import client_address
from onetrip.contracts.declarations import (
    CANCEL_REASON_LABELS,
    CHANGE_CHANNEL_LABELS,
    HOUSING_TYPE_LABELS,
    PERMIT_EFFECT_LABELS,
    RESIDENCE_REASON_LABELS,
    SEX_LABELS,
    DeclarationSubmittedV1,
)
from onetrip.portal.accounts.models import Resident
from onetrip.portal.accounts.services import login_code_request, login_code_verify
from onetrip.portal.declarations.changes import (
    ChangeInput,
    registration_cancel_declare,
    registration_change_declare,
)
from onetrip.portal.declarations.models import (
    Declaration,
    DeclarationStatus,
    EventStatus,
    RegistrationRequest,
)
from onetrip.portal.declarations.selectors import declaration_of_resident, declarations_of
from onetrip.portal.declarations.services import (
    GUARDIAN_RELATIONS,
    DeclarationInput,
    declaration_progress_lookup,
    declaration_resubmit,
    declaration_submit,
)

from .auth import TOKEN_MAX_AGE_SECONDS, ResidentBearer, token_for
from .booking import router as booking_router
from .guidance import router as guidance_router
from .permits import router as permits_router
from .reporting import router as reporting_router
from .windows import router as windows_router

# --- Code lists, each from its one source ------------------------------------------------------

DECLARATION_STATUS_LABELS = {status.value: status.label for status in DeclarationStatus}
EVENT_STATUS_LABELS = {status.value: status.label for status in EventStatus}
REQUEST_KIND_LABELS = {kind.value: kind.label for kind in RegistrationRequest.Kind}
REQUEST_STATE_LABELS = {state.value: state.label for state in RegistrationRequest.State}
# An empty code while the registration stands.
PERMIT_EFFECT_CODES = {"": gettext_lazy("未注销，无影响"), **PERMIT_EFFECT_LABELS}
CANCEL_REASON_CODES = {"": gettext_lazy("未注销"), **CANCEL_REASON_LABELS}

# The code list of each declared field that has one.
CODE_LISTS: dict[str, dict[str, Any]] = {
    "sex": SEX_LABELS,
    "housing_type": HOUSING_TYPE_LABELS,
    "reason": RESIDENCE_REASON_LABELS,
    "guardian_relation": GUARDIAN_RELATIONS,
}


def _check_code_lists() -> None:
    """Fail at import if a code list here names other codes than the contract's `Literal`."""
    for name, labels in CODE_LISTS.items():
        annotation = DeclarationSubmittedV1.model_fields[name].annotation
        if get_origin(annotation) is Literal and set(get_args(annotation)) != set(labels):
            raise ImportError(f"{name}: codes {get_args(annotation)} differ from {list(labels)}")


_check_code_lists()

PHONE_PATTERN = r"^1[3-9][0-9]{9}$"
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9Xx]$"
REFERENCE_PATTERN = r"^[A-Za-z]{2}[0-9]{14}$"
NULL_MEANS_EMPTY = "可省略或为 null，均视为未填写 / May be omitted or null; both mean not given"

PhoneStr = documented_str(pattern=PHONE_PATTERN)
ReferenceStr = documented_str(pattern=REFERENCE_PATTERN)
DeclarationStatusCode = code_list(DECLARATION_STATUS_LABELS)
EventStatusCode = code_list(EVENT_STATUS_LABELS)
DateStr = documented_str(format="date")
IdSuffixStr = documented_str(pattern=r"^[0-9]{5}[0-9Xx]$")
LoginCodeStr = documented_str(pattern=r"^[0-9]{6}$")
DistrictCode = documented_str(pattern=r"^[0-9]{6}$")
StreetCode = documented_str(pattern=r"^[0-9]{9}$")

# --- Examples ------------------------------------------------------------------------------------

EXAMPLE_PHONE = "13800138000"
EXAMPLE_REFERENCE = "JZ26112012345678"
EXAMPLE_DECLARATION: dict[str, Any] = {
    "name": "张三",
    "id_number": "33010619900101123X",
    "sex": "M",
    "birth_date": "1990-01-01",
    "phone": EXAMPLE_PHONE,
    "community_code": "330106002001",
    "address_detail": "曙光路 12 号 3 幢 201 室",
    "housing_type": "rented",
    "reason": "work",
    "arrival_date": "2026-11-20",
    "landlord_name": "李四",
    "landlord_phone": "13900139000",
    "employer_name": "杭州示例科技有限公司",
    "guardian_name": None,
    "guardian_id_number": None,
    "guardian_relation": None,
}
EXAMPLE_STATUS: dict[str, Any] = {
    "reference": EXAMPLE_REFERENCE,
    "status": "registered",
    "status_label": "已登记",
    "station_name": "杭州市公安局西湖区分局北山派出所",
    "registration_number": "3301065000202026000001",
    "registered_on": "2026-11-22",
    "return_reason": "",
    "submitted_at": "2026-11-20T09:30:00+08:00",
    "cancelled_on": None,
    "cancel_reason": "",
    "permit_effect": "",
    "history": [
        {
            "status": "submitted",
            "step": "submitted",
            "status_label": "已提交",
            "note": "",
            "request_reference": "",
            "at": "2026-11-20T09:30:00+08:00",
        },
        {
            "status": "received",
            "step": "received",
            "status_label": "派出所已接收",
            "note": "杭州市公安局西湖区分局北山派出所",
            "request_reference": "",
            "at": "2026-11-20T09:31:00+08:00",
        },
        {
            "status": "registered",
            "step": "registered",
            "status_label": "已登记",
            "note": "3301065000202026000001",
            "request_reference": "",
            "at": "2026-11-22T10:00:00+08:00",
        },
    ],
    "requests": [],
}
EXAMPLE_CHANGE_REFERENCE = "BG26120112345678"
EXAMPLE_CHANGE_IN: dict[str, Any] = {
    "changed_on": "2026-11-28",
    "community_code": "330106002002",
    "address_detail": "文三路 100 号 2 幢 301 室",
    "housing_type": "owned",
    "landlord_name": None,
    "landlord_phone": None,
    "employer_name": None,
}
EXAMPLE_REQUEST: dict[str, Any] = {
    "reference": EXAMPLE_CHANGE_REFERENCE,
    "kind": "change",
    "state": "pending",
    "channel": "online",
    "effective_on": "2026-11-28",
    "address_changed": True,
    "community_code": "330106002002",
    "address_detail": "文三路 100 号 2 幢 301 室",
    "workplace_changed": False,
    "employer_name": "",
    "late": None,
    "reject_reason": "",
    "submitted_at": "2026-12-01T09:00:00+08:00",
}
EXAMPLE_CHANGE_SUBMITTED: dict[str, Any] = {
    **EXAMPLE_STATUS,
    "history": [
        *EXAMPLE_STATUS["history"],
        {
            "status": "registered",
            "step": "change_submitted",
            "status_label": "已申报变更",
            "note": "",
            "request_reference": EXAMPLE_CHANGE_REFERENCE,
            "at": "2026-12-01T09:00:00+08:00",
        },
    ],
    "requests": [EXAMPLE_REQUEST],
}
EXAMPLE_CANCEL_SUBMITTED: dict[str, Any] = {
    **EXAMPLE_STATUS,
    "history": [
        *EXAMPLE_STATUS["history"],
        {
            "status": "registered",
            "step": "cancel_submitted",
            "status_label": "已申请注销",
            "note": "",
            "request_reference": "ZX26120112345678",
            "at": "2026-12-01T09:00:00+08:00",
        },
    ],
    "requests": [
        {
            **EXAMPLE_REQUEST,
            "reference": "ZX26120112345678",
            "kind": "cancel",
            "effective_on": "2026-11-30",
            "address_changed": False,
            "community_code": "",
            "address_detail": "",
        }
    ],
}
EXAMPLE_DISTRICT = {"code": "330106", "name": "西湖区"}

# --- The declaration as the API takes it ---------------------------------------------------------

# What each declared field means, with the pattern of its canonical form where it has one.
DECLARED_FIELD_DOCS: dict[str, dict[str, Any]] = {
    "name": {"zh": "姓名", "en": "Full name"},
    "id_number": {
        "zh": "公民身份号码（18位，末位可为 X）",
        "en": "Resident ID number (18 characters, the last may be X)",
        "pattern": ID_NUMBER_PATTERN,
    },
    "sex": {
        "zh": "性别；由身份号码读出，可不填，填写时须与身份号码一致（也接受“男”“女”）",
        "en": "Sex; read from the ID number, so it may be left out; if given it must agree "
        "(男/女 are accepted too)",
    },
    "birth_date": {
        "zh": "出生日期（年-月-日）；由身份号码读出，可不填，填写时须与身份号码一致",
        "en": "Birth date (YYYY-MM-DD); read from the ID number, so it may be left out; if given "
        "it must agree",
    },
    "phone": {
        "zh": "申报人手机号码",
        "en": "The declarant's mobile number",
        "pattern": PHONE_PATTERN,
    },
    "community_code": {
        "zh": "现居住地社区（村）代码，12位，须在本市；可从 /divisions 接口逐级查得",
        "en": "Code of the community lived in (12 digits, in this city); see /divisions",
        "pattern": r"^[0-9]{12}$",
    },
    "address_detail": {
        "zh": "详细地址（路、小区、楼栋、门牌号）",
        "en": "Detailed address (road, estate, building, room)",
    },
    "housing_type": {"zh": "住所类型", "en": "Housing type"},
    "reason": {"zh": "居住事由", "en": "Reason for living here"},
    "arrival_date": {
        "zh": "来本地日期（年-月-日），不晚于今天、不早于出生日期",
        "en": "Arrival date (YYYY-MM-DD), not in the future nor before the birth date",
    },
    "landlord_name": {
        "zh": "房东（出租人）姓名；住所类型为 rented 时必填",
        "en": "Landlord's name; required when housing_type is rented",
    },
    "landlord_phone": {
        "zh": "房东手机号码",
        "en": "Landlord's mobile number",
        "pattern": PHONE_PATTERN,
    },
    "employer_name": {"zh": "工作单位名称", "en": "Employer's name"},
    "guardian_name": {
        "zh": "监护人姓名；申报人未满16周岁时必填",
        "en": "Guardian's name; required when the declarant is under 16",
        "example": "张大",
    },
    "guardian_id_number": {
        "zh": "监护人公民身份号码；申报人未满16周岁时必填，监护人须年满18周岁",
        "en": "Guardian's resident ID number; required under 16; the guardian must be 18 or over",
        "pattern": ID_NUMBER_PATTERN,
        "example": "33010619900101123X",
    },
    "guardian_relation": {
        "zh": "监护人与申报人的关系；申报人未满16周岁时必填",
        "en": "The guardian's relationship to the declarant; required under 16",
        "example": "parent",
    },
}


def _declared_field(name: str, required: bool) -> tuple[Any, Any]:
    """The API field of one declared field: limits from the contract, the code list from its
    source, the words and pattern from `DECLARED_FIELD_DOCS`."""
    contract = DeclarationSubmittedV1.model_fields[name]
    doc = DECLARED_FIELD_DOCS[name]
    description = f"{doc['zh']} / {doc['en']}"
    if name in CODE_LISTS:
        field_type = code_list(CODE_LISTS[name])
        description += f". 取值 / Codes: {describe_codes(CODE_LISTS[name])}"
    elif contract.annotation is dt.date:
        field_type = documented_str(format="date")
    else:
        keywords: dict[str, Any] = {}
        for rule in contract.metadata:
            if isinstance(rule, MaxLen):
                keywords["maxLength"] = rule.max_length
            elif isinstance(rule, MinLen):
                keywords["minLength"] = rule.min_length
        if "pattern" in doc:
            keywords["pattern"] = doc["pattern"]
        field_type = documented_str(**keywords)
    example = doc.get("example", EXAMPLE_DECLARATION[name])
    if required:
        return field_type, Field(..., description=description, examples=[example])
    return (
        field_type | None,
        Field(None, description=f"{description}. {NULL_MEANS_EMPTY}", examples=[example]),
    )


# The API takes exactly what the page takes: the fields of DeclarationInput, as strings, checked
# by the service, which reports every problem at once (400 `invalid_declaration`).
DeclarationIn = create_model(  # type: ignore[call-overload]
    "DeclarationIn",
    __base__=Schema,
    __doc__="居住登记申报内容 / A residence declaration",
    **{f.name: _declared_field(f.name, f.default is MISSING) for f in fields(DeclarationInput)},
)


def _declaration_input(body: Any) -> Any:
    """The service's input from the body; an omitted or null optional field is empty."""
    return DeclarationInput(
        **{f.name: getattr(body, f.name) or "" for f in fields(DeclarationInput)}
    )


# --- The other bodies and answers ---------------------------------------------------------------


class PhoneIn(Schema):
    phone: PhoneStr = Field(
        description="接收验证码的手机号码 / Mobile number to send the code to",
        examples=[EXAMPLE_PHONE],
    )


class SentOut(Schema):
    sent: bool = Field(description="验证码已排队发送 / The code is queued for sending")


class LoginIn(Schema):
    phone: PhoneStr = Field(
        description="收到验证码的手机号码 / The mobile number the code was sent to",
        examples=[EXAMPLE_PHONE],
    )
    code: LoginCodeStr = Field(
        description="短信中的6位验证码，5分钟内有效 / The 6-digit code from the SMS, valid "
        "for 5 minutes",
        examples=["123456"],
    )


class TokenOut(Schema):
    token: str = Field(
        description="访问令牌，放在 Authorization: Bearer 头中 / Bearer token for the "
        "Authorization header",
        examples=["eyJyaWQiOiIxIn0:1vXyZa:abcdefghijklmnopqrstuvwxyz012345678"],
    )
    token_type: str = Field(
        "Bearer",
        description="令牌类型 / Token type",
        examples=["Bearer"],
    )
    expires_in: int = Field(
        description="有效期（秒）/ Seconds until the token expires",
        examples=[TOKEN_MAX_AGE_SECONDS],
    )


class EventOut(Schema):
    status: DeclarationStatusCode = Field(
        description=f"该步骤之后申报的状态 / The declaration's status after this step. "
        f"取值 / Codes: {describe_codes(DECLARATION_STATUS_LABELS)}",
        examples=["received"],
    )
    step: EventStatusCode = Field(
        description=f"这一步是什么：申报的状态，或对登记提出的变更、注销申请 / What this step "
        f"was: a status of the declaration, or a request about the registration. 取值 / Codes: "
        f"{describe_codes(EVENT_STATUS_LABELS)}",
        examples=["received"],
    )
    status_label: str = Field(
        description="这一步的中文名称 / This step in words", examples=["派出所已接收"]
    )
    note: str = Field(
        description="说明：派出所名称、登记编号或退回原因 / Note: station, registration number "
        "or reason",
        examples=["杭州市公安局西湖区分局北山派出所"],
    )
    request_reference: str = Field(
        description="这一步涉及的变更或注销申请编号（见 requests），其他步骤为空 / The change "
        "or cancellation this step is about (see requests); empty otherwise",
        examples=[""],
    )
    at: dt.datetime = Field(description="时间 / When", examples=["2026-11-20T09:31:00+08:00"])


class RequestOut(Schema):
    reference: str = Field(
        description="变更或注销申请编号 / Reference of the change or cancellation",
        examples=[EXAMPLE_CHANGE_REFERENCE],
    )
    kind: code_list(REQUEST_KIND_LABELS) = Field(  # type: ignore[valid-type]
        description=f"类别 / Kind. 取值 / Codes: {describe_codes(REQUEST_KIND_LABELS)}",
        examples=["change"],
    )
    state: code_list(REQUEST_STATE_LABELS) = Field(  # type: ignore[valid-type]
        description=f"办理情况 / State. 取值 / Codes: {describe_codes(REQUEST_STATE_LABELS)}",
        examples=["pending"],
    )
    channel: code_list(CHANGE_CHANNEL_LABELS) = Field(  # type: ignore[valid-type]
        description=f"办理渠道 / Channel. 取值 / Codes: {describe_codes(CHANGE_CHANNEL_LABELS)}",
        examples=["online"],
    )
    effective_on: dt.date = Field(
        description="变更日期，注销申请为离开本市日期 / Day of the change; for a cancellation "
        "the day of leaving",
        examples=["2026-11-28"],
    )
    address_changed: bool = Field(
        description="是否变更居住地址 / Whether the address changes", examples=[True]
    )
    community_code: str = Field(
        description="新的社区（村）代码，地址未变为空 / New community code; empty if the "
        "address stays",
        examples=["330106002002"],
    )
    address_detail: str = Field(
        description="新的详细地址，地址未变为空 / New detailed address; empty if it stays",
        examples=["文三路 100 号 2 幢 301 室"],
    )
    workplace_changed: bool = Field(
        description="是否变更服务处所 / Whether the workplace changes", examples=[False]
    )
    employer_name: str = Field(
        description="新的服务处所，未变为空 / New workplace; empty if it stays", examples=[""]
    )
    late: bool | None = Field(
        description="是否逾期申报（变更之日起10日后申报，ZJ-11），派出所办理后才有 / Declared "
        "more than 10 days after the change (ZJ-11); known once the station recorded it",
        examples=[None],
    )
    reject_reason: str = Field(
        description="未能办理的原因 / Why it could not be done, if so", examples=[""]
    )
    submitted_at: dt.datetime = Field(
        description="提交时间 / When it was submitted", examples=["2026-12-01T09:00:00+08:00"]
    )


class StatusOut(Schema):
    reference: str = Field(
        description="申报编号 / Declaration reference", examples=[EXAMPLE_REFERENCE]
    )
    status: DeclarationStatusCode = Field(
        description=f"办理状态 / Status. 取值 / Codes: {describe_codes(DECLARATION_STATUS_LABELS)}",
        examples=["registered"],
    )
    status_label: str = Field(description="状态的中文名称 / Status in words", examples=["已登记"])
    station_name: str = Field(
        description="受理派出所，接收前为空 / Responsible station; empty until received",
        examples=["杭州市公安局西湖区分局北山派出所"],
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
        description="退回原因，退回时才有 / Why it was returned, if returned", examples=[""]
    )
    submitted_at: dt.datetime = Field(
        description="提交时间 / When it was submitted", examples=["2026-11-20T09:30:00+08:00"]
    )
    cancelled_on: dt.date | None = Field(
        description="注销日期，注销后才有 / Day the registration was cancelled, once cancelled",
        examples=[None],
    )
    cancel_reason: code_list(CANCEL_REASON_CODES) = Field(  # type: ignore[valid-type]
        description=f"注销原因 / Why it was cancelled. 取值 / Codes: "
        f"{describe_codes(CANCEL_REASON_CODES)}",
        examples=[""],
    )
    permit_effect: code_list(PERMIT_EFFECT_CODES) = Field(  # type: ignore[valid-type]
        description=f"注销对居住证的影响 / What the cancellation means for a residence permit. "
        f"取值 / Codes: {describe_codes(PERMIT_EFFECT_CODES)}",
        examples=[""],
    )
    history: list[EventOut] = Field(description="办理经过，按时间先后 / History, oldest first")
    requests: list[RequestOut] = Field(
        description="登记后的变更和注销申请，按提交先后 / Changes and cancellations of the "
        "registration, oldest first"
    )


class DivisionOut(Schema):
    code: str = Field(description="区划代码 / Division code", examples=["330106"])
    name: str = Field(description="名称 / Name", examples=["西湖区"])


def _history(d: Declaration) -> list[EventOut]:
    """Each step with the declaration's status after it: a request about the registration
    leaves the status as it was until the station answers."""
    rows = []
    status = DeclarationStatus.SUBMITTED.value
    for e in d.events.all():
        if e.status in DECLARATION_STATUS_LABELS:
            status = e.status
        rows.append(
            EventOut(
                status=status,
                step=e.status,
                status_label=str(e.get_status_display()),
                note=e.note,
                request_reference=e.request.reference if e.request_id else "",  # type: ignore[union-attr]
                at=e.at,
            )
        )
    return rows


def _status(d: Declaration, *, personal: bool = True) -> StatusOut:
    """The declaration as its owner sees it; without `personal` (the progress lookup without
    sign-in, WF-2) the requests keep their dates and states but no address or workplace."""
    return StatusOut(
        reference=d.reference,
        status=d.status,
        status_label=str(d.get_status_display()),
        station_name=d.station_name,
        registration_number=d.registration_number,
        registered_on=d.registered_on,
        return_reason=d.return_reason,
        submitted_at=d.submitted_at,
        cancelled_on=d.cancelled_on,
        cancel_reason=d.cancel_reason,
        permit_effect=d.permit_effect,
        history=_history(d),
        requests=[
            RequestOut(
                reference=r.reference,
                kind=r.kind,
                state=r.state,
                channel=r.channel,
                effective_on=r.effective_on,
                address_changed=r.address_changed,
                community_code=r.community_code if personal else "",
                address_detail=r.address_detail if personal else "",
                workplace_changed=r.workplace_changed,
                employer_name=r.employer_name if personal else "",
                late=r.late,
                reject_reason=r.reject_reason,
                submitted_at=r.submitted_at,
            )
            for r in d.requests.all()
        ],
    )


# --- The API -------------------------------------------------------------------------------------

DESCRIPTION = f"""居住证服务平台渠道接口：登录、居住登记自主申报、办理进度查询和行政区划。
The channel API of the residence-permit platform: sign-in, residence declarations, progress
and administrative divisions.

**登录 / Sign-in.** `POST /auth/sms-code` 发送短信验证码，`POST /auth/token` 用验证码换取访问令牌，
之后在需要登录的接口带上 `Authorization: Bearer <token>`（有效期 {TOKEN_MAX_AGE_SECONDS} 秒）。
Request a code, exchange it for a token, then send `Authorization: Bearer <token>`.

**错误 / Errors.** 所有错误都答同一个结构 `ErrorOut`：`code`（稳定的代码）、`message`（中文）、
`message_en`、`field`、`errors`（逐字段的全部问题）和 `retry_after`。400 为业务规则拒绝，
422 为请求不符合本文档（缺字段、类型不对），429 带 `Retry-After` 头。
Every error answers `ErrorOut`; 400 is a business rule, 422 a request that does not match this
document, 429 carries `Retry-After`.

**取值与空值 / Codes and null.** 代码字段只接受文档 `enum` 中的代码，说明中列出每个代码的含义。
可选字段可以省略或传 `null`，均视为未填写。日期为 `YYYY-MM-DD`，时间为带时区的 ISO 8601。
Coded fields take the codes in `enum`; optional fields may be omitted or `null`; dates are
`YYYY-MM-DD`, times ISO 8601 with an offset.
"""

api = DocumentedAPI(
    title="OneTrip channel API",
    version="1",
    urls_namespace="portal_api",
    description=DESCRIPTION,
    openapi_extra={
        "tags": [
            {"name": "auth", "description": "短信验证码登录 / Sign-in by SMS code"},
            {"name": "declarations", "description": "居住登记自主申报 / Residence declarations"},
            {"name": "progress", "description": "免登录进度查询 / Progress without sign-in"},
            {"name": "divisions", "description": "本市行政区划 / This city's divisions"},
            {
                "name": "guidance",
                "description": "政策法规、办事指南、你问我答、材料样例 / Guidance content",
            },
            {
                "name": "reporting",
                "description": "单位报送（用工单位、租赁中介、物业）/ Organisations' reports",
            },
        ]
    },
)
install_error_handlers(api)
api.add_router("/permit", permits_router)
api.add_router("/booking", booking_router)
api.add_router("/windows", windows_router)
api.add_router("/reporting", reporting_router)
api.add_router("/guidance", guidance_router)

BODY_ERRORS = (413, 415, 422)


@api.post(
    "/auth/sms-code",
    response={202: SentOut, **error_responses(400, *BODY_ERRORS, 429)},
    tags=["auth"],
    summary="申请短信验证码 / Request an SMS login code",
    description="向手机号码发送6位登录验证码，5分钟内有效。同一号码60秒内只能申请一次、每天最多10次，"
    "同一网络每小时有上限，超出时答 429 并带 Retry-After。\n\n"
    "Sends a 6-digit login code, valid for 5 minutes. One code a minute and ten a day per number, "
    "and a limit per network an hour; beyond them 429 with Retry-After.",
    openapi_extra=examples(
        request={"phone": EXAMPLE_PHONE},
        responses={
            202: {"sent": True},
            400: {
                "code": "phone_format",
                "message": "请输入11位中国大陆手机号码",
                "message_en": "Enter an 11-digit mainland China mobile number",
                "field": "phone",
                "errors": [],
            },
            429: {
                "code": "code_throttled",
                "message": "验证码发送过于频繁，请42秒后再试",
                "message_en": "A code was sent a moment ago; try again in 42 seconds",
                "field": "phone",
                "errors": [],
                "retry_after": 42,
            },
        },
    ),
)
def request_sms_code(request: HttpRequest, body: PhoneIn) -> Status[SentOut]:
    """Send a login code by SMS to the resident's mobile."""
    login_code_request(phone=body.phone, client_ip=client_address(request))
    return Status(202, SentOut(sent=True))


@api.post(
    "/auth/token",
    response={200: TokenOut, **error_responses(400, *BODY_ERRORS)},
    tags=["auth"],
    summary="用验证码换取访问令牌 / Exchange the SMS code for a token",
    description="验证码正确时答访问令牌；首次登录的号码同时开户。验证码错误5次后作废。"
    "400 的 code：phone_format、code_format、code_missing、code_used、code_expired、"
    "code_attempts、code_wrong。\n\n"
    "Answers a bearer token for the right code; a number's first sign-in opens its account. "
    "Five wrong tries void the code.",
    openapi_extra=examples(
        request={"phone": EXAMPLE_PHONE, "code": "123456"},
        responses={
            200: {
                "token": "eyJyaWQiOiIxIn0:1vXyZa:abcdefghijklmnopqrstuvwxyz012345678",
                "token_type": "Bearer",
                "expires_in": TOKEN_MAX_AGE_SECONDS,
            },
            400: {
                "code": "code_wrong",
                "message": "验证码不正确，还可尝试4次",
                "message_en": "The code is wrong; 4 tries left",
                "field": "code",
                "errors": [],
            },
        },
    ),
)
def issue_token(request: HttpRequest, body: LoginIn) -> TokenOut:
    """Exchange the SMS code for a bearer token."""
    resident = login_code_verify(phone=body.phone, code=body.code)
    return TokenOut(token=token_for(resident), expires_in=TOKEN_MAX_AGE_SECONDS)


@api.post(
    "/declarations",
    auth=ResidentBearer(),
    response={201: StatusOut, **error_responses(400, 401, 409, *BODY_ERRORS)},
    tags=["declarations"],
    summary="居住登记自主申报 / Declare residence",
    description="提交一份居住登记申报，成功时答 201 和申报编号、状态。服务端一次检查全部内容，"
    "有问题时答 400 `invalid_declaration`，在 `errors` 中逐字段列出全部问题（与网页相同的规则）。"
    "同一人在同一地址已有未结申报时答 409 `duplicate_declaration`，`reference` 为已有申报的编号。"
    "字段格式见 DeclarationIn：代码字段取 enum 中的代码，日期为 YYYY-MM-DD，"
    "可选字段可省略或为 null。"
    "\n\nSubmits a declaration; 201 answers its reference and status. Every field is checked at "
    "once; problems answer 400 `invalid_declaration` listing each in `errors` (the page's "
    "rules). A second active declaration of the same person at the same address answers 409 "
    "`duplicate_declaration` with the existing one's `reference`. Coded fields take the codes "
    "in `enum`, dates are YYYY-MM-DD, optional fields may be omitted or null.",
    openapi_extra=examples(
        request=EXAMPLE_DECLARATION,
        responses={
            201: {
                **EXAMPLE_STATUS,
                "status": "submitted",
                "status_label": "已提交",
                "station_name": "",
                "registration_number": "",
                "registered_on": None,
                "history": EXAMPLE_STATUS["history"][:1],
            },
            400: {
                "code": "invalid_declaration",
                "message": "申报内容有误，请按提示修改",
                "message_en": "The declaration has errors; correct them as shown",
                "errors": [
                    {
                        "field": "phone",
                        "code": "phone_format",
                        "message": "请输入11位中国大陆手机号码",
                        "message_en": "Enter an 11-digit mainland China mobile number",
                    },
                    {
                        "field": "arrival_date",
                        "code": "future",
                        "message": "来本地日期不能晚于今天",
                        "message_en": "The arrival date cannot be in the future",
                    },
                ],
            },
            409: {
                "code": "duplicate_declaration",
                "message": f"该身份证号已在此地址申报（编号 {EXAMPLE_REFERENCE}），无需重复申报，"
                "可在“我的申报”中查看进度",
                "message_en": "This ID number is already declared at this address (reference "
                f"{EXAMPLE_REFERENCE}); follow that declaration in My declarations",
                "field": "id_number",
                "errors": [],
                "reference": EXAMPLE_REFERENCE,
            },
        },
    ),
)
def submit_declaration(request: HttpRequest, body: DeclarationIn) -> Status[StatusOut]:  # type: ignore[valid-type]
    """居住登记自主申报 — declare residence; all problems are reported at once."""
    resident: Resident = request.auth  # type: ignore[attr-defined]
    declaration = declaration_submit(
        resident=resident, data=_declaration_input(body), channel="api"
    )
    return Status(201, _status(declaration))


@api.post(
    "/declarations/{reference}/resubmit",
    auth=ResidentBearer(),
    response={200: StatusOut, **error_responses(400, 401, 404, 409, *BODY_ERRORS)},
    tags=["declarations"],
    summary="更正后重新提交 / Correct and resubmit a returned declaration",
    description="派出所退回的申报（状态 returned）按退回原因更正后重新提交："
    "编号不变，办理经过接续，派出所在同一案件中重新核查。"
    "内容规则与新申报相同（400 逐字段列出全部问题）；"
    "不是退回状态答 409 `not_returned`；在同一地址另有未结申报答 409 `duplicate_declaration`；"
    "别人的或不存在的编号答 404。"
    "\n\nCorrects a declaration the station returned (status returned) and sends it back under "
    "the same reference; its history continues and the station reviews the same case again. "
    "The content rules are those of a new declaration (400 lists every problem); a declaration "
    "that is not returned answers 409 `not_returned`; another active declaration at the same "
    "address 409 `duplicate_declaration`; another resident's or an unknown reference 404.",
    openapi_extra=examples(
        request=EXAMPLE_DECLARATION,
        responses={
            200: {
                **EXAMPLE_STATUS,
                "status": "submitted",
                "status_label": "已提交",
                "registration_number": "",
                "registered_on": None,
            },
            409: {
                "code": "not_returned",
                "message": "只有被退回的申报可以更正后重新提交",
                "message_en": "Only a returned declaration can be corrected and resubmitted",
                "errors": [],
            },
        },
    ),
)
def resubmit_declaration(
    request: HttpRequest,
    reference: Annotated[
        ReferenceStr,
        Path(
            description="退回的申报编号 / The returned declaration's reference",
            example=EXAMPLE_REFERENCE,
        ),
    ],
    body: DeclarationIn,  # type: ignore[valid-type]
) -> StatusOut:
    resident: Resident = request.auth  # type: ignore[attr-defined]
    declaration = declaration_resubmit(
        resident=resident,
        reference=declaration_of_resident(resident=resident, reference=reference).reference,
        data=_declaration_input(body),
        channel="api",
    )
    return _status(declaration)


class ChangeIn(Schema):
    """居住登记变更申报 / A change of address or workplace (ZJ-11)"""

    changed_on: DateStr = Field(
        description="变更日期（年-月-日），不晚于今天、不早于登记日期 / Day of the change "
        "(YYYY-MM-DD), not in the future nor before the registration",
        examples=["2026-11-28"],
    )
    community_code: documented_str(pattern=r"^[0-9]{12}$") | None = Field(  # type: ignore[valid-type]
        None,
        description="新的社区（村）代码；地址不变时省略 / New community code; omit to keep the "
        f"address. {NULL_MEANS_EMPTY}",
        examples=["330106002002"],
    )
    address_detail: documented_str(maxLength=200) | None = Field(  # type: ignore[valid-type]
        None,
        description=f"新的详细地址 / New detailed address. {NULL_MEANS_EMPTY}",
        examples=["文三路 100 号 2 幢 301 室"],
    )
    housing_type: code_list(HOUSING_TYPE_LABELS) | None = Field(  # type: ignore[valid-type]
        None,
        description=f"新住所类型，变更地址时必填 / Housing type of the new address, required "
        f"with it. 取值 / Codes: {describe_codes(HOUSING_TYPE_LABELS)}. {NULL_MEANS_EMPTY}",
        examples=["owned"],
    )
    landlord_name: documented_str(maxLength=50) | None = Field(  # type: ignore[valid-type]
        None,
        description="新房东姓名，租住房屋必填 / Landlord's name, required for rented housing. "
        f"{NULL_MEANS_EMPTY}",
        examples=["李四"],
    )
    landlord_phone: PhoneStr | None = Field(  # type: ignore[valid-type]
        None,
        description=f"新房东手机号码 / Landlord's mobile. {NULL_MEANS_EMPTY}",
        examples=["13900139000"],
    )
    employer_name: documented_str(maxLength=100) | None = Field(  # type: ignore[valid-type]
        None,
        description="新的服务处所；服务处所不变时省略 / New workplace; omit to keep it. "
        f"{NULL_MEANS_EMPTY}",
        examples=["杭州新单位有限公司"],
    )


class CancelIn(Schema):
    left_on: DateStr = Field(
        description="离开本市日期（年-月-日），不晚于今天、不早于登记日期 / Day of leaving the "
        "city (YYYY-MM-DD), not in the future nor before the registration",
        examples=["2026-11-30"],
    )


ReferencePath = Annotated[
    ReferenceStr,
    Path(
        description="已登记的申报编号 / Reference of the registered declaration",
        example=EXAMPLE_REFERENCE,
    ),
]


@api.post(
    "/declarations/{reference}/changes",
    auth=ResidentBearer(),
    response={200: StatusOut, 201: StatusOut, **error_responses(400, 401, 404, 409, *BODY_ERRORS)},
    tags=["declarations"],
    summary="申报地址或服务处所变更 / Declare a change of address or workplace",
    description="已登记的居住地址或服务处所变更的，应在变更之日起10日内申报（ZJ-11）。"
    "新地址的规则与申报相同；地址不变时省略地址各项，服务处所不变时省略 employer_name。"
    "成功答 201，申报进入 requests（state=pending），派出所办理后以短信通知并在办理经过中列出"
    "（是否逾期见 late）。同一变更重复提交答 200 和原来的申请，不会重复办理。"
    "内容有误答 400 `invalid_change`，在 `errors` 中列出全部问题（变更日期晚于今天或早于登记日期、"
    "没有需要变更的内容等）；登记已注销答 409 `registration_cancelled`，尚未登记答 409 "
    "`not_registered`，另有申请待办理答 409 `request_pending`；别人的或不存在的编号答 404。"
    "\n\nDeclares that the address and/or the workplace of a registration changed, within 10 "
    "days of the change (ZJ-11). The new address follows the declaration's rules; omit the "
    "address fields to keep the address, employer_name to keep the workplace. 201 answers the "
    "declaration with the request pending; the station's answer comes by SMS and in the "
    "history (late tells whether it was declared after the tenth day). The same change again "
    "answers 200 with the first request and is not recorded twice. Problems answer 400 "
    "`invalid_change` listing each (a change date in the future or before the registration, "
    "nothing changed, …); a cancelled registration 409 `registration_cancelled`, one not yet "
    "registered 409 `not_registered`, another request waiting 409 `request_pending`; another "
    "resident's or an unknown reference 404.",
    openapi_extra=examples(
        request=EXAMPLE_CHANGE_IN,
        responses={
            200: EXAMPLE_CHANGE_SUBMITTED,
            201: EXAMPLE_CHANGE_SUBMITTED,
            400: {
                "code": "invalid_change",
                "message": "变更信息有误，请更正后再提交",
                "message_en": "The change has errors; correct them and submit again",
                "errors": [
                    {
                        "field": "changed_on",
                        "code": "future",
                        "message": "变更日期不能晚于今天",
                        "message_en": "The change date cannot be in the future",
                    }
                ],
            },
            409: {
                "code": "registration_cancelled",
                "message": "该居住登记已注销，不能再申报变更或注销",
                "message_en": "This registration is cancelled; it can no longer change or be "
                "cancelled",
                "errors": [],
            },
        },
    ),
)
def declare_change(
    request: HttpRequest,
    reference: ReferencePath,
    body: ChangeIn,
) -> Status[StatusOut]:
    """ZJ-11: a change of a registration, idempotent for the same change."""
    resident: Resident = request.auth  # type: ignore[attr-defined]
    own = declaration_of_resident(resident=resident, reference=reference)
    data = ChangeInput(**{name: getattr(body, name) or "" for name in ChangeIn.model_fields})
    _, created = registration_change_declare(
        resident=resident, reference=own.reference, data=data, channel="api"
    )
    declaration = declaration_of_resident(resident=resident, reference=own.reference)
    return Status(201 if created else 200, _status(declaration))


@api.post(
    "/declarations/{reference}/cancel",
    auth=ResidentBearer(),
    response={200: StatusOut, 201: StatusOut, **error_responses(400, 401, 404, 409, *BODY_ERRORS)},
    tags=["declarations"],
    summary="离开本市，申请注销登记 / Declare leaving the city (cancel the registration)",
    description="申报离开本市的日期，由派出所注销居住登记；注销后短信通知，并在 permit_effect "
    "中说明对居住证的影响。成功答 201（requests 中 state=pending）；同一日期重复提交答 200。"
    "日期有误答 400 `invalid_change`；登记已注销或尚未登记答 409；另有注销申请待办理答 409 "
    "`request_pending`；别人的或不存在的编号答 404。"
    "\n\nDeclares the day of leaving the city; the station cancels the registration, then an "
    "SMS follows and permit_effect says what it means for a residence permit. 201 answers the "
    "declaration with the request pending; the same day again answers 200. A bad date answers "
    "400 `invalid_change`; a cancelled or unregistered declaration 409; another cancellation "
    "waiting 409 `request_pending`; another resident's or an unknown reference 404.",
    openapi_extra=examples(
        request={"left_on": "2026-11-30"},
        responses={200: EXAMPLE_CANCEL_SUBMITTED, 201: EXAMPLE_CANCEL_SUBMITTED},
    ),
)
def declare_cancel(
    request: HttpRequest, reference: ReferencePath, body: CancelIn
) -> Status[StatusOut]:
    """WF-1: leaving the city cancels the registration; idempotent for the same day."""
    resident: Resident = request.auth  # type: ignore[attr-defined]
    own = declaration_of_resident(resident=resident, reference=reference)
    _, created = registration_cancel_declare(
        resident=resident, reference=own.reference, left_on=body.left_on, channel="api"
    )
    declaration = declaration_of_resident(resident=resident, reference=own.reference)
    return Status(201 if created else 200, _status(declaration))


@api.get(
    "/declarations",
    auth=ResidentBearer(),
    response={200: list[StatusOut], **error_responses(401)},
    tags=["declarations"],
    summary="我的申报 / My declarations",
    description="登录居民的全部申报，最新的在前，每份带办理经过。\n\n"
    "The signed-in resident's declarations, newest first, each with its history.",
    openapi_extra=examples(responses={200: [EXAMPLE_STATUS]}),
)
def my_declarations(request: HttpRequest) -> list[StatusOut]:
    return [_status(d) for d in declarations_of(resident=request.auth)]  # type: ignore[attr-defined]


@api.get(
    "/declarations/{reference}",
    auth=ResidentBearer(),
    response={200: StatusOut, **error_responses(401, 404)},
    tags=["declarations"],
    summary="查看一份申报 / One of my declarations",
    description="登录居民的一份申报及其办理经过；别人的或不存在的编号答 404。\n\n"
    "One of the signed-in resident's declarations with its history; another resident's or an "
    "unknown reference answers 404.",
    openapi_extra=examples(responses={200: EXAMPLE_STATUS}),
)
def my_declaration(
    request: HttpRequest,
    reference: Annotated[
        ReferenceStr,
        Path(
            description="申报编号（大小写、全角均可）/ Declaration reference (any case, "
            "full-width too)",
            example=EXAMPLE_REFERENCE,
        ),
    ],
) -> StatusOut:
    resident: Resident = request.auth  # type: ignore[attr-defined]
    return _status(declaration_of_resident(resident=resident, reference=reference))


@api.get(
    "/progress",
    response={200: StatusOut, **error_responses(404, 422, 429)},
    tags=["progress"],
    summary="免登录查询办理进度 / Progress without sign-in",
    description="凭申报编号和申报人公民身份号码后六位查询进度；两者不匹配与编号不存在同样答 404。"
    "每个网络和每个编号每分钟查询次数有限，超出时答 429 并带 Retry-After。\n\n"
    "Progress by reference and the last six characters of the declarant's ID number; a "
    "mismatch answers 404 like an unknown reference. Lookups a minute are limited per network "
    "and per reference; beyond that 429 with Retry-After.",
    openapi_extra=examples(
        responses={
            200: EXAMPLE_STATUS,
            404: {
                "code": "not_found",
                "message": "未找到该申报，请核对申报编号和身份证号后六位",
                "message_en": "No such declaration; check the reference and the ID suffix",
                "errors": [],
            },
        }
    ),
)
def progress(
    request: HttpRequest,
    reference: Annotated[
        ReferenceStr,
        Query(description="申报编号 / Declaration reference", example=EXAMPLE_REFERENCE),
    ],
    id_last6: Annotated[
        IdSuffixStr,
        Query(
            description="申报人公民身份号码后六位 / Last six characters of the declarant's "
            "ID number",
            example="01123X",
        ),
    ],
) -> StatusOut:
    """Progress without log-in: reference number plus the ID number's last six characters."""
    return _status(
        declaration_progress_lookup(
            client_ip=client_address(request), reference=reference, id_last6=id_last6
        ),
        personal=False,
    )


@api.get(
    "/divisions/districts",
    response=list[DivisionOut],
    tags=["divisions"],
    summary="本市区县 / Districts of the city",
    description="本市现有的区县，按代码顺序。\n\nThe city's current districts.",
    openapi_extra=examples(responses={200: [EXAMPLE_DISTRICT]}),
)
def districts(request: HttpRequest) -> list[DivisionOut]:
    return [DivisionOut(code=d.code, name=d.name) for d in divisions.districts() if d.current]


@api.get(
    "/divisions/districts/{code}/streets",
    response=list[DivisionOut],
    tags=["divisions"],
    summary="区县下的街道（乡镇）/ Streets of a district",
    description="某区县的街道（乡镇）；未知代码答空列表。\n\n"
    "The streets (towns) of a district; an unknown code answers an empty list.",
    openapi_extra=examples(responses={200: [{"code": "330106002", "name": "北山街道"}]}),
)
def streets(
    request: HttpRequest,
    code: Annotated[
        DistrictCode,
        Path(description="区县代码（6位）/ District code (6 digits)", example="330106"),
    ],
) -> list[DivisionOut]:
    return [DivisionOut(code=s.code, name=s.name) for s in divisions.streets_of(code)]


@api.get(
    "/divisions/streets/{code}/communities",
    response=list[DivisionOut],
    tags=["divisions"],
    summary="街道下的社区（村）/ Communities of a street",
    description="某街道（乡镇）的社区（村），其代码即申报的 community_code；未知代码答空列表。\n\n"
    "The communities (villages) of a street; their codes are a declaration's community_code. "
    "An unknown code answers an empty list.",
    openapi_extra=examples(responses={200: [{"code": "330106002001", "name": "北山社区"}]}),
)
def communities(
    request: HttpRequest,
    code: Annotated[
        StreetCode,
        Path(description="街道（乡镇）代码（9位）/ Street code (9 digits)", example="330106002"),
    ],
) -> list[DivisionOut]:
    return [DivisionOut(code=c.code, name=c.name) for c in divisions.communities_of(code)]
