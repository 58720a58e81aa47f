"""Channel API for booking the visit (预约办, DESIGN §7): free slots, hold, confirm, cancel,
reschedule, the calendar file and the waitlist. The same services as the pages; the seat is
taken by the database, so a lost race answers 409 `slot_full` ("该时段已约满")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel

from onetrip.common.api import (
    code_list,
    describe_codes,
    documented_str,
    error_responses,
    examples,
    label_in,
)
from onetrip.common.http import client_address
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS
from onetrip.portal.booking.calendar import local
from onetrip.portal.booking.ics import booking_ics
from onetrip.portal.booking.models import Booking, WaitlistEntry
from onetrip.portal.booking.selectors import (
    booking_of_resident,
    bookings_of,
    cached_slot_listing,
    waitlist_of,
    window_days,
)
from onetrip.portal.booking.services import (
    booking_cancel,
    booking_confirm,
    booking_hold,
    booking_reschedule,
    waitlist_join,
    waitlist_leave,
)
from onetrip.portal.windows.models import Window

from .auth import ResidentBearer

router = Router(tags=["booking"])
AUTH = ResidentBearer()

# The statuses a booking shows in the API: the contract's and the portal's hold states.
BOOKING_STATUS_CODES: dict[str, str] = {
    "held": "保留中，待确认 (held, waiting for confirmation)",
    "booked": "已预约 (booked)",
    "cancelled": "已取消 (cancelled)",
    "expired": "保留已过期，已释放 (hold expired and released)",
    "checked_in": "已到场 (checked in)",
    "no_show": "未到场 (no show)",
}
WAITLIST_STATUS_CODES: dict[str, str] = {
    "waiting": "候补中 (waiting)",
    "offered": "已有空位，待确认 (offered: confirm the offer booking)",
    "accepted": "已接受 (accepted)",
    "lapsed": "未在保留时间内确认 (lapsed)",
    "skipped": "已有同类预约，跳过 (skipped: already booked)",
    "left": "已退出 (left)",
}


def _codes(labels: dict[str, str]) -> str:
    """`code=中文 (English), …` for a code list whose labels carry both languages already."""
    return ", ".join(f"{code}={label}" for code, label in labels.items())


ServiceCode = code_list(BOOKING_SERVICE_LABELS)
BookingStatusCode = code_list(BOOKING_STATUS_CODES)
WaitlistStatusCode = code_list(WAITLIST_STATUS_CODES)
BookingRefStr = documented_str(pattern=r"^[A-Za-z]{2}[0-9]{14}$")
WindowCodeStr = documented_str(maxLength=24)
SERVICE_DOC = "办理业务 / Service. 取值 / Codes: " + describe_codes(BOOKING_SERVICE_LABELS)

EXAMPLE_WINDOW = "33010650002001"
EXAMPLE_REFERENCE = "YY26120312345678"
EXAMPLE_START = "2026-12-03T09:30:00+08:00"
EXAMPLE_BOOKING: dict[str, Any] = {
    "reference": EXAMPLE_REFERENCE,
    "status": "booked",
    "service": "permit_first",
    "service_label": "居住证首次申领",
    "starts_at": EXAMPLE_START,
    "ends_at": "2026-12-03T09:50:00+08:00",
    "hold_expires_at": None,
    "window_code": EXAMPLE_WINDOW,
    "window_name": "北山派出所户籍窗口",
    "address": "杭州市西湖区北山路262号",
    "phone": "0571-85601989",
    "application_reference": "PA26120112345678",
    "cancel_reason": "",
}
SLOT_FULL = {
    "code": "slot_full",
    "message": "该时段已约满",
    "message_en": "This slot is fully booked",
    "errors": [],
}
CAPTCHA_REQUIRED = {
    "code": "captcha_required",
    "message": "操作较频繁，请先回答验证题",
    "message_en": "Many bookings lately: answer the question first",
    "field": "captcha_answer",
    "errors": [],
    "captcha": {
        "token": "eyJuIjoi…",
        "question": "七加五等于多少？（请填阿拉伯数字）",
        "question_en": "What is 7 + 5?",
    },
}
NOT_FOUND = {"code": "not_found", "message": "未找到该预约", "message_en": "Booking not found"}


class SlotOut(BaseModel):
    """Plain pydantic (not a ninja Schema): a listing holds hundreds of slots, and ninja's
    per-object attribute wrapper made validating them most of the request's time."""

    starts_at: dt.datetime = Field(
        description="开始时间（北京时间）/ Start (Asia/Shanghai)", examples=[EXAMPLE_START]
    )
    ends_at: dt.datetime = Field(
        description="结束时间 / End", examples=["2026-12-03T09:50:00+08:00"]
    )
    capacity: int = Field(description="该时段可预约人数 / Seats in the slot", examples=[3])
    free: int = Field(
        description="剩余可预约人数（当天名额用完时为0）/ Seats still free (0 once the day's "
        "online quota is used)",
        examples=[2],
    )


class DayOut(BaseModel):
    day: dt.date = Field(description="日期 / Day", examples=["2026-12-03"])
    open: bool = Field(description="当天办公 / The window works that day", examples=[True])
    full: bool = Field(
        description="当天已约满，可加入候补 / Fully booked: the waitlist is open", examples=[False]
    )
    quota_left: int = Field(
        description="当天剩余网上预约名额 / Online bookings left that day", examples=[35]
    )
    slots: list[SlotOut] = Field(description="当天的时段 / The day's slots")


class WindowSlotsOut(Schema):
    window_code: str = Field(description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW])
    window_name: str = Field(description="窗口名称 / Window", examples=["北山派出所户籍窗口"])
    address: str = Field(description="地址 / Address", examples=["杭州市西湖区北山路262号"])
    phone: str = Field(description="电话 / Phone", examples=["0571-85601989"])
    services: list[ServiceCode] = Field(  # type: ignore[valid-type]
        description="可办理业务 / Services offered. " + SERVICE_DOC, examples=[["permit_first"]]
    )
    days: list[DayOut] = Field(
        description="从今天到可预约的最后一天 / From today to the last bookable day"
    )


class BookingOut(Schema):
    reference: str = Field(description="预约编号 / Reference", examples=[EXAMPLE_REFERENCE])
    status: BookingStatusCode = Field(  # type: ignore[valid-type]
        description="状态 / Status. 取值 / Codes: " + _codes(BOOKING_STATUS_CODES),
        examples=["booked"],
    )
    service: ServiceCode = Field(description=SERVICE_DOC, examples=["permit_first"])  # type: ignore[valid-type]
    service_label: str = Field(
        description="业务名称 / Service in words", examples=["居住证首次申领"]
    )
    starts_at: dt.datetime = Field(description="开始时间 / Start", examples=[EXAMPLE_START])
    ends_at: dt.datetime = Field(
        description="结束时间 / End", examples=["2026-12-03T09:50:00+08:00"]
    )
    hold_expires_at: dt.datetime | None = Field(
        description="保留截止时间（待确认时）/ The hold ends at (status held)",
        examples=["2026-12-01T10:05:00+08:00"],
    )
    window_code: str = Field(description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW])
    window_name: str = Field(description="窗口名称 / Window", examples=["北山派出所户籍窗口"])
    address: str = Field(description="地址 / Address", examples=["杭州市西湖区北山路262号"])
    phone: str = Field(description="窗口电话 / Window phone", examples=["0571-85601989"])
    application_reference: str = Field(
        description="关联的居住证申请编号（如有）/ The permit application, if any",
        examples=["PA26120112345678"],
    )
    cancel_reason: str = Field(
        description="取消原因代码（已取消时）/ Why it was cancelled (status cancelled)",
        examples=[""],
    )


class HoldIn(Schema):
    window_code: WindowCodeStr = Field(  # type: ignore[valid-type]
        description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW]
    )
    service: ServiceCode = Field(  # type: ignore[valid-type]
        "permit_first",
        description=SERVICE_DOC + "；关联申请时按申请类型 / from the application's kind when "
        "one is given",
        examples=["permit_first"],
    )
    starts_at: dt.datetime = Field(
        description="所选时段的开始时间，须带时区 / The slot's start, with its offset",
        examples=[EXAMPLE_START],
    )
    application_reference: str | None = Field(
        None,
        description="已通过预审的居住证申请编号，可省略 / A permit application that passed "
        "pre-review; may be omitted",
        examples=["PA26120112345678"],
        max_length=32,
    )
    captcha_token: str | None = Field(
        None,
        description="验证题令牌（答 captcha_required 后）/ The challenge token, after "
        "captcha_required",
        examples=[None],
        max_length=400,
    )
    captcha_answer: str | None = Field(
        None,
        description="验证题答案 / The challenge's answer",
        examples=[None],
        max_length=10,
    )


class ConfirmIn(Schema):
    name: str | None = Field(
        None,
        description="到窗口办理人的姓名（未关联申请时必填）/ Name of the person who comes "
        "(required without an application)",
        examples=["张三"],
        max_length=50,
    )


class RescheduleIn(Schema):
    starts_at: dt.datetime = Field(
        description="新时段的开始时间 / The new slot's start", examples=[EXAMPLE_START]
    )
    captcha_token: str | None = Field(
        None, description="验证题令牌 / Challenge token", examples=[None], max_length=400
    )
    captcha_answer: str | None = Field(
        None, description="验证题答案 / Challenge answer", examples=[None], max_length=10
    )


class WaitlistIn(Schema):
    window_code: WindowCodeStr = Field(  # type: ignore[valid-type]
        description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW]
    )
    day: dt.date = Field(description="已约满的日期 / The full day", examples=["2026-12-03"])
    service: ServiceCode = Field(  # type: ignore[valid-type]
        "permit_first", description=SERVICE_DOC, examples=["permit_first"]
    )
    application_reference: str | None = Field(
        None,
        description="居住证申请编号，可省略 / Permit application, may be omitted",
        examples=[None],
        max_length=32,
    )
    name: str | None = Field(
        None,
        description="到窗口办理人的姓名 / Name of the person who comes",
        examples=["张三"],
        max_length=50,
    )


class WaitlistOut(Schema):
    id: int = Field(description="候补编号 / Waitlist entry id", examples=[17])
    window_code: str = Field(description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW])
    day: dt.date = Field(description="日期 / Day", examples=["2026-12-03"])
    service: ServiceCode = Field(description=SERVICE_DOC, examples=["permit_first"])  # type: ignore[valid-type]
    status: WaitlistStatusCode = Field(  # type: ignore[valid-type]
        description="状态 / Status. 取值 / Codes: " + _codes(WAITLIST_STATUS_CODES),
        examples=["waiting"],
    )
    offer_reference: str = Field(
        description="有空位时为您保留的预约编号，确认即接受 / The booking held for you when a "
        "seat is offered; confirm it to accept",
        examples=[""],
    )


class CalendarOut(Schema):
    filename: str = Field(description="文件名 / File name", examples=[f"{EXAMPLE_REFERENCE}.ics"])
    content: str = Field(
        description="iCalendar 文件内容 / The iCalendar text",
        examples=["BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…END:VCALENDAR\r\n"],
    )


def _booking(b: Booking) -> BookingOut:
    return BookingOut(
        reference=b.reference,
        status=b.status,
        service=b.service,
        service_label=label_in(BOOKING_SERVICE_LABELS[b.service], "zh-hans"),
        starts_at=local(b.starts_at),
        ends_at=local(b.ends_at),
        hold_expires_at=local(b.hold_expires_at) if b.hold_expires_at else None,
        window_code=b.window.code,
        window_name=b.window.name,
        address=b.window.address,
        phone=b.window.phone,
        application_reference=b.application.reference if b.application else "",
        cancel_reason=b.cancel_reason,
    )


def _entry(e: WaitlistEntry) -> WaitlistOut:
    return WaitlistOut(
        id=e.pk,
        window_code=e.window.code,
        day=e.day,
        service=e.service,
        status=e.status,
        offer_reference=e.offer.reference if e.offer else "",
    )


def _own(request: HttpRequest, reference: str) -> Booking:
    return booking_of_resident(resident=request.auth, reference=reference)  # type: ignore[attr-defined]


ReferencePath = Annotated[
    BookingRefStr,  # type: ignore[valid-type]
    Path(
        description="预约编号（大小写、全角均可）/ Booking reference (any case, full-width too)",
        example=EXAMPLE_REFERENCE,
    ),
]
BODY = (413, 415, 422)


@router.get(
    "/windows/{code}/slots",
    response={200: WindowSlotsOut, **error_responses(404, 422)},
    summary="窗口可预约时段 / A window's free slots",
    description="按窗口的容量日历列出从今天到可预约最后一天的每个时段及剩余人数（已扣除预约和"
    "保留中的号源；已过最短提前时间的不列出）。当天 full 为 true 时可加入候补。无需登录。\n\n"
    "Every slot from today to the horizon with its free seats (bookings and live holds "
    "taken off; slots within the minimum notice left out). A day with `full` true takes a "
    "waitlist. No sign-in needed.",
    openapi_extra=examples(
        responses={
            200: {
                "window_code": EXAMPLE_WINDOW,
                "window_name": "北山派出所户籍窗口",
                "address": "杭州市西湖区北山路262号",
                "phone": "0571-85601989",
                "services": ["permit_first", "permit_endorsement"],
                "days": [
                    {
                        "day": "2026-12-03",
                        "open": True,
                        "full": False,
                        "quota_left": 35,
                        "slots": [
                            {
                                "starts_at": EXAMPLE_START,
                                "ends_at": "2026-12-03T09:50:00+08:00",
                                "capacity": 3,
                                "free": 2,
                            }
                        ],
                    }
                ],
            },
            404: {
                "code": "window_not_found",
                "message": "未找到该办证窗口",
                "message_en": "Window not found",
                "errors": [],
            },
        }
    ),
)
def window_slots(
    request: HttpRequest,
    code: Annotated[
        WindowCodeStr,  # type: ignore[valid-type]
        Path(description="窗口编号 / Window code", example=EXAMPLE_WINDOW),
    ],
    day: Annotated[
        dt.date | None,
        Query(description="只看这一天（可省略）/ Only this day (optional)", example="2026-12-03"),
    ] = None,
) -> HttpResponse:
    body = cached_slot_listing(code, day, lambda w: _slot_listing(w, day).model_dump_json())
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _slot_listing(window: Window, day: dt.date | None) -> WindowSlotsOut:
    days = window_days(window=window, now=timezone.now(), days=[day] if day else None)
    return WindowSlotsOut(
        window_code=window.code,
        window_name=window.name,
        address=window.address,
        phone=window.phone,
        services=[s for s in window.services or [] if s in BOOKING_SERVICE_LABELS],
        days=[
            DayOut(
                day=d.day,
                open=d.open,
                full=d.full,
                quota_left=d.quota_left,
                slots=[
                    SlotOut(
                        starts_at=local(s.starts_at),
                        ends_at=local(s.ends_at),
                        capacity=s.capacity,
                        free=s.free if d.quota_left else 0,
                    )
                    for s in d.slots
                ],
            )
            for d in days
        ],
    )


@router.post(
    "/holds",
    auth=AUTH,
    response={201: BookingOut, **error_responses(400, 401, 404, 409, 429, *BODY)},
    summary="保留一个时段 / Hold a slot",
    description="为您保留所选时段5分钟（状态 held），请在 hold_expires_at 前确认。号源由数据库"
    "原子扣减：时段已满答 409 `slot_full`（该时段已约满），当天网上名额已满答 409 `day_full`。"
    "同一人同一业务只能有一个有效预约（409 `already_booked`，请改约）；再次保留会释放您之前的"
    "保留。一小时内保留较多时答 400 `captcha_required` 并附验证题 `captcha`（token、question），"
    "带 captcha_token 和 captcha_answer 重试；超过频率上限答 429。\n\n"
    "Holds the slot for you for five minutes (status held); confirm before `hold_expires_at`. "
    "The database takes the seat atomically: a full slot answers 409 `slot_full`, a day "
    "whose online quota is used 409 `day_full`. One active booking per person and service "
    "(409 `already_booked`: reschedule it); holding again releases your earlier hold. After "
    "several holds in an hour, 400 `captcha_required` carries a challenge (`captcha`: token, "
    "question); retry with captcha_token and captcha_answer. Beyond the rate limit, 429.",
    openapi_extra=examples(
        request={
            "window_code": EXAMPLE_WINDOW,
            "service": "permit_first",
            "starts_at": EXAMPLE_START,
            "application_reference": None,
        },
        responses={
            201: {
                **EXAMPLE_BOOKING,
                "status": "held",
                "hold_expires_at": "2026-12-01T10:05:00+08:00",
            },
            400: CAPTCHA_REQUIRED,
            409: SLOT_FULL,
        },
    ),
)
def hold(request: HttpRequest, body: HoldIn) -> Status[BookingOut]:
    booking = booking_hold(
        resident=request.auth,  # type: ignore[attr-defined]
        window_code=body.window_code,
        service=body.service,
        starts_at=body.starts_at,
        application_reference=body.application_reference or "",
        channel="api",
        client_ip=client_address(request),
        captcha_token=body.captcha_token or "",
        captcha_answer=body.captcha_answer or "",
    )
    return Status(201, _booking(booking))


@router.post(
    "/bookings/{reference}/confirm",
    auth=AUTH,
    response={200: BookingOut, **error_responses(400, 401, 404, 409, *BODY)},
    summary="确认预约（也用于接受候补空位）/ Confirm a hold (or a waitlist offer)",
    description="把保留中的时段确认为预约，发送短信并通知窗口；重复确认答同一预约。保留已过期答 "
    "409 `hold_expired`。未关联申请时须填姓名（400 `name_required`）。\n\n"
    "Turns the hold into a booking, sends the SMS and tells the window; confirming again "
    "answers the same booking. An expired hold answers 409 `hold_expired`. Without an "
    "application the name is required (400 `name_required`).",
    openapi_extra=examples(
        request={"name": "张三"},
        responses={
            200: EXAMPLE_BOOKING,
            404: NOT_FOUND | {"errors": []},
            409: {
                "code": "hold_expired",
                "message": "保留时间已过，该时段已释放，请重新选择时段",
                "message_en": "The hold has expired and the seat was released; choose a slot again",
                "errors": [],
            },
        },
    ),
)
def confirm(request: HttpRequest, reference: ReferencePath, body: ConfirmIn) -> BookingOut:
    booking = booking_confirm(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        name=body.name or "",
    )
    return _booking(booking)


@router.get(
    "/bookings",
    auth=AUTH,
    response={200: list[BookingOut], **error_responses(401)},
    summary="我的预约 / My bookings",
    description="您的预约，最近的在前（已释放的保留不列出）。\n\nYour bookings, latest first "
    "(released holds left out).",
    openapi_extra=examples(responses={200: [EXAMPLE_BOOKING]}),
)
def list_bookings(request: HttpRequest) -> list[BookingOut]:
    return [_booking(b) for b in bookings_of(resident=request.auth)[:100]]  # type: ignore[attr-defined]


@router.get(
    "/bookings/{reference}",
    auth=AUTH,
    response={200: BookingOut, **error_responses(401, 404)},
    summary="一个预约 / One booking",
    description="预约的状态、时间和窗口；他人的预约答 404。\n\nThe booking's status, time and "
    "window; another resident's answers 404.",
    openapi_extra=examples(responses={200: EXAMPLE_BOOKING, 404: NOT_FOUND | {"errors": []}}),
)
def get_booking(request: HttpRequest, reference: ReferencePath) -> BookingOut:
    return _booking(_own(request, reference))


@router.post(
    "/bookings/{reference}/cancel",
    auth=AUTH,
    response={200: BookingOut, **error_responses(401, 404, 409)},
    summary="取消预约 / Cancel a booking",
    description="取消预约（或释放保留）；号源先让给当天候补的居民。距预约时间不足取消时限答 409 "
    "`change_cutoff`。\n\nCancels the booking (or releases a hold); the seat goes to the day's "
    "waitlist first. Within the cut-off before the visit, 409 `change_cutoff`.",
    openapi_extra=examples(
        responses={
            200: {**EXAMPLE_BOOKING, "status": "cancelled", "cancel_reason": "resident"},
            404: NOT_FOUND | {"errors": []},
            409: {
                "code": "change_cutoff",
                "message": "距预约时间不足120分钟，不能再取消或改约；如不能前往，请致电窗口",
                "message_en": "Less than 120 minutes before the visit it can no longer be "
                "cancelled or moved; call the window if you cannot come",
                "errors": [],
            },
        }
    ),
)
def cancel(request: HttpRequest, reference: ReferencePath) -> BookingOut:
    booking = booking_cancel(resident=request.auth, reference=reference)  # type: ignore[attr-defined]
    return _booking(booking)


@router.post(
    "/bookings/{reference}/reschedule",
    auth=AUTH,
    response={200: BookingOut, **error_responses(400, 401, 404, 409, 429, *BODY)},
    summary="改约 / Reschedule",
    description="改到同一窗口的另一时段：新时段原子占用成功后才释放原时段；新时段已满答 409 "
    "`slot_full`，原预约不变。取消时限内答 409 `change_cutoff`。\n\n"
    "Moves the booking to another slot of its window: the old seat is given back only once "
    "the new one is taken; a full slot answers 409 `slot_full` and nothing changes. Within "
    "the cut-off, 409 `change_cutoff`.",
    openapi_extra=examples(
        request={"starts_at": "2026-12-04T14:10:00+08:00"},
        responses={
            200: {
                **EXAMPLE_BOOKING,
                "starts_at": "2026-12-04T14:10:00+08:00",
                "ends_at": "2026-12-04T14:30:00+08:00",
            },
            400: CAPTCHA_REQUIRED,
            404: NOT_FOUND | {"errors": []},
            409: SLOT_FULL,
        },
    ),
)
def reschedule(request: HttpRequest, reference: ReferencePath, body: RescheduleIn) -> BookingOut:
    booking = booking_reschedule(
        resident=request.auth,  # type: ignore[attr-defined]
        reference=reference,
        starts_at=body.starts_at,
        client_ip=client_address(request),
        captcha_token=body.captcha_token or "",
        captcha_answer=body.captcha_answer or "",
    )
    return _booking(booking)


ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hangzhou Public Security//OneTrip booking//ZH"
    "\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n…\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n"
    f"UID:{EXAMPLE_REFERENCE}@onetrip.booking\r\nDTSTART;TZID=Asia/Shanghai:20261203T093000"
    "\r\n…\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@router.get(
    "/bookings/{reference}/calendar.ics",
    auth=AUTH,
    response={200: CalendarOut, **error_responses(401, 404)},
    summary="预约的日历文件 / The booking as a calendar file",
    description="iCalendar 文件（text/calendar），北京时间并附 VTIMEZONE，含窗口地址、电话和预约"
    "编号；改约后 UID 不变、SEQUENCE 加1，取消后 STATUS:CANCELLED。请求头 Accept 为 "
    "application/json 时以 JSON 返回文件内容。\n\n"
    "The iCalendar file (text/calendar) in Asia/Shanghai time with its VTIMEZONE, the "
    "window's address and phone and the reference; a move keeps the UID and raises SEQUENCE, "
    "a cancellation says STATUS:CANCELLED. With `Accept: application/json` the file comes "
    "inside JSON.",
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "application/json": {
                        "example": {"filename": f"{EXAMPLE_REFERENCE}.ics", "content": ICS_EXAMPLE}
                    },
                    "text/calendar": {
                        "schema": {"type": "string"},
                        "example": ICS_EXAMPLE,
                    },
                }
            },
            404: {"content": {"application/json": {"example": NOT_FOUND | {"errors": []}}}},
        }
    },
)
def calendar_file(request: HttpRequest, reference: ReferencePath) -> Any:
    booking = _own(request, reference)
    content = booking_ics(booking=booking)
    filename = f"{booking.reference}.ics"
    if "application/json" in request.headers.get("Accept", ""):
        return CalendarOut(filename=filename, content=content.decode())
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = str(content_disposition_header(True, filename))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/waitlist",
    auth=AUTH,
    response={201: WaitlistOut, **error_responses(400, 401, 404, 409, *BODY)},
    summary="加入候补 / Join a day's waitlist",
    description="当天已约满（slots 的 full 为 true）时加入候补；有人取消时按加入顺序为您保留空位"
    "并短信通知，offer_reference 即保留的预约，在保留时间内确认即接受，逾时让给下一位。当天仍有"
    "空位答 409 `day_not_full`。\n\n"
    "Joins the waitlist of a full day (`full` in the slots). When a seat is freed it is "
    "held for the next in line and told by SMS; `offer_reference` is that held booking, "
    "confirm it in time to accept, else it passes to the next. A day with free slots answers "
    "409 `day_not_full`.",
    openapi_extra=examples(
        request={
            "window_code": EXAMPLE_WINDOW,
            "day": "2026-12-03",
            "service": "permit_first",
            "name": "张三",
        },
        responses={
            201: {
                "id": 17,
                "window_code": EXAMPLE_WINDOW,
                "day": "2026-12-03",
                "service": "permit_first",
                "status": "waiting",
                "offer_reference": "",
            },
            409: {
                "code": "day_not_full",
                "message": "当天仍有可预约时段，请直接预约",
                "message_en": "The day still has free slots; book one directly",
                "errors": [],
            },
        },
    ),
)
def join_waitlist(request: HttpRequest, body: WaitlistIn) -> Status[WaitlistOut]:
    entry = waitlist_join(
        resident=request.auth,  # type: ignore[attr-defined]
        window_code=body.window_code,
        day=body.day,
        service=body.service,
        application_reference=body.application_reference or "",
        name=body.name or "",
    )
    return Status(201, _entry(entry))


@router.get(
    "/waitlist",
    auth=AUTH,
    response={200: list[WaitlistOut], **error_responses(401)},
    summary="我的候补 / My waitlist places",
    description="候补中和已有空位待确认的候补。\n\nWaitlist places waiting or offered.",
    openapi_extra=examples(
        responses={
            200: [
                {
                    "id": 17,
                    "window_code": EXAMPLE_WINDOW,
                    "day": "2026-12-03",
                    "service": "permit_first",
                    "status": "offered",
                    "offer_reference": EXAMPLE_REFERENCE,
                }
            ]
        }
    ),
)
def list_waitlist(request: HttpRequest) -> list[WaitlistOut]:
    return [_entry(e) for e in waitlist_of(resident=request.auth)]  # type: ignore[attr-defined]


@router.post(
    "/waitlist/{entry_id}/leave",
    auth=AUTH,
    response={200: WaitlistOut, **error_responses(401, 404, 422)},
    summary="退出候补 / Leave a waitlist",
    description="不再候补；已有空位保留给您的，请取消那一预约。\n\nLeaves the waitlist; an offer "
    "already held for you is cancelled through its booking.",
    openapi_extra=examples(
        responses={
            200: {
                "id": 17,
                "window_code": EXAMPLE_WINDOW,
                "day": "2026-12-03",
                "service": "permit_first",
                "status": "left",
                "offer_reference": "",
            },
            404: {
                "code": "not_found",
                "message": "未找到该候补",
                "message_en": "Waitlist entry not found",
                "errors": [],
            },
        }
    ),
)
def leave_waitlist(
    request: HttpRequest,
    entry_id: Annotated[
        int, Path(description="候补编号 / Waitlist entry id", example=17, ge=1, le=2**62)
    ],
) -> WaitlistOut:
    entry = waitlist_leave(resident=request.auth, entry_id=entry_id)  # type: ignore[attr-defined]
    return _entry(entry)
