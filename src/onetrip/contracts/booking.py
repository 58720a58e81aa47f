"""Booking the one visit (预约办, 就近办): the window directory and its capacity calendars, which
the police zone owns and publishes to the portal, and the bookings the portal takes, which cross to
the station (WF-2 APPOINTMENT_BOOKED, DESIGN §7).

Who owns what. The police zone owns the windows and their calendars: a station admin edits them
on the workbench and every change is published as a whole snapshot (`window.published`,
`window.calendar`), newer `as_of` wins. The portal owns the bookings: capacity is enforced in the
portal's database, where residents book, and each booking, change and cancellation crosses to
the station (`booking.*`), which marks arrival or no-show (`booking.attendance`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field

from .base import Contract, register

# The services a window offers and a booking is for.
BookingService = Literal["permit_first", "permit_endorsement", "permit_reissue", "permit_exchange"]
BookingStatus = Literal["booked", "cancelled", "checked_in", "no_show"]
CancelReason = Literal["resident", "window_closed", "hours_changed", "holiday", "expired", "staff"]

BOOKING_SERVICE_LABELS: dict[str, str] = {
    "permit_first": gettext_lazy("居住证首次申领"),
    "permit_endorsement": gettext_lazy("居住证签注"),
    "permit_reissue": gettext_lazy("居住证补领"),
    "permit_exchange": gettext_lazy("居住证换领"),
}
BOOKING_STATUS_LABELS: dict[str, str] = {
    "booked": gettext_lazy("已预约"),
    "cancelled": gettext_lazy("已取消"),
    "checked_in": gettext_lazy("已到场"),
    "no_show": gettext_lazy("未到场"),
}
CANCEL_REASON_LABELS: dict[str, str] = {
    "resident": gettext_lazy("本人取消"),
    "window_closed": gettext_lazy("窗口临时停办"),
    "hours_changed": gettext_lazy("窗口办公时间调整"),
    "holiday": gettext_lazy("节假日不办公"),
    "expired": gettext_lazy("预约已过期"),
    "staff": gettext_lazy("窗口工作人员取消"),
}


def check_booking_vocabularies() -> None:
    """Fail at start-up, not in a resident's request, if a code list and its labels disagree."""
    for literal, labels in (
        (BookingService, BOOKING_SERVICE_LABELS),
        (BookingStatus, BOOKING_STATUS_LABELS),
        (CancelReason, CANCEL_REASON_LABELS),
    ):
        if set(get_args(literal)) != set(labels):
            raise ImportError(f"code list {get_args(literal)} differs from its labels {labels}")


check_booking_vocabularies()


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpeningHoursV1(_Part):
    """One weekday's hours (0 = Monday … 6 = Sunday); a lunch break splits the day."""

    weekday: int = Field(ge=0, le=6)
    opens: dt.time
    closes: dt.time
    lunch_starts: dt.time | None = None
    lunch_ends: dt.time | None = None


class WorkdayV1(_Part):
    """A make-up working day (调休): `date` (usually a weekend) is worked as `as_weekday`."""

    date: dt.date
    as_weekday: int = Field(ge=0, le=4)


class ClosureV1(_Part):
    """A one-off closure of the whole day, or of part of it when `starts`/`ends` are given."""

    date: dt.date
    starts: dt.time | None = None
    ends: dt.time | None = None
    reason: str = Field(default="", max_length=200)


@register
class WindowPublishedV1(Contract):
    """One window of the directory as residents see it. Sent whole whenever it changes."""

    message_type = "window.published"
    version = 1
    aggregate_type = "window"

    code: str = Field(max_length=24)
    station_code: str = Field(max_length=20)
    station_name: str = Field(max_length=100)
    district_code: str = Field(min_length=6, max_length=6)
    street_code: str = Field(default="", max_length=9)
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    phone: str = Field(default="", max_length=40)
    opening_hours_text: str = Field(default="", max_length=500)
    counters: int = Field(ge=0, le=50)
    services: list[BookingService] = Field(max_length=10)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    active: bool
    as_of: dt.datetime


@register
class WindowCalendarV1(Contract):
    """A window's capacity calendar (DESIGN §7): how many residents it can take online in each
    slot. Sent whole whenever the station admin changes it; the portal recomputes free slots and
    moves or cancels bookings that no longer fit."""

    message_type = "window.calendar"
    version = 1
    aggregate_type = "window"

    window_code: str = Field(max_length=24)
    slot_minutes: int = Field(ge=5, le=240)
    counters_per_slot: int = Field(ge=0, le=50, description="bookings one slot can take")
    horizon_days: int = Field(ge=1, le=90, description="how far ahead residents may book")
    min_notice_minutes: int = Field(ge=0, le=10_080)
    online_quota_per_day: int = Field(
        ge=0, le=10_000, description="the day's online bookings at most; the rest is walk-ins"
    )
    hours: list[OpeningHoursV1] = Field(max_length=7)
    holidays: list[dt.date] = Field(default_factory=list, max_length=400)
    workdays: list[WorkdayV1] = Field(default_factory=list, max_length=100)
    closures: list[ClosureV1] = Field(default_factory=list, max_length=400)
    as_of: dt.datetime


@register
class BookingMadeV1(Contract):
    """A confirmed booking, for the station's list of the day's appointments. Carries what the
    window needs to greet the resident and no more (PI-2): the name, the masked phone and the
    application it is for."""

    message_type = "booking.made"
    version = 1
    aggregate_type = "booking"

    reference: str = Field(max_length=32)
    window_code: str = Field(max_length=24)
    service: BookingService
    starts_at: dt.datetime
    ends_at: dt.datetime
    name: str = Field(max_length=50)
    phone_masked: str = Field(max_length=20)
    application_reference: str = Field(default="", max_length=32)
    booked_at: dt.datetime


@register
class BookingChangedV1(Contract):
    """A booking moved to another slot (by the resident, or by the portal when the window's
    calendar changed)."""

    message_type = "booking.changed"
    version = 1
    aggregate_type = "booking"

    reference: str = Field(max_length=32)
    window_code: str = Field(max_length=24)
    starts_at: dt.datetime
    ends_at: dt.datetime
    changed_at: dt.datetime


@register
class BookingCancelledV1(Contract):
    message_type = "booking.cancelled"
    version = 1
    aggregate_type = "booking"

    reference: str = Field(max_length=32)
    reason: CancelReason
    cancelled_at: dt.datetime


@register
class BookingAttendanceV1(Contract):
    """The window marked the resident as arrived, or as not come (after the slot)."""

    message_type = "booking.attendance"
    version = 1
    aggregate_type = "booking"

    reference: str = Field(max_length=32)
    status: Literal["checked_in", "no_show"]
    at: dt.datetime
