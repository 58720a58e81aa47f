"""The station's one stop in the workbench API: the task queues and each step of a case after
pre-review (accept, notice, refuse, review, approve, card, hand-over), for window systems and
queue terminals that drive the workbench without its pages.

Every operation calls the same service the pages call, so the role, station, taking and
four-eyes rules hold here exactly as on the pages (DOMAIN WF-2, ZJ-16, NAT-12). Imported by the
police URL configuration before the API's routes are built, which registers the operations.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Schema

from onetrip.common.api import (
    code_list,
    describe_codes,
    documented_str,
    error_responses,
    examples,
)
from onetrip.common.masking import mask_id_number, mask_name
from onetrip.contracts.permits import APPLICATION_KIND_LABELS, APPLICATION_STATUS_LABELS
from onetrip.police.permits import casework
from onetrip.police.permits.clock import days_left
from onetrip.police.permits.models import PermitCase, Task
from onetrip.police.permits.queues import casework_queue_for_staff
from onetrip.police.permits.selectors import permit_get_for_staff

from .api import (
    BODY_ERRORS,
    DECISION_ERRORS,
    EXAMPLE_PERMIT_REFERENCE,
    PermitReferencePath,
    ProblemIn,
    ReasonStr,
    api,
)

TAGS = ["station"]
api.openapi_extra["tags"].append(
    {
        "name": "station",
        "description": "一站式办结：受理、审核、审批、签发、发证 / The one stop: accept, review, "
        "approve, issue, hand over",
    }
)
TASK_LABELS = {task.value: task.label for task in Task}
NoteStr = documented_str(maxLength=500)


class StationCaseOut(Schema):
    reference: str = Field(description="申请编号 / Reference", examples=[EXAMPLE_PERMIT_REFERENCE])
    kind: code_list(APPLICATION_KIND_LABELS) = Field(  # type: ignore[valid-type]
        description=f"申领类型 / Kind: {describe_codes(APPLICATION_KIND_LABELS)}"
    )
    status: code_list(APPLICATION_STATUS_LABELS) = Field(  # type: ignore[valid-type]
        description=f"状态 / Status: {describe_codes(APPLICATION_STATUS_LABELS)}"
    )
    task: str = Field(
        description="本所的下一环节，空为无待办 / The station's next task, empty for none: "
        + describe_codes(TASK_LABELS),
        examples=["review"],
    )
    channel: str = Field(description="online 网上申请 / window 窗口录入", examples=["online"])
    name: str = Field(description="姓名（遮蔽）/ Name, masked", examples=["张*"])
    id_number: str = Field(
        description="身份证号（遮蔽）/ ID number, masked", examples=["3301**********123X"]
    )
    taken_by: str = Field(description="接办人账号 / Who has taken it", examples=["clerk_beishan"])
    receipt_number: str = Field(description="受理回执编号 / Receipt number", examples=[""])
    due_on: dt.date | None = Field(
        description="法定办结日期（NAT-12）/ Legal due date", examples=["2026-12-16"]
    )
    days_left: int | None = Field(
        description="距法定办结日期天数，负数为超期 / Days left, negative when overdue",
        examples=[15],
    )
    permit_number: str = Field(description="居住证号码 / Permit number", examples=[""])


def _out(case: PermitCase) -> StationCaseOut:
    today = timezone.localdate()
    return StationCaseOut(
        reference=case.reference,
        kind=case.kind,
        status=case.status,
        task=case.task,
        channel=case.channel,
        name=mask_name(case.name),
        id_number=mask_id_number(case.id_number),
        taken_by=case.assigned_to.get_username() if case.assigned_to else "",
        receipt_number=case.receipt_number or "",
        due_on=case.due_on,
        days_left=days_left(case.due_on, today=today) if case.due_on else None,
        permit_number=case.permit_number,
    )


EXAMPLE_CASE = {
    "reference": EXAMPLE_PERMIT_REFERENCE,
    "kind": "first",
    "status": "accepted",
    "task": "review",
    "channel": "online",
    "name": "张*",
    "id_number": "3301**********123X",
    "taken_by": "",
    "receipt_number": "001001202612010001",
    "due_on": "2026-12-16",
    "days_left": 15,
    "permit_number": "",
}
ORIGINALS_EXAMPLE = ["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]


def _ok(request: object = None, **changes: object) -> dict[str, object]:
    return examples(request=request, responses={200: {**EXAMPLE_CASE, **changes}})


TaskQuery = Annotated[
    code_list(TASK_LABELS),  # type: ignore[valid-type]
    Query(description=f"环节 / Task: {describe_codes(TASK_LABELS)}", example="accept"),
]


@api.get(
    "/station/cases",
    response={200: list[StationCaseOut], **error_responses(401, 422)},
    tags=TAGS,
    summary="窗口办件队列 / A task queue of the station",
    openapi_extra=examples(responses={200: [EXAMPLE_CASE]}),
    description="本人岗位可办或可督办的某一环节的申请，超期的在前、其次按等待时间；其他岗位的环节答"
    "空列表。读取记入审计日志。\n\n"
    "The cases waiting for one task the officer works or oversees, overdue first, then by "
    "waiting time; a task of another role answers an empty list. The read is audited.",
)
def list_station_cases(request: HttpRequest, task: TaskQuery) -> list[StationCaseOut]:
    rows = casework_queue_for_staff(user=request.user, task=task, purpose="api_station_queue")
    return [_out(r.case) for r in rows]


def _case(request: HttpRequest, reference: str) -> PermitCase:
    return permit_get_for_staff(
        user=request.user,
        reference=reference,
        purpose="api_station_case",
        fields=("name:masked", "id_number:masked"),
    )


@api.get(
    "/station/cases/{reference}",
    response={200: StationCaseOut, **error_responses(401, 404)},
    tags=TAGS,
    summary="一件申请 / One case",
    openapi_extra=_ok(),
    description="辖区内一件申请的办理环节和法定时限。其他派出所的申请答 404。\n\n"
    "One case in the officer's scope with its task and legal clock; another station's answers "
    "404.",
)
def get_station_case(request: HttpRequest, reference: PermitReferencePath) -> StationCaseOut:
    return _out(_case(request, reference))


STEP_RULES = (
    "岗位、辖区、环节、接办和双人复核（受理或审核过的人不能再审核或审批）规则与工作台页面相同："
    "无权答 403（`four_eyes` 为双人复核），环节不符或未接办答 409。\n\n"
    "Role, station, step, taking and four-eyes rules (whoever accepted or reviewed a case may "
    "not review or approve it) are those of the pages: 403 when not allowed (`four_eyes` for "
    "the four-eyes rule), 409 for the wrong step or a case not taken."
)


@api.post(
    "/station/cases/{reference}/take",
    response={200: StationCaseOut, **error_responses(401, 403, 404, 409, 413, 415)},
    tags=TAGS,
    summary="接办 / Take the case",
    openapi_extra=_ok(
        status="prereview_passed",
        task="accept",
        taken_by="clerk_beishan",
        receipt_number="",
        due_on=None,
        days_left=None,
    ),
    description="接办申请的当前环节；已由他人接办答 409 `taken_by_other`。" + STEP_RULES,
)
def take_station_case(request: HttpRequest, reference: PermitReferencePath) -> StationCaseOut:
    return _out(casework.permit_take(user=request.user, reference=reference))


class AcceptIn(Schema):
    originals: list[Annotated[str, documented_str(maxLength=40)]] = Field(
        description="已核验原件的材料清单各项（须全部核验）/ Every line of the materials list "
        "whose original was compared with the upload (all are required)",
        examples=[["A1", "A8", "A9", "B10", "B11/B12/B13/B14/B15/B16/B17"]],
        json_schema_extra={"maxItems": 40},
        max_length=40,
    )
    ethnicity: Annotated[str, documented_str(minLength=1, maxLength=20)] = Field(
        description="民族（按身份证原件）/ Ethnicity from the ID card", examples=["汉族"]
    )
    hukou_address: Annotated[str, documented_str(minLength=1, maxLength=200)] = Field(
        description="常住户口所在地住址 / Household-registration address",
        examples=["浙江省温州市鹿城区五马街道1号"],
    )


@api.post(
    "/station/cases/{reference}/accept",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="受理 / Accept at the window",
    openapi_extra=_ok(
        {
            "originals": ORIGINALS_EXAMPLE,
            "ethnicity": "汉族",
            "hukou_address": "浙江省温州市鹿城区五马街道1号",
        }
    ),
    description="核验全部原件后受理，给出受理回执编号，开始法定时限（NAT-12）；"
    "原件未全部核验答 400 `originals_not_seen`。" + STEP_RULES,
)
def accept_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: AcceptIn
) -> StationCaseOut:
    return _out(
        casework.permit_accept(
            user=request.user,
            reference=reference,
            originals=body.originals,
            ethnicity=body.ethnicity,
            hukou_address=body.hukou_address,
        )
    )


class NoticeIn(Schema):
    problems: list[ProblemIn] = Field(
        description="一次性告知的全部事项（1至40项）/ Every line of the one-time notice",
        json_schema_extra={"minItems": 1, "maxItems": 40},
        max_length=40,
    )


@api.post(
    "/station/cases/{reference}/notice",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="原件不全：一次性告知 / One-time notice at the window",
    openapi_extra=_ok(
        {"problems": [{"item": "B11", "text": "劳动合同原件与上传件不一致，请上传原件扫描件"}]},
        status="materials_required",
        task="",
        receipt_number="",
        due_on=None,
        days_left=None,
    ),
    description="原件缺少或与上传件不符：一次列出全部问题（NAT-11）。" + STEP_RULES,
)
def notice_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: NoticeIn
) -> StationCaseOut:
    return _out(
        casework.permit_window_return(
            user=request.user,
            reference=reference,
            problems=[p.model_dump() for p in body.problems],
        )
    )


class RefuseIn(Schema):
    reason: ReasonStr = Field(  # type: ignore[valid-type]
        description="不予办理原因（4至500字），申请人将看到 / The reason, as the resident reads it",
        examples=["社保缴纳记录显示已离职，不符合就业条件"],
    )


@api.post(
    "/station/cases/{reference}/refuse",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="不予办理 / Refuse with reasons",
    openapi_extra=_ok(
        {"reason": "社保缴纳记录显示已离职，不符合就业条件"}, status="rejected", task=""
    ),
    description="受理、审核或审批环节不予办理，写明原因（ZJ-16）。" + STEP_RULES,
)
def refuse_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: RefuseIn
) -> StationCaseOut:
    return _out(casework.permit_refuse(user=request.user, reference=reference, reason=body.reason))


class NoteIn(Schema):
    note: NoteStr = Field(  # type: ignore[valid-type]
        default="", description="意见 / Note", examples=["材料齐全，符合条件"]
    )


@api.post(
    "/station/cases/{reference}/review",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="审核通过 / Review",
    openapi_extra=_ok({"note": "材料齐全，符合条件"}, task="approve"),
    description="审核通过并送审批。" + STEP_RULES,
)
def review_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: NoteIn
) -> StationCaseOut:
    return _out(casework.permit_review(user=request.user, reference=reference, note=body.note))


@api.post(
    "/station/cases/{reference}/approve",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="审批并签发 / Approve and issue",
    openapi_extra=_ok(
        {"note": ""}, status="approved", task="produce", permit_number="33010620260000001"
    ),
    description="审批通过并签发居住证（号码、签发机关、有效期一年）。审批链由部署设定（本所或分局）。"
    + STEP_RULES,
)
def approve_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: NoteIn
) -> StationCaseOut:
    return _out(casework.permit_approve(user=request.user, reference=reference, note=body.note))


CARD_ERRORS = error_responses(401, 403, 404, 409, *BODY_ERRORS)


@api.post(
    "/station/cases/{reference}/production",
    response={200: StationCaseOut, **CARD_ERRORS},
    tags=TAGS,
    summary="送制证 / Send the card to production",
    openapi_extra=_ok(status="in_production", task="produce", permit_number="33010620260000001"),
    description="已签发的证件送制证。" + STEP_RULES,
)
def production_station_case(request: HttpRequest, reference: PermitReferencePath) -> StationCaseOut:
    return _out(casework.permit_send_to_production(user=request.user, reference=reference))


@api.post(
    "/station/cases/{reference}/arrived",
    response={200: StationCaseOut, **CARD_ERRORS},
    tags=TAGS,
    summary="证件已到所 / The card has arrived",
    openapi_extra=_ok(status="ready", task="hand_over", permit_number="33010620260000001"),
    description="证件制作完成已到所，通知申请人领取。" + STEP_RULES,
)
def arrived_station_case(request: HttpRequest, reference: PermitReferencePath) -> StationCaseOut:
    return _out(casework.permit_card_arrived(user=request.user, reference=reference))


class HandOverIn(Schema):
    """One of the two proves who collects: the ID card presented or the pickup code."""

    id_number: Annotated[str, documented_str(maxLength=40)] = Field(
        "",
        description="领证人所持身份证号（与领证码二选一）/ The ID number on the card presented "
        "(or give the pickup code)",
        examples=["33010619900101123X"],
    )
    pickup_code: Annotated[str, documented_str(maxLength=6)] = Field(
        "",
        description="申请人短信中的6位领证码（与身份证号二选一）/ The 6-digit pickup code from "
        "the resident's SMS (or give the ID number)",
        examples=["382915"],
    )


@api.post(
    "/station/cases/{reference}/hand-over",
    response={200: StationCaseOut, **DECISION_ERRORS},
    tags=TAGS,
    summary="核验身份并发证 / Hand the card over",
    openapi_extra=_ok(
        {"id_number": "33010619900101123X"},
        status="collected",
        task="",
        permit_number="33010620260000001",
    ),
    description="核验领证人身份证或领证码后发证：身份证不一致答 400 `identity_mismatch`，"
    "领证码错误答 400 `pickup_code_mismatch`，均记入审计；两者都未提供答 400 "
    "`identity_required`；证件已安排邮寄答 409 `shipment_exists`。" + STEP_RULES,
)
def hand_over_station_case(
    request: HttpRequest, reference: PermitReferencePath, body: HandOverIn
) -> StationCaseOut:
    return _out(
        casework.permit_hand_over(
            user=request.user,
            reference=reference,
            id_number=body.id_number,
            pickup_code=body.pickup_code,
        )
    )
