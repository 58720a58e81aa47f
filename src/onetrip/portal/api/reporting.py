"""Reporting API for organisations' own systems (ZJ-6…ZJ-9, WF-4): a batch of people arriving
and leaving and of rental houses, sent with an organisation's API token and an idempotency key.

A batch is an import like an uploaded file: the same checks, row by row, the same progress and
the same answer from the register. Items are numbered from 1 in each list, and every problem
names its item's number. The same key with the same batch answers the first import again and
changes nothing; the same key with another batch is 409."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Header, Path, Router, Schema, Status
from ninja.security import HttpBearer

from onetrip.common.api import documented_str, error_responses, examples
from onetrip.portal.reporting.models import ApiToken, ImportSource, TokenScope
from onetrip.portal.reporting.services import (
    API_BATCH_FILENAME,
    import_create,
    import_get,
    import_progress,
    token_authenticate,
)

router = Router(tags=["reporting"])

DateStr = documented_str(format="date")
KeyStr = documented_str(minLength=1, maxLength=100, pattern=r"^[A-Za-z0-9_.:-]+$")
ImportRefStr = documented_str(pattern=r"^RI[0-9]{14}$")


class OrganisationBearer(HttpBearer):
    openapi_description = (
        "单位管理员在“单位报送”页面生成的接口令牌（otr_…），放在 Authorization: Bearer 头中 / "
        "An API token (otr_…) made by the organisation's administrator on its reporting page, "
        "sent as Authorization: Bearer <token>"
    )

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(token, scope=self.scope)


WRITE = OrganisationBearer(TokenScope.REPORT)
READ = OrganisationBearer(TokenScope.READ)


# The place of a person or a house, as a clerk writes it in the file's 社区 and 详细地址 columns.
CommunityText = Annotated[
    str,
    Field(
        max_length=100,
        description="社区：12位社区代码或“街道+社区”名称 / Community: its 12-digit code or "
        "its name with the street's",
        examples=["330106002001"],
    ),
]
AddressText = Annotated[
    str,
    Field(
        max_length=500,
        description="详细地址，到室 / Address down to the room",
        examples=["曙光路 12 号 3 幢 201 室"],
    ),
]


class PersonItem(Schema):
    event: str = Field(
        max_length=10,
        description="事件：入住、入职、离开或离职 / Event: 入住 (tenant moves in), 入职 (hired), "
        "离开 (tenant leaves), 离职 (employment ends)",
        examples=["入职"],
    )
    name: str = Field(max_length=100, description="姓名 / Name", examples=["张三"])
    id_number: str = Field(
        max_length=64,
        description="公民身份号码 / Resident ID number",
        examples=["33010619900101123X"],
    )
    phone: str | None = Field(
        default=None,
        max_length=64,
        description="手机号码（选填）/ Mobile (optional)",
        examples=["13800138000"],
    )
    date: DateStr = Field(  # type: ignore[valid-type]
        description="入住、入职、离开或离职的日期 / The day of the event", examples=["2026-11-30"]
    )
    community: CommunityText
    address: AddressText
    house_ref: str | None = Field(
        default=None,
        max_length=100,
        description="本单位的房屋编号（租客选填）/ The house's reference (tenants, optional)",
        examples=["FW-0001"],
    )


class HouseItem(Schema):
    house_ref: str = Field(
        max_length=100, description="房屋编号 / House reference", examples=["FW-0001"]
    )
    community: CommunityText
    address: AddressText
    owner_name: str = Field(max_length=100, description="房主姓名 / Owner", examples=["李四"])
    owner_id_number: str = Field(
        max_length=64,
        description="房主公民身份号码 / Owner's ID number",
        examples=["330103198512310027"],
    )
    owner_phone: str | None = Field(
        default=None,
        max_length=64,
        description="房主手机号码（选填）/ Owner's mobile (optional)",
        examples=["13900139000"],
    )
    rooms: int = Field(ge=1, le=999, description="房间数 / Rooms", examples=[2])
    let_from: DateStr = Field(description="出租起始日期 / Let from", examples=["2026-11-01"])  # type: ignore[valid-type]
    let_until: DateStr | None = Field(  # type: ignore[valid-type]
        default=None,
        description="出租截止日期（选填）/ Let until (optional)",
        examples=["2027-10-31"],
    )


class BatchIn(Schema):
    people: list[PersonItem] = Field(
        default_factory=list,
        description="人员的入住、入职、离开、离职 / People arriving and leaving",
    )
    houses: list[HouseItem] = Field(default_factory=list, description="出租房屋 / Rental houses")
    dry_run: bool = Field(
        default=False, description="仅检查，不报送 / Check only, send nothing", examples=[False]
    )


class ProblemOut(Schema):
    sheet: str = Field(description="people 或 houses / people or houses", examples=["people"])
    item: int = Field(
        description="该列表中的序号（从1起）/ The item's number in its list (from 1)", examples=[3]
    )
    field: str = Field(description="字段 / Field", examples=["公民身份号码"])
    code: str = Field(description="稳定的问题代码 / Stable problem code", examples=["id_check"])
    message: str = Field(description="中文说明 / In Chinese", examples=["公民身份号码校验位不正确"])
    message_en: str = Field(
        description="英文说明 / In English", examples=["The ID number's check character is wrong"]
    )
    source: str = Field(
        description="file=报送时校验，register=公安登记比对 / "
        "file: our checks; register: the register's",
        examples=["file"],
    )


class BatchOut(Schema):
    reference: ImportRefStr = Field(
        description="报送批次编号 / Import reference", examples=["RI26120200000001"]
    )  # type: ignore[valid-type]
    status: str = Field(
        description="queued=排队中, reading=读取校验中, forwarding=报送公安中, done=已完成, "
        "refused=无法读取 / queued, reading, forwarding, done, refused",
        examples=["forwarding"],
    )
    percent: int = Field(description="进度百分比 / Percent done", examples=[50])
    dry_run: bool = Field(description="试运行 / Check only", examples=[False])
    rows_read: int = Field(description="已读取 / Items read", examples=[3])
    rows_valid: int = Field(description="校验通过 / Valid", examples=[2])
    rows_rejected: int = Field(description="校验未通过 / Refused by our checks", examples=[1])
    rows_applied: int = Field(description="已入库 / Applied to the register", examples=[2])
    rows_unchanged: int = Field(description="此前已报送，无变化 / Already on record", examples=[0])
    rows_refused: int = Field(description="公安比对未通过 / Refused by the register", examples=[0])
    rows_conflicts: int = Field(description="与其他来源不一致 / Conflicts flagged", examples=[0])
    problems: list[ProblemOut] = Field(description="问题（最多1000条）/ Problems (first 1,000)")


PROBLEMS_LISTED = 1000
EXAMPLE_BATCH = {
    "people": [
        {
            "event": "入职",
            "name": "张三",
            "id_number": "33010619900101123X",
            "phone": "13800138000",
            "date": "2026-11-30",
            "community": "330106002001",
            "address": "曙光路 12 号 3 幢 201 室",
        }
    ],
    "houses": [],
    "dry_run": False,
}
EXAMPLE_OUT: dict[str, Any] = {
    "reference": "RI26120200000001",
    "status": "queued",
    "percent": 0,
    "dry_run": False,
    "rows_read": 0,
    "rows_valid": 0,
    "rows_rejected": 0,
    "rows_applied": 0,
    "rows_unchanged": 0,
    "rows_refused": 0,
    "rows_conflicts": 0,
    "problems": [],
}


def _out(report_import: Any) -> BatchOut:
    figures = import_progress(report_import)
    problems = [
        ProblemOut(
            sheet=problem.sheet,
            item=problem.row,
            field=problem.column,
            code=problem.code,
            message=problem.message_zh,
            message_en=problem.message_en,
            source=problem.source,
        )
        for problem in report_import.problems.order_by("sheet", "row", "pk")[:PROBLEMS_LISTED]
    ]
    return BatchOut(
        **{k: figures[k] for k in BatchOut.model_fields if k in figures}, problems=problems
    )


@router.post(
    "/batches",
    auth=WRITE,
    response={202: BatchOut, **error_responses(400, 401, 403, 409, 413, 415, 422)},
    summary="报送一批数据 / Send a batch",
    description="一批最多 2000 条人员和房屋记录（请求体不超过1MB），"
    "与上传文件一样逐条校验后报送公安，在后台处理；"
    "用 GET /reporting/batches/{reference} 查询进度和问题。"
    "必须带 Idempotency-Key 头：同一幂等键、同一内容再次提交时答原批次、不作任何更改；"
    "同一幂等键、不同内容答 409。\n\n"
    "At most 2,000 people and houses (a body of at most 1 MB), checked item by item like an "
    "uploaded file and forwarded in the background; poll GET /reporting/batches/{reference}. "
    "The Idempotency-Key header is required: the same key with the same batch answers the "
    "first import and changes nothing; the same key with another batch is 409.",
    openapi_extra=examples(
        request=EXAMPLE_BATCH,
        responses={
            202: EXAMPLE_OUT,
            400: {
                "code": "batch_empty",
                "message": "这批数据是空的",
                "message_en": "The batch is empty",
                "errors": [],
            },
            401: {
                "code": "unauthorized",
                "message": "请先登录",
                "message_en": "Sign in first",
                "errors": [],
            },
            403: {
                "code": "organisation_not_approved",
                "message": "单位尚未通过分局审核",
                "message_en": "The organisation may report once the district has approved it",
                "errors": [],
            },
            409: {
                "code": "idempotency_key_reused",
                "message": "该幂等键已用于内容不同的另一批数据，请换一个新的幂等键",
                "message_en": "This idempotency key was already used for a different batch",
                "errors": [],
            },
            415: {
                "code": "unsupported_media_type",
                "message": "请以 application/json 提交",
                "message_en": "Send application/json",
                "errors": [],
            },
            413: {
                "code": "too_large",
                "message": "请求过大",
                "message_en": "The request is too large",
                "errors": [],
            },
            422: {
                "code": "invalid_request",
                "message": "请求格式不正确",
                "message_en": "The request is malformed",
                "errors": [],
            },
        },
    ),
)
def batch_submit(
    request: HttpRequest,
    body: BatchIn,
    idempotency_key: Annotated[
        KeyStr,  # type: ignore[valid-type]
        Header(
            alias="Idempotency-Key",
            description="幂等键：每批数据一个新值 / Idempotency key: a new one for each batch",
            example="hr-2026-11-30-001",
        ),
    ],
) -> Status[BatchOut]:
    """Keep the batch as an import and queue it."""
    from onetrip.portal.reporting.errors import ReportingError

    token = request.auth
    assert isinstance(token, ApiToken)
    count = len(body.people) + len(body.houses)
    if count == 0:
        raise ReportingError("batch_empty", "这批数据是空的", "The batch is empty")
    limit = int(settings.ONETRIP_REPORT_API_MAX_ITEMS)
    if count > limit:
        raise ReportingError(
            "batch_too_large",
            f"一批最多{limit}条，请分批提交",
            f"At most {limit} items a batch; split it",
        )
    content = json.dumps(
        body.model_dump(mode="json", exclude={"dry_run"}), ensure_ascii=False, sort_keys=True
    ).encode()
    report_import, _created = import_create(
        organisation=token.organisation,
        source=ImportSource.API,
        filename=API_BATCH_FILENAME,
        content=content,
        token=token,
        dry_run=body.dry_run,
        idempotency_key=idempotency_key,
    )
    return Status(202, _out(report_import))


@router.get(
    "/batches/{reference}",
    auth=READ,
    response={200: BatchOut, **error_responses(401, 404, 422)},
    summary="查询一批数据的处理结果 / A batch's progress and problems",
    description="进度、计数和问题清单（最多1000条）。\n\n"
    "Progress, counts and the first 1,000 problems.",
    openapi_extra=examples(
        responses={
            200: EXAMPLE_OUT,
            401: {
                "code": "unauthorized",
                "message": "请先登录",
                "message_en": "Sign in first",
                "errors": [],
            },
            404: {
                "code": "import_not_found",
                "message": "未找到该报送批次",
                "message_en": "No such import",
                "errors": [],
            },
            422: {
                "code": "invalid_request",
                "message": "请求格式不正确",
                "message_en": "The request is malformed",
                "errors": [],
            },
        }
    ),
)
def batch_get(
    request: HttpRequest,
    reference: Annotated[
        ImportRefStr,  # type: ignore[valid-type]
        Path(description="报送批次编号 / Import reference", example="RI26120200000001"),
    ],
) -> BatchOut:
    """One import of the token's organisation."""
    token = request.auth
    assert isinstance(token, ApiToken)
    return _out(import_get(organisation=token.organisation, reference=reference))
