"""The calendar file (RFC 5545) of a booking, made with the `icalendar` library.

Times are written in Asia/Shanghai with its VTIMEZONE (UTC+8 all year: China has kept no
daylight-saving time since 1991, so the zone has one STANDARD part and no DAYLIGHT), which every
calendar program reads as the window's wall-clock time wherever the phone is. The event carries
the window's address and phone and the booking's reference; a moved booking keeps its UID and
raises SEQUENCE, a cancelled one says STATUS:CANCELLED, so an imported event updates in place.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from onetrip.contracts.booking import BOOKING_SERVICE_LABELS

from .calendar import TZ, local
from .models import Booking, BookingStatus

PRODID = "-//Hangzhou Public Security//OneTrip booking//ZH"
UID_DOMAIN = "onetrip.booking"


def _vtimezone() -> Timezone:
    zone = Timezone()
    zone.add("tzid", "Asia/Shanghai")
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=8))
    standard.add("tzoffsetto", dt.timedelta(hours=8))
    standard.add("tzname", "CST")
    zone.add_component(standard)
    return zone


def booking_ics(*, booking: Booking, now: dt.datetime | None = None) -> bytes:
    """The booking as a one-event calendar file."""
    now = now or timezone.now()
    window = booking.window
    service = str(BOOKING_SERVICE_LABELS.get(booking.service, booking.service))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_vtimezone())
    event = Event()
    event.add("uid", f"{booking.reference}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", local(booking.starts_at).astimezone(TZ))
    event.add("dtend", local(booking.ends_at).astimezone(TZ))
    event.add("summary", f"{service}：{window.name}")
    event.add("location", window.address)
    lines = [f"预约编号：{booking.reference}", f"办理业务：{service}", f"地址：{window.address}"]
    if window.phone:
        lines.append(f"窗口电话：{window.phone}")
    if booking.application is not None:
        lines.append(f"申请编号：{booking.application.reference}")
    lines.append("请携带身份证和告知单所列材料原件按时到达。")
    event.add("description", "\n".join(lines))
    if window.phone:
        event.add("contact", window.phone)
    event.add("sequence", booking.events.filter(action="moved").count())
    cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()  # type: ignore[no-any-return]
