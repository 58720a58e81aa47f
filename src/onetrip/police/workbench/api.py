"""The workbench API (`/api/v1/` on the police zone): the same scope and rules as the pages.

Endpoints raise `ApplicationError`; the API's one handler turns it into the documented body.
The document (`/api/v1/openapi.json`, page at `/api/v1/docs`) takes the status codes from
`RegistrationStatus`, the one source."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
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
规则与工作台页面相同。
The workbench API of the police zone: list, read, verify (register) and return residence
declarations within the officer's jurisdiction, under the same rules as the pages.

**登录 / Authentication.** 使用工作台登录后的会话（Cookie `sessionid`）；POST 请求须带
`X-CSRFToken` 头。未登录答 401。Use the workbench session; POST requests send `X-CSRFToken`.

**个人信息 / Personal data.** 姓名、身份号码、手机号码均已遮蔽；每次读取都记入审计日志。
Names, ID numbers and phones are masked; every read is audited.

**错误 / Errors.** 所有错误都答同一个结构 `ErrorOut`（`code`、中文 `message`、`message_en`、
`field`、`errors`）。Every error answers `ErrorOut`.

**状态 / Statuses.** {describe_codes(REGISTRATION_STATUS_LABELS)}
"""

api = DocumentedAPI(
    title="OneTrip workbench API",
    version="1",
    urls_namespace="police_api",
    auth=StaffSession(),
    description=DESCRIPTION,
    openapi_extra={
        "tags": [
            {"name": "declarations", "description": "居住登记申报的核查 / Declarations to decide"}
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
