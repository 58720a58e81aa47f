"""Channel API for the window directory (就近办): list and search the residence-permit windows,
nearest first from a position or a community, and one window with its week. The same selectors
as the pages (`portal/windows/selectors.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from onetrip.common.api import code_list, describe_codes, error_responses, examples
from onetrip.contracts.booking import BOOKING_SERVICE_LABELS
from onetrip.portal.windows import geo
from onetrip.portal.windows.geo import Point
from onetrip.portal.windows.models import Window
from onetrip.portal.windows.selectors import (
    DAY_NOTE_LABELS,
    NAME_QUERY_MAX,
    DayHours,
    WindowHit,
    distance_km,
    district_name,
    street_name,
    window_get,
    window_next_free_slot,
    window_week,
    windows_next_free_slots,
    windows_origin,
    windows_search,
)

router = Router(tags=["windows"])

MAX_LIMIT = 100
APPROXIMATE = (
    "直线距离（公里），位置为近似值；未给出位置或窗口无坐标时为 null / Straight-line distance "
    "in km between approximate positions; null without a starting point or window position"
)

EXAMPLE_WINDOW: dict[str, Any] = {
    "code": "33010650002001",
    "station_code": "330106500020",
    "station_name": "北山派出所",
    "district_code": "330106",
    "district_name": "西湖区",
    "street_code": "330106002",
    "street_name": "北山街道",
    "name": "北山派出所户籍窗口",
    "address": "杭州市西湖区北山路262号",
    "phone": "0571-85601989",
    "opening_hours_text": "周一至周五 08:30-12:00, 13:30-17:00",
    "counters": 2,
    "services": ["permit_first", "permit_endorsement"],
    "latitude": 30.26,
    "longitude": 120.15,
    "distance_km": 1.42,
    "minutes": 6,
    "in_service_circle": True,
    "next_free_slot": "2026-12-01T14:20:00+08:00",
}
EXAMPLE_DAY: dict[str, Any] = {
    "date": "2026-12-01",
    "is_open": True,
    "note": "regular",
    "opens": "08:30:00",
    "closes": "17:00:00",
    "lunch_starts": "12:00:00",
    "lunch_ends": "13:30:00",
    "closure_starts": None,
    "closure_ends": None,
    "closure_reason": "",
}
EXAMPLE_LOCATION_ERROR: dict[str, Any] = {
    "code": "location_incomplete",
    "message": "位置须同时给出纬度和经度",
    "message_en": "A location needs both the latitude and the longitude",
    "field": "lat",
    "errors": [],
}

# Documented, not enforced: an unknown code finds nothing (`documented_str`), and a type alias
# spelled out keeps mypy able to read it.
DistrictCode = Annotated[str, Field(json_schema_extra={"pattern": r"^[0-9]{6}$"})]
StreetCode = Annotated[str, Field(json_schema_extra={"pattern": r"^[0-9]{9}$"})]
CommunityCode = Annotated[str, Field(json_schema_extra={"pattern": r"^[0-9]{12}$"})]
WindowCode = Annotated[str, Field(json_schema_extra={"maxLength": 24})]


class WindowOut(Schema):
    code: str = Field(description="窗口编号 / Window code", examples=[EXAMPLE_WINDOW["code"]])
    station_code: str = Field(
        description="所属派出所代码 / Code of the police station", examples=["330106500020"]
    )
    station_name: str = Field(description="所属派出所 / Police station", examples=["北山派出所"])
    district_code: str = Field(description="区县代码 / District code", examples=["330106"])
    district_name: str = Field(description="区县名称 / District name", examples=["西湖区"])
    street_code: str = Field(
        description="街道（乡镇）代码，可能为空 / Street (town) code, may be empty",
        examples=["330106002"],
    )
    street_name: str = Field(
        description="街道（乡镇）名称，可能为空 / Street (town) name, may be empty",
        examples=["北山街道"],
    )
    name: str = Field(description="窗口名称 / Window name", examples=[EXAMPLE_WINDOW["name"]])
    address: str = Field(description="地址 / Address", examples=[EXAMPLE_WINDOW["address"]])
    phone: str = Field(description="咨询电话 / Phone", examples=[EXAMPLE_WINDOW["phone"]])
    opening_hours_text: str = Field(
        description="办公时间（文字）/ Opening hours in words",
        examples=[EXAMPLE_WINDOW["opening_hours_text"]],
    )
    counters: int = Field(description="办理窗口数 / Counters serving residents", examples=[2])
    services: list[code_list(BOOKING_SERVICE_LABELS)] = Field(  # type: ignore[valid-type]
        description="可办业务 / Services offered. 取值 / Codes: "
        + describe_codes(BOOKING_SERVICE_LABELS)
    )
    latitude: float | None = Field(
        description="纬度（WGS-84，近似）/ Latitude (WGS-84, approximate)", examples=[30.26]
    )
    longitude: float | None = Field(
        description="经度（WGS-84，近似）/ Longitude (WGS-84, approximate)", examples=[120.15]
    )
    distance_km: float | None = Field(description=APPROXIMATE, examples=[1.42])
    minutes: int | None = Field(
        description=f"按直线距离和平均每小时 {geo.TRAVEL_SPEED_KMH:g} 公里估算的分钟数 / Minutes "
        f"at an average {geo.TRAVEL_SPEED_KMH:g} km/h over the straight-line distance",
        examples=[6],
    )
    in_service_circle: bool = Field(
        description=f"在{geo.SERVICE_CIRCLE_MINUTES}分钟服务圈内（按上述估算）/ Within the "
        f"{geo.SERVICE_CIRCLE_MINUTES}-minute service circle by that estimate",
        examples=[True],
    )
    next_free_slot: dt.datetime | None = Field(
        description="最早可预约的时段开始时间；暂无或预约功能未开通时为 null / Start of the "
        "earliest free booking slot; null when there is none or booking is not open yet",
        examples=[EXAMPLE_WINDOW["next_free_slot"]],
    )


class WindowListOut(Schema):
    count: int = Field(description="符合条件的窗口总数 / Windows matching in all", examples=[1])
    items: list[WindowOut] = Field(
        description="本页窗口；给出位置时由近到远，否则按区县、街道、编号 / This page's windows, "
        "nearest first when a position is given, else by district, street and code"
    )


class DayOut(Schema):
    date: dt.date = Field(description="日期 / Date", examples=["2026-12-01"])
    is_open: bool = Field(description="当天是否办公 / Open that day", examples=[True])
    note: code_list(DAY_NOTE_LABELS) = Field(  # type: ignore[valid-type]
        description="当天情况 / What kind of day. 取值 / Codes: " + describe_codes(DAY_NOTE_LABELS),
        examples=["regular"],
    )
    opens: dt.time | None = Field(description="开始办公 / Opens", examples=["08:30:00"])
    closes: dt.time | None = Field(description="结束办公 / Closes", examples=["17:00:00"])
    lunch_starts: dt.time | None = Field(
        description="午休开始 / Lunch break starts", examples=["12:00:00"]
    )
    lunch_ends: dt.time | None = Field(
        description="午休结束 / Lunch break ends", examples=["13:30:00"]
    )
    closure_starts: dt.time | None = Field(
        description="临时暂停办理开始 / A part-day closure starts", examples=[None]
    )
    closure_ends: dt.time | None = Field(
        description="临时暂停办理结束 / A part-day closure ends", examples=[None]
    )
    closure_reason: str = Field(
        description="暂停办理的原因 / Why the window is closed", examples=[""]
    )


class WindowDetailOut(WindowOut):
    week: list[DayOut] = Field(
        description="今天起7天的办公时间；窗口未公布日历时为空 / Hours of the seven days from "
        "today; empty until the window publishes its calendar"
    )


def _window_fields(hit: WindowHit, *, next_free: dt.datetime | None) -> dict[str, Any]:
    window: Window = hit.window
    return {
        "code": window.code,
        "station_code": window.station_code,
        "station_name": window.station_name,
        "district_code": window.district_code,
        "district_name": district_name(window.district_code),
        "street_code": window.street_code,
        "street_name": street_name(window.street_code),
        "name": window.name,
        "address": window.address,
        "phone": window.phone,
        "opening_hours_text": window.opening_hours_text,
        "counters": window.counters,
        "services": list(window.services),
        "latitude": window.latitude,
        "longitude": window.longitude,
        "distance_km": round(hit.distance_km, 2) if hit.distance_km is not None else None,
        "minutes": hit.minutes,
        "in_service_circle": hit.in_service_circle,
        "next_free_slot": next_free,
    }


def _day_out(day: DayHours) -> DayOut:
    return DayOut(
        date=day.date,
        is_open=day.is_open,
        note=day.note,
        opens=day.opens,
        closes=day.closes,
        lunch_starts=day.lunch_starts,
        lunch_ends=day.lunch_ends,
        closure_starts=day.closure_starts,
        closure_ends=day.closure_ends,
        closure_reason=day.closure_reason,
    )


LatQuery = Annotated[
    float | None,
    Query(
        ge=-90,
        le=90,
        description="所在位置的纬度（WGS-84），须与 lon 同时给出；精确到约100米使用 / Latitude "
        "of the starting point (WGS-84), with lon; used to about 100 m",
        example=30.27,
    ),
]
LonQuery = Annotated[
    float | None,
    Query(
        ge=-180,
        le=180,
        description="所在位置的经度（WGS-84），须与 lat 同时给出 / Longitude of the starting "
        "point (WGS-84), with lat",
        example=120.16,
    ),
]
CommunityQuery = Annotated[
    CommunityCode | None,
    Query(
        description="从该社区（村）出发计算距离（未给出 lat/lon 时），"
        "位置按社区所在街道的窗口估算 / Measure from this community (when lat/lon are "
        "not given), placed at its street's windows",
        example="330106002001",
    ),
]


def _origin(lat: float | None, lon: float | None, community: str | None) -> Point | None:
    return windows_origin(lat=lat, lon=lon, community_code=community or "")


@router.get(
    "",
    response={200: WindowListOut, **error_responses(400, 422)},
    summary="查找办理窗口 / Find service windows",
    description="按区县、街道、名称查找居住证办理窗口（只列出正在办理业务的窗口）。给出 lat/lon "
    "或社区时按直线距离由近到远排列，并给出距离、估算分钟数和是否在15分钟服务圈内。"
    "只给出纬度或经度之一答 400 `location_incomplete`，未知社区答 400 `community_unknown`；"
    "未知的区县或街道代码答空列表。\n\n"
    "Finds the residence-permit windows that take residents, by district, street and name. "
    "With lat/lon or a community the list is nearest first by straight-line distance, with "
    "the distance, estimated minutes and whether the window is within the 15-minute service "
    "circle. Half a position answers 400 `location_incomplete`, an unknown community 400 "
    "`community_unknown`; an unknown district or street code answers an empty list.",
    openapi_extra=examples(
        responses={200: {"count": 1, "items": [EXAMPLE_WINDOW]}, 400: EXAMPLE_LOCATION_ERROR}
    ),
)
def list_windows(
    request: HttpRequest,
    district: Annotated[
        DistrictCode | None,
        Query(description="区县代码（6位）/ District code (6 digits)", example="330106"),
    ] = None,
    street: Annotated[
        StreetCode | None,
        Query(description="街道（乡镇）代码（9位）/ Street code (9 digits)", example="330106002"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description=f"窗口名称、派出所名称或地址中包含的文字（使用前{NAME_QUERY_MAX}个字）/ "
            f"Text in the window's name, station or address (the first {NAME_QUERY_MAX} "
            "characters are used)",
            example="北山",
        ),
    ] = None,
    lat: LatQuery = None,
    lon: LonQuery = None,
    community: CommunityQuery = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"每页条数（1–{MAX_LIMIT}）/ Windows per page (1–{MAX_LIMIT})",
            example=20,
        ),
    ] = 20,
    offset: Annotated[
        int,
        Query(ge=0, le=10_000, description="跳过的条数 / Windows to skip", example=20),
    ] = 0,
) -> WindowListOut:
    origin = _origin(lat, lon, community)
    hits = windows_search(district=district or "", street=street or "", name=q or "", origin=origin)
    shown = hits[offset : offset + limit]
    slots = windows_next_free_slots(windows=[hit.window for hit in shown], now=timezone.now())
    items = [WindowOut(**_window_fields(h, next_free=slots[h.window.pk])) for h in shown]
    return WindowListOut(count=len(hits), items=items)


@router.get(
    "/{code}",
    response={200: WindowDetailOut, **error_responses(400, 404, 422)},
    summary="一个办理窗口 / One service window",
    description="一个窗口的地址、电话、办公时间、可办业务、最早可约时段和今天起7天的办公时间"
    "（含节假日、调休和临时暂停）。给出 lat/lon 或社区时另给出直线距离。不存在或已停止办理的窗口"
    "答 404。\n\n"
    "One window's address, phone, hours, services, earliest free slot and the hours of the "
    "seven days from today (holidays, make-up working days and closures applied). With "
    "lat/lon or a community, the straight-line distance too. An unknown window, or one no "
    "longer taking residents, answers 404.",
    openapi_extra=examples(
        responses={200: {**EXAMPLE_WINDOW, "week": [EXAMPLE_DAY]}, 400: EXAMPLE_LOCATION_ERROR}
    ),
)
def one_window(
    request: HttpRequest,
    code: Annotated[
        WindowCode,
        Path(description="窗口编号 / Window code", example=EXAMPLE_WINDOW["code"]),
    ],
    lat: LatQuery = None,
    lon: LonQuery = None,
    community: CommunityQuery = None,
) -> WindowDetailOut:
    window = window_get(code=code)
    origin = _origin(lat, lon, community)
    now = timezone.now()
    fields = _window_fields(
        WindowHit(window, distance_km(window, origin)),
        next_free=window_next_free_slot(window=window, now=now),
    )
    week = window_week(window=window, today=timezone.localdate(now))
    return WindowDetailOut(**fields, week=[_day_out(day) for day in week])
